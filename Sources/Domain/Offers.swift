import LMDSJSON

/// Where an offer is: `published → full` (capacity used) `| closed | withdrawn`.
public enum OfferStatus: String, Sendable, Hashable, CaseIterable {
    case published, full, closed, withdrawn

    /// Whether it can change no more.
    public var isFinal: Bool { self == .closed || self == .withdrawn }
}

/// An academic period: dates, and the label people use for it ("2026-2027 S2").
public struct Period: Sendable, Hashable {
    public let window: DateWindow
    public let label: String?

    public init(window: DateWindow, label: String?) {
        self.window = window
        self.label = label
    }

    /// What people call it: its label, or `from..to` when it has none (`DomainState.periodVocabulary`).
    public var name: String { label ?? "\(window.from)..\(window.to)" }

    /// Whether `reference` is its name, folded as every name is (case, accents, spacing): the one rule
    /// that validating a period and filtering by it share.
    public func isNamed(_ reference: String) -> Bool { Vocabulary.key(reference) == Vocabulary.key(name) }
}

/// An education slot that can take questions (aanbod): a course, minor, thesis, internship, research
/// project or living-lab event, at one institution and level.
public struct Offer: Sendable, Hashable {
    public let id: String
    public var status: OfferStatus
    public var title: String
    public var description: String
    public var institution: String
    public var programme: String
    public var level: String
    public var kind: String
    public var disciplines: [String]
    public var themes: [String]
    public var period: Period
    /// How many questions it can take.
    public var capacity: Int
    public var teamSize: Int?
    /// The contact person's id in the personal table, when one was given.
    public var contact: String?
    public var publishedMs: Int64
    public var closingReason: String?
    public var version: Int
    /// The milestones a match of this offer plans when it starts (days after the start); often none.
    public var milestoneTemplate: [MilestoneTemplate] = []

    /// The offer as JSON for replies and as `OfferPublished`'s data (`milestones` only when it has a template).
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(id), "status": .string(status.rawValue), "title": .string(title), "description": .string(description),
            "institution": .string(institution), "programme": .string(programme), "level": .string(level), "kind": .string(kind),
            "disciplines": .array(disciplines.map { .string($0) }), "themes": .array(themes.map { .string($0) }),
            "period": ["from": .string(period.window.from), "to": .string(period.window.to), "label": period.label.map { .string($0) } ?? .null],
            "capacity": .integer(Int64(capacity)), "publishedAt": .integer(publishedMs), "version": .integer(Int64(version)),
        ]
        members["teamSize"] = teamSize.map { .integer(Int64($0)) } ?? .null
        members["contact"] = contact.map { .string($0) } ?? .null
        members["closingReason"] = closingReason.map { .string($0) } ?? .null
        if !milestoneTemplate.isEmpty { members["milestones"] = .array(milestoneTemplate.map(\.json)) }
        return .object(members)
    }

    /// Reads `OfferPublished`'s data back.
    init?(json data: JSONValue) {
        func string(_ key: String) -> String? { data[key]?.stringValue }
        func list(_ key: String) -> [String] { (data[key]?.arrayValue ?? []).compactMap(\.stringValue) }
        guard let id = string("id"), let title = string("title"), let description = string("description"),
            let institution = string("institution"), let programme = string("programme"), let level = string("level"),
            let kind = string("kind"), let from = data["period"]?["from"]?.stringValue, let to = data["period"]?["to"]?.stringValue,
            let capacity = data["capacity"]?.integerValue, let published = data["publishedAt"]?.integerValue
        else { return nil }
        self.init(
            id: id, status: .published, title: title, description: description, institution: institution, programme: programme,
            level: level, kind: kind, disciplines: list("disciplines"), themes: list("themes"),
            period: Period(window: DateWindow(from: from, to: to), label: data["period"]?["label"]?.stringValue),
            capacity: Int(capacity), teamSize: data["teamSize"]?.integerValue.map { Int($0) }, contact: string("contact"),
            publishedMs: published, closingReason: nil, version: 1)
        milestoneTemplate = (data["milestones"]?.arrayValue ?? []).compactMap(MilestoneTemplate.init(json:))
    }

    public init(
        id: String, status: OfferStatus, title: String, description: String, institution: String, programme: String, level: String,
        kind: String, disciplines: [String], themes: [String], period: Period, capacity: Int, teamSize: Int?, contact: String?,
        publishedMs: Int64, closingReason: String?, version: Int
    ) {
        self.id = id
        self.status = status
        self.title = title
        self.description = description
        self.institution = institution
        self.programme = programme
        self.level = level
        self.kind = kind
        self.disciplines = disciplines
        self.themes = themes
        self.period = period
        self.capacity = capacity
        self.teamSize = teamSize
        self.contact = contact
        self.publishedMs = publishedMs
        self.closingReason = closingReason
        self.version = version
    }
}

/// Limits and vocabularies of offers.
public enum OfferLimits {
    public static let kinds = ["course", "minor", "thesis", "internship", "research", "event"]
    /// The kinds, as names to resolve.
    public static let kindVocabulary = Vocabulary(noun: "kind of offer", ids: kinds)
    public static let capacityMax = 100
    public static let teamSizeMax = 200
    public static let programmeBytesMax = 200
    public static let periodLabelBytesMax = 64
}

