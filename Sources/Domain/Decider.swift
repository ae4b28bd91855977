import LMDSJSON

/// `question.submit`'s content.
public struct SubmitQuestion: Sendable, Hashable {
    public var title: String
    public var description: String
    public var requesterKind: String
    public var organisation: String?
    public var contact: ContactDetails
    public var neighbourhood: String
    public var themes: [String]
    public var disciplines: [String]
    public var levels: [String]
    public var window: DateWindow?
    public var size: String?
    /// The requester opted in to e-mail about their question (`requester.notify`).
    public var notify = false
    /// The contact the requester already is, found by the core in the personal table's lookup
    /// (`ContactLookup`) from the e-mail address or phone number given, right before deciding (whatever the
    /// caller gave); nil: a new contact.
    public var knownContact: String? = nil

    public init(
        title: String, description: String, requesterKind: String, organisation: String?, contact: ContactDetails,
        neighbourhood: String, themes: [String], disciplines: [String], levels: [String], window: DateWindow?, size: String?
    ) {
        self.title = title
        self.description = description
        self.requesterKind = requesterKind
        self.organisation = organisation
        self.contact = contact
        self.neighbourhood = neighbourhood
        self.themes = themes
        self.disciplines = disciplines
        self.levels = levels
        self.window = window
        self.size = size
    }
}

/// `question.revise`'s content: only the fields given change.
public struct ReviseQuestion: Sendable, Hashable {
    public var id: String
    public var title: String?
    public var description: String?
    public var neighbourhood: String?
    public var themes: [String]?
    public var disciplines: [String]?
    public var levels: [String]?
    public var window: DateWindow?
    public var size: String?
    public var expectedVersion: Int?

    public init(id: String) {
        self.id = id
    }
}

/// Facts, past tense: what the log stores and every view is rebuilt from.
public enum DomainEvent: Sendable, Hashable {
    case questionSubmitted(Question)
    case questionAccepted(id: String, title: String?, description: String?)
    case questionRejected(id: String, reason: String)
    case questionRevised(id: String, changes: JSONValue)
    case questionReferred(id: String, to: String, reason: String)
    case questionWithdrawn(id: String, reason: String)
    case personalDataErased(contact: String)
    case offerPublished(Offer)
    case offerRevised(id: String, changes: JSONValue)
    case offerClosed(id: String, reason: String?)
    case offerWithdrawn(id: String, reason: String)
    /// Proposals, matches, outcomes and follow-ups, and what they do to questions and offers.
    case collaboration(CollaborationEvent)
    /// Questions marked public for the showcase site, or unmarked.
    case publication(PublicationEvent)
    /// Owners of questions and internal notes.
    case desk(DeskEvent)
    /// Milestones, check-ins and feedback of matches.
    case progress(ProgressEvent)
    /// Reminders raised, acknowledged and resolved.
    case reminder(ReminderEvent)
    /// Deliveries of notifications recorded.
    case notification(NotificationEvent)
    /// Questions merged or split.
    case lineage(LineageEvent)
    /// Partner organisations registered, revised or merged.
    case organisation(OrganisationEvent)

    /// The event type as stored.
    public var type: String {
        switch self {
        case .questionSubmitted: return "QuestionSubmitted"
        case .questionAccepted: return "QuestionAccepted"
        case .questionRejected: return "QuestionRejected"
        case .questionRevised: return "QuestionRevised"
        case .questionReferred: return "QuestionReferred"
        case .questionWithdrawn: return "QuestionWithdrawn"
        case .personalDataErased: return "PersonalDataErased"
        case .offerPublished: return "OfferPublished"
        case .offerRevised: return "OfferRevised"
        case .offerClosed: return "OfferClosed"
        case .offerWithdrawn: return "OfferWithdrawn"
        case .collaboration(let event): return event.type
        case .publication(let event): return event.type
        case .desk(let event): return event.type
        case .progress(let event): return event.type
        case .reminder(let event): return event.type
        case .notification(let event): return event.type
        case .lineage(let event): return event.type
        case .organisation(let event): return event.type
        }
    }

