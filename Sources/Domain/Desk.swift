import LMDSJSON

/// The coordinator's desk (issue 11): who owns which question, and the internal notes on entities.
public enum DeskCommand: Sendable, Hashable {
    /// Makes `owner` (a user name) the question's owner, or releases it (`nil`). Only users the config
    /// names as coordinators or admins (`DomainPolicy.users`) may own.
    case assign(id: String, owner: String?, expectedVersion: Int?)
    /// Adds a note by `author` (the caller's user name) on an entity; its text goes to the personal table.
    case addNote(entity: String, text: String, author: String)
    /// Erases a note's text from the personal table; the log keeps that it existed and its hash.
    case eraseNote(id: String, reason: String)
}

/// An internal note on an entity as the read models hold it: never its text, which lives in the personal
/// table under the note's id, only its SHA-256.
public struct Note: Sendable, Hashable {
    public let id: String
    /// The question, offer, proposal, match, outcome or organisation it is about.
    public let entity: String
    /// The user name of whoever added it.
    public let author: String
    /// SHA-256 of the text's UTF-8 bytes, lowercase hex (`PersonalRecord.sha256Hex`).
    public let sha256: String
    public let addedMs: Int64
    /// The reason given when its text was erased; nil while it is kept.
    public var erasedReason: String?

    public init(id: String, entity: String, author: String, sha256: String, addedMs: Int64, erasedReason: String? = nil) {
        self.id = id
        self.entity = entity
        self.author = author
        self.sha256 = sha256
        self.addedMs = addedMs
        self.erasedReason = erasedReason
    }

    /// The note without its text (the daemon adds the text for those who may read it).
    public var json: JSONValue {
        ["id": .string(id), "entity": .string(entity), "author": .string(author), "sha256": .string(sha256),
         "addedAt": .integer(addedMs), "erased": .bool(erasedReason != nil), "erasedReason": erasedReason.map { .string($0) } ?? .null]
    }
}

/// Limits on the desk's writes.
public enum DeskLimits {
    /// A user name as configured (`roles.users`): the longest a Linux user name may be.
    public static let ownerBytesMax = 64
    /// A note's text: a few paragraphs; every `note.list` and history carries it.
    public static let noteBytesMax = 10_000
    /// Notes per entity: bounds `note.list` and the history of one entity.
    public static let notesPerEntityMax = 1_000
}

/// The desk's facts.
public enum DeskEvent: Sendable, Hashable {
    /// `owner` nil: released. `previous`: the owner before, if any.
    case questionAssigned(id: String, owner: String?, previous: String?, assignedMs: Int64)
    case noteAdded(Note)
    case noteErased(id: String, entity: String, reason: String)

    /// The event type as stored.
    public var type: String {
        switch self {
        case .questionAssigned: return "QuestionAssigned"
        case .noteAdded: return "NoteAdded"
        case .noteErased: return "NoteErased"
        }
    }

    /// The ids it concerns: the entity itself first, so that its history (and the entity's) finds it.
    public var entityIDs: [String] {
        switch self {
        case .questionAssigned(let id, _, _, _): return [id]
        case .noteAdded(let note): return [note.id, note.entity]
        case .noteErased(let id, let entity, _): return [id, entity]
        }
    }

    /// The event's data as stored (schema version 1): never a note's text, only its hash.
    public var data: JSONValue {
        switch self {
        case .questionAssigned(let id, let owner, let previous, let assignedMs):
            return ["id": .string(id), "owner": owner.map { .string($0) } ?? .null, "previous": previous.map { .string($0) } ?? .null,
                    "assignedAt": .integer(assignedMs)]
        case .noteAdded(let note):
            return ["id": .string(note.id), "entity": .string(note.entity), "author": .string(note.author),
                    "sha256": .string(note.sha256), "addedAt": .integer(note.addedMs)]
        case .noteErased(let id, let entity, let reason):
            return ["id": .string(id), "entity": .string(entity), "reason": .string(reason)]
        }
    }

    /// Reads a stored event back; `nil` for another type or data that does not fit.
    public init?(type: String, data: JSONValue) {
        func string(_ key: String) -> String? { data[key]?.stringValue }
        switch type {
        case "QuestionAssigned":
            guard let id = string("id"), let assigned = data["assignedAt"]?.integerValue else { return nil }
            self = .questionAssigned(id: id, owner: string("owner"), previous: string("previous"), assignedMs: assigned)
        case "NoteAdded":
            guard let id = string("id"), let entity = string("entity"), let author = string("author"), let sha256 = string("sha256"),
                let added = data["addedAt"]?.integerValue
            else { return nil }
            self = .noteAdded(Note(id: id, entity: entity, author: author, sha256: sha256, addedMs: added))
        case "NoteErased":
            guard let id = string("id"), let entity = string("entity"), let reason = string("reason") else { return nil }
            self = .noteErased(id: id, entity: entity, reason: reason)
        default:
            return nil
        }
    }
}

/// The desk's read model: owners and since when, and notes (without their text).
public struct DeskState: Sendable, Hashable {
    /// The owner of each owned question, by question id.
    public internal(set) var owners: [String: String] = [:]
    /// When each owned question was assigned to its owner.
    public internal(set) var assignedMs: [String: Int64] = [:]
    public internal(set) var notes: [String: Note] = [:]
    /// Note ids per entity, in the order they were added.
    public internal(set) var notesByEntity: [String: [String]] = [:]
    public internal(set) var noteCount = 0

    public init() {}

    /// The id the next note gets: `N-0001`, ...
    public var nextNoteID: String { EntityID.make("N", noteCount + 1) }

    /// Applies one desk event: setting fields only.
    mutating func apply(_ event: DeskEvent) {
        switch event {
        case .questionAssigned(let id, let owner, _, let assigned):
            owners[id] = owner
            assignedMs[id] = owner == nil ? nil : assigned
        case .noteAdded(let note):
            notes[note.id] = note
            notesByEntity[note.entity, default: []].append(note.id)
            noteCount += 1
        case .noteErased(let id, _, let reason):
            notes[id]?.erasedReason = reason
        }
    }

    /// The desk as canonical JSON, for the read-model digest.
    public var json: JSONValue {
        [
            "owners": .array(owners.keys.sorted(by: EntityID.precedes).map { id in
                [.string(id), .string(owners[id]!), .integer(assignedMs[id] ?? 0)]
            }),
            "notes": .array(notes.keys.sorted(by: EntityID.precedes).map { notes[$0]!.json }),
            "noteCount": .integer(Int64(noteCount)),
        ]
    }
}

extension DomainState {
    /// Applies a desk event; an assignment counts as a change of its question (`expectedVersion`).
    mutating func apply(_ event: DeskEvent) {
        desk.apply(event)
        if case .questionAssigned(let id, _, _, _) = event { Self.update(&questions, id, version: \.version) { _ in } }
    }

    /// The owner of a question, if any.
    public func owner(of question: String) -> String? { desk.owners[question] }

    /// Whether `id` names an entity a note may be about.
    public func acceptsNotes(_ id: String) -> Bool {
        questions[id] != nil || offers[id] != nil || proposals[id] != nil || matches[id] != nil || outcomes[id] != nil
            || organisations.organisations[id] != nil
    }
}

/// A user named in the daemon's config: the role granted to the name, and the institution an educator acts for.
public struct ConfiguredUser: Sendable, Hashable {
    public let role: String
    public let institution: String?

    public init(role: String, institution: String?) {
        self.role = role
        self.institution = institution
    }
}
