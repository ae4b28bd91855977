@testable import Domain
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

    static func submit(organisation: String?) -> Command {
        guard case .question(.submit(var submit)) = DeciderTests.submit() else { fatalError("DeciderTests.submit is a submission") }
        submit.organisation = organisation
        return .question(.submit(submit))
    }

    /// A name no record has registers one inside the submission's own QuestionSubmitted (one event: positions
    /// stay), kind from the requester's; the same name folded later links to it; a G- id links to its record,
    /// a merged one to its survivor; an unknown id is refused on requester.organisation.
    @Test func aRequesterOrganisationIsLinkedOrRegistered() throws {
        let first = try CollaborationDeciderTests.decide(Self.submit(organisation: "Bewonersvereniging Stevenshof"), given: [])
        #expect(first.events.count == 1)
        guard case .questionSubmitted(let question) = first.events[0] else { Issue.record("expected QuestionSubmitted"); return }
        #expect(question.requester.organisationID == "G-0001" && question.requester.organisationRegistered)
        #expect(DomainEvent(type: "QuestionSubmitted", data: first.events[0].data) == first.events[0], "the link reads back from the log")
        var state = try CollaborationDeciderTests.state(after: [Self.submit(organisation: "Bewonersvereniging Stevenshof")])
        #expect(state.organisations.organisations["G-0001"]?.kind == .residentGroup && state.organisations.organisations["G-0001"]?.name == "Bewonersvereniging Stevenshof")
        let again = try Decider.decide(Self.submit(organisation: " bewonersvereniging  STEVENSHOF"), state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now)
        guard case .questionSubmitted(let linked) = again.events[0] else { Issue.record("expected QuestionSubmitted"); return }
        #expect(linked.requester.organisationID == "G-0001" && !linked.requester.organisationRegistered)
        for event in again.events { state.apply(event) }
        #expect(state.organisations.organisations.count == 1)

        let given = [Self.register(), Self.register("Bewoners Noord"), Self.merge("G-0002", into: "G-0001")]
        let byID = try CollaborationDeciderTests.decide(Self.submit(organisation: "G-0002"), given: given)
        guard case .questionSubmitted(let viaID) = byID.events[0] else { Issue.record("expected QuestionSubmitted"); return }
        #expect(viaID.requester.organisationID == "G-0001" && viaID.requester.organisation == "Bewonersvereniging Noord")
        #expect(CollaborationDeciderTests.refusal(Self.submit(organisation: "G-0009"), given: given)?.field == "requester.organisation")
    }

    /// organisation.adopt links each free-text organisation of an older log (questions without a link) to the
    /// record with its folded name, registering one per name no record has, in one append; then nothing is left.
    @Test func adoptLinksFreeTextOrganisations() throws {
        var state = try CollaborationDeciderTests.state(after: [Self.register("Gemeente Leiden", kind: "municipality", neighbourhood: nil)])
        let place = Taxonomy.Place(district: "stevenshof", wijk: nil)
        for (number, name) in [(1, "Bewonersgroep Merenwijk"), (2, "gemeente leiden"), (3, "Bewonersgroep  Merenwijk")] {
            state.apply(.questionSubmitted(Question(
                id: EntityID.make("Q", number), status: .submitted, title: "Vraag", description: "", requester: Requester(kind: "group", organisation: name, contact: nil),
                neighbourhood: place, themes: [], disciplines: [], levels: [], window: nil, size: "small", submittedMs: 0, closingReason: nil, referredTo: nil, version: 1)))
        }
        let decision = try Decider.decide(.organisation(.adopt), state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now)
        #expect(decision.events.map(\.type) == ["OrganisationRegistered", "RequesterOrganisationLinked", "RequesterOrganisationLinked", "RequesterOrganisationLinked"])
        #expect(decision.entityID == "G-0002")
        for event in decision.events { state.apply(event) }
        #expect(state.questions["Q-0001"]?.requester.organisationID == "G-0002" && state.questions["Q-0003"]?.requester.organisationID == "G-0002")
        #expect(state.questions["Q-0002"]?.requester.organisationID == "G-0001" && state.questions["Q-0002"]?.version == 1)
        #expect(state.organisations.organisations["G-0002"]?.kind == .residentGroup)
        #expect(throws: DomainError.self) { try Decider.decide(.organisation(.adopt), state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now) }
    }

    /// The state after `commands`, each decided at its own time.
    static func state(after commands: [(Command, Int64)]) throws -> DomainState {
        var state = DomainState()
        for (command, time) in commands {
            for event in try Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: time).events { state.apply(event) }
        }
        return state
    }

    /// Question `number` of the requester's organisation, accepted, proposed to O-0001 and agreed by both sides at `time`.
    static func collaboration(_ number: Int, at time: Int64) -> [(Command, Int64)] {
        let question = EntityID.make("Q", number), proposal = EntityID.make("P", number - 1)
        return [(DeciderTests.submit(), time), (.question(.accept(id: question, title: nil, description: nil, expectedVersion: nil)), time),
                (.proposal(.create(question: question, offer: "O-0001", note: nil)), time),
                (.proposal(.accept(id: proposal, side: .requester, expectedVersion: nil)), time),
                (.proposal(.accept(id: proposal, side: .education, expectedVersion: nil)), time)]
    }

    /// The relationship by the written rule: an organisation without a match is new; one agreed match makes
    /// it occasional (first and last collaboration that match's agreement); three spread over more than a year
    /// lasting, while three within the year stay recurring; its questions and matches are listed, those of a
    /// record merged into it included.
    @Test func relationshipStrengthFollowsTheRule() throws {
        let day: Int64 = 86_400_000
        let start = DeciderTests.now
        let offer: [(Command, Int64)] = [(DeciderTests.submit(), start), (OfferDeciderTests.publish(capacity: 5), start)]
        let fresh = try Self.state(after: offer)
        #expect(OrganisationRelationship(of: "G-0001", in: fresh).strength == .new)
        let once = try Self.state(after: offer + Self.collaboration(2, at: start + day))
        let occasional = OrganisationRelationship(of: "G-0001", in: once)
        #expect(occasional.strength == .occasional && occasional.questions == ["Q-0001", "Q-0002"] && occasional.matches == ["M-0001"])
        #expect(occasional.firstCollaborationMs == start + day && occasional.lastCollaborationMs == start + day && occasional.completedProjects == 0)
        let withinYear = try Self.state(after: offer + Self.collaboration(2, at: start) + Self.collaboration(3, at: start + 100 * day)
                                         + Self.collaboration(4, at: start + 200 * day))
        #expect(OrganisationRelationship(of: "G-0001", in: withinYear).strength == .recurring)
        let overYears = try Self.state(after: offer + Self.collaboration(2, at: start) + Self.collaboration(3, at: start + 200 * day)
                                        + Self.collaboration(4, at: start + 400 * day))
        #expect(OrganisationRelationship(of: "G-0001", in: overYears).strength == .lasting)
        #expect(OrganisationRelationship(of: "G-0001", in: overYears).json { .integer($0) }["strengthRule"]?.stringValue?.contains("365 days") == true)
    }

    /// Given a contact, when a submission names it as known (the adapter's lookup), then the question is theirs,
    /// no new contact and no personal data is written; a new contact's details go with its lookup keys (folded
    /// address, digits of the number); an unknown contact is refused, an erased one gives a new contact; erasing
    /// deletes the lookup keys it is given.
    @Test func knownContactsAreLinked() throws {
        guard case .question(.submit(var submit)) = DeciderTests.submit() else { return }
        let fresh = try CollaborationDeciderTests.decide(.question(.submit(submit)), given: [])
        #expect(fresh.personalData["lookup:email:anouk@example.nl"] == .some(.text("C-0001")))
        #expect(ContactLookup.keys(for: ContactDetails(name: nil, email: " A@B.nl", phone: "+31 6-12")) == ["lookup:email:a@b.nl", "lookup:phone:+31612"])
        submit.knownContact = "C-0001"
        let linked = try CollaborationDeciderTests.decide(.question(.submit(submit)), given: [DeciderTests.submit()])
        guard case .questionSubmitted(let question) = linked.events[0] else { return }
        #expect(question.requester.contact == "C-0001" && linked.personalData.isEmpty)
        submit.knownContact = "C-0007"
        #expect(CollaborationDeciderTests.refusal(.question(.submit(submit)), given: [DeciderTests.submit()])?.field == "requester")
        submit.knownContact = "C-0001"
        let erased = try CollaborationDeciderTests.decide(.question(.submit(submit)), given: [DeciderTests.submit(), .contact(.erase(contact: "C-0001"))])
        guard case .questionSubmitted(let renewed) = erased.events[0] else { return }
        #expect(renewed.requester.contact == "C-0002")
        let erasure = try CollaborationDeciderTests.decide(.contact(.erase(contact: "C-0001", lookupKeys: ["lookup:email:anouk@example.nl"])), given: [DeciderTests.submit()])
        #expect(erasure.personalData.keys.sorted() == ["C-0001", "lookup:email:anouk@example.nl"])
    }

    /// person.merge joins a duplicate contact into the person's: ContactsMerged about both, the survivor's history
    /// scope takes the duplicate's, and a submission found by the duplicate's details goes to the survivor;
    /// merging again, into itself, or an erased contact is refused.
    @Test func contactsMerge() throws {
        let given = [DeciderTests.submit(), DeciderTests.submit("Groen")]
        let decision = try CollaborationDeciderTests.decide(.contact(.merge(into: "C-0001", from: "C-0002")), given: given)
        #expect(decision.events == [.organisation(.contactsMerged(id: "C-0002", into: "C-0001"))] && decision.entityID == "C-0001")
        let merged = given + [.contact(.merge(into: "C-0001", from: "C-0002"))]
        let state = try CollaborationDeciderTests.state(after: merged)
        #expect(state.historyScope(of: "C-0001") == ["C-0001", "C-0002"])
        guard case .question(.submit(var submit)) = DeciderTests.submit() else { return }
        submit.knownContact = "C-0002"
        guard case .questionSubmitted(let question) = try CollaborationDeciderTests.decide(.question(.submit(submit)), given: merged).events[0] else { return }
        #expect(question.requester.contact == "C-0001")
        #expect(CollaborationDeciderTests.refusal(.contact(.merge(into: "C-0001", from: "C-0002")), given: merged)?.state == "merged")
        #expect(CollaborationDeciderTests.refusal(.contact(.merge(into: "C-0001", from: "C-0001")), given: given)?.field == "from")
        #expect(CollaborationDeciderTests.refusal(.contact(.merge(into: "C-0001", from: "C-0002")), given: given + [.contact(.erase(contact: "C-0002"))])?.state == "erased")
    }
}

