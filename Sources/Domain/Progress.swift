import LMDSJSON

/// One entry of an offer's milestone template: what a match of the offer plans, and how many days after
/// the match starts it falls due (kick-off on day 0, interviews done on day 28, ...).
public struct MilestoneTemplate: Sendable, Hashable {
    public let title: String
    public let dayOffset: Int

    public init(title: String, dayOffset: Int) {
        self.title = title
        self.dayOffset = dayOffset
    }

    public var json: JSONValue { ["title": .string(title), "dayOffset": .integer(Int64(dayOffset))] }

    init?(json: JSONValue) {
        guard let title = json["title"]?.stringValue, let offset = json["dayOffset"]?.integerValue else { return nil }
        self.init(title: title, dayOffset: Int(offset))
    }
}

/// A free text that may name people (a milestone's or check-in's note, a feedback comment): the text lives
/// in the personal table under `id` (`T-0001`), the log holds only its SHA-256, so it can be erased.
public struct TextReference: Sendable, Hashable {
    public let id: String
    public let sha256: String

    public init(id: String, sha256: String) {
        self.id = id
        self.sha256 = sha256
    }

    public var json: JSONValue { ["id": .string(id), "sha256": .string(sha256)] }

    init?(json: JSONValue?) {
        guard let id = json?["id"]?.stringValue, let sha256 = json?["sha256"]?.stringValue else { return nil }
        self.init(id: id, sha256: sha256)
    }
}

/// Where a milestone stands as of a moment.
public enum MilestoneStatus: String, Sendable, Hashable, CaseIterable {
    /// Due later than `MilestoneLimits.dueSoonDays` from the moment.
    case upcoming
    /// Due on the moment's date or within `MilestoneLimits.dueSoonDays` after it.
    case due
    /// Its date passed and it was not completed by the moment.
    case overdue
    /// Completed at or before the moment.
    case completed
}

/// A milestone of a match, numbered from 1 within the match.
public struct Milestone: Sendable, Hashable {
    public let number: Int
    public let title: String
    /// Its due date (ISO).
    public var due: String
    /// When it was completed, and on which (UTC) date.
    public var completedMs: Int64?
    public var completedOn: String?
    public var note: TextReference?

    public init(number: Int, title: String, due: String, completedMs: Int64? = nil, completedOn: String? = nil, note: TextReference? = nil) {
        self.number = number
        self.title = title
        self.due = due
        self.completedMs = completedMs
        self.completedOn = completedOn
        self.note = note
    }

    /// Its status as of `asOfMs`, a pure function of the milestone and the moment: completed when its completion
    /// is not later than the moment; otherwise overdue when its due date is before the moment's (UTC) date, due
    /// when it falls within `MilestoneLimits.dueSoonDays` of it, upcoming when later.
    public func status(asOfMs: Int64) -> MilestoneStatus {
        if let completedMs, completedMs <= asOfMs { return .completed }
        let today = CivilDate.date(milliseconds: asOfMs)
        if due < today { return .overdue }
        return due <= CivilDate.adding(days: MilestoneLimits.dueSoonDays, to: today) ? .due : .upcoming
    }

    /// Whether it was completed on or before its due date.
    public var metOnTime: Bool { completedOn.map { $0 <= due } ?? false }

    /// Every stored property (without a status: that depends on the moment asked about).
    public var json: JSONValue {
        [
            "number": .integer(Int64(number)), "title": .string(title), "due": .string(due),
            "completedAt": completedMs.map { .integer($0) } ?? .null, "completedOn": completedOn.map { .string($0) } ?? .null,
            "note": note?.json ?? .null,
        ]
    }

    /// The planned part, as `MilestonesPlanned` stores it.
    var plannedJSON: JSONValue { ["number": .integer(Int64(number)), "title": .string(title), "due": .string(due)] }
}

/// How a match is going, as a check-in says.
public enum MatchHealth: String, Sendable, Hashable, CaseIterable {
    case onTrack = "on-track"
    case atRisk = "at-risk"
    case stalled
}

/// One check-in on a match, numbered from 1 within the match.
public struct CheckIn: Sendable, Hashable {
    public let number: Int
    public let health: MatchHealth
    public let recordedMs: Int64
    public let note: TextReference?

    public init(number: Int, health: MatchHealth, recordedMs: Int64, note: TextReference?) {
        self.number = number
        self.health = health
        self.recordedMs = recordedMs
        self.note = note
    }

    public var json: JSONValue {
        ["number": .integer(Int64(number)), "health": .string(health.rawValue), "recordedAt": .integer(recordedMs), "note": note?.json ?? .null]
    }
}

/// Who gives feedback on a match.
public enum FeedbackSide: String, Sendable, Hashable, CaseIterable, Comparable {
    case requester, education, students

    public static func < (lhs: FeedbackSide, rhs: FeedbackSide) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// When feedback is asked: at the end (after the outcome) or at the follow-up check.
public enum FeedbackMoment: String, Sendable, Hashable, CaseIterable {
    case end, followup
}

/// One side's feedback on a match for one moment.
public struct FeedbackEntry: Sendable, Hashable {
    public let side: FeedbackSide
    public let moment: FeedbackMoment
    /// Question id → a whole number on that question's scale.
    public let answers: [String: Int]
    public let submittedMs: Int64
    public let comment: TextReference?

