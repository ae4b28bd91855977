import Domain
import EventLog
import LMDSJSON

/// Contacts are people (issue 11): the personal table's lookup (`ContactLookup`) is read here, inside the
/// serialised write pipeline, right before a command is decided, so that two submissions with one new address
/// make one contact however they arrive.
extension DomainProcessor {
    /// `command` with what the lookup says filled in: each submission's `knownContact` (also each row of an
    /// import), and the keys an erasure deletes. Reads the lookup keys of appends still committing first
    /// (`pendingLookups`), then the personal table. Called with nothing suspended between it and the decision.
    func resolvingContactLookups(_ command: Command) throws(EventLogError) -> Command {
        if case .question(.submit(var submit)) = command {
            submit.knownContact = try contact(for: submit.contact)
            return .question(.submit(submit))
        }
        if case .importBatch(let rows) = command {
            var resolved: [Command] = []
            for row in rows { resolved.append(try resolvingContactLookups(row)) }
            return .importBatch(resolved)
        }
        if case .contact(.erase(let contact, _)) = command {
            return .contact(.erase(contact: contact, lookupKeys: try lookupKeys(of: contact)))
        }
        return command
    }

    /// The contact the first of `details`' lookup keys names: in an append still committing, else in the
    /// personal table.
    func contact(for details: ContactDetails) throws(EventLogError) -> String? {
        for key in ContactLookup.keys(for: details) {
            if let contact = pendingLookups.contactByKey[key] { return contact }
            if let contact = try Self.storedContact(key, log: log) { return contact }
        }
        return nil
    }

    /// The lookup keys that name `contact` now: those of its stored details that the table (or an append
    /// still committing) points to it, and those of an append still committing. `person.erase` deletes them.
    func lookupKeys(of contact: String) throws(EventLogError) -> [String] {
        var keys = Set(pendingLookups.keys(of: contact))
        if let bytes = try log.personalValue(contact), let json = try? JSONParser.parse(bytes) {
            let details = ContactDetails(name: json["name"]?.stringValue, email: json["email"]?.stringValue, phone: json["phone"]?.stringValue)
            for key in ContactLookup.keys(for: details) where try Self.storedContact(key, log: log) == contact { keys.insert(key) }
        }
        return keys.sorted()
    }

    /// The contact that the lookup key `key` names in the personal table, if any.
    static func storedContact(_ key: String, log: EventLog) throws(EventLogError) -> String? {
        guard let bytes = try log.personalValue(key), let json = try? JSONParser.parse(bytes) else { return nil }
        return PersonalRecord.text(from: json)
    }
}
