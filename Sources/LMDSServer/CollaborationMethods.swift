import LMDSCore
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import NIOCore
import NIOPosix

/// The collaboration methods: proposals and consent, matches, outcomes and follow-up checks.
extension Dispatcher {
    /// The collaboration writes in the route table.
    static let collaborationWriteRoutes: [Route] = [
        .write("proposal.create", Dispatcher.decodeProposalCreate),
        .write("proposal.accept", Dispatcher.decodeProposalAccept),
        .write("proposal.decline", Dispatcher.decodeProposalDecline),
        .write("proposal.withdraw", Dispatcher.decodeProposalWithdraw),
        .write("match.start", Dispatcher.decodeMatchStart),
        .write("match.cancel", Dispatcher.decodeMatchCancel),
        .write("match.close", Dispatcher.decodeMatchClose),
        .write("outcome.record", Dispatcher.decodeOutcomeRecord),
        .write("outcome.revise", Dispatcher.decodeOutcomeRevise),
        .write("followup.record", Dispatcher.decodeFollowupRecord),
    ]

    /// `proposal.create`: the params as a command.
    func decodeProposalCreate(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let question = try Self.requiredString(&params, "question", bytesMax: 32)
        let offer = try Self.requiredString(&params, "offer", bytesMax: 32)
        let note = try params.string("note", bytesMax: CollaborationLimits.noteBytesMax)
        return .proposal(.create(question: question, offer: offer, note: note))
    }

    /// `proposal.accept`: the params as a command.
    func decodeProposalAccept(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let side = try Self.side(&params)
        let version = try Self.expectedVersion(&params)
        return .proposal(.accept(id: id, side: side, expectedVersion: version))
    }

    /// `proposal.decline`: the params as a command.
    func decodeProposalDecline(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let side = try Self.side(&params)
        let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
        let version = try Self.expectedVersion(&params)
        return .proposal(.decline(id: id, side: side, reason: reason, expectedVersion: version))
    }

    /// `proposal.withdraw`: the params as a command.
    func decodeProposalWithdraw(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
        let version = try Self.expectedVersion(&params)
        return .proposal(.withdraw(id: id, reason: reason, expectedVersion: version))
    }

    /// `match.start`: the params as a command (the start date defaults to today).
    func decodeMatchStart(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        guard let students = try params.integer("students", in: 1...Int64(CollaborationLimits.studentsMax)) else {
            throw RPCError.invalidParams(field: "students", "required: how many students form the team")
        }
        let startedOn = try params.string("startedOn", bytesMax: 10) ?? CivilDate.date(milliseconds: clock.nowMs())
        let version = try Self.expectedVersion(&params)
        let force = try params.bool("force") ?? false
        return .match(.start(id: id, students: Int(students), startedOn: startedOn, expectedVersion: version, force: force))
    }

    /// `match.cancel`: the params as a command.
    func decodeMatchCancel(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
        let version = try Self.expectedVersion(&params)
        return .match(.cancel(id: id, reason: reason, expectedVersion: version))
    }

    /// `match.close`: the params as a command.
    func decodeMatchClose(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let note = try params.string("note", bytesMax: CollaborationLimits.noteBytesMax)
        let version = try Self.expectedVersion(&params)
        return .match(.close(id: id, note: note, expectedVersion: version))
    }

    /// `outcome.record`: the params as a command.
    func decodeOutcomeRecord(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let match = try Self.requiredString(&params, "match", bytesMax: 32)
        let content = try Self.outcomeContent(&params)
        guard content.summary != nil else { throw RPCError.invalidParams(field: "summary", "required: what the collaboration delivered") }
        let followUps = try Self.questionDrafts(&params)
        return .outcome(.record(match: match, content: content, followUps: followUps))
    }

    /// `outcome.revise`: the params as a command.
    func decodeOutcomeRevise(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let content = try Self.outcomeContent(&params)
        let version = try Self.expectedVersion(&params)
        return .outcome(.revise(id: id, content: content, expectedVersion: version))
    }