    /// The ids it concerns, for history queries.
    public var entityIDs: [String] {
        switch self {
        case .questionSubmitted(let question):
            return [question.id] + (question.requester.contact.map { [$0] } ?? []) + (question.followUpOf.map { [$0] } ?? [])
        case .questionAccepted(let id, _, _), .questionRejected(let id, _), .questionRevised(let id, _),
            .questionReferred(let id, _, _), .questionWithdrawn(let id, _):
            return [id]
        case .personalDataErased(let contact): return [contact]
        case .offerPublished(let offer): return [offer.id] + (offer.contact.map { [$0] } ?? [])
        case .offerRevised(let id, _), .offerClosed(let id, _), .offerWithdrawn(let id, _): return [id]
        case .collaboration(let event): return event.entityIDs
        case .publication(let event): return event.entityIDs
        case .desk(let event): return event.entityIDs
        case .progress(let event): return event.entityIDs
        case .reminder(let event): return event.entityIDs
        case .notification(let event): return event.entityIDs
        case .lineage(let event): return event.entityIDs
        case .organisation(let event): return event.entityIDs
        }
    }

    /// The event's data as stored (schema version 1). Never holds names, e-mail addresses or phone numbers.
    public var data: JSONValue {
        switch self {
        case .questionSubmitted(let question):
            var json = question.json.objectValue ?? [:]
            json.removeValue(forKey: "status")
            json.removeValue(forKey: "version")
            json.removeValue(forKey: "closingReason")
            json.removeValue(forKey: "referredTo")
            if question.followUpOf == nil { json.removeValue(forKey: "followUpOf") }
            return .object(json)
        case .questionAccepted(let id, let title, let description):
            return ["id": .string(id), "title": title.map { .string($0) } ?? .null, "description": description.map { .string($0) } ?? .null]
        case .questionRejected(let id, let reason): return ["id": .string(id), "reason": .string(reason)]
        case .questionRevised(let id, let changes): return ["id": .string(id), "changes": changes]
        case .questionReferred(let id, let to, let reason): return ["id": .string(id), "to": .string(to), "reason": .string(reason)]
        case .questionWithdrawn(let id, let reason): return ["id": .string(id), "reason": .string(reason)]
        case .personalDataErased(let contact): return ["contact": .string(contact)]
        case .offerPublished(let offer):
            var json = offer.json.objectValue ?? [:]
            for key in ["status", "version", "closingReason"] { json.removeValue(forKey: key) }
            return .object(json)
        case .offerRevised(let id, let changes): return ["id": .string(id), "changes": changes]
        case .offerClosed(let id, let reason): return ["id": .string(id), "reason": reason.map { .string($0) } ?? .null]
        case .offerWithdrawn(let id, let reason): return ["id": .string(id), "reason": .string(reason)]
        case .collaboration(let event): return event.data
        case .publication(let event): return event.data
        case .desk(let event): return event.data
        case .progress(let event): return event.data
        case .reminder(let event): return event.data
        case .notification(let event): return event.data
        case .lineage(let event): return event.data
        case .organisation(let event): return event.data
        }
    }

