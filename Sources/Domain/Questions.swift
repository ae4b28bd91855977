import LMDSCalendar
import LMDSJSON

/// Where a question is in its life: `submitted → open` (intake accepted) `| rejected | referred`;
/// `open → matched → completed`; `withdrawn` from any state before completed.
public enum QuestionStatus: String, Sendable, Hashable, CaseIterable {
    case submitted, open, matched, completed, rejected, referred, withdrawn
    /// Merged into another question, or split into parts (`question.merge`, `question.split`): reports count
    /// it once, as the survivor or the parts.
    case merged, split

    /// Whether nothing can happen to the question any more.
    public var isFinal: Bool { [.completed, .rejected, .referred, .withdrawn, .merged, .split].contains(self) }

    /// Whether another question (the survivor) or others (the parts) stand for it, so that reports leave it out.
    public var isReplaced: Bool { self == .merged || self == .split }

    /// The statuses reports count questions in: all but `merged` and `split`.
    public static let counted = allCases.filter { !$0.isReplaced }
}

/// Who asks: the kind of requester, their organisation, and a reference to their contact details, which
/// live in the personal table, never in the log (DESIGN.md section 4).
public struct Requester: Sendable, Hashable {
    /// resident, group, organisation, municipality or company.
    public let kind: String
    public let organisation: String?
    /// `C-0001`: the key of the person's details in the personal table, when any were given.
    public let contact: String?
    /// Whether they asked, at submission, to be told by e-mail when their question is accepted, referred,
    /// matched, started and completed (`requester.notify`; the notifier, never after an erasure).
    public let notify: Bool
    /// The registered organisation (`G-0001`) the requester's organisation is linked to; nil for free text
    /// in a log from before organisations were records, until `organisation.adopt` links it.
    public internal(set) var organisationID: String?
    /// Whether this submission registered that organisation (its `QuestionSubmitted` carries the record,
    /// rather than an `OrganisationRegistered` of its own, so that log positions stay as they were).
    public let organisationRegistered: Bool

    public static let kinds = ["resident", "group", "organisation", "municipality", "company"]

    /// The kinds, as names to resolve.
    public static let kindVocabulary = Vocabulary(noun: "kind of requester", ids: kinds)

    public init(kind: String, organisation: String?, contact: String?, notify: Bool = false, organisationID: String? = nil,
                organisationRegistered: Bool = false) {
        self.kind = kind
        self.organisation = organisation
        self.contact = contact
        self.notify = notify
        self.organisationID = organisationID
        self.organisationRegistered = organisationRegistered
    }

    /// The requester of a question made from this one's (a follow-up, a part): the same link, registering nothing.
    public var copied: Requester {
        Requester(kind: kind, organisation: organisation, contact: contact, notify: notify, organisationID: organisationID)
    }
}

/// A period as ISO dates (`2026-09-01`), inclusive.
public struct DateWindow: Sendable, Hashable {
    public let from: String
    public let to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    /// Whether `text` is a plausible ISO date (YYYY-MM-DD with month 01-12 and day 01-31).
    public static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return false }
        return year >= 1900 && year <= 2999 && (1...12).contains(month) && (1...CivilCalendar.daysIn(year: year, month: month)).contains(day)
    }
}

/// A societal question (vraagstuk) as the read models hold it.
public struct Question: Sendable, Hashable {
    public let id: String
    public var status: QuestionStatus
    public var title: String
    public var description: String
    public var requester: Requester
    public var neighbourhood: Taxonomy.Place
    public var themes: [String]
    public var disciplines: [String]
    public var levels: [String]
    public var window: DateWindow?
    public var size: String
    public var submittedMs: Int64
    /// The reason given when it was rejected, referred or withdrawn.
    public var closingReason: String?
    /// Where it was referred to.
    public var referredTo: String?
    /// Events applied to it so far; `expectedVersion` compares against this.
    public var version: Int
    /// The outcome whose follow-up drafts it came from.
    public var followUpOf: String? = nil

    /// The question as JSON for replies (contact details are added by the daemon for staff roles).
    public var json: JSONValue {
        var requesterJSON: [String: JSONValue] = ["kind": .string(requester.kind)]
        requesterJSON["organisation"] = requester.organisation.map { .string($0) } ?? .null
        requesterJSON["contact"] = requester.contact.map { .string($0) } ?? .null
        // Only when they opted in: events and replies of questions without it stay as they were.
        if requester.notify { requesterJSON["notify"] = true }
        // Likewise only when linked: questions of organisations given as free text before records stay as they were.
        if let organisationID = requester.organisationID { requesterJSON["organisationId"] = .string(organisationID) }
        if requester.organisationRegistered { requesterJSON["organisationRegistered"] = true }
        var members: [String: JSONValue] = [
            "id": .string(id), "status": .string(status.rawValue), "title": .string(title),
            "description": .string(description), "requester": .object(requesterJSON),
            "neighbourhood": ["district": .string(neighbourhood.district), "wijk": neighbourhood.wijk.map { .string($0) } ?? .null],
            "themes": .array(themes.map { .string($0) }), "disciplines": .array(disciplines.map { .string($0) }),
            "levels": .array(levels.map { .string($0) }), "size": .string(size),
            "submittedAt": .integer(submittedMs), "version": .integer(Int64(version)),
        ]
        members["window"] = window.map { ["from": .string($0.from), "to": .string($0.to)] } ?? .null
        members["closingReason"] = closingReason.map { .string($0) } ?? .null
        members["referredTo"] = referredTo.map { .string($0) } ?? .null
        members["followUpOf"] = followUpOf.map { .string($0) } ?? .null
        return .object(members)
    }
}

/// Personal details of a contact, kept in the personal table under the contact id.
public struct ContactDetails: Sendable, Hashable {
    public let name: String?
    public let email: String?
    public let phone: String?

    public init(name: String?, email: String?, phone: String?) {
        self.name = name
        self.email = email
        self.phone = phone
    }

    /// Whether any detail was given (no contact id is made for none).
    public var isEmpty: Bool { name == nil && email == nil && phone == nil }

    /// The details as JSON, stored in the personal table.
    public var json: JSONValue {
        ["name": name.map { .string($0) } ?? .null, "email": email.map { .string($0) } ?? .null, "phone": phone.map { .string($0) } ?? .null]
    }
}

/// Limits on question fields; each bounds what every replay and every list must carry.
public enum QuestionLimits {
    public static let titleBytesMax = 200
    public static let descriptionBytesMax = 10_000
    public static let reasonBytesMax = 2_000
    public static let listEntriesMax = 20
    public static let sizes = ["small", "medium", "large"]
}
