import LMDSJSON

/// Partner organisations as records (issue 11): a requester's organisation is a `G-` record with a kind,
/// a neighbourhood and a website, instead of free text on each question. Duplicates merge into a survivor;
/// the merged record stays (its history too) and points to the survivor.
public enum OrganisationCommand: Sendable, Hashable {
    case register(RegisterOrganisation)
    /// Changes the fields given (nil: unchanged); `website` may be cleared with an empty string.
    case revise(ReviseOrganisation)
    /// `from` becomes merged into `into`; `expectedVersion` is the survivor's.
    case merge(into: String, from: String, reason: String, expectedVersion: Int?)
    /// Links the free-text organisations of questions submitted before organisations were records to records
    /// (registering those no record has), at most `OrganisationLimits.adoptedQuestionsMax` questions per append.
    case adopt
}

/// `organisation.register`'s params.
public struct RegisterOrganisation: Sendable, Hashable {
    public var name: String
    /// A kind's id or Dutch label (`OrganisationKind`).
    public var kind: String
    /// A district or wijk, by id or label.
    public var neighbourhood: String?
    public var website: String?

    public init(name: String, kind: String, neighbourhood: String?, website: String?) {
        self.name = name
        self.kind = kind
        self.neighbourhood = neighbourhood
        self.website = website
    }
}

/// `organisation.revise`'s params: nil leaves a field as it is.
public struct ReviseOrganisation: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var kind: String?
    public var neighbourhood: String?
    public var website: String?
    public var expectedVersion: Int?

    public init(id: String, name: String?, kind: String?, neighbourhood: String?, website: String?, expectedVersion: Int?) {
        self.id = id
        self.name = name
        self.kind = kind
        self.neighbourhood = neighbourhood
        self.website = website
        self.expectedVersion = expectedVersion
    }
}

/// The kinds of partner organisation, with stable ids and the Dutch labels people read.
public enum OrganisationKind: String, Sendable, Hashable, CaseIterable {
    case residentGroup = "resident-group"
    case foundationOrAssociation = "foundation-or-association"
    case municipality
    case company
    case school
    case careOrWelfare = "care-or-welfare"
    case housingCorporation = "housing-corporation"
    case other

    /// The Dutch label.
    public var label: String {
        switch self {
        case .residentGroup: return "Bewonersgroep"
        case .foundationOrAssociation: return "Stichting of vereniging"
        case .municipality: return "Gemeente"
        case .company: return "Bedrijf"
        case .school: return "School"
        case .careOrWelfare: return "Zorg- of welzijnsorganisatie"
        case .housingCorporation: return "Woningcorporatie"
        case .other: return "Anders"
        }
    }

    /// The kind an organisation registered from a submission gets from the requester's kind (a group is a
    /// resident group; an organisation or a resident, `other`): a coordinator may revise it.
    public init(requesterKind: String) {
        switch requesterKind {
        case "group": self = .residentGroup
        case "municipality": self = .municipality
        case "company": self = .company
        default: self = .other
        }
    }

    /// The kinds as a vocabulary: named by id or label, folded.
    public static let vocabulary = Vocabulary(noun: "kind of organisation", terms: allCases.map { Vocabulary.Term(id: $0.rawValue, label: $0.label) })
}

/// Limits on organisations' fields: each bounds what every list and history carries.
public enum OrganisationLimits {
    public static let nameBytesMax = 200
    public static let websiteBytesMax = 500
    /// Questions `organisation.adopt` links in one append: bounds the append (two events per question at
    /// most); a larger log takes another call.
    public static let adoptedQuestionsMax = 2_000
}

/// A partner organisation as the read models hold it.
public struct Organisation: Sendable, Hashable {
    public let id: String
    public var name: String
    public var kind: OrganisationKind
    public var neighbourhood: Taxonomy.Place?
    public var website: String?
    public let registeredMs: Int64
    /// The survivor it was merged into; nil while it is a record of its own.
    public var mergedInto: String?
    public var version: Int

    public init(id: String, name: String, kind: OrganisationKind, neighbourhood: Taxonomy.Place?, website: String?, registeredMs: Int64,
                mergedInto: String? = nil, version: Int = 1) {
        self.id = id
        self.name = name
        self.kind = kind
        self.neighbourhood = neighbourhood
        self.website = website
        self.registeredMs = registeredMs
        self.mergedInto = mergedInto
        self.version = version
    }

    /// `registered`, or `merged` once merged into another.
    public var status: String { mergedInto == nil ? "registered" : "merged" }

