@testable import Domain
import LMDSJSON
import Testing

/// Contacts are people across one import, and the lookup keys of decisions not yet committed.
@Suite struct ContactLookupTests {
    /// A submission by `email` and `phone` (nil: none), with no organisation.
    static func submit(_ title: String, email: String?, phone: String? = nil, known: String? = nil) -> Command {
        var submit = SubmitQuestion(
            title: title, description: "Wat helpt?", requesterKind: "resident", organisation: nil,
            contact: ContactDetails(name: "Anouk de Vriës", email: email, phone: phone), neighbourhood: "Stevenshof", themes: [],
            disciplines: [], levels: [], window: nil, size: nil)
        submit.knownContact = known
        return .question(.submit(submit))
    }

    /// The contact of each question `decision` submitted, in order.
    static func contacts(_ decision: Decision) -> [String?] {
        decision.events.compactMap { event in
            if case .questionSubmitted(let question) = event { return question.requester.contact }
            return nil
        }
    }

    /// Given nothing, when one import holds two rows with the same new address (in another case) and a third
    /// with another, then the second is linked to the contact the first makes (its details and keys stored once),
    /// and the third makes its own.
    @Test func rowsOfOneImportWithOneAddressAreOneContact() throws {
        let rows = [Self.submit("Eenzaamheid", email: "anouk@example.nl"), Self.submit("Groen", email: " Anouk@Example.NL"),
                    Self.submit("Spelen", email: "piet@example.nl")]
        let decision = try CollaborationDeciderTests.decide(.importBatch(rows), given: [])
        #expect(Self.contacts(decision) == ["C-0001", "C-0001", "C-0002"])
        #expect(decision.personalData.keys.sorted() == ["C-0001", "C-0002", "lookup:email:anouk@example.nl", "lookup:email:piet@example.nl"])
        let state = try CollaborationDeciderTests.state(after: [.importBatch(rows)])
        #expect(state.contactCount == 2)
        #expect(state.firstQuestionsOfTheirContacts(["Q-0001", "Q-0002", "Q-0003"]) == ["Q-0002": "Q-0001"])
    }

    /// Given a contact, when an import's row names it as known (the core's lookup) and a later row shares only
    /// a phone number with an earlier row of the import, then the first is linked to the existing contact and
    /// the later to the earlier row's new one, with no personal data for either.
    @Test func importRowsAreLinkedToExistingAndEarlierContacts() throws {
        let given = [Self.submit("Eerder", email: "anouk@example.nl")]
        let rows = [Self.submit("Eenzaamheid", email: "anouk@example.nl", known: "C-0001"), Self.submit("Groen", email: "piet@example.nl", phone: "06-1234 5678"),
                    Self.submit("Spelen", email: nil, phone: "0612345678")]
        let decision = try CollaborationDeciderTests.decide(.importBatch(rows), given: given)
        #expect(Self.contacts(decision) == ["C-0001", "C-0002", "C-0002"])
        #expect(decision.personalData.keys.sorted() == ["C-0002", "lookup:email:piet@example.nl", "lookup:phone:0612345678"])
        let state = try CollaborationDeciderTests.state(after: given + [.importBatch(rows)])
        #expect(state.firstQuestionsOfTheirContacts(["Q-0002", "Q-0003", "Q-0004"]) == ["Q-0002": "Q-0001", "Q-0004": "Q-0003"])
    }

    /// Given the keys of two decisions still committing, then a submission is found by either's key, an erasure
    /// leaves a key, and forgetting the first decision's keys keeps a key a later decision gave another contact.
    @Test func pendingLookupsAreForgottenPerDecision() throws {
        var pending = PendingLookups()
        let first = try CollaborationDeciderTests.decide(Self.submit("Een", email: "anouk@example.nl", phone: "071 123"), given: [])
        let added = pending.record(first)
        #expect(pending.contact(for: ContactDetails(name: nil, email: nil, phone: "071-123")) == "C-0001")
        #expect(pending.keys(of: "C-0001") == ["lookup:email:anouk@example.nl", "lookup:phone:071123"])
        let erasure = try CollaborationDeciderTests.decide(.contact(.erase(contact: "C-0001", lookupKeys: pending.keys(of: "C-0001"))),
                                                          given: [Self.submit("Een", email: "anouk@example.nl", phone: "071 123")])
        #expect(pending.record(erasure).isEmpty)
        let later = try CollaborationDeciderTests.decide(Self.submit("Twee", email: "anouk@example.nl"),
                                                         given: [Self.submit("Een", email: "anouk@example.nl", phone: "071 123")])
        _ = pending.record(later)
        pending.forget(added)
        #expect(pending.contactByKey == ["lookup:email:anouk@example.nl": "C-0002"])
    }

    /// Given a contact's questions (one naming a registered organisation by another spelling, and two of
    /// duplicates merged into it, one registering an organisation), then its record lists all three questions
    /// and both organisations by their records' names; a merged duplicate keeps its own.
    @Test func aContactsRecordListsItsQuestionsAndOrganisations() throws {
        let registered = OrganisationDeciderTests.register("Stichting Café Ëlan", kind: "foundation-or-association", neighbourhood: nil)
        let named = SubmitQuestion(
            title: "Met stichting", description: "Wat helpt?", requesterKind: "organisation", organisation: "stichting cafe elan",
            contact: ContactDetails(name: "Anouk", email: "anouk@example.nl", phone: nil), neighbourhood: "Stevenshof", themes: [],
            disciplines: [], levels: [], window: nil, size: nil)
        let given: [Command] = [registered, .question(.submit(named)), DeciderTests.submit("Vrije tekst"), Self.submit("Duplicaat", email: "a@b.nl")]
        var state = try CollaborationDeciderTests.state(after: given)
        // The second and third questions' requesters are other contacts (no lookup here): merge them into C-0001.
        for from in ["C-0002", "C-0003"] {
            for event in try Decider.decide(.contact(.merge(into: "C-0001", from: from)), state: state, taxonomy: DeciderTests.leiden,
                                            nowMs: DeciderTests.now).events { state.apply(event) }
        }
        let record = state.contactRecord(of: "C-0001")
        #expect(record.questions == ["Q-0001", "Q-0002", "Q-0003"] && record.offers.isEmpty)
        #expect(record.organisations.map(\.id) == ["G-0001", "G-0002"] && record.organisations.map(\.name) == ["Stichting Café Ëlan", "Bewonersvereniging"])
        #expect(state.contactRecord(of: "C-0002").questions == ["Q-0002"])
    }
}
