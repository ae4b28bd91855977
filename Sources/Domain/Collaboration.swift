import LMDSCalendar
import LMDSJSON

/// The programme's rules that a city or an admin may tune, passed in with every decision so that the
/// decider stays pure. What they decided is recorded in the events (a proposal's `expiresAt`, an
/// outcome's `followUpDue`), so a replay never depends on the configuration of the day.
public struct DomainPolicy: Sendable, Hashable {
    /// How long a proposal waits for both consents before the daemon expires it. Fractions are allowed
    /// (the demo uses seconds); the default is 21 days.
    public var proposalExpiryDays: Double
    /// How many months after an outcome its follow-up check falls due (default 6).
    public var followUpMonths: Int
    /// How many days after falling due a follow-up check counts as overdue (default 30).
    public var followUpGraceDays: Int
    /// The users the daemon's config names (`roles.users`), with their role and institution: who may own
    /// questions, and whose desk an admin may ask for.
    public var users: [String: ConfiguredUser] = [:]
    /// The feedback questions per side, the sides the blind rule waits for, and its window.
    public var feedback: FeedbackPolicy
    /// The reminder rules' thresholds (config `reminders`; every rule on by default).
    public var reminders: ReminderPolicy

    public init(
        proposalExpiryDays: Double = 21, followUpMonths: Int = 6, followUpGraceDays: Int = 30, feedback: FeedbackPolicy = FeedbackPolicy(),
        reminders: ReminderPolicy = ReminderPolicy()
    ) {
        self.proposalExpiryDays = proposalExpiryDays
        self.followUpMonths = followUpMonths
        self.followUpGraceDays = followUpGraceDays
        self.feedback = feedback
        self.reminders = reminders
    }

    /// 21 days to consent, a follow-up after 6 months, overdue 30 days later.
    public static let `default` = DomainPolicy()

    /// The proposal expiry as milliseconds.
    public var proposalExpiryMs: Int64 { Int64((proposalExpiryDays * 86_400_000).rounded()) }
}

/// The two parties that consent to a proposal.
public enum ConsentSide: String, Sendable, Hashable, CaseIterable {
    /// The question's requester (a coordinator records their consent).
    case requester
    /// The offer's institution (its educator or a coordinator).
    case education
}

/// Where a proposal is: `proposed → accepted` (both consented; creates the match) `| declined | withdrawn | expired`.
public enum ProposalStatus: String, Sendable, Hashable, CaseIterable {
    case proposed, accepted, declined, withdrawn, expired
}

/// A concrete proposal to connect one question to one offer (voorstel); it needs both sides' consent.
public struct Proposal: Sendable, Hashable {
    public let id: String
    public var status: ProposalStatus
    public let question: String
    public let offer: String
    public let note: String?
    public let createdMs: Int64
    /// When it expires without both consents.
    public let expiresMs: Int64
    /// The sides that consented so far.
    public var consents: Set<ConsentSide>
    /// Who declined and why, when declined; the reason when withdrawn.
    public var declinedBy: ConsentSide?
    public var closingReason: String?
    /// The match it became, when accepted.
    public var match: String?
    public var version: Int

    /// The proposal as JSON for replies; `ProposalCreated` stores the fixed part.
    public var json: JSONValue {
        [
            "id": .string(id), "status": .string(status.rawValue), "question": .string(question), "offer": .string(offer),
            "note": note.map { .string($0) } ?? .null, "createdAt": .integer(createdMs), "expiresAt": .integer(expiresMs),
            "consents": .object(Dictionary(uniqueKeysWithValues: ConsentSide.allCases.map { ($0.rawValue, JSONValue.bool(consents.contains($0))) })),
            "declinedBy": declinedBy.map { .string($0.rawValue) } ?? .null, "closingReason": closingReason.map { .string($0) } ?? .null,
            "match": match.map { .string($0) } ?? .null, "version": .integer(Int64(version)),
        ]
    }
}

/// Where a match is: `agreed → started → delivered` (outcome recorded) `→ closed`; `cancelled` with a reason.
public enum MatchStatus: String, Sendable, Hashable, CaseIterable {
    case agreed, started, delivered, closed, cancelled

    /// Agreed and started matches take a place of the offer's capacity and keep the question matched.
    public var isOpen: Bool { self == .agreed || self == .started }
}

/// An agreed collaboration between a question and an offer (koppeling).
public struct Match: Sendable, Hashable {
    public let id: String
    public var status: MatchStatus
    public let proposal: String
    public let question: String
    public let offer: String
    public let agreedMs: Int64
    /// How many students work on it, once started.
    public var students: Int?
    /// The date the team started.
    public var startedOn: String?
    /// The outcome recorded for it.
    public var outcome: String?
    public var closingReason: String?
    public var version: Int

