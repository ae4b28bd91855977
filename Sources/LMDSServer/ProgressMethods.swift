import Domain
import LMDSCore
import EventLog
import LMDSJSON
import LMDSProtocol
import NIOCore

/// The methods of what happens along the way of a match: milestones, check-ins, feedback (blind until every
/// expected side has answered) and the erasure of their notes and comments.
extension Dispatcher {
    /// The progress methods in the route table.
    static let progressRoutes: [Route] = [
        .write("milestone.plan", Dispatcher.decodeProgress),
        .write("milestone.complete", Dispatcher.decodeProgress),
        .write("milestone.revise", Dispatcher.decodeProgress),
        .write("checkin.record", Dispatcher.decodeProgress),
        .write("feedback.submit", Dispatcher.decodeProgress),
        .write("text.erase", Dispatcher.decodeProgress),
        .answer("feedback.get", Dispatcher.answerFeedbackGet),
    ]

    /// A progress write: the params as a command.
    func decodeProgress(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        .progress(try Self.progressCommand(context.method, &params))
    }

    /// `feedback.get`.
    func answerFeedbackGet(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        try feedbackGet(&params, caller: context.caller, on: context.eventLoop)
    }

    /// The command a progress write's params ask for.
    static func progressCommand(_ method: String, _ params: inout Params) throws(RPCError) -> ProgressCommand {
        if method == "text.erase" { return .eraseText(id: try requiredString(&params, "id", bytesMax: 32)) }
        let match = try requiredString(&params, "match", bytesMax: 32)
        switch method {
        case "milestone.plan":
            return .planMilestones(match: match, items: try milestoneItems(&params))
        case "milestone.complete":
            let number = try milestoneNumber(&params)
            return .completeMilestone(match: match, milestone: number, note: try params.string("note", bytesMax: MilestoneLimits.noteBytesMax))
        case "milestone.revise":
            let number = try milestoneNumber(&params)
            return .reviseMilestone(match: match, milestone: number, due: try requiredString(&params, "due", bytesMax: 10))
        case "checkin.record":
            guard let text = try params.string("health", bytesMax: 16) else {
                throw RPCError.invalidParams(field: "health", "required: on-track, at-risk or stalled")
            }
            guard let health = MatchHealth(rawValue: text) else { throw RPCError.validation(field: "health", "must be on-track, at-risk or stalled") }
            return .recordCheckIn(match: match, health: health, note: try params.string("note", bytesMax: MilestoneLimits.noteBytesMax))
        default:
            return .submitFeedback(try submitFeedback(match: match, &params))
        }
    }

    static func milestoneNumber(_ params: inout Params) throws(RPCError) -> Int {
        guard let number = try params.integer("milestone", in: 1...Int64(MilestoneLimits.milestonesMax)) else {
            throw RPCError.invalidParams(field: "milestone", "required: the milestone's number within the match")
        }
        return Int(number)
    }

    /// `items`: `[{title, due}]`, at most `MilestoneLimits.milestonesMax`.
    static func milestoneItems(_ params: inout Params) throws(RPCError) -> [MilestoneItem] {
        guard let value = params.raw("items"), !value.isNull else { throw RPCError.invalidParams(field: "items", "required: [{title, due}]") }
        guard let elements = value.arrayValue else { throw RPCError.invalidParams(field: "items", "expected an array of {title, due}") }
        guard elements.count <= MilestoneLimits.milestonesMax else {
            throw RPCError.validation(field: "items", "at most \(MilestoneLimits.milestonesMax) milestones")
        }
        var items: [MilestoneItem] = []
        for (index, element) in elements.enumerated() {
            guard case .object(let members) = element, let title = members["title"]?.stringValue, let due = members["due"]?.stringValue,
                members.count == 2
            else { throw RPCError.invalidParams(field: "items[\(index)]", "expected {\"title\": \"…\", \"due\": \"YYYY-MM-DD\"}") }
            items.append(MilestoneItem(title: title, due: due))
        }
        return items
    }

