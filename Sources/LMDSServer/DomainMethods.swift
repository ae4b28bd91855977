import LMDSCore
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import NIOCore
import NIOPosix

/// The domain's methods: params read into commands and queries, answered by the `DomainProcessor`.
extension Dispatcher {
    /// The question and contact writes in the route table.
    static let questionWriteRoutes: [Route] = [
        .write("question.submit", Dispatcher.decodeQuestionSubmit),
        .write("question.accept", Dispatcher.decodeQuestionAccept),
        .write("question.reject", Dispatcher.decodeQuestionReject),
        .write("question.revise", Dispatcher.decodeQuestionRevise),
        .write("question.refer", Dispatcher.decodeQuestionRefer),
        .write("question.withdraw", Dispatcher.decodeQuestionWithdraw),
        .write("person.erase", Dispatcher.decodePersonErase),
    ]

    /// `question.submit`: the params as a command. The reply also says which organisation the requester's was
    /// linked to, and whether the submission registered it (`organisation: {id, name, registered}`), and
    /// `contact: {id, existing: true}` when the lookup (read by the core: `ContactLookup`) found the requester
    /// as a contact already (`WriteResult.submissionDetails`, decided with the write: a retry gets the same).
    func decodeQuestionSubmit(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let command = try Self.submitQuestion(&params)
        return command
    }

    /// `question.accept`: the params as a command.
    func decodeQuestionAccept(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let title = try params.string("title", bytesMax: QuestionLimits.titleBytesMax)
        let description = try params.string("description", bytesMax: QuestionLimits.descriptionBytesMax)
        let version = try Self.expectedVersion(&params)
        return .question(.accept(id: id, title: title, description: description, expectedVersion: version))
    }

    /// `question.reject`: the params as a command.
    func decodeQuestionReject(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
        let version = try Self.expectedVersion(&params)
        return .question(.reject(id: id, reason: reason, expectedVersion: version))
    }

    /// `question.revise`: the params as a command.
    func decodeQuestionRevise(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        var revise = ReviseQuestion(id: try Self.requiredString(&params, "id", bytesMax: 32))
        revise.title = try params.string("title", bytesMax: QuestionLimits.titleBytesMax)
        revise.description = try params.string("description", bytesMax: QuestionLimits.descriptionBytesMax)
        revise.neighbourhood = try params.string("neighbourhood", bytesMax: 200)
        revise.themes = try Self.stringList(&params, "themes")
        revise.disciplines = try Self.stringList(&params, "disciplines")
        revise.levels = try Self.stringList(&params, "levels")
        revise.window = try Self.window(&params)
        revise.size = try params.string("size", bytesMax: 16)
        revise.expectedVersion = try Self.expectedVersion(&params)
        return .question(.revise(revise))
    }

    /// `question.refer`: the params as a command.
    func decodeQuestionRefer(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let to = try Self.requiredString(&params, "to", bytesMax: QuestionLimits.titleBytesMax)
        let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
        let version = try Self.expectedVersion(&params)
        return .question(.refer(id: id, to: to, reason: reason, expectedVersion: version))
    }

    /// `question.withdraw`: the params as a command.
    func decodeQuestionWithdraw(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
        let version = try Self.expectedVersion(&params)
        return .question(.withdraw(id: id, reason: reason, expectedVersion: version))
    }

    /// `person.erase`: the params as a command.
    func decodePersonErase(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        return .contact(.erase(contact: id))
    }

    /// The question, history and person reads in the route table.
    static let questionReadRoutes: [Route] = [
        .answer("question.get", Dispatcher.answerQuestionGet),
        .answer("question.list", Dispatcher.answerQuestionList),
        .answer("history.get", Dispatcher.answerHistoryGet),
        .answer("person.get", Dispatcher.answerPersonGet),
    ]

    /// `question.get`.
    func answerQuestionGet(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        try answerCachedGet(.question, &params, context) { id, state, log, withContact in
            guard let question = state.questions[id] else { throw RPCError.notFound(id) }
            return try Self.questionJSON(question, state: state, log: log, withContact: withContact)
        }
    }