    /// The match as JSON for replies.
    public var json: JSONValue {
        [
            "id": .string(id), "status": .string(status.rawValue), "proposal": .string(proposal), "question": .string(question),
            "offer": .string(offer), "agreedAt": .integer(agreedMs), "students": students.map { .integer(Int64($0)) } ?? .null,
            "startedOn": startedOn.map { .string($0) } ?? .null, "outcome": outcome.map { .string($0) } ?? .null,
            "closingReason": closingReason.map { .string($0) } ?? .null, "version": .integer(Int64(version)),
        ]
    }
}

/// Who may see a deliverable: everyone, the programme's people, or everyone after a date.
public enum Visibility: String, Sendable, Hashable, CaseIterable {
    case `public`, `internal`, embargo
}

/// Something a match produced: a report, an advice, a prototype, ...
public struct Deliverable: Sendable, Hashable {
    public static let kinds = ["report", "advice", "prototype", "design", "dataset", "event", "video", "other"]
    /// The kinds, as names to resolve.
    public static let kindVocabulary = Vocabulary(noun: "kind of deliverable", ids: kinds)

    public let kind: String
    public let title: String
    public let uri: String?
    public let visibility: Visibility
    /// The date from which an embargoed deliverable is public.
    public let embargoUntil: String?

    public init(kind: String, title: String, uri: String?, visibility: Visibility, embargoUntil: String?) {
        self.kind = kind
        self.title = title
        self.uri = uri
        self.visibility = visibility
        self.embargoUntil = embargoUntil
    }

    /// Whether a reader outside the programme may see it on `date` (an ISO date).
    public func isPublic(on date: String) -> Bool {
        switch visibility {
        case .public: return true
        case .internal: return false
        case .embargo: return embargoUntil.map { $0 <= date } ?? false
        }
    }

    public var json: JSONValue {
        [
            "kind": .string(kind), "title": .string(title), "uri": uri.map { .string($0) } ?? .null,
            "visibility": .string(visibility.rawValue), "embargoUntil": embargoUntil.map { .string($0) } ?? .null,
        ]
    }

    init?(json: JSONValue) {
        guard let kind = json["kind"]?.stringValue, let title = json["title"]?.stringValue,
            let visibility = json["visibility"]?.stringValue.flatMap(Visibility.init(rawValue:))
        else { return nil }
        self.init(kind: kind, title: title, uri: json["uri"]?.stringValue, visibility: visibility, embargoUntil: json["embargoUntil"]?.stringValue)
    }
}

/// How both sides rated the collaboration, 1 to 5.
public struct Ratings: Sendable, Hashable {
    public var requester: Int?
    public var education: Int?

    public init(requester: Int?, education: Int?) {
        self.requester = requester
        self.education = education
    }

    public var json: JSONValue {
        ["requester": requester.map { .integer(Int64($0)) } ?? .null, "education": education.map { .integer(Int64($0)) } ?? .null]
    }
}

/// Whether the requester used what a match delivered, asked months later.
public enum FollowUpUse: String, Sendable, Hashable, CaseIterable {
    case yes, partly, no
}

/// The follow-up check of an outcome, once recorded.
public struct FollowUpCheck: Sendable, Hashable {
    public let used: FollowUpUse
    public let note: String?
    public let recordedMs: Int64
}

/// What a match delivered (opbrengst): the documentation the programme exists to keep.
public struct Outcome: Sendable, Hashable {
    public let id: String
    public let match: String
    public let question: String
    public let offer: String
    public var summary: String
    public var deliverables: [Deliverable]
    public var students: Int?
    public var hours: Int?
    public var competences: [String]
    public var ratings: Ratings
    public var impact: String?
    /// The follow-up questions it raised (new questions, linked back to it).
    public let followUps: [String]
    public let recordedMs: Int64
    /// The date its follow-up check falls due.
    public let followUpDue: String
    public var followUp: FollowUpCheck?
    public var version: Int

    /// The outcome as JSON; `OutcomeRecorded` stores it without `version` and `followUp`.
    public var json: JSONValue {
        [
            "id": .string(id), "match": .string(match), "question": .string(question), "offer": .string(offer),
            "summary": .string(summary), "deliverables": .array(deliverables.map(\.json)),
            "students": students.map { .integer(Int64($0)) } ?? .null, "hours": hours.map { .integer(Int64($0)) } ?? .null,
            "competences": .array(competences.map { .string($0) }), "ratings": ratings.json, "impact": impact.map { .string($0) } ?? .null,
            "followUps": .array(followUps.map { .string($0) }), "recordedAt": .integer(recordedMs), "followUpDue": .string(followUpDue),
            "followUp": followUp.map { check in
                ["used": .string(check.used.rawValue), "note": check.note.map { .string($0) } ?? .null, "recordedAt": .integer(check.recordedMs)]
            } ?? .null,
            "version": .integer(Int64(version)),
        ]
    }