    /// `followup.record`: the params as a command.
    func decodeFollowupRecord(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let outcome = try Self.requiredString(&params, "outcome", bytesMax: 32)
        guard let usedText = try params.string("used", bytesMax: 16) else {
            throw RPCError.invalidParams(field: "used", "required: yes, partly or no")
        }
        guard let used = FollowUpUse(rawValue: usedText) else { throw RPCError.validation(field: "used", "must be yes, partly or no") }
        let note = try params.string("note", bytesMax: CollaborationLimits.noteBytesMax)
        return .outcome(.recordFollowUp(outcome: outcome, used: used, note: note))
    }

    /// The collaboration reads (gets and lists) in the route table.
    static let collaborationReadRoutes: [Route] = [
        .answer("proposal.get", Dispatcher.answerEntityGet),
        .answer("match.get", Dispatcher.answerEntityGet),
        .answer("outcome.get", Dispatcher.answerEntityGet),
        .answer("proposal.list", Dispatcher.answerProposalList),
        .answer("match.list", Dispatcher.answerMatchList),
        .answer("outcome.list", Dispatcher.answerOutcomeList),
        .answer("followup.list", Dispatcher.answerFollowupList),
    ]

    /// `proposal.get`, `match.get`, `outcome.get`.
    func answerEntityGet(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let caller = context.caller
        let today = CivilDate.date(milliseconds: clock.nowMs())
        let policy = self.policy
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        let seesAll = caller.role.map { $0 >= .educator } ?? false
        let asOfMs = Self.moment(asOf, nowMs: clock.nowMs())
        let log = self.log
        return read(asOf: asOf, on: eventLoop) { state in
            switch context.method {
            case "proposal.get":
                guard let proposal = state.proposals[id] else { throw RPCError.notFound(id) }
                return Self.proposalJSON(proposal, state: state)
            case "match.get":
                guard let match = state.matches[id] else { throw RPCError.notFound(id) }
                var json = Self.matchJSON(match, state: state).objectValue ?? [:]
                json.merge(try Self.progressMembers(match, state: state, asOfMs: asOfMs, seesNotes: seesAll, log: log)) { _, progress in progress }
                return .object(json)
            default:
                guard let outcome = state.outcomes[id] else { throw RPCError.notFound(id) }
                return Self.outcomeJSON(outcome, state: state, today: today, policy: policy, seesAll: seesAll)
            }
        }
    }

    /// `proposal.list`.
    func answerProposalList(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let filter = try LinkFilter(&params, statuses: ProposalStatus.allCases.map(\.rawValue), taxonomy: taxonomy)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        return read(asOf: asOf, on: eventLoop) { state in
            try state.checkListPeriod(filter.period)
            let proposals = state.proposals.values.filter { filter.matches(status: $0.status.rawValue, question: $0.question, offer: $0.offer, text: $0.note, in: state) }
            return Paging.page(proposals, key: "proposals", id: \.id, cursor: filter.cursor, limit: filter.limit) { Self.proposalRow($0, state: state) }
        }
    }

    /// `match.list`.
    func answerMatchList(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let filter = try LinkFilter(&params, statuses: MatchStatus.allCases.map(\.rawValue), taxonomy: taxonomy)
        let health = try Self.healthFilter(&params)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        return read(asOf: asOf, on: eventLoop) { state in
            try state.checkListPeriod(filter.period)
            let matches = state.matches.values.filter {
                filter.matches(status: $0.status.rawValue, question: $0.question, offer: $0.offer, text: nil, in: state)
                    && (health == nil || state.progress.health(of: $0.id) == health)
            }
            return Paging.page(matches, key: "matches", id: \.id, cursor: filter.cursor, limit: filter.limit) { Self.matchRow($0, state: state) }
        }
    }