    /// `milestones` of `offer.publish` and `offer.revise`: `[{title, dayOffset}]`; nil when not given.
    static func milestoneTemplate(_ params: inout Params) throws(RPCError) -> [MilestoneTemplate]? {
        guard let value = params.raw("milestones"), !value.isNull else { return nil }
        guard let elements = value.arrayValue else { throw RPCError.invalidParams(field: "milestones", "expected an array of {title, dayOffset}") }
        guard elements.count <= MilestoneLimits.milestonesMax else {
            throw RPCError.validation(field: "milestones", "at most \(MilestoneLimits.milestonesMax) milestones")
        }
        var template: [MilestoneTemplate] = []
        for (index, element) in elements.enumerated() {
            guard case .object(let members) = element, let title = members["title"]?.stringValue, let offset = members["dayOffset"]?.integerValue,
                members["dayOffset"]?.doubleValue == Double(offset), members.count == 2
            else { throw RPCError.invalidParams(field: "milestones[\(index)]", "expected {\"title\": \"…\", \"dayOffset\": days after the start}") }
            guard (0...Int64(MilestoneLimits.dayOffsetMax)).contains(offset) else {
                throw RPCError.validation(field: "milestones[\(index)].dayOffset", "must be 0 to \(MilestoneLimits.dayOffsetMax) days after the start")
            }
            template.append(MilestoneTemplate(title: title, dayOffset: Int(offset)))
        }
        return template
    }

    static func submitFeedback(match: String, _ params: inout Params) throws(RPCError) -> SubmitFeedback {
        let sides = FeedbackSide.allCases.map(\.rawValue).joined(separator: ", ")
        guard let sideText = try params.string("side", bytesMax: 16) else { throw RPCError.invalidParams(field: "side", "required: \(sides)") }
        guard let side = FeedbackSide(rawValue: sideText) else { throw RPCError.validation(field: "side", "must be \(sides)") }
        guard let momentText = try params.string("moment", bytesMax: 16) else { throw RPCError.invalidParams(field: "moment", "required: end or followup") }
        guard let moment = FeedbackMoment(rawValue: momentText) else { throw RPCError.validation(field: "moment", "must be end or followup") }
        guard case .object(let members)? = params.raw("answers") else {
            throw RPCError.invalidParams(field: "answers", "required: an object from question id to a whole number on its scale")
        }
        guard members.count <= MilestoneLimits.questionsPerSideMax else {
            throw RPCError.validation(field: "answers", "at most \(MilestoneLimits.questionsPerSideMax) answers")
        }
        var answers: [String: Int] = [:]
        for (id, value) in members.sorted(by: { $0.key < $1.key }) {
            guard let number = value.integerValue, value.doubleValue == Double(number), abs(number) <= 1_000 else {
                throw RPCError.invalidParams(field: "answers.\(id)", "expected a whole number on the question's scale")
            }
            answers[id] = Int(number)
        }
        let comment = try params.string("comment", bytesMax: MilestoneLimits.noteBytesMax)
        return SubmitFeedback(match: match, side: side, moment: moment, answers: answers, comment: comment)
    }

    // MARK: Reads