    /// Reads a stored event back; `nil` for types this module does not project (system events such as
    /// `BackupTaken`) or data that does not fit.
    public init?(type: String, data: JSONValue) {
        func string(_ key: String) -> String? { data[key]?.stringValue }
        switch type {
        case "QuestionSubmitted":
            guard let id = string("id"), let title = string("title"), let description = string("description"),
                let requester = data["requester"], let kind = requester["kind"]?.stringValue,
                let district = data["neighbourhood"]?["district"]?.stringValue, let submitted = data["submittedAt"]?.integerValue
            else { return nil }
            func list(_ key: String) -> [String] { (data[key]?.arrayValue ?? []).compactMap(\.stringValue) }
            var window: DateWindow?
            if let from = data["window"]?["from"]?.stringValue, let to = data["window"]?["to"]?.stringValue {
                window = DateWindow(from: from, to: to)
            }
            self = .questionSubmitted(Question(
                id: id, status: .submitted, title: title, description: description,
                requester: Requester(kind: kind, organisation: requester["organisation"]?.stringValue, contact: requester["contact"]?.stringValue,
                                     notify: requester["notify"]?.boolValue ?? false, organisationID: requester["organisationId"]?.stringValue,
                                     organisationRegistered: requester["organisationRegistered"]?.boolValue ?? false),
                neighbourhood: Taxonomy.Place(district: district, wijk: data["neighbourhood"]?["wijk"]?.stringValue),
                themes: list("themes"), disciplines: list("disciplines"), levels: list("levels"), window: window,
                size: string("size") ?? "medium", submittedMs: submitted, closingReason: nil, referredTo: nil, version: 1,
                followUpOf: string("followUpOf")))
        case "QuestionAccepted":
            guard let id = string("id") else { return nil }
            self = .questionAccepted(id: id, title: string("title"), description: string("description"))
        case "QuestionRejected":
            guard let id = string("id"), let reason = string("reason") else { return nil }
            self = .questionRejected(id: id, reason: reason)
        case "QuestionRevised":
            guard let id = string("id"), let changes = data["changes"] else { return nil }
            self = .questionRevised(id: id, changes: changes)
        case "QuestionReferred":
            guard let id = string("id"), let to = string("to"), let reason = string("reason") else { return nil }
            self = .questionReferred(id: id, to: to, reason: reason)
        case "QuestionWithdrawn":
            guard let id = string("id"), let reason = string("reason") else { return nil }
            self = .questionWithdrawn(id: id, reason: reason)
        case "PersonalDataErased":
            guard let contact = string("contact") else { return nil }
            self = .personalDataErased(contact: contact)
        case "OfferPublished":
            guard let offer = Offer(json: data) else { return nil }
            self = .offerPublished(offer)
        case "OfferRevised":
            guard let id = string("id"), let changes = data["changes"] else { return nil }
            self = .offerRevised(id: id, changes: changes)
        case "OfferClosed":
            guard let id = string("id") else { return nil }
            self = .offerClosed(id: id, reason: string("reason"))
        case "OfferWithdrawn":
            guard let id = string("id"), let reason = string("reason") else { return nil }
            self = .offerWithdrawn(id: id, reason: reason)
        default:
            if let event = PublicationEvent(type: type, data: data) {
                self = .publication(event)
                return
            }
            if let event = DeskEvent(type: type, data: data) {
                self = .desk(event)
                return
            }
            if let event = CollaborationEvent(type: type, data: data) {
                self = .collaboration(event)
            } else if let event = ProgressEvent(type: type, data: data) {
                self = .progress(event)
            } else if let event = ReminderEvent(type: type, data: data) {
                self = .reminder(event)
            } else if let event = NotificationEvent(type: type, data: data) {
                self = .notification(event)
            } else if let event = LineageEvent(type: type, data: data) {
                self = .lineage(event)
            } else if let event = OrganisationEvent(type: type, data: data) {
                self = .organisation(event)
            } else {
                return nil
            }
        }
    }
}

/// The domain's state: what `decide` judges against and the read models answer from.
public struct DomainState: Sendable, Hashable {
    public internal(set) var questions: [String: Question] = [:]
    public internal(set) var offers: [String: Offer] = [:]
    public internal(set) var proposals: [String: Proposal] = [:]
    public internal(set) var matches: [String: Match] = [:]
    public internal(set) var outcomes: [String: Outcome] = [:]
    /// Numbers handed out so far: ids are assigned deterministically from these.
    public private(set) var questionCount = 0
    public private(set) var offerCount = 0
    public internal(set) var proposalCount = 0
    public internal(set) var matchCount = 0
    public internal(set) var outcomeCount = 0
    /// Contact ids handed out so far (a follow-up question shares its requester's).
    public private(set) var contacts: Set<String> = []
    public var contactCount: Int { contacts.count }
    /// Links kept with every event so that a decision never scans every proposal or match: a question's
    /// and an offer's proposals, matches and outcomes (ids in order), and the proposals still waiting.
    public internal(set) var proposalsByQuestion: [String: [String]] = [:]
    public internal(set) var proposalsByOffer: [String: [String]] = [:]
    public internal(set) var matchesByQuestion: [String: [String]] = [:]
    public internal(set) var matchesByOffer: [String: [String]] = [:]
    public internal(set) var outcomesByQuestion: [String: [String]] = [:]
    public internal(set) var outcomesByOffer: [String: [String]] = [:]
    public internal(set) var pendingProposals: Set<String> = []
    /// Contacts whose personal data was erased.
    public private(set) var erasedContacts: Set<String> = []
    /// The questions marked public for the showcase site.
    public internal(set) var publication = PublicationState()
    /// Owners of questions and notes (`Desk.swift`).
    public internal(set) var desk = DeskState()
    /// Milestones, check-ins and feedback per match.
    public internal(set) var progress = ProgressState()
    /// Reminders raised, acknowledged and resolved.
    public internal(set) var reminders = ReminderState()
    /// Deliveries recorded by the notifier.
    public internal(set) var notifications = NotificationState()
    /// Merged and split questions (`Lineage.swift`).
    public internal(set) var lineage = LineageState()
    /// Partner organisations (`Organisations.swift`).
    public internal(set) var organisations = OrganisationState()

