import Crypto
import LMDSJSON

/// What the mutable personal table holds under one key, beside the immutable log: a contact's details
/// (under the contact id, `C-0001`) or an erasable free text that may name people (a note `N-0001`, a
/// feedback comment), whose SHA-256 alone enters the log.
///
/// A decider returns these in `Decision.personalData` (`nil` erases the key); the daemon writes them in the
/// same LMDB transaction as the events that refer to them, so that an event and its personal data are
/// committed together or not at all.
public enum PersonalRecord: Sendable, Hashable {
    case contact(ContactDetails)
    /// Free text, stored as `{"text": ...}`.
    case text(String)

    /// The record as stored (canonical JSON bytes of this value).
    public var json: JSONValue {
        switch self {
        case .contact(let details): return details.json
        case .text(let text): return ["text": .string(text)]
        }
    }

    /// The text of a stored `.text` record, from its JSON; nil for anything else.
    public static func text(from stored: JSONValue) -> String? { stored["text"]?.stringValue }

    /// The SHA-256 of a text's UTF-8 bytes as lowercase hex (as the log's own hashes are shown): what an event
    /// records instead of the text, so that an auditor can show that a text kept in the personal table was not
    /// altered, and erasing it leaves the hash chain intact.
    public static func sha256Hex(_ text: String) -> String {
        Hex.encode(Array(SHA256.hash(data: Array(text.utf8))))
    }
}