    /// `feedback.get`: what the caller may see of a match's feedback, per moment, and why the rest is hidden.
    func feedbackGet(_ params: inout Params, caller: Caller, on eventLoop: any EventLoop) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let match = try Self.requiredString(&params, "match", bytesMax: 32)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        let policy = self.policy.feedback
        let log = self.log
        let asOfMs = Self.moment(asOf, nowMs: clock.nowMs())
        return read(asOf: asOf, on: eventLoop) { state in
            guard let found = state.matches[match] else { throw RPCError.notFound(match) }
            let reader = Self.feedbackReader(caller, match: found, state: state)
            return try Self.feedbackJSON(found, state: state, policy: policy, reader: reader, asOfMs: asOfMs, log: log)
        }
    }

    /// The time a read with `asOf` judges statuses at: the time asked for, or now.
    static func moment(_ asOf: DomainProcessor.AsOf?, nowMs: Int64) -> Int64 {
        if case .timeMs(let milliseconds)? = asOf { return milliseconds }
        return nowMs
    }

    /// Who the caller is to the blind rule: an educator of the offer's institution is the education side.
    static func feedbackReader(_ caller: Caller, match: Match, state: DomainState) -> FeedbackReader {
        switch caller.role {
        case .admin?: return .admin
        case .coordinator?: return .coordinator
        case .educator? where caller.institution != nil && caller.institution == state.offers[match.offer]?.institution: return .side(.education)
        case .educator?, .viewer?, .notifier?, nil: return .outsider
        }
    }

    static func feedbackJSON(
        _ match: Match, state: DomainState, policy: FeedbackPolicy, reader: FeedbackReader, asOfMs: Int64, log: EventLog
    ) throws -> JSONValue {
        let entries = (state.progress.feedback[match.id] ?? []).filter { $0.submittedMs <= asOfMs }
        var moments: [JSONValue] = []
        for moment in FeedbackMoment.allCases {
            let opened = state.feedbackOpenedMs(match, moment)
            let given = entries.filter { $0.moment == moment }
            let submitted = Set(given.map(\.side))
            let revealed = state.feedbackRevealed(match, moment, policy: policy, asOfMs: asOfMs)
            var sides: [JSONValue] = []
            var hidden = false
            for side in FeedbackSide.allCases {
                guard let entry = given.first(where: { $0.side == side }) else {
                    sides.append(["side": .string(side.rawValue), "expected": .bool(policy.expectedSides.contains(side)), "submitted": false])
                    continue
                }
                let access = FeedbackBlindRule.access(of: reader, to: side, revealed: revealed)
                var json: [String: JSONValue] = [
                    "side": .string(side.rawValue), "expected": .bool(policy.expectedSides.contains(side)), "submitted": true,
                    "submittedAt": .string(UTCTime.iso8601(milliseconds: entry.submittedMs)), "access": .string(access.rawValue),
                ]
                if access != .submittedOnly { json["answers"] = entry.answersJSON } else { hidden = true }
                if access == .full, let comment = entry.comment { json["comment"] = .string(try Self.text(comment, state: state, log: log)) }
                sides.append(.object(json))
            }
            let closes = opened.map { JSONValue.string(CivilDate.date(milliseconds: $0 + Int64(policy.windowDays) * 86_400_000)) } ?? .null
            moments.append([
                "moment": .string(moment.rawValue), "revealed": .bool(revealed), "windowClosesOn": closes, "sides": .array(sides),
                "hidden": hidden ? .string(FeedbackBlindRule.hiddenReason(
                    expected: policy.expectedSides, submitted: submitted, openedMs: opened, windowDays: policy.windowDays)) : .null,
            ])
        }
        return [
            "match": .string(match.id), "expectedSides": .array(policy.expectedSides.sorted().map { .string($0.rawValue) }),
            "windowDays": .integer(Int64(policy.windowDays)), "moments": .array(moments),
            "questions": .object(Dictionary(uniqueKeysWithValues: FeedbackSide.allCases.map { side in
                (side.rawValue, JSONValue.array(policy.questions(for: side).map(\.json)))
            })),
        ]
    }

    /// A note's or comment's text from the personal table, or "erased".
    static func text(_ reference: TextReference, state: DomainState, log: EventLog) throws -> String {
        if state.progress.erasedTexts.contains(reference.id) { return "erased" }
        guard let bytes = try log.personalValue(reference.id), let stored = try? JSONParser.parse(bytes) else { return "erased" }
        return PersonalRecord.text(from: stored) ?? "erased"
    }

    /// `match.get`'s milestones (each with its status as of `asOfMs`), check-ins and health. Notes are shown to
    /// educators and staff; viewers see that there is one.
    static func progressMembers(_ match: Match, state: DomainState, asOfMs: Int64, seesNotes: Bool, log: EventLog) throws -> [String: JSONValue] {
        func note(_ reference: TextReference?) throws -> JSONValue {
            guard let reference else { return .null }
            return seesNotes ? .string(try text(reference, state: state, log: log)) : "hidden"
        }
        var milestones: [JSONValue] = []
        for milestone in state.progress.milestones[match.id] ?? [] {
            milestones.append([
                "number": .integer(Int64(milestone.number)), "title": .string(milestone.title), "due": .string(milestone.due),
                "status": .string(milestone.status(asOfMs: asOfMs).rawValue), "completedOn": milestone.completedOn.map { .string($0) } ?? .null,
                "note": try note(milestone.note),
            ])
        }
        var checkIns: [JSONValue] = []
        for checkIn in state.progress.checkIns[match.id] ?? [] {
            checkIns.append([
                "number": .integer(Int64(checkIn.number)), "health": .string(checkIn.health.rawValue),
                "recordedAt": .string(UTCTime.iso8601(milliseconds: checkIn.recordedMs)), "note": try note(checkIn.note),
            ])
        }
        return ["milestones": .array(milestones), "checkIns": .array(checkIns),
                "health": state.progress.health(of: match.id).map { .string($0.rawValue) } ?? .null]
    }

    /// `match.list`'s `health` filter: on-track, at-risk or stalled (nil: any).
    static func healthFilter(_ params: inout Params) throws(RPCError) -> MatchHealth? {
        guard let text = try params.string("health", bytesMax: 16) else { return nil }
        guard let health = MatchHealth(rawValue: text) else { throw RPCError.validation(field: "health", "must be on-track, at-risk or stalled") }
        return health
    }
}

