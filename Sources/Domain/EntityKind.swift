import LMDSJSON

/// The kinds of entity that have ids, and the prefix each kind's ids carry (`Q-0001`, `C-0003`).
public enum EntityKind: String, Sendable, Hashable, CaseIterable {
    case question, offer, proposal, match, outcome, contact, note, reminder, organisation

    /// The letter before the dash.
    public var prefix: String {
        switch self {
        case .question: return "Q"
        case .offer: return "O"
        case .proposal: return "P"
        case .match: return "M"
        case .outcome: return "R"
        case .contact: return "C"
        case .note: return "N"
        case .reminder: return "A"
        case .organisation: return "G"
        }
    }

    /// The kind's name in the plural, for messages.
    public var plural: String { self == .match ? "matches" : rawValue + "s" }

    /// The kind of a well-formed id (a known prefix, a dash and digits), case-sensitive as ids are;
    /// nil for anything else.
    public static func of(_ id: String) -> EntityKind? {
        let parts = id.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return allCases.first { $0.prefix == parts[0] }
    }

    /// Passes unless `id` is a well-formed id of another kind (an id that is not one at all, or names
    /// nothing, is left to the lookup that answers "not found").
    /// - Throws: a validation error on `field`: "Q-0001 is a question, not a proposal (proposals are P-…)",
    ///   with `data.kind`, `data.expected` and `data.expectedPrefix`.
    public func check(_ id: String, field: String) throws(DomainError) {
        guard let kind = Self.of(id), kind != self else { return }
        throw DomainError(
            .validation, "\(field): \(id) is \(Vocabulary.article(kind.rawValue)) \(kind.rawValue), not \(Vocabulary.article(rawValue)) \(rawValue) (\(plural) are \(prefix)-…)",
            field: field, details: ["kind": .string(kind.rawValue), "expected": .string(rawValue), "expectedPrefix": .string(prefix + "-")])
    }
}