    /// The organisation as `organisation.get` shows it (and the digest holds it); times in milliseconds.
    public var json: JSONValue {
        ["id": .string(id), "name": .string(name), "kind": .string(kind.rawValue), "kindLabel": .string(kind.label),
         "neighbourhood": neighbourhood.map(Self.placeJSON) ?? .null, "website": website.map { .string($0) } ?? .null,
         "registeredAt": .integer(registeredMs), "status": .string(status), "mergedInto": mergedInto.map { .string($0) } ?? .null,
         "version": .integer(Int64(version))]
    }

    static func placeJSON(_ place: Taxonomy.Place) -> JSONValue {
        ["district": .string(place.district), "wijk": place.wijk.map { .string($0) } ?? .null]
    }

    static func place(_ json: JSONValue?) -> Taxonomy.Place? {
        guard let district = json?["district"]?.stringValue else { return nil }
        return Taxonomy.Place(district: district, wijk: json?["wijk"]?.stringValue)
    }

    /// Reads `json` back (the event's data, or the digest's form).
    init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let name = json["name"]?.stringValue,
              let kind = json["kind"]?.stringValue.flatMap(OrganisationKind.init(rawValue:)),
              let registered = json["registeredAt"]?.integerValue
        else { return nil }
        self.init(id: id, name: name, kind: kind, neighbourhood: Self.place(json["neighbourhood"]), website: json["website"]?.stringValue,
                  registeredMs: registered, mergedInto: json["mergedInto"]?.stringValue, version: Int(json["version"]?.integerValue ?? 1))
    }
}

/// The facts about organisations.
public enum OrganisationEvent: Sendable, Hashable {
    case organisationRegistered(Organisation)
    /// `changes` holds only the fields that changed (`name`, `kind`, `neighbourhood`, `website`; null clears).
    case organisationRevised(id: String, changes: JSONValue)
    case organisationMerged(id: String, into: String, reason: String)
    /// A question's free-text organisation linked to a record (`organisation.adopt`).
    case requesterOrganisationLinked(question: String, organisation: String)
    /// A duplicate contact joined into the person's contact (`person.merge`): the partners' people.
    case contactsMerged(id: String, into: String)

    public var type: String {
        switch self {
        case .organisationRegistered: return "OrganisationRegistered"
        case .organisationRevised: return "OrganisationRevised"
        case .organisationMerged: return "OrganisationMerged"
        case .requesterOrganisationLinked: return "RequesterOrganisationLinked"
        case .contactsMerged: return "ContactsMerged"
        }
    }

    /// A merge concerns the survivor first (the reply is about it) and the merged one: both histories show it.
    public var entityIDs: [String] {
        switch self {
        case .organisationRegistered(let organisation): return [organisation.id]
        case .organisationRevised(let id, _): return [id]
        case .organisationMerged(let id, let into, _): return [into, id]
        case .requesterOrganisationLinked(let question, let organisation): return [organisation, question]
        case .contactsMerged(let id, let into): return [into, id]
        }
    }

    public var data: JSONValue {
        switch self {
        case .organisationRegistered(let organisation):
            var json = organisation.json.objectValue ?? [:]
            for key in ["status", "mergedInto", "version", "kindLabel"] { json.removeValue(forKey: key) }
            return .object(json)
        case .organisationRevised(let id, let changes): return ["id": .string(id), "changes": changes]
        case .organisationMerged(let id, let into, let reason): return ["id": .string(id), "into": .string(into), "reason": .string(reason)]
        case .requesterOrganisationLinked(let question, let organisation): return ["question": .string(question), "organisation": .string(organisation)]
        case .contactsMerged(let id, let into): return ["id": .string(id), "into": .string(into)]
        }
    }

    public init?(type: String, data: JSONValue) {
        switch type {
        case "OrganisationRegistered":
            guard let organisation = Organisation(json: data) else { return nil }
            self = .organisationRegistered(organisation)
        case "OrganisationRevised":
            guard let id = data["id"]?.stringValue, let changes = data["changes"] else { return nil }
            self = .organisationRevised(id: id, changes: changes)
        case "OrganisationMerged":
            guard let id = data["id"]?.stringValue, let into = data["into"]?.stringValue, let reason = data["reason"]?.stringValue else { return nil }
            self = .organisationMerged(id: id, into: into, reason: reason)
        case "RequesterOrganisationLinked":
            guard let question = data["question"]?.stringValue, let organisation = data["organisation"]?.stringValue else { return nil }
            self = .requesterOrganisationLinked(question: question, organisation: organisation)
        case "ContactsMerged":
            guard let id = data["id"]?.stringValue, let into = data["into"]?.stringValue else { return nil }
            self = .contactsMerged(id: id, into: into)
        default:
            return nil
        }
    }
}

