/// Contacts are people, not submissions (issue 11): the personal table keeps, beside each requester's
/// details, a lookup from their e-mail address and phone number to their contact id, so that a requester who
/// asks again is linked to the contact they already are. The lookup is personal data too (an address, or a
/// hash of one, identifies a person): it lives only in the mutable personal table, written in the same
/// transaction as the contact and deleted by `person.erase`; never in the log or the state.
///
/// Where the lookup is read: inside the core's serialised write pipeline (`DomainProcessor`), right before
/// each command is decided, never in an adapter. Commands are decided one at a time there, so two submissions
/// with the same new address cannot both miss the lookup: the second is decided after the first. One gap
/// remains, a decision whose append is still committing (its personal data is not in the table yet), and the
/// processor closes it with `PendingLookups`, the keys of decisions not yet committed, which it reads before
/// the table and forgets once the append is answered. The contact found travels in the command
/// (`SubmitQuestion.knownContact`; for `person.erase`, the keys to delete) and the decider checks it against
/// the state (an erased contact gives a new one, a merged one its survivor). The rows of one import see each
/// other's new contacts through the same map inside `Decider.decideEach` (a contact stored before the import,
/// found by any of a row's keys, wins over one the import makes).
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

    /// `command` with a submission that found no contact linked to the one `lookups` names by its keys.
    static func linking(_ command: Command, to lookups: PendingLookups) -> Command {
        guard case .question(.submit(var submit)) = command, submit.knownContact == nil else { return command }
        submit.knownContact = lookups.contact(for: submit.contact)
        return .question(.submit(submit))
    }
}

/// Lookup keys (`ContactLookup`) that decisions stored but the personal table does not hold yet: those of
/// appends still committing (kept by `DomainProcessor`), or of the rows before this one in an import.
public struct PendingLookups: Sendable, Hashable {
    /// The contact each key names.
    public private(set) var contactByKey: [String: String] = [:]

    public init() {}

    /// The contact that the first of `details`' keys found here names, if any.
    public func contact(for details: ContactDetails) -> String? {
        for key in ContactLookup.keys(for: details) { if let contact = contactByKey[key] { return contact } }
        return nil
    }

    /// The keys that name `contact` here.
    public func keys(of contact: String) -> [String] {
        contactByKey.filter { $0.value == contact }.keys.sorted()
    }

    /// Adds the lookup keys `decision` stores; returns them with their contacts, for `forget`. (A key it
    /// erases is left: a contact found by it is erased in the state, so the decider makes a new one.)
    public mutating func record(_ decision: Decision) -> [(key: String, contact: String)] {
        var added: [(key: String, contact: String)] = []
        for (key, record) in decision.personalData where ContactLookup.isLookup(key) {
            guard case .text(let contact)? = record else { continue }
            contactByKey[key] = contact
            added.append((key, contact))
        }
        return added
    }

    /// Forgets keys `record` added (once their append is answered), unless a later decision named another
    /// contact under the same key since.
    public mutating func forget(_ added: [(key: String, contact: String)]) {
        for (key, contact) in added where contactByKey[key] == contact { contactByKey.removeValue(forKey: key) }
    }
}

extension DomainState {
    /// For each of `questionIDs` whose contact an earlier question already had (so the question was linked to
    /// a contact rather than making one): that earliest question. One pass over the questions.
    public func firstQuestionsOfTheirContacts(_ questionIDs: [String]) -> [String: String] {
        let wanted = Set(questionIDs.compactMap { questions[$0]?.requester.contact })
        guard !wanted.isEmpty else { return [:] }
        var first: [String: String] = [:]
        for question in questions.values {
            guard let contact = question.requester.contact, wanted.contains(contact) else { continue }
            if let earlier = first[contact], EntityID.precedes(earlier, question.id) { continue }
            first[contact] = question.id
        }
        var result: [String: String] = [:]
        for id in questionIDs {
            guard let contact = questions[id]?.requester.contact, let earliest = first[contact], earliest != id else { continue }
            result[id] = earliest
        }
        return result
    }

    /// What a contact (with the contacts merged into it) asked and offered, and the organisations its questions
    /// name: questions and offers in id order; organisations by id (the record's name now, else the name the
    /// question gave), then free-text names without a record (id nil), each once.
    public func contactRecord(of contact: String) -> (questions: [String], offers: [String], organisations: [(id: String?, name: String)]) {
        let people = Set([contact] + (organisations.contactMergedFrom[contact] ?? []))
        let asked = questions.values.filter { $0.requester.contact.map(people.contains) ?? false }.sorted { EntityID.precedes($0.id, $1.id) }
        let offered = offers.values.filter { $0.contact.map(people.contains) ?? false }.map(\.id).sorted(by: EntityID.precedes)
        var records: [String: String] = [:]
        var freeText: [String] = []
        for question in asked {
            if let id = question.requester.organisationID {
                records[id] = organisations.organisations[id]?.name ?? question.requester.organisation ?? id
            } else if let name = question.requester.organisation, !freeText.contains(name) {
                freeText.append(name)
            }
        }
        let named = records.keys.sorted(by: EntityID.precedes).map { (id: Optional($0), name: records[$0]!) }
        return (asked.map(\.id), offered, named + freeText.map { (id: nil, name: $0) })
    }
}

extension String {
    /// The string without leading and trailing white space (itself when it has none, the usual case).
    var trimmingWhitespace: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        if first == startIndex && index(after: last) == endIndex { return self }
        return String(self[first...last])
    }
}