    public init(side: FeedbackSide, moment: FeedbackMoment, answers: [String: Int], submittedMs: Int64, comment: TextReference?) {
        self.side = side
        self.moment = moment
        self.answers = answers
        self.submittedMs = submittedMs
        self.comment = comment
    }

    public var answersJSON: JSONValue { .object(answers.mapValues { .integer(Int64($0)) }) }

    public var json: JSONValue {
        [
            "side": .string(side.rawValue), "moment": .string(moment.rawValue), "answers": answersJSON,
            "submittedAt": .integer(submittedMs), "comment": comment?.json ?? .null,
        ]
    }
}

/// Limits on milestones, check-ins and feedback; each bounds what a match carries in every replay and view.
public enum MilestoneLimits {
    /// A milestone counts as due (not upcoming) this many days before its date.
    public static let dueSoonDays = 7
    /// Milestones per match or template: bounds `match.get` and the reports' walk.
    public static let milestonesMax = 50
    public static let titleBytesMax = 200
    /// Days after the start a template's milestone may fall (two years).
    public static let dayOffsetMax = 730
    /// Check-ins per match (one a week for ten years): bounds `match.get`.
    public static let checkInsMax = 520
    /// Notes of milestones and check-ins, and feedback comments.
    public static let noteBytesMax = 4_000
    /// Feedback questions per side (config): bounds each answer object.
    public static let questionsPerSideMax = 20
    /// The largest scale a feedback question may have (1 to this).
    public static let scaleMax = 10
}

/// Milestones, check-ins and feedback per match: what happens between a match's start and its outcome, and
/// how each side judged it. Held by `DomainState.progress`, changed only by `apply`.
public struct ProgressState: Sendable, Hashable {
    public internal(set) var milestones: [String: [Milestone]] = [:]
    public internal(set) var checkIns: [String: [CheckIn]] = [:]
    public internal(set) var feedback: [String: [FeedbackEntry]] = [:]
    /// Text ids handed out so far (`T-0001`, ...).
    public internal(set) var textCount = 0
    /// Texts erased from the personal table.
    public internal(set) var erasedTexts: Set<String> = []

    public init() {}

    /// The id the next text gets.
    public var nextTextID: String { EntityID.make("T", textCount + 1) }

    /// A match's health: its latest check-in's, nil before the first.
    public func health(of match: String) -> MatchHealth? { checkIns[match]?.last?.health }

    /// Whether `id` is a text some event recorded (erased or not).
    public func knowsText(_ id: String) -> Bool {
        guard id.hasPrefix("T-"), let number = Int(id.dropFirst(2)) else { return false }
        return number >= 1 && number <= textCount && EntityID.make("T", number) == id
    }

    /// The whole state as canonical JSON, matches in id order (the read-model digest of `replay --check`).
    public var json: JSONValue {
        let matches = Set(milestones.keys).union(checkIns.keys).union(feedback.keys).sorted(by: EntityID.precedes)
        return [
            "matches": .array(matches.map { match in
                [
                    "match": .string(match), "milestones": .array((milestones[match] ?? []).map(\.json)),
                    "checkIns": .array((checkIns[match] ?? []).map(\.json)), "feedback": .array((feedback[match] ?? []).map(\.json)),
                ]
            }),
            "texts": .integer(Int64(textCount)), "erasedTexts": .array(erasedTexts.sorted(by: EntityID.precedes).map { .string($0) }),
        ]
    }

    mutating func apply(_ event: ProgressEvent) {
        switch event {
        case .milestonesPlanned(let match, let planned):
            milestones[match] = planned
        case .milestoneCompleted(let match, let number, let completedMs, let completedOn, let note):
            update(match, number) { $0.completedMs = completedMs; $0.completedOn = completedOn; $0.note = note }
            if note != nil { textCount += 1 }
        case .milestoneRevised(let match, let number, let due):
            update(match, number) { $0.due = due }
        case .checkInRecorded(let match, let checkIn):
            checkIns[match, default: []].append(checkIn)
            if checkIn.note != nil { textCount += 1 }
        case .feedbackSubmitted(let match, let entry):
            feedback[match, default: []].append(entry)
            if entry.comment != nil { textCount += 1 }
        case .textErased(let id):
            erasedTexts.insert(id)
        }
    }

    private mutating func update(_ match: String, _ number: Int, _ change: (inout Milestone) -> Void) {
        guard var list = milestones[match], let index = list.firstIndex(where: { $0.number == number }) else { return }
        change(&list[index])
        milestones[match] = list
    }
}

/// Facts about milestones, check-ins and feedback (schema version 1). Notes and comments appear only as
/// their id and SHA-256 (`TextReference`).
public enum ProgressEvent: Sendable, Hashable {
    /// The match's milestones, replacing any planned before (from the offer's template when it starts, or `milestone.plan`).
    case milestonesPlanned(match: String, milestones: [Milestone])
    case milestoneCompleted(match: String, milestone: Int, completedMs: Int64, completedOn: String, note: TextReference?)
    case milestoneRevised(match: String, milestone: Int, due: String)
    case checkInRecorded(match: String, CheckIn)
    case feedbackSubmitted(match: String, FeedbackEntry)
    /// A note or comment erased from the personal table (its hash stays in the log).
    case textErased(id: String)

