/// Contacts are people, not submissions (issue 11): the personal table keeps, beside each requester's
/// details, a lookup from their e-mail address and phone number to their contact id, so that a requester who
/// asks again is linked to the contact they already are. The lookup is personal data too (an address, or a
/// hash of one, identifies a person): it lives only in the mutable personal table, written in the same
/// transaction as the contact and deleted by `person.erase`; never in the log or the state.
///
/// The adapter looks the keys up before deciding and passes the contact it found in the command
/// (`SubmitQuestion.knownContact`); the decider checks it.
public enum ContactLookup {
    /// The prefix of every lookup key in the personal table (never an entity id).
    public static let keyPrefix = "lookup:"

    /// The lookup keys of `details`: `lookup:email:<address, trimmed and lower-cased>` and
    /// `lookup:phone:<digits, with a leading + kept>` (spaces, dashes, dots and brackets dropped; "06-1234 5678"
    /// and "0612345678" are one number, "+31 6 ..." another).
    public static func keys(for details: ContactDetails) -> [String] {
        var keys: [String] = []
        if let email = details.email?.trimmingWhitespace.lowercased(), !email.isEmpty { keys.append(keyPrefix + "email:" + email) }
        if let phone = details.phone {
            let digits = phone.filter { $0.isASCII && $0.isNumber }
            if !digits.isEmpty { keys.append(keyPrefix + "phone:" + (phone.trimmingWhitespace.hasPrefix("+") ? "+" : "") + digits) }
        }
        return keys
    }

    /// Whether `key` is a lookup key rather than an entity's record.
    public static func isLookup(_ key: String) -> Bool { key.hasPrefix(keyPrefix) }
}

extension String {
    /// The string without leading and trailing white space (itself when it has none, the usual case).
    var trimmingWhitespace: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        if first == startIndex && index(after: last) == endIndex { return self }
        return String(self[first...last])
    }
}
