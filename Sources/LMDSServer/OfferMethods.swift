import LMDSCore
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import NIOCore
import NIOPosix

/// The offer methods: education slots published by educators (for their own institution) and coordinators.
extension Dispatcher {
    /// The offer methods in the route table.
    static let offerRoutes: [Route] = [
        .write("offer.publish", Dispatcher.decodeOfferPublish),
        .write("offer.revise", Dispatcher.decodeOfferRevise),
        .write("offer.close", Dispatcher.decodeOfferClose),
        .write("offer.withdraw", Dispatcher.decodeOfferWithdraw),
        .answer("offer.get", Dispatcher.answerOfferGet),
        .answer("offer.list", Dispatcher.answerOfferList),
    ]

    /// `offer.publish`: the params as a command.
    func decodeOfferPublish(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let publish = try Self.publishOffer(&params)
        return .offer(.publish(publish))
    }

    /// `offer.revise`: the params as a command.
    func decodeOfferRevise(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        var revise = ReviseOffer(id: try Self.requiredString(&params, "id", bytesMax: 32))
        revise.title = try params.string("title", bytesMax: QuestionLimits.titleBytesMax)
        revise.description = try params.string("description", bytesMax: QuestionLimits.descriptionBytesMax)
        revise.programme = try params.string("programme", bytesMax: OfferLimits.programmeBytesMax)
        revise.disciplines = try Self.stringList(&params, "disciplines")
        revise.themes = try Self.stringList(&params, "themes")
        revise.period = try Self.period(&params, required: false)
        revise.capacity = try params.integer("capacity", in: 1...Int64(OfferLimits.capacityMax)).map { Int($0) }
        revise.teamSize = try params.integer("teamSize", in: 1...Int64(OfferLimits.teamSizeMax)).map { Int($0) }
        revise.milestones = try Self.milestoneTemplate(&params)
        revise.expectedVersion = try Self.expectedVersion(&params)
        return .offer(.revise(revise))
    }

    /// `offer.close`: the params as a command.
    func decodeOfferClose(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let reason = try params.string("reason", bytesMax: QuestionLimits.reasonBytesMax)
        let version = try Self.expectedVersion(&params)
        return .offer(.close(id: id, reason: reason, expectedVersion: version))
    }

    /// `offer.withdraw`: the params as a command.
    func decodeOfferWithdraw(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
        let version = try Self.expectedVersion(&params)
        return .offer(.withdraw(id: id, reason: reason, expectedVersion: version))
    }

    /// `offer.get`.
    func answerOfferGet(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        try answerCachedGet(.offer, &params, context) { id, state, log, withContact in
            guard let offer = state.offers[id] else { throw RPCError.notFound(id) }
            return try Self.offerJSON(offer, state: state, log: log, withContact: withContact)
        }
    }