    public var type: String {
        switch self {
        case .milestonesPlanned: return "MilestonesPlanned"
        case .milestoneCompleted: return "MilestoneCompleted"
        case .milestoneRevised: return "MilestoneRevised"
        case .checkInRecorded: return "CheckInRecorded"
        case .feedbackSubmitted: return "FeedbackSubmitted"
        case .textErased: return "TextErased"
        }
    }

    /// The match first, then the text it stores, if any.
    public var entityIDs: [String] {
        switch self {
        case .milestonesPlanned(let match, _), .milestoneRevised(let match, _, _): return [match]
        case .milestoneCompleted(let match, _, _, _, let note): return [match] + (note.map { [$0.id] } ?? [])
        case .checkInRecorded(let match, let checkIn): return [match] + (checkIn.note.map { [$0.id] } ?? [])
        case .feedbackSubmitted(let match, let entry): return [match] + (entry.comment.map { [$0.id] } ?? [])
        case .textErased(let id): return [id]
        }
    }

    public var data: JSONValue {
        switch self {
        case .milestonesPlanned(let match, let milestones):
            return ["match": .string(match), "milestones": .array(milestones.map(\.plannedJSON))]
        case .milestoneCompleted(let match, let number, let completedMs, let completedOn, let note):
            return ["match": .string(match), "milestone": .integer(Int64(number)), "completedAt": .integer(completedMs),
                    "completedOn": .string(completedOn), "note": note?.json ?? .null]
        case .milestoneRevised(let match, let number, let due):
            return ["match": .string(match), "milestone": .integer(Int64(number)), "due": .string(due)]
        case .checkInRecorded(let match, let checkIn):
            return ["match": .string(match), "number": .integer(Int64(checkIn.number)), "health": .string(checkIn.health.rawValue),
                    "recordedAt": .integer(checkIn.recordedMs), "note": checkIn.note?.json ?? .null]
        case .feedbackSubmitted(let match, let entry):
            return ["match": .string(match), "side": .string(entry.side.rawValue), "moment": .string(entry.moment.rawValue),
                    "answers": entry.answersJSON, "submittedAt": .integer(entry.submittedMs), "comment": entry.comment?.json ?? .null]
        case .textErased(let id):
            return ["id": .string(id)]
        }
    }

    /// Reads a stored event back; nil for another type or data that does not fit.
    public init?(type: String, data: JSONValue) {
        func string(_ key: String) -> String? { data[key]?.stringValue }
        func integer(_ key: String) -> Int64? { data[key]?.integerValue }
        switch type {
        case "MilestonesPlanned":
            guard let match = string("match"), let items = data["milestones"]?.arrayValue else { return nil }
            let milestones = items.compactMap { item -> Milestone? in
                guard let number = item["number"]?.integerValue, let title = item["title"]?.stringValue, let due = item["due"]?.stringValue
                else { return nil }
                return Milestone(number: Int(number), title: title, due: due)
            }
            guard milestones.count == items.count else { return nil }
            self = .milestonesPlanned(match: match, milestones: milestones)
        case "MilestoneCompleted":
            guard let match = string("match"), let number = integer("milestone"), let completed = integer("completedAt"),
                let completedOn = string("completedOn")
            else { return nil }
            self = .milestoneCompleted(match: match, milestone: Int(number), completedMs: completed, completedOn: completedOn,
                                       note: TextReference(json: data["note"]))
        case "MilestoneRevised":
            guard let match = string("match"), let number = integer("milestone"), let due = string("due") else { return nil }
            self = .milestoneRevised(match: match, milestone: Int(number), due: due)
        case "CheckInRecorded":
            guard let match = string("match"), let number = integer("number"), let health = string("health").flatMap(MatchHealth.init(rawValue:)),
                let recorded = integer("recordedAt")
            else { return nil }
            self = .checkInRecorded(match: match, CheckIn(number: Int(number), health: health, recordedMs: recorded, note: TextReference(json: data["note"])))
        case "FeedbackSubmitted":
            guard let match = string("match"), let side = string("side").flatMap(FeedbackSide.init(rawValue:)),
                let moment = string("moment").flatMap(FeedbackMoment.init(rawValue:)), let submitted = integer("submittedAt"),
                let answers = data["answers"]?.objectValue
            else { return nil }
            self = .feedbackSubmitted(match: match, FeedbackEntry(
                side: side, moment: moment, answers: answers.compactMapValues { $0.integerValue.map { Int($0) } }, submittedMs: submitted,
                comment: TextReference(json: data["comment"])))
        case "TextErased":
            guard let id = string("id") else { return nil }
            self = .textErased(id: id)
        default:
            return nil
        }
    }
}
