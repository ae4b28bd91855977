import Domain
import EventLog
import LMDSCore
import LMDSJSON
import LMDSProtocol
import NIOCore

/// Partner organisations as records (issue 11): `organisation.register`, `organisation.revise`,
/// `organisation.merge`, `organisation.get` and `organisation.list`.
extension Dispatcher {
    /// The organisations' methods in the route table.
    static let organisationRoutes: [Route] = [
        .write("organisation.register", Dispatcher.decodeOrganisationRegister),
        .write("organisation.revise", Dispatcher.decodeOrganisationRevise),
        .write("organisation.merge", Dispatcher.decodeOrganisationMerge),
        .answer("organisation.adopt", Dispatcher.answerOrganisationAdopt),
        .answer("organisation.get", Dispatcher.answerOrganisationGet),
        .answer("organisation.list", Dispatcher.answerOrganisationList),
        .write("person.merge", Dispatcher.decodePersonMerge),
    ]

    /// `person.merge`: the params as a command.
    func decodePersonMerge(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let into = try Self.requiredString(&params, "into", bytesMax: 32)
        let from = try Self.requiredString(&params, "from", bytesMax: 32)
        return .contact(.merge(into: into, from: from))
    }

    /// A contact's record in `history.get` and `person.get` (`DomainState.contactRecord`): `questions` and
    /// `offers` (ids, with those of the contacts merged into it), `organisations` (`{id, name}` each, the id
    /// null for a free-text name without a record), and `mergedInto` when it was merged into another.
    static func contactRecordJSON(_ contact: String, state: DomainState) -> [String: JSONValue] {
        let record = state.contactRecord(of: contact)
        var members: [String: JSONValue] = [
            "questions": .array(record.questions.map { .string($0) }), "offers": .array(record.offers.map { .string($0) }),
            "organisations": .array(record.organisations.map { ["id": $0.id.map { .string($0) } ?? .null, "name": .string($0.name)] }),
        ]
        if let survivor = state.organisations.contactMergedInto[contact] { members["mergedInto"] = .string(survivor) }
        return members
    }

    /// `organisation.adopt`: a write whose reply also says how many questions still have a free-text
    /// organisation (`remaining`: more than one append takes; call again).
    func answerOrganisationAdopt(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let processor = self.processor
        return write(.organisation(.adopt), &params, caller: context.caller, on: context.eventLoop).flatMap { result in
            context.eventLoop.makeFutureWithTask {
                let remaining = await processor.state.questions.values.count { $0.requester.organisation != nil && $0.requester.organisationID == nil }
                return Self.adding(["remaining": .integer(Int64(remaining))], to: result)
            }
        }
    }

    /// `organisation.register`: the params as a command.
    func decodeOrganisationRegister(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let name = try Self.requiredString(&params, "name", bytesMax: OrganisationLimits.nameBytesMax)
        let kind = try Self.requiredString(&params, "kind", bytesMax: 200)
        let neighbourhood = try params.string("neighbourhood", bytesMax: 200)
        let website = try params.string("website", bytesMax: OrganisationLimits.websiteBytesMax)
        return .organisation(.register(RegisterOrganisation(name: name, kind: kind, neighbourhood: neighbourhood, website: website)))
    }

    /// `organisation.revise`: the params as a command.
    func decodeOrganisationRevise(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let name = try params.string("name", bytesMax: OrganisationLimits.nameBytesMax)
        let kind = try params.string("kind", bytesMax: 200)
        let neighbourhood = try params.string("neighbourhood", bytesMax: 200)
        let website = try params.string("website", bytesMax: OrganisationLimits.websiteBytesMax)
        let version = try Self.expectedVersion(&params)
        return .organisation(.revise(ReviseOrganisation(id: id, name: name, kind: kind, neighbourhood: neighbourhood, website: website,
                                                        expectedVersion: version)))
    }

    /// `organisation.merge`: the params as a command.
    func decodeOrganisationMerge(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let into = try Self.requiredString(&params, "into", bytesMax: 32)
        let from = try Self.requiredString(&params, "from", bytesMax: 32)
        let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
        let version = try Self.expectedVersion(&params)
        return .organisation(.merge(into: into, from: from, reason: reason, expectedVersion: version))
    }

    /// `organisation.get {id, asOf?}`: the record, the records merged into it, (for a merged one) its survivor, and
    /// the relationship (`OrganisationRelationship`: its questions and what came of them, and a strength in words).
    func answerOrganisationGet(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        let (processor, log, pool) = (self.processor, self.log, self.threadPool)
        return context.eventLoop.makeFutureWithTask {
            let state = try await Self.state(processor: processor, log: log, asOf: asOf, pool: pool)
            guard let organisation = state.organisations.organisations[id] else { throw RPCError.notFound(id) }
            var json = Self.organisationJSON(organisation)
            json["mergedFrom"] = .array((state.organisations.mergedFrom[id] ?? []).map { .string($0) })
            json["relationship"] = OrganisationRelationship(of: id, in: state).json { .string(UTCTime.iso8601(milliseconds: $0)) }
            return .object(json)
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// `organisation.list {text?, kind?, neighbourhood?, merged?, limit?, cursor?, asOf?}`: records of their own
    /// (with `merged: true`, the merged ones too), in id order.
    func answerOrganisationList(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let words = try params.listWords()
        let kind = try params.listTerm("kind", OrganisationKind.vocabulary)
        let place = try params.listPlace(taxonomy)
        let merged = try params.bool("merged") ?? false
        let (limit, cursor) = try params.listPage()
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        let (processor, log, pool) = (self.processor, self.log, self.threadPool)
        return context.eventLoop.makeFutureWithTask {
            let state = try await Self.state(processor: processor, log: log, asOf: asOf, pool: pool)
            let chosen = state.organisations.organisations.values.filter { organisation in
                (merged || organisation.mergedInto == nil) && (kind.map { organisation.kind.rawValue == $0 } ?? true)
                    && Self.isIn(organisation.neighbourhood, place) && ListText.matches(words, in: [organisation.name, organisation.website ?? ""])
            }
            return Paging.page(chosen, key: "organisations", id: \.id, cursor: cursor, limit: limit) { .object(Self.organisationJSON($0)) }
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// Whether `place` (an organisation's neighbourhood) lies in `filter`: the same wijk, or a place in the
    /// district the filter names. Any place passes no filter.
    static func isIn(_ place: Taxonomy.Place?, _ filter: Taxonomy.Place?) -> Bool {
        guard let filter else { return true }
        guard let place else { return false }
        if let wijk = filter.wijk { return place.wijk == wijk }
        return place.district == filter.district
    }

    /// An organisation as the reads show it: its record with the time as ISO 8601.
    static func organisationJSON(_ organisation: Organisation) -> [String: JSONValue] {
        var json = organisation.json.objectValue ?? [:]
        json["registeredAt"] = .string(UTCTime.iso8601(milliseconds: organisation.registeredMs))
        return json
    }
}
