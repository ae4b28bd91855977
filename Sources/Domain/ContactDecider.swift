import LMDSJSON

/// The contact aggregate's decider: a person's details live outside the log, and erasing them (the right
/// to be forgotten) deletes them from the personal table and appends `PersonalDataErased`.
enum ContactDecider {
    static func decide(_ command: ContactCommand, state: DomainState) throws(DomainError) -> Decision {
        switch command {
        case .erase(let contact, let lookupKeys):
            guard state.knowsContact(contact) else { throw .notFound(contact) }
            guard !state.erasedContacts.contains(contact) else {
                throw DomainError(.conflict, "\(contact) is already erased", state: "erased")
            }
            var personal: [String: PersonalRecord?] = [contact: nil]
            for key in lookupKeys where ContactLookup.isLookup(key) { personal[key] = .some(nil) }
            return Decision(events: [.personalDataErased(contact: contact)], personalData: personal, entityID: contact)
        case .merge(let into, let from):
            for (field, contact) in [("into", into), ("from", from)] {
                try EntityKind.contact.check(contact, field: field)
                guard state.knowsContact(contact) else { throw .notFound(contact) }
                guard !state.erasedContacts.contains(contact) else { throw DomainError(.conflict, "\(contact) is erased", state: "erased") }
                if let survivor = state.organisations.contactMergedInto[contact] {
                    throw DomainError(.conflict, "\(contact) was merged into \(survivor)", state: "merged", details: ["mergedInto": .string(survivor)])
                }
            }
            guard into != from else { throw .validation("from", "a contact cannot be merged into itself") }
            return Decision(events: [.organisation(.contactsMerged(id: from, into: into))], personalData: [:], entityID: into)
        }
    }
}