extension DaemonConfig {
    /// Reads the feedback section of the config: `{"questions": {side: [{id, text, scale}]}, "sides": [side]}`.
    static func readFeedback(_ value: JSONValue, into policy: inout FeedbackPolicy) throws(ConfigError) {
        guard case .object(let members) = value else { throw ConfigError("feedback must be an object with questions and sides") }
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "questions":
                guard case .object(let perSide) = member else { throw ConfigError("feedback.questions must map sides to lists of {id, text, scale}") }
                for (sideName, list) in perSide {
                    guard let side = FeedbackSide(rawValue: sideName) else { throw ConfigError("feedback.questions.\(sideName): not a side (requester, education, students)") }
                    policy.questions[side] = try feedbackQuestions(list, field: "feedback.questions.\(sideName)")
                }
            case "sides":
                let names = member.arrayValue?.compactMap(\.stringValue) ?? []
                let sides = names.compactMap(FeedbackSide.init(rawValue:))
                guard !sides.isEmpty, sides.count == member.arrayValue?.count else {
                    throw ConfigError("feedback.sides must list one or more of requester, education, students")
                }
                policy.expectedSides = Set(sides)
            default:
                throw ConfigError("feedback.\(key): unknown key (questions, sides)")
            }
        }
    }

    static func feedbackQuestions(_ value: JSONValue, field: String) throws(ConfigError) -> [FeedbackQuestion] {
        guard let elements = value.arrayValue, !elements.isEmpty, elements.count <= MilestoneLimits.questionsPerSideMax else {
            throw ConfigError("\(field) must list 1 to \(MilestoneLimits.questionsPerSideMax) questions")
        }
        var questions: [FeedbackQuestion] = []
        for (index, element) in elements.enumerated() {
            guard let id = element["id"]?.stringValue, !id.isEmpty, id.utf8.count <= 64, let text = element["text"]?.stringValue, !text.isEmpty,
                let scale = element["scale"]?.integerValue, (2...Int64(MilestoneLimits.scaleMax)).contains(scale)
            else { throw ConfigError("\(field)[\(index)] must be {id (at most 64 bytes), text, scale (2 to \(MilestoneLimits.scaleMax))}") }
            guard !questions.contains(where: { $0.id == id }) else { throw ConfigError("\(field): \(id) is listed twice") }
            questions.append(FeedbackQuestion(id: id, text: text, scale: Int(scale)))
        }
        return questions
    }
}