    init?(json data: JSONValue) {
        guard let id = data["id"]?.stringValue, let match = data["match"]?.stringValue, let question = data["question"]?.stringValue,
            let offer = data["offer"]?.stringValue, let summary = data["summary"]?.stringValue,
            let recorded = data["recordedAt"]?.integerValue, let due = data["followUpDue"]?.stringValue
        else { return nil }
        self.init(
            id: id, match: match, question: question, offer: offer, summary: summary,
            deliverables: (data["deliverables"]?.arrayValue ?? []).compactMap(Deliverable.init(json:)),
            students: data["students"]?.integerValue.map { Int($0) }, hours: data["hours"]?.integerValue.map { Int($0) },
            competences: (data["competences"]?.arrayValue ?? []).compactMap(\.stringValue),
            ratings: Ratings(requester: data["ratings"]?["requester"]?.integerValue.map { Int($0) },
                             education: data["ratings"]?["education"]?.integerValue.map { Int($0) }),
            impact: data["impact"]?.stringValue, followUps: (data["followUps"]?.arrayValue ?? []).compactMap(\.stringValue),
            recordedMs: recorded, followUpDue: due, followUp: nil, version: 1)
    }

    public init(
        id: String, match: String, question: String, offer: String, summary: String, deliverables: [Deliverable], students: Int?,
        hours: Int?, competences: [String], ratings: Ratings, impact: String?, followUps: [String], recordedMs: Int64,
        followUpDue: String, followUp: FollowUpCheck?, version: Int
    ) {
        self.id = id
        self.match = match
        self.question = question
        self.offer = offer
        self.summary = summary
        self.deliverables = deliverables
        self.students = students
        self.hours = hours
        self.competences = competences
        self.ratings = ratings
        self.impact = impact
        self.followUps = followUps
        self.recordedMs = recordedMs
        self.followUpDue = followUpDue
        self.followUp = followUp
        self.version = version
    }
}

/// A new question drafted in an outcome (`followUps`): it inherits the requester and, unless given, the
/// neighbourhood of the question the outcome answered.
public struct QuestionDraft: Sendable, Hashable {
    public var title: String
    public var description: String
    public var neighbourhood: String?
    public var themes: [String]?
    public var disciplines: [String]?
    public var levels: [String]?
    /// A part of a split question may give its own window (nil: the original's); follow-ups have none.
    public var window: DateWindow?

    public init(
        title: String, description: String, neighbourhood: String? = nil, themes: [String]? = nil, disciplines: [String]? = nil, levels: [String]? = nil,
        window: DateWindow? = nil
    ) {
        self.title = title
        self.description = description
        self.neighbourhood = neighbourhood
        self.themes = themes
        self.disciplines = disciplines
        self.levels = levels
        self.window = window
    }
}

/// `outcome.record`'s and `outcome.revise`'s content: for a revision, only the fields given change.
public struct OutcomeContent: Sendable, Hashable {
    public var summary: String?
    public var deliverables: [Deliverable]?
    public var students: Int?
    public var hours: Int?
    public var competences: [String]?
    public var ratings: Ratings?
    public var impact: String?

    public init(summary: String? = nil, deliverables: [Deliverable]? = nil, students: Int? = nil, hours: Int? = nil,
                competences: [String]? = nil, ratings: Ratings? = nil, impact: String? = nil) {
        self.summary = summary
        self.deliverables = deliverables
        self.students = students
        self.hours = hours
        self.competences = competences
        self.ratings = ratings
        self.impact = impact
    }
}

/// One proposal to make: a question, an offer, and why.
public struct ProposalRequest: Sendable, Hashable {
    public let question: String
    public let offer: String
    public let note: String?

    public init(question: String, offer: String, note: String?) {
        self.question = question
        self.offer = offer
        self.note = note
    }
}

/// Limits on proposals, matches and outcomes; each bounds what every replay and every view carries.
public enum CollaborationLimits {
    /// Proposals made in one append (a plan): bounds the transaction and the reply.
    public static let proposalsPerAppendMax = 1_000
    /// Proposals expired in one append; more wait for the next check (a second later).
    public static let expiriesPerAppendMax = 1_000
    public static let noteBytesMax = 2_000
    public static let summaryBytesMax = 10_000
    public static let deliverablesMax = 50
    public static let uriBytesMax = 2_000
    public static let competencesMax = 30
    public static let competenceBytesMax = 100
    public static let followUpsMax = 10
    public static let studentsMax = 500
    public static let hoursMax = 100_000
}