    public init() {}

    /// Sets what only `apply` sets otherwise, for a state restored from a snapshot (`StateSnapshot.swift`).
    mutating func restore(questionCount: Int, offerCount: Int, contacts: Set<String>, erasedContacts: Set<String>) {
        self.questionCount = questionCount
        self.offerCount = offerCount
        self.contacts = contacts
        self.erasedContacts = erasedContacts
    }

    /// Applies one event: little more than setting fields; all judgement is in `Decider`.
    public mutating func apply(_ event: DomainEvent) {
        reminders.watch(event)
        switch event {
        case .questionSubmitted(let question):
            questions[question.id] = question
            questionCount += 1
            organisations.registerIfCarried(by: question)
            if let contact = question.requester.contact { contacts.insert(contact) }
        case .questionAccepted(let id, let title, let description):
            update(id) { question in
                question.status = .open
                if let title { question.title = title }
                if let description { question.description = description }
            }
        case .questionRejected(let id, let reason):
            update(id) { $0.status = .rejected; $0.closingReason = reason }
        case .questionRevised(let id, let changes):
            update(id) { question in
                if let title = changes["title"]?.stringValue { question.title = title }
                if let description = changes["description"]?.stringValue { question.description = description }
                if let district = changes["neighbourhood"]?["district"]?.stringValue {
                    question.neighbourhood = Taxonomy.Place(district: district, wijk: changes["neighbourhood"]?["wijk"]?.stringValue)
                }
                if let themes = changes["themes"]?.arrayValue { question.themes = themes.compactMap(\.stringValue) }
                if let disciplines = changes["disciplines"]?.arrayValue { question.disciplines = disciplines.compactMap(\.stringValue) }
                if let levels = changes["levels"]?.arrayValue { question.levels = levels.compactMap(\.stringValue) }
                if let from = changes["window"]?["from"]?.stringValue, let to = changes["window"]?["to"]?.stringValue {
                    question.window = DateWindow(from: from, to: to)
                }
                if let size = changes["size"]?.stringValue { question.size = size }
            }
        case .questionReferred(let id, let to, let reason):
            update(id) { $0.status = .referred; $0.referredTo = to; $0.closingReason = reason }
        case .questionWithdrawn(let id, let reason):
            update(id) { $0.status = .withdrawn; $0.closingReason = reason }
        case .personalDataErased(let contact):
            erasedContacts.insert(contact)
        case .offerPublished(let offer):
            offers[offer.id] = offer
            offerCount += 1
            if let contact = offer.contact { contacts.insert(contact) }
        case .offerRevised(let id, let changes):
            updateOffer(id) { offer in
                if let title = changes["title"]?.stringValue { offer.title = title }
                if let description = changes["description"]?.stringValue { offer.description = description }
                if let programme = changes["programme"]?.stringValue { offer.programme = programme }
                if let disciplines = changes["disciplines"]?.arrayValue { offer.disciplines = disciplines.compactMap(\.stringValue) }
                if let themes = changes["themes"]?.arrayValue { offer.themes = themes.compactMap(\.stringValue) }
                if let from = changes["period"]?["from"]?.stringValue, let to = changes["period"]?["to"]?.stringValue {
                    offer.period = Period(window: DateWindow(from: from, to: to), label: changes["period"]?["label"]?.stringValue)
                }
                if let capacity = changes["capacity"]?.integerValue { offer.capacity = Int(capacity) }
                if let teamSize = changes["teamSize"]?.integerValue { offer.teamSize = Int(teamSize) }
                if let template = changes["milestones"]?.arrayValue { offer.milestoneTemplate = template.compactMap(MilestoneTemplate.init(json:)) }
            }
        case .offerClosed(let id, let reason):
            updateOffer(id) { $0.status = .closed; $0.closingReason = reason }
        case .offerWithdrawn(let id, let reason):
            updateOffer(id) { $0.status = .withdrawn; $0.closingReason = reason }
        case .collaboration(let event):
            apply(event)
        case .publication(let event):
            publication.apply(event)
        case .desk(let event):
            apply(event)
        case .progress(let event):
            progress.apply(event)
        case .reminder(let event):
            reminders.apply(event)
        case .notification(let event):
            notifications.apply(event)
        case .lineage(let event):
            apply(event)
        case .organisation(let event):
            apply(event)
        }
    }

