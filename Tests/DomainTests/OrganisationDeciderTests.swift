import Domain
import LMDSJSON
import Testing

/// Given events, when an organisation command, then events or this error.
@Suite struct OrganisationDeciderTests {
    static func register(_ name: String = "Bewonersvereniging Noord", kind: String = "resident-group", neighbourhood: String? = "Stevenshof",
                         website: String? = nil) -> Command {
        .organisation(.register(RegisterOrganisation(name: name, kind: kind, neighbourhood: neighbourhood, website: website)))
    }

    static func revise(_ id: String = "G-0001", name: String? = nil, kind: String? = nil, neighbourhood: String? = nil, website: String? = nil,
                       version: Int? = nil) -> Command {
        .organisation(.revise(ReviseOrganisation(id: id, name: name, kind: kind, neighbourhood: neighbourhood, website: website, expectedVersion: version)))
    }

    static func merge(_ from: String, into: String, version: Int? = nil) -> Command {
        .organisation(.merge(into: into, from: from, reason: "Dubbel geregistreerd", expectedVersion: version))
    }

    /// Given nothing, when an organisation is registered by its Dutch kind label and a wijk, then
    /// OrganisationRegistered with G-0001, the kind's id and the place; it reads back from the log as it was.
    @Test func registerRecordsTheOrganisation() throws {
        let decision = try CollaborationDeciderTests.decide(Self.register(kind: "woningcorporatie", neighbourhood: "Houtkwartier",
                                                                          website: "https://example.org/noord"), given: [])
        guard case .organisation(.organisationRegistered(let organisation)) = decision.events.first else {
            Issue.record("expected OrganisationRegistered, got \(decision.events)")
            return
        }
        #expect(decision.entityID == "G-0001" && organisation.id == "G-0001" && organisation.kind == .housingCorporation)
        #expect(organisation.neighbourhood == Taxonomy.Place(district: "boerhaavedistrict", wijk: "houtkwartier"))
        #expect(organisation.registeredMs == DeciderTests.now && organisation.status == "registered")
        #expect(DomainEvent(type: "OrganisationRegistered", data: decision.events[0].data) == decision.events[0])
        #expect(decision.events[0].entityIDs == ["G-0001"])
    }

    /// Refused: a name another record has once folded (case, diacritics, spacing), an unknown kind (with a
    /// suggestion), an unknown place, a website that is not http(s), an empty name.
    @Test func registerRefusals() throws {
        let given = [Self.register("Stichting Café Ëlan")]
        let duplicate = CollaborationDeciderTests.refusal(Self.register("  stichting   cafe elan "), given: given)
        #expect(duplicate?.code == .conflict && duplicate?.field == "name" && duplicate?.details["existing"] == "G-0001")
        let kind = CollaborationDeciderTests.refusal(Self.register("Anders", kind: "woningcorp"), given: [])
        #expect(kind?.field == "kind")
        #expect(CollaborationDeciderTests.refusal(Self.register("Anders", neighbourhood: "Atlantis"), given: [])?.field == "neighbourhood")
        #expect(CollaborationDeciderTests.refusal(Self.register("Anders", website: "ftp://x.nl"), given: [])?.field == "website")
        #expect(CollaborationDeciderTests.refusal(Self.register("  "), given: [])?.field == "name")
    }

    /// A revision records only what changes (a cleared website as null), counts in the version, renames
    /// the folded-name index; one that changes nothing, a name in use, or a stale version is refused.
    @Test func reviseRecordsTheChanges() throws {
        let given = [Self.register(website: "https://noord.example"), Self.register("Gemeente Leiden", kind: "municipality", neighbourhood: nil)]
        let decision = try CollaborationDeciderTests.decide(Self.revise(name: "Bewonersgroep Noord", kind: "resident-group", website: ""), given: given)
        #expect(decision.events == [.organisation(.organisationRevised(id: "G-0001", changes: ["name": "Bewonersgroep Noord", "website": .null]))])
        var state = try CollaborationDeciderTests.state(after: given)
        state.apply(decision.events[0])
        #expect(state.organisations.named("bewonersgroep noord")?.id == "G-0001" && state.organisations.named("Bewonersvereniging Noord") == nil)
        #expect(state.organisations.organisations["G-0001"]?.version == 2 && state.organisations.organisations["G-0001"]?.website == nil)
        #expect(CollaborationDeciderTests.refusal(Self.revise(kind: "resident-group"), given: given)?.field == "id")
        #expect(CollaborationDeciderTests.refusal(Self.revise(name: "gemeente leiden"), given: given)?.code == .conflict)
        #expect(CollaborationDeciderTests.refusal(Self.revise(name: "Nieuw", version: 3), given: given)?.code == .conflict)
        #expect(CollaborationDeciderTests.refusal(Self.revise("G-0009", name: "Nieuw"), given: given)?.code == .notFound)
    }

    /// A merge points the duplicate to the survivor (both histories see it), frees its name, and ends
    /// its own changes: merging or revising it again is a conflict naming the survivor.
    @Test func mergePointsToTheSurvivor() throws {
        let given = [Self.register(), Self.register("Bewoners Noord")]
        let decision = try CollaborationDeciderTests.decide(Self.merge("G-0002", into: "G-0001", version: 1), given: given)
        #expect(decision.events == [.organisation(.organisationMerged(id: "G-0002", into: "G-0001", reason: "Dubbel geregistreerd"))])
        #expect(decision.entityID == "G-0001" && decision.events[0].entityIDs == ["G-0001", "G-0002"])
        let merged = given + [Self.merge("G-0002", into: "G-0001")]
        let state = try CollaborationDeciderTests.state(after: merged)
        #expect(state.organisations.organisations["G-0002"]?.mergedInto == "G-0001" && state.organisations.mergedFrom["G-0001"] == ["G-0002"])
        #expect(state.organisations.named("Bewoners Noord") == nil)
        let again = CollaborationDeciderTests.refusal(Self.merge("G-0002", into: "G-0001"), given: merged)
        #expect(again?.code == .conflict && again?.state == "merged" && again?.details["mergedInto"] == "G-0001")
        #expect(CollaborationDeciderTests.refusal(Self.revise("G-0002", name: "x"), given: merged)?.state == "merged")
        #expect(CollaborationDeciderTests.refusal(Self.merge("G-0001", into: "G-0001"), given: given)?.field == "from")
        #expect(CollaborationDeciderTests.refusal(Self.merge("Q-0001", into: "G-0001"), given: given)?.details["expected"] == "organisation")
        #expect(try CollaborationDeciderTests.decide(Self.register("Bewoners Noord"), given: merged).entityID == "G-0003", "a merged name is free again")
    }

    /// Notes may be added to an organisation.
    @Test func notesAcceptOrganisations() throws {
        let decision = try CollaborationDeciderTests.decide(.desk(.addNote(entity: "G-0001", text: "Contactpersoon wisselt in maart", author: "alice")),
                                                            given: [Self.register()])
        #expect(decision.events.first?.entityIDs == ["N-0001", "G-0001"])
    }
}