    /// A `question.get` or `offer.get`: of the current state from the reply cache (rendered on a miss), or of
    /// the state at `asOf` replayed on the thread pool. `render` makes the reply of entity `id` in a state.
    func answerCachedGet(
        _ kind: ReplyCache.Kind, _ params: inout Params, _ context: RequestContext,
        render: @escaping @Sendable (_ id: String, DomainState, EventLog, _ withContact: Bool) throws -> JSONValue
    ) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let (processor, log, pool) = (self.processor, self.log, self.threadPool)
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        let staff = Self.seesContact(kind, role: context.caller.role)
        let renderState: @Sendable (DomainState) throws -> JSONValue = { state in try render(id, state, log, staff) }
        if asOf == nil { return renderCurrent(ReplyCache.Key(kind: kind, id: id, withContact: staff), on: context.eventLoop, renderState) }
        return context.eventLoop.makeFutureWithTask {
            try renderState(try await Self.state(processor: processor, log: log, asOf: asOf, pool: pool))
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// `question.list`.
    func answerQuestionList(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let processor = self.processor
        let log = self.log
        let pool = self.threadPool
        let filter = try QuestionFilter(&params, taxonomy: taxonomy)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        return eventLoop.makeFutureWithTask {
            let state = try await Self.state(processor: processor, log: log, asOf: asOf, pool: pool)
            return try filter.page(state)
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// `history.get`.
    func answerHistoryGet(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let processor = self.processor
        let log = self.log
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        let role = context.caller.role
        let pool = self.threadPool
        return eventLoop.makeFutureWithTask {
            guard let positions = await processor.historyPositions(of: id) else { throw RPCError.notFound(id) }
            var events: [JSONValue] = []
            for position in positions {
                guard let record = try log.record(at: position) else { continue }
                switch asOf {
                case .position(let last)? where record.position > last: continue
                case .timeMs(let last)? where record.timeMs > last: continue
                default: break
                }
                var envelope = try record.envelopeJSON().objectValue ?? [:]
                envelope["summary"] = .string(EventSummary.line(type: record.type, data: try record.data()))
                envelope.removeValue(forKey: "previousHash")
                guard let shown = try Self.noteAware(envelope, type: record.type, role: role, log: log) else { continue }
                events.append(.object(shown))
            }
            var history: JSONValue = ["id": .string(id), "events": .array(events)]
            if id.hasPrefix("C-") {
                // A contact's record as of the same point: what it asked and offered, and its organisations.
                let state = try await Self.state(processor: processor, log: log, asOf: asOf, pool: pool)
                history = Self.adding(Self.contactRecordJSON(id, state: state), to: history)
            }
            return history
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// `person.get`.
    func answerPersonGet(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let processor = self.processor
        let log = self.log
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        try params.rejectUnknown()
        return eventLoop.makeFutureWithTask {
            let state = await processor.state
            guard state.knowsContact(id) else { throw RPCError.notFound(id) }
            return Self.adding(Self.contactRecordJSON(id, state: state), to: try Self.personJSON(id, state: state, log: log))
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    func write(_ command: Command, _ params: inout Params, caller: Caller, on eventLoop: any EventLoop) -> EventLoopFuture<JSONValue> {
        let requestID: String?
        do throws(RPCError) {
            requestID = try params.string("requestId", bytesMax: RecordCodec.requestIDBytesMax)
            try params.rejectUnknown()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let processor = self.processor
        let actor = caller.actor
        let issuer = caller.issuer
        let promise = eventLoop.makePromise(of: JSONValue.self)
        processor.execute(command, actor: actor, issuer: issuer, requestID: requestID) { outcome in
            switch outcome {
            case .success(let result): promise.succeed(result?.json ?? .null)
            case .failure(let error): promise.fail(Self.rpcError(error))
            }
        }
        return promise.futureResult
    }

    /// Whether `role` sees the contact details in `question.get` (coordinators and admins) or `offer.get`
    /// (educators too).
    static func seesContact(_ kind: ReplyCache.Kind, role: Role?) -> Bool {
        guard let role else { return false }
        switch kind {
        case .question: return role >= .coordinator
        case .offer: return role >= .educator
        }
    }

    /// Renders a read of the current state and keeps the result in the processor's reply cache, so that the
    /// same read next time is answered by `cachedResult` on the event loop.
    func renderCurrent(
        _ key: ReplyCache.Key, on eventLoop: any EventLoop, _ render: @escaping @Sendable (DomainState) throws -> JSONValue
    ) -> EventLoopFuture<JSONValue> {
        let processor = self.processor
        return eventLoop.makeFutureWithTask {
            let (state, epoch) = await processor.stateForReplies()
            let result = try render(state)
            processor.replyCache.store(JSONWriter.canonicalBytes(result), for: key, renderedAt: epoch)
            return result
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// The cached result (canonical JSON bytes) of a `question.get` or `offer.get` of the current state,
    /// when the request is exactly such a read (only an `id`) and its result is in the cache. The caller
    /// has already authorised the request.
    func cachedResult(_ request: RPCRequest, caller: Caller) -> [UInt8]? {
        let kind: ReplyCache.Kind
        switch request.method {
        case "question.get": kind = .question
        case "offer.get": kind = .offer
        default: return nil
        }
        guard case .object(let members)? = request.params, members.count == 1, case .string(let id)? = members["id"] else { return nil }
        return processor.replyCache.result(ReplyCache.Key(kind: kind, id: id, withContact: Self.seesContact(kind, role: caller.role)))
    }

    /// The current state from the processor, or the state as of a past point, replayed from the log off
    /// the processor (so that a long replay never holds up writes).
    static func state(processor: DomainProcessor, log: EventLog, asOf: DomainProcessor.AsOf?, pool: NIOThreadPool) async throws -> DomainState {
        guard let asOf else { return await processor.state }
        return try await replay(log: log, upTo: asOf, pool: pool).state
    }

    /// A replay of the log on the blocking thread pool (it reads the whole file), never on the threads
    /// that run the processor and the event loops.
    static func replay(log: EventLog, upTo asOf: DomainProcessor.AsOf, pool: NIOThreadPool) async throws -> DomainProcessor.Replay {
        try await pool.runIfActive { try DomainProcessor.replay(log: log, upTo: asOf) }
    }

    // MARK: Reading params

    static func requiredString(_ params: inout Params, _ field: String, bytesMax: Int) throws(RPCError) -> String {
        guard let value = try params.string(field, bytesMax: bytesMax) else {
            throw RPCError.invalidParams(field: field, "required")
        }
        return value
    }

    static func stringList(_ params: inout Params, _ field: String) throws(RPCError) -> [String]? {
        guard let value = params.raw(field), !value.isNull else { return nil }
        guard let elements = value.arrayValue else { throw RPCError.invalidParams(field: field, "expected an array of strings, got \(value.typeName)") }
        guard elements.count <= QuestionLimits.listEntriesMax else { throw RPCError.validation(field: field, "at most \(QuestionLimits.listEntriesMax) entries") }
        var strings: [String] = []
        for element in elements {
            guard let text = element.stringValue, text.utf8.count <= 64 else {
                throw RPCError.invalidParams(field: field, "expected an array of ids (strings of at most 64 bytes)")
            }
            strings.append(text)
        }
        return strings
    }

    static func window(_ params: inout Params) throws(RPCError) -> DateWindow? {
        guard let value = params.raw("window"), !value.isNull else { return nil }
        guard let from = value["from"]?.stringValue, let to = value["to"]?.stringValue, value.objectValue?.count == 2 else {
            throw RPCError.invalidParams(field: "window", "expected {\"from\": \"YYYY-MM-DD\", \"to\": \"YYYY-MM-DD\"}")
        }
        return DateWindow(from: from, to: to)
    }

    static func expectedVersion(_ params: inout Params) throws(RPCError) -> Int? {
        try params.integer("expectedVersion", in: 1...Int64(Int32.max)).map { Int($0) }
    }

    /// `asOf`: a log position (integer) or a UTC time or date (`2026-11-29`, `2026-11-29T12:00:00Z`).
    public static func asOf(_ params: inout Params) throws(RPCError) -> DomainProcessor.AsOf? {
        guard let value = params.raw("asOf"), !value.isNull else { return nil }
        if let position = value.integerValue, position >= 0 { return .position(UInt64(position)) }
        if let text = value.stringValue, let milliseconds = UTCTime.milliseconds(from: text) { return .timeMs(milliseconds) }
        throw RPCError.invalidParams(field: "asOf", "expected a log position or a UTC time such as 2026-11-29 or 2026-11-29T12:00:00Z")
    }

    static func submitQuestion(_ params: inout Params) throws(RPCError) -> Command {
        let title = try requiredString(&params, "title", bytesMax: QuestionLimits.titleBytesMax)
        let description = try requiredString(&params, "description", bytesMax: QuestionLimits.descriptionBytesMax)
        guard let requester = params.raw("requester"), case .object(let members) = requester else {
            throw RPCError.invalidParams(field: "requester", "required: {kind, organisation, name, email, phone}")
        }
        for key in members.keys.sorted() where !["kind", "organisation", "name", "email", "phone", "notify"].contains(key) {
            throw RPCError.invalidParams(field: "requester.\(key)", "unknown param")
        }
        func text(_ key: String, _ bytesMax: Int) throws(RPCError) -> String? {
            guard let value = members[key], !value.isNull else { return nil }
            guard let string = value.stringValue else { throw RPCError.invalidParams(field: "requester.\(key)", "expected a string") }
            guard string.utf8.count <= bytesMax else { throw RPCError.validation(field: "requester.\(key)", "longer than \(bytesMax) bytes") }
            return string
        }
        guard let kind = try text("kind", 32) else { throw RPCError.invalidParams(field: "requester.kind", "required") }
        let contact = try contactDetails(members, field: "requester")
        let neighbourhood = try requiredString(&params, "neighbourhood", bytesMax: 200)
        var notify = false
        if let value = members["notify"], !value.isNull {
            guard let flag = value.boolValue else { throw RPCError.invalidParams(field: "requester.notify", "expected true or false") }
            notify = flag
        }
        var submit = SubmitQuestion(
            title: title, description: description, requesterKind: kind, organisation: try text("organisation", 200), contact: contact,
            neighbourhood: neighbourhood, themes: try stringList(&params, "themes") ?? [], disciplines: try stringList(&params, "disciplines") ?? [],
            levels: try stringList(&params, "levels") ?? [], window: try window(&params), size: try params.string("size", bytesMax: 16))
        submit.notify = notify
        return .question(.submit(submit))
    }

    /// A person's name, e-mail and phone from an object's members, each checked, named `field.name` etc.
    static func contactDetails(_ members: [String: JSONValue], field: String) throws(RPCError) -> ContactDetails {
        func text(_ key: String, _ bytesMax: Int) throws(RPCError) -> String? {
            guard let value = members[key], !value.isNull else { return nil }
            guard let string = value.stringValue else { throw RPCError.invalidParams(field: "\(field).\(key)", "expected a string") }
            guard string.utf8.count <= bytesMax else { throw RPCError.validation(field: "\(field).\(key)", "longer than \(bytesMax) bytes") }
            return string
        }
        return ContactDetails(name: try text("name", 200), email: try text("email", 254), phone: try text("phone", 32))
    }

    // MARK: Views

    static func personJSON(_ contact: String, state: DomainState, log: EventLog) throws -> JSONValue {
        if state.erasedContacts.contains(contact) {
            return ["id": .string(contact), "erased": true, "name": "erased", "email": "erased", "phone": "erased"]
        }
        guard let bytes = try log.personalValue(contact) else {
            return ["id": .string(contact), "erased": true, "name": "erased", "email": "erased", "phone": "erased"]
        }
        var details = (try? JSONParser.parse(bytes))?.objectValue ?? [:]
        details["id"] = .string(contact)
        details["erased"] = false
        return .object(details)
    }

    static func questionJSON(_ question: Question, state: DomainState, log: EventLog, withContact: Bool) throws -> JSONValue {
        var json = question.json.objectValue ?? [:]
        json["submittedAt"] = .string(UTCTime.iso8601(milliseconds: question.submittedMs))
        json["owner"] = state.owner(of: question.id).map { .string($0) } ?? .null
        json.merge(state.lineage.links(of: question.id)) { _, link in link }
        if withContact, let contact = question.requester.contact, var requester = json["requester"]?.objectValue {
            let person = try personJSON(contact, state: state, log: log)
            for key in ["name", "email", "phone", "erased"] { requester[key] = person[key] ?? .null }
            json["requester"] = .object(requester)
        }
        return .object(json)
    }
}

/// The filters of `question.list`, read from params and applied to the state.
struct QuestionFilter {
    var status: QuestionStatus?
    var place: Taxonomy.Place?
    var theme: String?
    var discipline: String?
    var level: String?
    /// Questions proposed or matched to an offer of this institution.
    var institution: String?
    /// A date inside the question's window, or the period (label or date) of an offer it was proposed or matched to.
    var period: String?
    var words: [String] = []
    /// A user name: the questions it owns; `"none"`: the questions nobody owns.
    var owner: String?
    var limit = 50
    var cursor: String?

    init(_ params: inout Params, taxonomy: Taxonomy) throws(RPCError) {
        status = try params.listStatus(among: QuestionStatus.allCases.map(\.rawValue)).flatMap(QuestionStatus.init(rawValue:))
        owner = try params.string("owner", bytesMax: DeskLimits.ownerBytesMax)
        place = try params.listPlace(taxonomy)
        theme = try params.listTerm("theme", taxonomy.themeVocabulary)
        discipline = try params.listTerm("discipline", taxonomy.disciplineVocabulary)
        level = try params.listTerm("level", taxonomy.levelVocabulary)
        institution = try params.listInstitution(taxonomy)
        period = try params.listPeriod()
        words = try params.listWords()
        (limit, cursor) = try params.listPage()
    }

    func matches(_ question: Question, owner questionOwner: String?, offersLinked: [Offer]) -> Bool {
        if let status, question.status != status { return false }
        if let owner, (owner == "none" ? questionOwner != nil : questionOwner != owner) { return false }
        if let place, !place.contains(question.neighbourhood) { return false }
        if let institution, !offersLinked.contains(where: { $0.institution == institution }) { return false }
        if let period {
            let inWindow = question.window.map { DateWindow.isDate(period) && $0.from <= period && period <= $0.to } ?? false
            if !inWindow && !offersLinked.contains(where: { $0.period.matches(period) }) { return false }
        }
        if let theme, !question.themes.contains(theme) { return false }
        if let discipline, !question.disciplines.contains(discipline) { return false }
        if let level, !question.levels.contains(level) { return false }
        return ListText.matches(words, in: [question.title, question.description])
    }

    /// Matching questions in id order after the cursor, at most `limit`, with the cursor for the next page.
    func page(_ state: DomainState) throws(RPCError) -> JSONValue {
        try state.checkListPeriod(period)
        var linked: [String: [Offer]] = [:]
        if institution != nil || period != nil {
            for proposal in state.proposals.values where proposal.status == .proposed || proposal.status == .accepted {
                if let offer = state.offers[proposal.offer] { linked[proposal.question, default: []].append(offer) }
            }
        }
        let questions = state.questions.values.filter { matches($0, owner: state.owner(of: $0.id), offersLinked: linked[$0.id] ?? []) }
        return Paging.page(questions, key: "questions", id: \.id, cursor: cursor, limit: limit) { question in
            [
                "id": .string(question.id), "status": .string(question.status.rawValue), "title": .string(question.title),
                "district": .string(question.neighbourhood.district), "wijk": question.neighbourhood.wijk.map { .string($0) } ?? .null,
                "themes": .array(question.themes.map { .string($0) }), "version": .integer(Int64(question.version)),
                "owner": state.owner(of: question.id).map { .string($0) } ?? .null,
            ]
        }
    }
}

/// Pages of entities in id order, for every `*.list` method.
enum Paging {
    /// Ids in the order they were handed out (`Q-9999` before `Q-10000`).
    static func precedes(_ left: String, _ right: String) -> Bool { EntityID.precedes(left, right) }

    /// At most `limit` items after `cursor` (an id: paging goes on after it even when that entity no
    /// longer matches), as `{key: [...], total, next}` where `next` is the cursor for the following page.
    static func page<Item>(
        _ items: [Item], key: String, id: (Item) -> String, cursor: String?, limit: Int, json: (Item) -> JSONValue
    ) -> JSONValue {
        // Positions are sorted rather than the items: moving whole questions costs far more than their ids.
        let ids = items.map(id)
        let ordered = ids.indices.sorted { precedes(ids[$0], ids[$1]) }
        let start = cursor.map { after in ordered.firstIndex { precedes(after, ids[$0]) } ?? ordered.count } ?? 0
        let slice = ordered.dropFirst(start).prefix(limit)
        let next: JSONValue = start + slice.count < ordered.count ? (slice.last.map { .string(ids[$0]) } ?? .null) : .null
        return [key: .array(slice.map { json(items[$0]) }), "total": .integer(Int64(ordered.count)), "next": next]
    }
}