/// The organisations' read model: the records, the survivors' merged records, and the folded names of the
/// records of their own (so that a name finds its record without a scan).
public struct OrganisationState: Sendable, Hashable {
    public internal(set) var organisations: [String: Organisation] = [:]
    /// The records merged into each survivor, in id order.
    public internal(set) var mergedFrom: [String: [String]] = [:]
    /// The record of its own that each folded name names.
    public internal(set) var byFoldedName: [String: String] = [:]
    /// Contacts merged into another (`person.merge`), and each survivor's merged contacts in id order.
    public internal(set) var contactMergedInto: [String: String] = [:]
    public internal(set) var contactMergedFrom: [String: [String]] = [:]

    public init() {}

    /// The id the next organisation gets: `G-0001`, ...
    public var nextID: String { EntityID.make("G", organisations.count + 1) }

    /// A name as names are compared: case and diacritics folded, runs of white space one space, trimmed.
    public static func foldedName(_ name: String) -> String {
        TextFolding.fold(name).split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The registered organisation of its own (not merged) that `name` names once folded, if any.
    public func named(_ name: String) -> Organisation? {
        byFoldedName[Self.foldedName(name)].flatMap { organisations[$0] }
    }

    /// Registers the organisation a submission carries (`Requester.organisationRegistered`), once.
    mutating func registerIfCarried(by question: Question) {
        let requester = question.requester
        guard requester.organisationRegistered, let id = requester.organisationID, let name = requester.organisation, organisations[id] == nil else { return }
        apply(.organisationRegistered(Organisation(id: id, name: name, kind: OrganisationKind(requesterKind: requester.kind), neighbourhood: nil,
                                                   website: nil, registeredMs: question.submittedMs)))
    }

    mutating func apply(_ event: OrganisationEvent) {
        switch event {
        case .organisationRegistered(let organisation):
            organisations[organisation.id] = organisation
            byFoldedName[Self.foldedName(organisation.name)] = organisation.id
        case .organisationRevised(let id, let changes):
            guard var organisation = organisations[id] else { return }
            if let name = changes["name"]?.stringValue {
                byFoldedName.removeValue(forKey: Self.foldedName(organisation.name))
                organisation.name = name
                byFoldedName[Self.foldedName(name)] = id
            }
            if let kind = changes["kind"]?.stringValue.flatMap(OrganisationKind.init(rawValue:)) { organisation.kind = kind }
            if let neighbourhood = changes["neighbourhood"] { organisation.neighbourhood = Organisation.place(neighbourhood) }
            if let website = changes["website"] { organisation.website = website.stringValue }
            organisation.version += 1
            organisations[id] = organisation
        case .organisationMerged(let id, let into, _):
            organisations[id]?.mergedInto = into
            organisations[id]?.version += 1
            organisations[into]?.version += 1
            mergedFrom[into, default: []].append(id)
            mergedFrom[into]?.sort(by: EntityID.precedes)
            if let name = organisations[id]?.name, byFoldedName[Self.foldedName(name)] == id { byFoldedName.removeValue(forKey: Self.foldedName(name)) }
        case .requesterOrganisationLinked:
            break  // The link is the question's (`DomainState.apply`).
        case .contactsMerged(let id, let into):
            contactMergedInto[id] = into
            contactMergedFrom[into, default: []].append(id)
            contactMergedFrom[into]?.sort(by: EntityID.precedes)
        }
    }

    /// The organisations as canonical JSON, for the read-model digest and the state snapshot.
    public var json: JSONValue {
        ["organisations": .array(organisations.keys.sorted(by: EntityID.precedes).map { organisations[$0]!.json }),
         "contactMerges": .array(contactMergedInto.keys.sorted(by: EntityID.precedes).map { [.string($0), .string(contactMergedInto[$0]!)] })]
    }

    /// A state restored from `json`; nil when it does not fit.
    init?(json: JSONValue) {
        guard let elements = json["organisations"]?.arrayValue, let merges = json["contactMerges"]?.arrayValue else { return nil }
        for merge in merges {
            guard let id = merge.arrayValue?.first?.stringValue, let into = merge.arrayValue?.last?.stringValue else { return nil }
            contactMergedInto[id] = into
            contactMergedFrom[into, default: []].append(id)
        }
        for into in contactMergedFrom.keys { contactMergedFrom[into]?.sort(by: EntityID.precedes) }
        for element in elements {
            guard let organisation = Organisation(json: element) else { return nil }
            organisations[organisation.id] = organisation
        }
        for organisation in organisations.values.sorted(by: { EntityID.precedes($0.id, $1.id) }) {
            if let into = organisation.mergedInto {
                mergedFrom[into, default: []].append(organisation.id)
            } else {
                byFoldedName[Self.foldedName(organisation.name)] = organisation.id
            }
        }
    }
}