    /// `offer.list`.
    func answerOfferList(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let processor = self.processor
        let log = self.log
        let pool = self.threadPool
        let filter = try OfferFilter(&params, taxonomy: taxonomy)
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        return eventLoop.makeFutureWithTask {
            try filter.page(try await Self.state(processor: processor, log: log, asOf: asOf, pool: pool))
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    static func period(_ params: inout Params, required: Bool) throws(RPCError) -> Period? {
        guard let value = params.raw("period"), !value.isNull else {
            if required { throw RPCError.invalidParams(field: "period", "required: {\"from\", \"to\", \"label\"}") }
            return nil
        }
        guard case .object(let members) = value, let from = members["from"]?.stringValue, let to = members["to"]?.stringValue,
            members.keys.allSatisfy({ ["from", "to", "label"].contains($0) })
        else {
            throw RPCError.invalidParams(field: "period", "expected {\"from\": \"YYYY-MM-DD\", \"to\": \"YYYY-MM-DD\", \"label\": \"2026-2027 S2\"}")
        }
        let label = members["label"]?.stringValue
        if let label, label.utf8.count > OfferLimits.periodLabelBytesMax {
            throw RPCError.validation(field: "period.label", "longer than \(OfferLimits.periodLabelBytesMax) bytes")
        }
        return Period(window: DateWindow(from: from, to: to), label: label)
    }

    static func publishOffer(_ params: inout Params) throws(RPCError) -> PublishOffer {
        let title = try requiredString(&params, "title", bytesMax: QuestionLimits.titleBytesMax)
        let description = try requiredString(&params, "description", bytesMax: QuestionLimits.descriptionBytesMax)
        let institution = try requiredString(&params, "institution", bytesMax: 200)
        let programme = try requiredString(&params, "programme", bytesMax: OfferLimits.programmeBytesMax)
        let level = try requiredString(&params, "level", bytesMax: 32)
        let kind = try requiredString(&params, "kind", bytesMax: 32)
        guard let capacity = try params.integer("capacity", in: 1...Int64(OfferLimits.capacityMax)) else {
            throw RPCError.invalidParams(field: "capacity", "required: how many questions the offer can take")
        }
        let teamSize = try params.integer("teamSize", in: 1...Int64(OfferLimits.teamSizeMax)).map { Int($0) }
        var contact = ContactDetails(name: nil, email: nil, phone: nil)
        if let value = params.raw("contact"), !value.isNull {
            guard case .object(let members) = value else { throw RPCError.invalidParams(field: "contact", "expected {name, email, phone}") }
            for key in members.keys.sorted() where !["name", "email", "phone"].contains(key) {
                throw RPCError.invalidParams(field: "contact.\(key)", "unknown param")
            }
            contact = try contactDetails(members, field: "contact")
        }
        var publish = PublishOffer(
            title: title, description: description, institution: institution, programme: programme, level: level, kind: kind,
            disciplines: try stringList(&params, "disciplines") ?? [], themes: try stringList(&params, "themes") ?? [],
            period: try period(&params, required: true)!, capacity: Int(capacity), teamSize: teamSize, contact: contact)
        publish.milestones = try milestoneTemplate(&params) ?? []
        return publish
    }

    static func offerJSON(_ offer: Offer, state: DomainState, log: EventLog, withContact: Bool) throws -> JSONValue {
        var json = offer.json.objectValue ?? [:]
        json["publishedAt"] = .string(UTCTime.iso8601(milliseconds: offer.publishedMs))
        json["placesLeft"] = .integer(Int64(state.placesLeft(offer)))
        json["proposalsPending"] = .integer(Int64(state.proposalsPending(offer.id)))
        if withContact, let contact = offer.contact {
            json["contactDetails"] = try personJSON(contact, state: state, log: log)
        }
        return .object(json)
    }
}

/// The filters of `offer.list`.
struct OfferFilter {
    var status: OfferStatus?
    var institution: String?
    var level: String?
    var kind: String?
    var theme: String?
    var discipline: String?
    var period: String?
    var words: [String] = []
    var limit = 50
    var cursor: String?

    init(_ params: inout Params, taxonomy: Taxonomy) throws(RPCError) {
        status = try params.listStatus(among: OfferStatus.allCases.map(\.rawValue)).flatMap(OfferStatus.init(rawValue:))
        institution = try params.listInstitution(taxonomy)
        level = try params.listTerm("level", taxonomy.levelVocabulary)
        kind = try params.listTerm("kind", OfferLimits.kindVocabulary)
        theme = try params.listTerm("theme", taxonomy.themeVocabulary)
        discipline = try params.listTerm("discipline", taxonomy.disciplineVocabulary)
        period = try params.listPeriod()
        words = try params.listWords()
        (limit, cursor) = try params.listPage()
    }

    /// Whether the offer passes every filter; `period` matches the label, or a date inside the period.
    func matches(_ offer: Offer) -> Bool {
        if let status, offer.status != status { return false }
        if let institution, offer.institution != institution { return false }
        if let level, offer.level != level { return false }
        if let kind, offer.kind != kind { return false }
        if let theme, !offer.themes.contains(theme) { return false }
        if let discipline, !offer.disciplines.contains(discipline) { return false }
        if let period, !offer.period.matches(period) { return false }
        return ListText.matches(words, in: [offer.title, offer.description, offer.programme])
    }

    func page(_ state: DomainState) throws(RPCError) -> JSONValue {
        try state.checkListPeriod(period)
        return Paging.page(state.offers.values.filter(matches), key: "offers", id: \.id, cursor: cursor, limit: limit) { offer in
            [
                "id": .string(offer.id), "status": .string(offer.status.rawValue), "title": .string(offer.title),
                "institution": .string(offer.institution), "level": .string(offer.level), "kind": .string(offer.kind),
                "period": .string(offer.period.label ?? "\(offer.period.window.from)..\(offer.period.window.to)"),
                "capacity": .integer(Int64(offer.capacity)), "placesLeft": .integer(Int64(state.placesLeft(offer))),
                "proposalsPending": .integer(Int64(state.proposalsPending(offer.id))), "version": .integer(Int64(offer.version)),
            ]
        }
    }
}

extension DomainState {
    /// The places an offer has left: its capacity less its agreed and started matches (those its `full`
    /// status counts), never below zero.
    func placesLeft(_ offer: Offer) -> Int {
        let used = (matchesByOffer[offer.id] ?? []).filter { matches[$0]?.status.isOpen ?? false }.count
        return max(0, offer.capacity - used)
    }

    /// How many proposals to an offer wait for consent.
    func proposalsPending(_ offer: String) -> Int {
        (proposalsByOffer[offer] ?? []).filter { pendingProposals.contains($0) }.count
    }
}