    /// `outcome.list`.
    func answerOutcomeList(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let filter = try LinkFilter(&params, statuses: ["recorded", "followed-up"], taxonomy: taxonomy)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        return read(asOf: asOf, on: eventLoop) { state in
            try state.checkListPeriod(filter.period)
            let outcomes = state.outcomes.values.filter { outcome in
                filter.matches(status: outcome.followUp == nil ? "recorded" : "followed-up", question: outcome.question, offer: outcome.offer,
                               text: outcome.summary + " " + outcome.competences.joined(separator: " "), in: state)
            }
            return Paging.page(outcomes, key: "outcomes", id: \.id, cursor: filter.cursor, limit: filter.limit) { outcome in
                [
                    "id": .string(outcome.id), "match": .string(outcome.match), "question": .string(outcome.question),
                    "offer": .string(outcome.offer), "questionTitle": .string(state.questions[outcome.question]?.title ?? "?"),
                    "deliverables": .integer(Int64(outcome.deliverables.count)), "followUpDue": .string(outcome.followUpDue),
                    "followUp": outcome.followUp.map { .string($0.used.rawValue) } ?? .null, "version": .integer(Int64(outcome.version)),
                ]
            }
        }
    }

    /// `followup.list`.
    func answerFollowupList(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let today = CivilDate.date(milliseconds: clock.nowMs())
        let policy = self.policy
        let filter = try FollowUpFilter(&params, today: today)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        return read(asOf: asOf, on: eventLoop) { state in filter.page(state, policy: policy) }
    }