/// Ids as the programme hands them out (`Q-0001`).
public enum EntityID {
    /// Whether `left` was handed out before `right` (`Q-9999` before `Q-10000`).
    ///
    /// Compares UTF-8 bytes: ids are ASCII, where this is the order of characters, and lists sort every
    /// id they return on each call (sorting with a character count and a Unicode comparison took 14% of
    /// the daemon's time under `scripts/torture load`).
    public static func precedes(_ left: String, _ right: String) -> Bool {
        let leftBytes = left.utf8
        let rightBytes = right.utf8
        if leftBytes.count != rightBytes.count { return leftBytes.count < rightBytes.count }
        return leftBytes.lexicographicallyPrecedes(rightBytes)
    }

    /// `ids` in the order of `precedes`, sorted on integer keys (length and first 16 bytes) so that a
    /// start-up sorting every question's id compares integers rather than byte sequences.
    public static func sorted(_ ids: some Collection<String>) -> [String] {
        var keyed = ids.map { id -> (length: Int, high: UInt64, low: UInt64, id: String) in
            var high: UInt64 = 0
            var low: UInt64 = 0
            for (index, byte) in id.utf8.prefix(16).enumerated() {
                if index < 8 { high |= UInt64(byte) << (56 - 8 * index) } else { low |= UInt64(byte) << (56 - 8 * (index - 8)) }
            }
            return (id.utf8.count, high, low, id)
        }
        keyed.sort { left, right in
            if left.length != right.length { return left.length < right.length }
            if left.high != right.high { return left.high < right.high }
            if left.low != right.low { return left.low < right.low }
            return precedes(left.id, right.id)
        }
        return keyed.map(\.id)
    }

    /// The id numbered `number` with `prefix`: `Q-0001`, ... (more digits past 9999).
    public static func make(_ prefix: String, _ number: Int) -> String {
        let digits = String(number)
        return prefix + "-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// Calendar arithmetic on UTC dates, without Foundation's clock: what the decider needs to turn an
/// event time into a due date. ISO date text here; the day arithmetic itself is `CivilCalendar`'s.
public enum CivilDate {
    /// The UTC date (`2026-11-29`) of a time in milliseconds since 1970.
    public static func date(milliseconds: Int64) -> String {
        let days = Int(CivilCalendar.floorDivide(milliseconds, 86_400_000).quotient)
        let (year, month, day) = CivilCalendar.civil(daysSinceEpoch: days)
        return format(year, month, day)
    }

    /// `date` plus `months` calendar months; the day is clamped to the month's length (31 Aug + 6 months = 28/29 Feb).
    public static func adding(months: Int, to date: String) -> String {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        precondition(parts.count == 3, "adding(months:to:) takes an ISO date")
        let total = parts[0] * 12 + (parts[1] - 1) + months
        let year = total / 12
        let month = total % 12 + 1
        return format(year, month, min(parts[2], CivilCalendar.daysIn(year: year, month: month)))
    }

    /// `date` plus `days` days.
    public static func adding(days: Int, to date: String) -> String {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        precondition(parts.count == 3, "adding(days:to:) takes an ISO date")
        let (year, month, day) = CivilCalendar.civil(daysSinceEpoch: CivilCalendar.daysSinceEpoch(year: parts[0], month: parts[1], day: parts[2]) + days)
        return format(year, month, day)
    }

    /// Days from `from` to `to` (ISO dates; negative when `to` is earlier).
    public static func days(from: String, to: String) -> Int { dayNumber(to) - dayNumber(from) }

    /// Days since 1970-01-01 of an ISO date (0 for text that is not one).
    public static func dayNumber(_ date: String) -> Int {
        // The usual `YYYY-MM-DD` read from its bytes (start-up computes one per question and offer);
        // anything else takes the general path below, which gives the same numbers for these.
        var text = date
        let quick = text.withUTF8 { bytes -> Int? in
            guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for index in range {
                    let digit = Int(bytes[index]) - Int(UInt8(ascii: "0"))
                    guard (0...9).contains(digit) else { return nil }
                    value = value * 10 + digit
                }
                return value
            }
            guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
            return CivilCalendar.daysSinceEpoch(year: year, month: month, day: day)
        }
        if let quick { return quick }
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return 0 }
        return CivilCalendar.daysSinceEpoch(year: parts[0], month: parts[1], day: parts[2])
    }

    static func format(_ year: Int, _ month: Int, _ day: Int) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}
