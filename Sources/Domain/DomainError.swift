import LMDSJSON

/// Why the domain refused a command. Nothing is appended for a refused command.
public struct DomainError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of refusal; the daemon maps each to one JSON-RPC code.
    public enum Code: String, Sendable, Hashable {
        /// The id names nothing.
        case notFound
        /// Not allowed in the entity's current state, or `expectedVersion` differs.
        case conflict
        /// A field is missing, too long, not in the taxonomy or inconsistent.
        case validation
        /// The caller's role may not do this to this entity.
        case forbidden
    }

    public let code: Code
    /// A sentence for the person who sent the command.
    public let message: String
    /// The param at fault, for `validation`.
    public let field: String?
    /// The entity's current state, for `conflict`.
    public let state: String?
    /// The id that names nothing, for `notFound`.
    public let entityID: String?
    /// More for the caller to act on, sent as members of the error's `data`: `allowed` (the verbs the
    /// state allows), `value`, `known` and `suggestion` (a name that names nothing), `kind` and `expected`
    /// (an id of the wrong kind).
    public let details: [String: JSONValue]

    public init(
        _ code: Code, _ message: String, field: String? = nil, state: String? = nil, entityID: String? = nil, details: [String: JSONValue] = [:]
    ) {
        self.code = code
        self.message = message
        self.field = field
        self.state = state
        self.entityID = entityID
        self.details = details
    }

    /// A missing or unacceptable field.
    public static func validation(_ field: String, _ reason: String) -> DomainError {
        DomainError(.validation, "\(field): \(reason)", field: field)
    }

    /// An id that names nothing.
    public static func notFound(_ id: String) -> DomainError {
        DomainError(.notFound, "no \(id)", entityID: id)
    }

    public var description: String { message }
}