/// `offer.publish`'s content.
public struct PublishOffer: Sendable, Hashable {
    public var title: String
    public var description: String
    public var institution: String
    public var programme: String
    public var level: String
    public var kind: String
    public var disciplines: [String]
    public var themes: [String]
    public var period: Period
    public var capacity: Int
    public var teamSize: Int?
    public var contact: ContactDetails
    /// The milestone template (`milestones`), empty for none.
    public var milestones: [MilestoneTemplate] = []

    public init(
        title: String, description: String, institution: String, programme: String, level: String, kind: String,
        disciplines: [String], themes: [String], period: Period, capacity: Int, teamSize: Int?, contact: ContactDetails
    ) {
        self.title = title
        self.description = description
        self.institution = institution
        self.programme = programme
        self.level = level
        self.kind = kind
        self.disciplines = disciplines
        self.themes = themes
        self.period = period
        self.capacity = capacity
        self.teamSize = teamSize
        self.contact = contact
    }
}

/// `offer.revise`'s content: only the fields given change.
public struct ReviseOffer: Sendable, Hashable {
    public var id: String
    public var title: String?
    public var description: String?
    public var programme: String?
    public var disciplines: [String]?
    public var themes: [String]?
    public var period: Period?
    public var capacity: Int?
    public var teamSize: Int?
    /// A new milestone template; `[]` removes it. Matches already started keep theirs.
    public var milestones: [MilestoneTemplate]?
    public var expectedVersion: Int?

    public init(id: String) {
        self.id = id
    }
}

/// Who issues a command, as far as the domain's rules care: their role and, for educators, their institution.
public struct CommandIssuer: Sendable, Hashable {
    /// viewer, educator, coordinator or admin.
    public let role: String
    /// The institution an educator acts for (from the daemon's config); nil for others.
    public let institution: String?

    public init(role: String, institution: String?) {
        self.role = role
        self.institution = institution
    }

    /// Coordinators and admins act for every institution.
    public static let staff = CommandIssuer(role: "coordinator", institution: nil)

    /// Whether this issuer may change offers of `institution`.
    public func mayManageOffers(of institution: String) -> Bool {
        role == "coordinator" || role == "admin" || (role == "educator" && self.institution == institution)
    }
}