    private mutating func updateOffer(_ id: String, _ change: (inout Offer) -> Void) {
        Self.update(&offers, id, version: \.version, change)
    }

    /// The id the next offer gets: `O-0001`, ...
    public var nextOfferID: String { Self.format("O", offerCount + 1) }

    private mutating func update(_ id: String, _ change: (inout Question) -> Void) {
        Self.update(&questions, id, version: \.version, change)
    }

    /// Changes one entity of a table and counts the event in its version; unknown ids are ignored
    /// (`decide` never lets an event for one through).
    static func update<Entity>(
        _ table: inout [String: Entity], _ id: String, version: WritableKeyPath<Entity, Int>, _ change: (inout Entity) -> Void
    ) {
        guard var entity = table[id] else { return }
        change(&entity)
        entity[keyPath: version] += 1
        table[id] = entity
    }

    /// The id the next question gets: `Q-0001`, `Q-0002`, ... (more digits past 9999).
    public var nextQuestionID: String { Self.format("Q", questionCount + 1) }
    /// The id the next contact gets.
    public var nextContactID: String { Self.format("C", contactCount + 1) }
    /// The ids the next proposal, match and outcome get.
    public var nextProposalID: String { Self.format("P", proposalCount + 1) }
    public var nextMatchID: String { Self.format("M", matchCount + 1) }
    public var nextOutcomeID: String { Self.format("R", outcomeCount + 1) }

    static func format(_ prefix: String, _ number: Int) -> String { EntityID.make(prefix, number) }

    /// Whether `contact` was handed out by some question or offer.
    public func knowsContact(_ contact: String) -> Bool {
        contacts.contains(contact)
    }
}

/// What a command decided: the events to append (atomically), personal data to store alongside them, and
/// the id of the entity the reply is about.
public struct Decision: Sendable, Hashable {
    public let events: [DomainEvent]
    /// Personal records to put or erase (`nil`) in the personal table, keyed by contact, note or comment id.
    public let personalData: [String: PersonalRecord?]
    public let entityID: String
}

/// The pure decider: `decide(command, state) -> events` or a typed error. No clock, no I/O: the time
/// comes in with the command, ids are derived from the state.
public enum Decider {
    /// Decides a command against the state and the city's taxonomy.
    /// - Throws: `DomainError`: not found, conflict (wrong state or version), validation (with the field).
    public static func decide(
        _ command: Command, state: DomainState, taxonomy: Taxonomy, nowMs: Int64, issuer: CommandIssuer = .staff,
        policy: DomainPolicy = .default
    ) throws(DomainError) -> Decision {
        let context = DecisionContext(taxonomy: taxonomy, nowMs: nowMs, issuer: issuer, policy: policy)
        var decision: Decision
        switch command {
        case .question(let command): decision = try QuestionDecider.decide(command, state: state, context)
        case .offer(let command): decision = try OfferDecider.decide(command, state: state, context)
        case .proposal(let command): decision = try CollaborationDecider.decide(command, state: state, context)
        case .match(let command): decision = try CollaborationDecider.decide(command, state: state, context)
        case .outcome(let command): decision = try OutcomeDecider.decide(command, state: state, context)
        case .contact(let command): decision = try ContactDecider.decide(command, state: state)
        case .publication(let command): decision = try PublicationDecider.decide(command, state: state)
        case .desk(let command): decision = try DeskDecider.decide(command, state: state, context)
        case .progress(let command): decision = try ProgressDecider.decide(command, state: state, context)
        case .reminder(let command): decision = try ReminderDecider.decide(command, state: state, context)
        case .notification(let command): decision = try NotificationDecider.decide(command, state: state, context)
        case .lineage(let command): decision = try LineageDecider.decide(command, state: state, context)
        case .organisation(let command): decision = try OrganisationDecider.decide(command, state: state, context)
        case .importBatch(let commands):
            decision = try decideBatch(commands, state: state, taxonomy: taxonomy, nowMs: nowMs, issuer: issuer, policy: policy)
        }
        // The reminders its events answer are resolved in the same append (an import's rows, each decided
        // here, already were).
        if !command.isBatch { decision = ReminderDecider.resolving(decision, state: state, nowMs: nowMs) }
        // What every decision guarantees: an entity the reply is about, unless it decided nothing (an expiry
        // with nothing due), and personal data only for the contacts its events name.
        assert(!decision.entityID.isEmpty || decision.events.isEmpty, "a decision with events names the entity its reply is about")
        assert(decision.personalData.keys.allSatisfy { key in ContactLookup.isLookup(key) || decision.events.contains { $0.entityIDs.contains(key) } },
               "personal data is stored only for contacts the decided events refer to (and their lookup keys)")
        return decision
    }

