import LMDSCore
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import NIOCore
import NIOPosix
import Reports

/// The coordinator's desk (issue 11): owners of questions (`question.assign`), what waits on whom
/// (`desk.get`), and internal notes whose text lives in the personal table (`note.add`, `note.list`,
/// `note.erase`).
extension Dispatcher {
    /// The desk's methods (owners, notes, what waits on whom) in the route table.
    static let deskRoutes: [Route] = [
        .answer("question.assign", Dispatcher.answerQuestionAssign),
        .answer("note.add", Dispatcher.answerNoteAdd),
        .answer("note.erase", Dispatcher.answerNoteErase),
        .answer("note.list", Dispatcher.answerNoteList),
        .answer("desk.get", Dispatcher.answerDeskGet),
    ]

    /// `desk.get`.
    func answerDeskGet(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        try deskGet(&params, caller: context.caller, on: context.eventLoop)
    }

    /// `question.assign`.
    func answerQuestionAssign(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let caller = context.caller
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        guard let ownerValue = params.raw("owner") else {
            throw RPCError.invalidParams(field: "owner", "required: a user name, or null to release the question")
        }
        let owner = try params.string("owner", bytesMax: DeskLimits.ownerBytesMax)
        if owner == nil && !ownerValue.isNull { throw RPCError.invalidParams(field: "owner", "expected a user name or null") }
        let version = try Self.expectedVersion(&params)
        return write(.desk(.assign(id: id, owner: owner, expectedVersion: version)), &params, caller: caller, on: eventLoop)
            .map { Self.adding(["owner": owner.map { .string($0) } ?? .null], to: $0) }
    }

    /// `note.add`.
    func answerNoteAdd(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let caller = context.caller
        let entity = try Self.requiredString(&params, "entity", bytesMax: 32)
        let text = try Self.requiredString(&params, "text", bytesMax: DeskLimits.noteBytesMax)
        return write(.desk(.addNote(entity: entity, text: text, author: caller.userName)), &params, caller: caller, on: eventLoop)
            .map { Self.adding(["status": "kept", "entity": .string(entity), "sha256": .string(PersonalRecord.sha256Hex(text))], to: $0) }
    }

    /// `note.erase`.
    func answerNoteErase(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let caller = context.caller
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
        return write(.desk(.eraseNote(id: id, reason: reason)), &params, caller: caller, on: eventLoop)
            .map { Self.adding(["status": "erased"], to: $0) }
    }