    /// Runs a read on the current state, or on the state as of `asOf`, off the event loop's thread.
    func read(
        asOf: DomainProcessor.AsOf?, on eventLoop: any EventLoop, _ body: @escaping @Sendable (DomainState) throws -> JSONValue
    ) -> EventLoopFuture<JSONValue> {
        let processor = self.processor
        let log = self.log
        let pool = self.threadPool
        return eventLoop.makeFutureWithTask {
            try body(try await Self.state(processor: processor, log: log, asOf: asOf, pool: pool))
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    // MARK: Reading params

    static func side(_ params: inout Params) throws(RPCError) -> ConsentSide {
        guard let text = try params.string("side", bytesMax: 16) else {
            throw RPCError.invalidParams(field: "side", "required: requester or education")
        }
        guard let side = ConsentSide(rawValue: text) else { throw RPCError.validation(field: "side", "must be requester or education") }
        return side
    }

    /// The outcome fields given in params (all optional here; `outcome.record` requires `summary`).
    static func outcomeContent(_ params: inout Params) throws(RPCError) -> OutcomeContent {
        var content = OutcomeContent()
        content.summary = try params.string("summary", bytesMax: CollaborationLimits.summaryBytesMax)
        content.impact = try params.string("impact", bytesMax: CollaborationLimits.summaryBytesMax)
        content.students = try params.integer("students", in: 0...Int64(CollaborationLimits.studentsMax)).map { Int($0) }
        content.hours = try params.integer("hours", in: 0...Int64(CollaborationLimits.hoursMax)).map { Int($0) }
        if let value = params.raw("competences"), !value.isNull {
            guard let elements = value.arrayValue, elements.allSatisfy({ $0.stringValue != nil }) else {
                throw RPCError.invalidParams(field: "competences", "expected an array of strings")
            }
            guard elements.count <= CollaborationLimits.competencesMax else {
                throw RPCError.validation(field: "competences", "at most \(CollaborationLimits.competencesMax) entries")
            }
            content.competences = elements.compactMap(\.stringValue)
        }
        if let value = params.raw("ratings"), !value.isNull {
            guard case .object(let members) = value, members.keys.allSatisfy({ ["requester", "education"].contains($0) }) else {
                throw RPCError.invalidParams(field: "ratings", "expected {\"requester\": 1-5, \"education\": 1-5}")
            }
            func rating(_ key: String) throws(RPCError) -> Int? {
                guard let member = members[key], !member.isNull else { return nil }
                guard let number = member.integerValue, member.doubleValue == Double(number) else {
                    throw RPCError.invalidParams(field: "ratings.\(key)", "expected a whole number from 1 to 5")
                }
                guard (1...5).contains(number) else { throw RPCError.validation(field: "ratings.\(key)", "must be 1 to 5") }
                return Int(number)
            }
            content.ratings = Ratings(requester: try rating("requester"), education: try rating("education"))
        }
        if let value = params.raw("deliverables"), !value.isNull {
            guard let elements = value.arrayValue else { throw RPCError.invalidParams(field: "deliverables", "expected an array of objects") }
            guard elements.count <= CollaborationLimits.deliverablesMax else {
                throw RPCError.validation(field: "deliverables", "at most \(CollaborationLimits.deliverablesMax) entries")
            }
            var deliverables: [Deliverable] = []
            for (index, element) in elements.enumerated() {
                let field = "deliverables[\(index)]"
                guard case .object(let members) = element else { throw RPCError.invalidParams(field: field, "expected {kind, title, uri, visibility, embargoUntil}") }
                for key in members.keys.sorted() where !["kind", "title", "uri", "visibility", "embargoUntil"].contains(key) {
                    throw RPCError.invalidParams(field: "\(field).\(key)", "unknown param")
                }
                func text(_ key: String) throws(RPCError) -> String? {
                    guard let member = members[key], !member.isNull else { return nil }
                    guard let string = member.stringValue else { throw RPCError.invalidParams(field: "\(field).\(key)", "expected a string") }
                    return string
                }
                guard let kind = try text("kind") else { throw RPCError.invalidParams(field: "\(field).kind", "required") }
                guard let title = try text("title") else { throw RPCError.invalidParams(field: "\(field).title", "required") }
                let visibilityText = try text("visibility") ?? "internal"
                guard let visibility = Visibility(rawValue: visibilityText) else {
                    throw RPCError.validation(field: "\(field).visibility", "must be public, internal or embargo")
                }
                deliverables.append(Deliverable(kind: kind, title: title, uri: try text("uri"), visibility: visibility, embargoUntil: try text("embargoUntil")))
            }
            content.deliverables = deliverables
        }
        return content
    }

    /// `followUps`: drafts of new questions that the outcome raised (and, with `field` "parts", the parts of
    /// `question.split`, which may also give a `window`).
    static func questionDrafts(
        _ params: inout Params, field list: String = "followUps", countMax: Int = CollaborationLimits.followUpsMax, noun: String = "follow-up questions"
    ) throws(RPCError) -> [QuestionDraft] {
        let takesWindow = list == "parts"
        guard let value = params.raw(list), !value.isNull else { return [] }
        guard let elements = value.arrayValue else { throw RPCError.invalidParams(field: list, "expected an array of question drafts") }
        guard elements.count <= countMax else { throw RPCError.validation(field: list, "at most \(countMax) \(noun)") }
        var drafts: [QuestionDraft] = []
        for (index, element) in elements.enumerated() {
            let field = "\(list)[\(index)]"
            guard case .object = element else {
                throw RPCError.invalidParams(field: field, "expected {title, description, neighbourhood, themes, disciplines, levels\(takesWindow ? ", window" : "")}")
            }
            var draft = try Params(element)
            do throws(RPCError) {
                let title = try requiredString(&draft, "title", bytesMax: QuestionLimits.titleBytesMax)
                let description = try requiredString(&draft, "description", bytesMax: QuestionLimits.descriptionBytesMax)
                drafts.append(QuestionDraft(
                    title: title, description: description, neighbourhood: try draft.string("neighbourhood", bytesMax: 200),
                    themes: try stringList(&draft, "themes"), disciplines: try stringList(&draft, "disciplines"), levels: try stringList(&draft, "levels"),
                    window: takesWindow ? try window(&draft) : nil))
                try draft.rejectUnknown()
            } catch {
                let inner = error.data?["field"]?.stringValue ?? "params"
                let reason = error.data?["reason"]?.stringValue ?? error.message
                throw error.code == RPCErrorCode.validation
                    ? RPCError.validation(field: "\(field).\(inner)", reason) : RPCError.invalidParams(field: "\(field).\(inner)", reason)
            }
        }
        return drafts
    }

    // MARK: Views

    static func proposalJSON(_ proposal: Proposal, state: DomainState) -> JSONValue {
        var json = proposal.json.objectValue ?? [:]
        json["createdAt"] = .string(UTCTime.iso8601(milliseconds: proposal.createdMs))
        json["expiresAt"] = .string(UTCTime.iso8601(milliseconds: proposal.expiresMs))
        json["questionTitle"] = .string(state.questions[proposal.question]?.title ?? "?")
        json["offerTitle"] = .string(state.offers[proposal.offer]?.title ?? "?")
        return .object(json)
    }

    static func proposalRow(_ proposal: Proposal, state: DomainState) -> JSONValue {
        [
            "id": .string(proposal.id), "status": .string(proposal.status.rawValue), "question": .string(proposal.question),
            "offer": .string(proposal.offer), "questionTitle": .string(state.questions[proposal.question]?.title ?? "?"),
            "consents": proposal.json["consents"] ?? .null, "expiresAt": .string(UTCTime.iso8601(milliseconds: proposal.expiresMs)),
            "version": .integer(Int64(proposal.version)),
        ]
    }

    static func matchJSON(_ match: Match, state: DomainState) -> JSONValue {
        var json = match.json.objectValue ?? [:]
        json["agreedAt"] = .string(UTCTime.iso8601(milliseconds: match.agreedMs))
        json["questionTitle"] = .string(state.questions[match.question]?.title ?? "?")
        json["offerTitle"] = .string(state.offers[match.offer]?.title ?? "?")
        json["institution"] = .string(state.offers[match.offer]?.institution ?? "?")
        return .object(json)
    }

    static func matchRow(_ match: Match, state: DomainState) -> JSONValue {
        [
            "id": .string(match.id), "status": .string(match.status.rawValue), "question": .string(match.question),
            "offer": .string(match.offer), "questionTitle": .string(state.questions[match.question]?.title ?? "?"),
            "institution": .string(state.offers[match.offer]?.institution ?? "?"),
            "students": match.students.map { .integer(Int64($0)) } ?? .null, "outcome": match.outcome.map { .string($0) } ?? .null,
            "version": .integer(Int64(match.version)), "health": state.progress.health(of: match.id).map { .string($0.rawValue) } ?? .null,
        ]
    }

    /// An outcome as a reader may see it: viewers (outside the programme) get only deliverables that are
    /// public, or embargoed until a date that has passed; the rest are counted in `withheld`.
    static func outcomeJSON(_ outcome: Outcome, state: DomainState, today: String, policy: DomainPolicy, seesAll: Bool) -> JSONValue {
        var json = outcome.json.objectValue ?? [:]
        json["recordedAt"] = .string(UTCTime.iso8601(milliseconds: outcome.recordedMs))
        if case .object(var followUp)? = json["followUp"], let recorded = followUp["recordedAt"]?.integerValue {
            followUp["recordedAt"] = .string(UTCTime.iso8601(milliseconds: recorded))
            json["followUp"] = .object(followUp)
        }
        let visible = seesAll ? outcome.deliverables : outcome.deliverables.filter { $0.isPublic(on: today) }
        json["deliverables"] = .array(visible.map(\.json))
        json["withheld"] = .integer(Int64(outcome.deliverables.count - visible.count))
        json["followUpStatus"] = .string(FollowUpFilter.status(of: outcome, today: today, policy: policy))
        json["questionTitle"] = .string(state.questions[outcome.question]?.title ?? "?")
        json["offerTitle"] = .string(state.offers[outcome.offer]?.title ?? "?")
        return .object(json)
    }
}

/// The filters shared by lists of things that link a question and an offer (proposals, matches,
/// outcomes): their own status, the question or offer they link, and the question's neighbourhood,
/// themes and disciplines, the offer's institution, level and period, and free text.
struct LinkFilter {
    var status: String?
    var question: String?
    var offer: String?
    var place: Taxonomy.Place?
    var institution: String?
    var theme: String?
    var discipline: String?
    var level: String?
    var period: String?
    var words: [String] = []
    var limit = 50
    var cursor: String?

    init(_ params: inout Params, statuses: [String], taxonomy: Taxonomy) throws(RPCError) {
        status = try params.listStatus(among: statuses)
        question = try params.string("question", bytesMax: 32)
        offer = try params.string("offer", bytesMax: 32)
        place = try params.listPlace(taxonomy)
        institution = try params.listInstitution(taxonomy)
        theme = try params.listTerm("theme", taxonomy.themeVocabulary)
        discipline = try params.listTerm("discipline", taxonomy.disciplineVocabulary)
        level = try params.listTerm("level", taxonomy.levelVocabulary)
        period = try params.listPeriod()
        words = try params.listWords()
        (limit, cursor) = try params.listPage()
    }

    func matches(status: String, question questionID: String, offer offerID: String, text: String?, in state: DomainState) -> Bool {
        if let wanted = self.status, wanted != status { return false }
        if let question, question != questionID { return false }
        if let offer, offer != offerID { return false }
        guard let linkedQuestion = state.questions[questionID], let linkedOffer = state.offers[offerID] else { return false }
        if let place, !place.contains(linkedQuestion.neighbourhood) { return false }
        if let institution, linkedOffer.institution != institution { return false }
        if let theme, !linkedQuestion.themes.contains(theme) && !linkedOffer.themes.contains(theme) { return false }
        if let discipline, !linkedQuestion.disciplines.contains(discipline) && !linkedOffer.disciplines.contains(discipline) { return false }
        if let level, linkedOffer.level != level { return false }
        if let period, !linkedOffer.period.matches(period) { return false }
        return ListText.matches(words, in: [linkedQuestion.title, linkedOffer.title, text ?? ""])
    }
}

/// The filters of `followup.list`: which checks, as of which date.
struct FollowUpFilter {
    static let statuses = ["pending", "due", "overdue", "done", "open", "all"]

    /// `open` (the default: due or overdue), `pending` (not yet due), `due`, `overdue`, `done` or `all`.
    var status = "open"
    /// The date the list is judged on (default: today, by the daemon's clock).
    var on: String
    var limit = 50
    var cursor: String?

    init(_ params: inout Params, today: String) throws(RPCError) {
        status = try params.listStatus(among: Self.statuses, bytesMax: 16) ?? "open"
        on = try params.string("on", bytesMax: 10) ?? today
        guard DateWindow.isDate(on) else { throw RPCError.validation(field: "on", "expected a date like 2027-06-01") }
        (limit, cursor) = try params.listPage()
    }

    /// `done` once recorded; else `pending` before the due date, `due` until the grace days have passed, then `overdue`.
    static func status(of outcome: Outcome, today: String, policy: DomainPolicy) -> String {
        if outcome.followUp != nil { return "done" }
        if today < outcome.followUpDue { return "pending" }
        return today < CivilDate.adding(days: policy.followUpGraceDays, to: outcome.followUpDue) ? "due" : "overdue"
    }

    func page(_ state: DomainState, policy: DomainPolicy) -> JSONValue {
        let selected = state.outcomes.values.compactMap { outcome -> (Outcome, String)? in
            let current = Self.status(of: outcome, today: on, policy: policy)
            switch status {
            case "all": return (outcome, current)
            case "open": return current == "due" || current == "overdue" ? (outcome, current) : nil
            default: return current == status ? (outcome, current) : nil
            }
        }
        var page = Paging.page(selected, key: "followUps", id: \.0.id, cursor: cursor, limit: limit) { outcome, current in
            [
                "outcome": .string(outcome.id), "match": .string(outcome.match), "question": .string(outcome.question),
                "questionTitle": .string(state.questions[outcome.question]?.title ?? "?"), "offer": .string(outcome.offer),
                "due": .string(outcome.followUpDue), "status": .string(current),
                "used": outcome.followUp.map { .string($0.used.rawValue) } ?? .null,
            ]
        }.objectValue ?? [:]
        page["on"] = .string(on)
        return .object(page)
    }
}

extension Taxonomy.Place {
    /// Whether `other` lies in this place: the same wijk, or any place in this district.
    func contains(_ other: Taxonomy.Place) -> Bool {
        wijk != nil ? other.wijk == wijk : other.district == district
    }
}

extension Period {
    /// Whether `reference` names this period (`Period.isNamed`: its label, or `from..to` without one, folded
    /// as the validation folds), or is a date inside it.
    func matches(_ reference: String) -> Bool {
        isNamed(reference) || (DateWindow.isDate(reference) && window.from <= reference && reference <= window.to)
    }
}