/// The offer half of the decider.
enum OfferDecider {
    static func decide(_ command: OfferCommand, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        switch command {
        case .publish(let publish): return try self.publish(publish, state: state, context)
        case .revise(let revise): return try self.revise(revise, state: state, context)
        case .close(let id, let reason, let expectedVersion):
            let offer = try existing(id, state: state, expectedVersion: expectedVersion, issuer: context.issuer)
            try OfferVerb.close.check(id, in: offer.status)
            if let reason { try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax) }
            // Running matches go on; proposals still waiting for consent are withdrawn.
            let events = CollaborationDecider.windDown(
                offer: id, reason: "\(id) closed" + (reason.map { ": \($0)" } ?? ""), cancelMatches: false,
                after: .offerClosed(id: id, reason: reason), state: state)
            return Decision(events: events, personalData: [:], entityID: id)
        case .withdraw(let id, let reason, let expectedVersion):
            let offer = try existing(id, state: state, expectedVersion: expectedVersion, issuer: context.issuer)
            try OfferVerb.withdraw.check(id, in: offer.status)
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            let events = CollaborationDecider.windDown(
                offer: id, reason: "\(id) withdrawn: \(reason)", cancelMatches: true, after: .offerWithdrawn(id: id, reason: reason), state: state)
            return Decision(events: events, personalData: [:], entityID: id)
        }
    }

    /// A new offer of an institution the issuer may manage; its contact details go to the personal table.
    static func publish(_ given: PublishOffer, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        var publish = given
        let taxonomy = context.taxonomy
        let institutionID = try taxonomy.institutionVocabulary.resolve(publish.institution, field: "institution")
        guard let institution = taxonomy.institution(institutionID) else { throw .notFound(institutionID) }
        guard context.issuer.mayManageOffers(of: institution.id) else {
            throw DomainError(.forbidden, "an educator of \(context.issuer.institution ?? "no institution") may not publish offers of \(institution.id)")
        }
        try Decider.checkText("title", publish.title, bytesMax: QuestionLimits.titleBytesMax)
        try Decider.checkText("description", publish.description, bytesMax: QuestionLimits.descriptionBytesMax)
        try Decider.checkText("programme", publish.programme, bytesMax: OfferLimits.programmeBytesMax)
        publish.level = try taxonomy.levelVocabulary.resolve(publish.level, field: "level")
        guard institution.levels.contains(publish.level) else {
            throw .validation("level", "\(institution.label) teaches at \(institution.levels.joined(separator: ", ")), not \(publish.level)")
        }
        publish.kind = try OfferLimits.kindVocabulary.resolve(publish.kind, field: "kind")
        publish.disciplines = try Decider.checkList("disciplines", publish.disciplines, taxonomy.disciplineVocabulary)
        publish.themes = try Decider.checkList("themes", publish.themes, taxonomy.themeVocabulary)
        try checkPeriod(publish.period)
        try checkCapacity(publish.capacity, teamSize: publish.teamSize)
        try ProgressDecider.checkTemplate(publish.milestones)
        if let email = publish.contact.email, !email.contains("@") { throw .validation("contact.email", "not an e-mail address") }
        let id = state.nextOfferID
        let contact = publish.contact.isEmpty ? nil : state.nextContactID
        var offer = Offer(
            id: id, status: .published, title: publish.title, description: publish.description, institution: institution.id,
            programme: publish.programme, level: publish.level, kind: publish.kind, disciplines: publish.disciplines,
            themes: publish.themes, period: publish.period, capacity: publish.capacity, teamSize: publish.teamSize,
            contact: contact, publishedMs: context.nowMs, closingReason: nil, version: 1)
        offer.milestoneTemplate = publish.milestones
        var personal: [String: PersonalRecord?] = [:]
        if let contact { personal[contact] = .contact(publish.contact) }
        return Decision(events: [.offerPublished(offer)], personalData: personal, entityID: id)
    }

    /// The fields given, each checked; at least one. A new capacity may fill the offer or free a place.
    static func revise(_ revise: ReviseOffer, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        let offer = try existing(revise.id, state: state, expectedVersion: revise.expectedVersion, issuer: context.issuer)
        try OfferVerb.revise.check(revise.id, in: offer.status)
        let taxonomy = context.taxonomy
        var changes: [String: JSONValue] = [:]
        try Decider.revisedText("title", revise.title, bytesMax: QuestionLimits.titleBytesMax, into: &changes)
        try Decider.revisedText("description", revise.description, bytesMax: QuestionLimits.descriptionBytesMax, into: &changes)
        try Decider.revisedText("programme", revise.programme, bytesMax: OfferLimits.programmeBytesMax, into: &changes)
        if let disciplines = revise.disciplines { changes["disciplines"] = try QuestionDecider.ids("disciplines", disciplines, taxonomy.disciplineVocabulary) }
        if let themes = revise.themes { changes["themes"] = try QuestionDecider.ids("themes", themes, taxonomy.themeVocabulary) }
        if let period = revise.period {
            try checkPeriod(period)
            changes["period"] = ["from": .string(period.window.from), "to": .string(period.window.to), "label": period.label.map { .string($0) } ?? .null]
        }
        if revise.capacity != nil || revise.teamSize != nil {
            try checkCapacity(revise.capacity ?? offer.capacity, teamSize: revise.teamSize)
            if let capacity = revise.capacity { changes["capacity"] = .integer(Int64(capacity)) }
            if let teamSize = revise.teamSize { changes["teamSize"] = .integer(Int64(teamSize)) }
        }
        if let template = revise.milestones {
            try ProgressDecider.checkTemplate(template)
            changes["milestones"] = .array(template.map(\.json))
        }
        guard !changes.isEmpty else { throw .validation("params", "nothing to revise: give at least one field") }
        var overlay = CollaborationDecider.Overlay()
        if let capacity = revise.capacity { overlay.offerCapacity[revise.id] = capacity }
        let implied = CollaborationDecider.settled([], state: state, questions: [], offers: [revise.id], overlay: overlay).map(DomainEvent.collaboration)
        return Decision(events: [.offerRevised(id: revise.id, changes: .object(changes))] + implied, personalData: [:], entityID: revise.id)
    }

    static func existing(_ id: String, state: DomainState, expectedVersion: Int?, issuer: CommandIssuer) throws(DomainError) -> Offer {
        guard let offer = state.offers[id] else { throw .notFound(id) }
        guard issuer.mayManageOffers(of: offer.institution) else {
            throw DomainError(.forbidden, "an educator of \(issuer.institution ?? "no institution") may not change offers of \(offer.institution)")
        }
        if let expectedVersion, expectedVersion != offer.version {
            throw DomainError(.conflict, "\(id) is at version \(offer.version), not \(expectedVersion)", state: offer.status.rawValue)
        }
        return offer
    }

    static func checkPeriod(_ period: Period) throws(DomainError) {
        guard DateWindow.isDate(period.window.from) else { throw .validation("period.from", "expected a date like 2027-02-01") }
        guard DateWindow.isDate(period.window.to) else { throw .validation("period.to", "expected a date like 2027-06-30") }
        guard period.window.from <= period.window.to else { throw .validation("period", "from is after to") }
        if let label = period.label { try Decider.checkText("period.label", label, bytesMax: OfferLimits.periodLabelBytesMax) }
    }

    static func checkCapacity(_ capacity: Int, teamSize: Int?) throws(DomainError) {
        guard (1...OfferLimits.capacityMax).contains(capacity) else { throw .validation("capacity", "must be 1 to \(OfferLimits.capacityMax)") }
        if let teamSize, !(1...OfferLimits.teamSizeMax).contains(teamSize) {
            throw .validation("teamSize", "must be 1 to \(OfferLimits.teamSizeMax)")
        }
    }
}