    /// `note.list`.
    func answerNoteList(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let entity = try Self.requiredString(&params, "entity", bytesMax: 32)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        let (processor, log, pool) = (self.processor, self.log, self.threadPool)
        return eventLoop.makeFutureWithTask {
            let state = try await Self.state(processor: processor, log: log, asOf: asOf, pool: pool)
            guard state.acceptsNotes(entity) else { throw RPCError.notFound(entity) }
            let notes = try (state.desk.notesByEntity[entity] ?? []).compactMap { state.desk.notes[$0] }.map { try Self.noteJSON($0, log: log) }
            return ["entity": .string(entity), "notes": .array(notes)]
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// `desk.get {for?, asOf?}`: what waits on the caller, or (admins only) on another configured user.
    func deskGet(_ params: inout Params, caller: Caller, on eventLoop: any EventLoop) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let name = try params.string("for", bytesMax: DeskLimits.ownerBytesMax)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        let (processor, log, pool, policy, clock) = (self.processor, self.log, self.threadPool, self.policy, self.clock)
        let person = try Self.deskPerson(name, caller: caller, policy: policy)
        return eventLoop.makeFutureWithTask {
            let state: DomainState
            let nowMs: Int64
            var lastEvent: [String: Int64] = [:]
            if let asOf {
                let replay = try await Self.replay(log: log, upTo: asOf, pool: pool)
                state = replay.state
                if case .timeMs(let time) = asOf { nowMs = time } else { nowMs = replay.headTimeMs }
                for id in Self.unproposed(state, of: person) {
                    let positions = Set(state.historyScope(of: id).flatMap { replay.entityPositions[$0] ?? [] }).sorted()
                    lastEvent[id] = try Self.lastStatusEventMs(positions, log: log)
                }
            } else {
                state = await processor.state
                nowMs = clock.nowMs()
                for id in Self.unproposed(state, of: person) {
                    lastEvent[id] = try Self.lastStatusEventMs(await processor.historyPositions(of: id) ?? [], log: log)
                }
            }
            let desk = DeskView(state: state, policy: policy, nowMs: nowMs, lastEventMs: lastEvent)
            return DeskView.json(desk.items(for: person), person: person, asOf: UTCTime.iso8601(milliseconds: nowMs))
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// Whose desk: the caller's own, or the configured user `name` (admins only).
    static func deskPerson(_ name: String?, caller: Caller, policy: DomainPolicy) throws(RPCError) -> DeskView.Person {
        guard let name, name != caller.userName else {
            return DeskView.Person(name: caller.userName, role: caller.role?.rawValue ?? "none", institution: caller.institution)
        }
        guard caller.role == .admin else {
            throw RPCError(code: RPCErrorCode.forbidden, message: "Forbidden: only admins may ask for another user's desk",
                           data: ["method": "desk.get", "role": caller.role.map { .string($0.rawValue) } ?? .null, "field": "for"])
        }
        guard let user = policy.users[name] else {
            throw RPCError.validation(field: "for", "\(name) is not a user in the daemon's config (roles.users)")
        }
        return DeskView.Person(name: name, role: user.role, institution: user.institution)
    }

    /// The open questions without a proposal that `person`'s desk lists (their own).
    static func unproposed(_ state: DomainState, of person: DeskView.Person) -> [String] {
        DeskView.unproposedQuestions(state).filter { state.owner(of: $0) == person.name }
    }

    /// Events that change nothing about what a question waits for: notes, owners and revisions.
    static let eventsBesideStatus: Set<String> = ["NoteAdded", "NoteErased", "QuestionAssigned", "QuestionRevised"]

    /// The time of the last event among `positions` that changed where the question stands (it became open,
    /// or a proposal of it ended).
    static func lastStatusEventMs(_ positions: [UInt64], log: EventLog) throws -> Int64? {
        for position in positions.reversed() {
            guard let record = try log.record(at: position) else { continue }
            if !eventsBesideStatus.contains(record.type) { return record.timeMs }
        }
        return nil
    }

    /// A note with its text (null once erased), for roles that read notes.
    static func noteJSON(_ note: Note, log: EventLog) throws -> JSONValue {
        var json = note.json.objectValue ?? [:]
        json["addedAt"] = .string(UTCTime.iso8601(milliseconds: note.addedMs))
        json["text"] = try noteText(note.id, log: log).map { .string($0) } ?? .null
        return .object(json)
    }

    /// A note's text from the personal table; nil once erased.
    static func noteText(_ id: String, log: EventLog) throws -> String? {
        guard let bytes = try log.personalValue(id), let stored = try? JSONParser.parse(bytes) else { return nil }
        return PersonalRecord.text(from: stored)
    }

    /// Whether `role` reads notes: everyone but viewers (and callers without a role).
    static func readsNotes(_ role: Role?) -> Bool { role.map { $0 >= .educator } ?? false }

    /// A history envelope as `role` may see it: nil for a note's events when the role reads no notes; a
    /// `NoteAdded` with the note's `text` (null once erased) for those who do.
    static func noteAware(_ envelope: [String: JSONValue], type: String, role: Role?, log: EventLog) throws -> [String: JSONValue]? {
        guard type == "NoteAdded" || type == "NoteErased" else { return envelope }
        guard readsNotes(role) else { return nil }
        guard type == "NoteAdded", let id = envelope["data"]?["id"]?.stringValue else { return envelope }
        var shown = envelope
        shown["text"] = try noteText(id, log: log).map { .string($0) } ?? .null
        return shown
    }

    /// `result` with `members` added (a write's reply, which is an object).
    static func adding(_ members: [String: JSONValue], to result: JSONValue) -> JSONValue {
        guard case .object(var object) = result else { return result }
        object.merge(members) { _, new in new }
        return .object(object)
    }
}