    /// The most rows one import may hold: bounds the append and the reply.
    public static let importRowsMax = 1_000

    /// Each command of a batch decided on the state the ones before it leave: the decisions (or the
    /// refusal) per command, in order. `importBatch` appends them only if none was refused. A submission
    /// that found no contact is linked to the one an earlier command made with one of its keys.
    public static func decideEach(
        _ commands: [Command], state: DomainState, taxonomy: Taxonomy, nowMs: Int64, issuer: CommandIssuer = .staff, policy: DomainPolicy = .default
    ) -> [Result<Decision, DomainError>] {
        var next = state
        // The lookup keys of the contacts the commands before made (`ContactLookup`): two rows with one new
        // address are one contact.
        var lookups = PendingLookups()
        return commands.map { given in
            if case .importBatch = given { return .failure(.validation("rows", "an import cannot contain an import")) }
            let command = ContactLookup.linking(given, to: lookups)
            do throws(DomainError) {
                let decision = try decide(command, state: next, taxonomy: taxonomy, nowMs: nowMs, issuer: issuer, policy: policy)
                for event in decision.events { next.apply(event) }
                _ = lookups.record(decision)
                return .success(decision)
            } catch {
                return .failure(error)
            }
        }
    }

    static func decideBatch(
        _ commands: [Command], state: DomainState, taxonomy: Taxonomy, nowMs: Int64, issuer: CommandIssuer, policy: DomainPolicy
    ) throws(DomainError) -> Decision {
        guard !commands.isEmpty else { throw .validation("rows", "nothing to import") }
        guard commands.count <= importRowsMax else { throw .validation("rows", "at most \(importRowsMax) rows at once") }
        var events: [DomainEvent] = []
        var personal: [String: PersonalRecord?] = [:]
        for (index, result) in decideEach(commands, state: state, taxonomy: taxonomy, nowMs: nowMs, issuer: issuer, policy: policy).enumerated() {
            switch result {
            case .success(let decision):
                events += decision.events
                personal.merge(decision.personalData) { _, new in new }
            case .failure(let error):
                // The first refused row names itself; a dry run lists them all.
                throw DomainError(error.code, "rows[\(index)]: \(error.message)", field: "rows[\(index)]" + (error.field.map { "." + $0 } ?? ""),
                                  state: error.state, entityID: error.entityID, details: error.details)
            }
        }
        return Decision(events: events, personalData: personal, entityID: events.first?.entityIDs.first ?? "")
    }

    /// Checks `text` when a revision gives it, and records it under `field` in `changes`.
    static func revisedText(_ field: String, _ text: String?, bytesMax: Int, into changes: inout [String: JSONValue]) throws(DomainError) {
        guard let text else { return }
        try checkText(field, text, bytesMax: bytesMax)
        changes[field] = .string(text)
    }

    static func checkText(_ field: String, _ text: String, bytesMax: Int) throws(DomainError) {
        guard !text.allSatisfy(\.isWhitespace) else { throw .validation(field, "must not be empty") }
        guard text.utf8.count <= bytesMax else { throw .validation(field, "longer than \(bytesMax) bytes") }
    }

    /// The ids of the entries `values` name (by id or label, folded), each at most once.
    static func checkList(_ field: String, _ values: [String], _ vocabulary: Vocabulary) throws(DomainError) -> [String] {
        guard values.count <= QuestionLimits.listEntriesMax else { throw .validation(field, "at most \(QuestionLimits.listEntriesMax) entries") }
        var ids: [String] = []
        for value in values { ids.append(try vocabulary.resolve(value, field: field)) }
        guard Set(ids).count == ids.count else { throw .validation(field, "lists an entry twice") }
        return ids
    }

    static func checkWindow(_ window: DateWindow) throws(DomainError) {
        guard DateWindow.isDate(window.from) else { throw .validation("window.from", "expected a date like 2026-09-01") }
        guard DateWindow.isDate(window.to) else { throw .validation("window.to", "expected a date like 2027-01-31") }
        guard window.from <= window.to else { throw .validation("window", "from is after to") }
    }
}
