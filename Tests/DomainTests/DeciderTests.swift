import Domain
import Foundation
import LMDSJSON
import LMDSTestSupport
import Testing

/// Given events, when a command, then events or this error.
@Suite struct DeciderTests {
    static let leiden: Taxonomy = {
        let text = Taxonomy.embedded["leiden"]!
        return try! Taxonomy(json: try! JSONParser.parse(text))
    }()
    static let now: Int64 = 1_796_000_000_000

    static func submit(_ title: String = "Eenzaamheid in de Stevenshof", neighbourhood: String = "Stevenshof",
                       name: String? = "Anouk de Vries", themes: [String] = ["loneliness"]) -> Command {
        .question(.submit(SubmitQuestion(
            title: title, description: "Ouderen voelen zich alleen; wat helpt?", requesterKind: "group", organisation: "Bewonersvereniging",
            contact: ContactDetails(name: name, email: name == nil ? nil : "anouk@example.nl", phone: nil),
            neighbourhood: neighbourhood, themes: themes, disciplines: ["sociology"], levels: ["hbo"],
            window: DateWindow(from: "2027-02-01", to: "2027-06-30"), size: nil)))
    }

    /// Folds `events` (given), then decides `command` (when).
    static func given(_ commands: [Command]) throws -> DomainState {
        var state = DomainState()
        for command in commands {
            let decision = try Decider.decide(command, state: state, taxonomy: leiden, nowMs: now)
            for event in decision.events { state.apply(event) }
        }
        return state
    }

    static func decide(_ command: Command, given: [Command] = []) throws -> Decision {
        try Decider.decide(command, state: try Self.given(given), taxonomy: leiden, nowMs: now)
    }

    static func refusal(_ command: Command, given: [Command] = []) throws -> DomainError? {
        let state = try Self.given(given)
        do {
            _ = try Decider.decide(command, state: state, taxonomy: leiden, nowMs: now)
            return nil
        } catch {
            return error
        }
    }

    /// Given nothing, when a question is submitted, then QuestionSubmitted with Q-0001 and contact C-0001,
    /// and the person's details go to the personal table, not into the event.
    @Test func submitAssignsIdsAndKeepsPersonalDataOut() throws {
        let decision = try Self.decide(Self.submit())
        #expect(decision.entityID == "Q-0001")
        guard case .questionSubmitted(let question)? = decision.events.first, decision.events.count == 1 else {
            Issue.record("expected one QuestionSubmitted")
            return
        }
        #expect(question.requester.contact == "C-0001")
        #expect(question.neighbourhood == Taxonomy.Place(district: "stevenshof", wijk: nil))
        #expect(decision.personalData["C-0001"] == .contact(ContactDetails(name: "Anouk de Vries", email: "anouk@example.nl", phone: nil)))
        let stored = JSONWriter.canonicalString(decision.events[0].data)
        #expect(!stored.contains("Anouk") && !stored.contains("example.nl"))
        #expect(decision.events[0].entityIDs == ["Q-0001", "C-0001"])
    }

    /// Given one question, when another is submitted without contact details, then Q-0002 and no contact.
    @Test func idsAreSequentialAndContactsOptional() throws {
        let decision = try Self.decide(Self.submit(name: nil), given: [Self.submit()])
        #expect(decision.entityID == "Q-0002")
        #expect(decision.personalData.isEmpty)
    }

    /// Validation names the field: unknown neighbourhood, theme, empty title, bad window, organisation missing.
    @Test func submitValidationNamesTheField() throws {
        #expect(try Self.refusal(Self.submit(neighbourhood: "Atlantis"))?.field == "neighbourhood")
        #expect(try Self.refusal(Self.submit(themes: ["astrology"]))?.field == "themes")
        #expect(try Self.refusal(Self.submit(themes: ["loneliness", "loneliness"]))?.field == "themes")
        #expect(try Self.refusal(Self.submit("   "))?.field == "title")
        #expect(try Self.refusal(Self.submit(String(repeating: "ë", count: 101)))?.field == "title")
        var backwards = SubmitQuestion(title: "t", description: "d", requesterKind: "resident", organisation: nil,
            contact: ContactDetails(name: nil, email: nil, phone: nil), neighbourhood: "Merenwijk", themes: [], disciplines: [], levels: [],
            window: DateWindow(from: "2027-06-01", to: "2027-01-01"), size: nil)
        #expect(try Self.refusal(.question(.submit(backwards)))?.field == "window")
        backwards.window = nil
        backwards.requesterKind = "company"
        #expect(try Self.refusal(.question(.submit(backwards)))?.field == "requester.organisation")
    }

    /// A wijk may be named instead of a district; the district is derived.
    @Test func submitResolvesWijk() throws {
        let decision = try Self.decide(Self.submit(neighbourhood: "houtkwartier"))
        guard case .questionSubmitted(let question)? = decision.events.first else { return }
        #expect(question.neighbourhood == Taxonomy.Place(district: "boerhaavedistrict", wijk: "houtkwartier"))
    }

    /// Given a submitted question, when accepted, then QuestionAccepted; when accepted again, then a conflict naming the state.
    @Test func acceptOnlyFromSubmitted() throws {
        let accept = Command.question(.accept(id: "Q-0001", title: "Ontmoeting in de Stevenshof", description: nil, expectedVersion: 1))
        let decision = try Self.decide(accept, given: [Self.submit()])
        #expect(decision.events == [.questionAccepted(id: "Q-0001", title: "Ontmoeting in de Stevenshof", description: nil)])
        let again = try Self.refusal(.question(.accept(id: "Q-0001", title: nil, description: nil, expectedVersion: nil)), given: [Self.submit(), accept])
        #expect(again?.code == .conflict)
        #expect(again?.state == "open")
    }

    /// A wrong expectedVersion is a conflict; an unknown id is not found.
    @Test func versionAndExistenceAreChecked() throws {
        let stale = try Self.refusal(.question(.reject(id: "Q-0001", reason: "r", expectedVersion: 2)), given: [Self.submit()])
        #expect(stale?.code == .conflict)
        #expect(try Self.refusal(.question(.withdraw(id: "Q-0042", reason: "r", expectedVersion: nil)))?.code == .notFound)
    }

    /// Every refused transition from every final state, for every state-changing command.
    @Test func finalStatesRefuseEverything() throws {
        let finals: [(Command, String)] = [
            (.question(.reject(id: "Q-0001", reason: "buiten scope", expectedVersion: nil)), "rejected"),
            (.question(.refer(id: "Q-0001", to: "Leiden Kennisstad", reason: "elders beter", expectedVersion: nil)), "referred"),
            (.question(.withdraw(id: "Q-0001", reason: "niet meer nodig", expectedVersion: nil)), "withdrawn"),
        ]
        var revise = ReviseQuestion(id: "Q-0001")
        revise.title = "nieuw"
        let attempts: [Command] = [
            .question(.accept(id: "Q-0001", title: nil, description: nil, expectedVersion: nil)),
            .question(.reject(id: "Q-0001", reason: "r", expectedVersion: nil)),
            .question(.revise(revise)),
            .question(.refer(id: "Q-0001", to: "x", reason: "r", expectedVersion: nil)),
            .question(.withdraw(id: "Q-0001", reason: "r", expectedVersion: nil)),
        ]
        for (final, state) in finals {
            for attempt in attempts {
                let refusal = try Self.refusal(attempt, given: [Self.submit(), final])
                #expect(refusal?.code == .conflict, "\(attempt) after \(state)")
                #expect(refusal?.state == state)
            }
        }
    }

    /// Revising changes only the given fields, refuses an empty revision, and bumps the version.
    @Test func reviseChangesGivenFields() throws {
        var revise = ReviseQuestion(id: "Q-0001")
        revise.neighbourhood = "Merenwijk"
        revise.themes = ["loneliness", "elderly"]
        let state = try Self.given([Self.submit(), .question(.revise(revise))])
        let question = try #require(state.questions["Q-0001"])
        #expect(question.neighbourhood.district == "merenwijk")
        #expect(question.themes == ["loneliness", "elderly"])
        #expect(question.title == "Eenzaamheid in de Stevenshof")
        #expect(question.version == 2)
        #expect(try Self.refusal(.question(.revise(ReviseQuestion(id: "Q-0001"))), given: [Self.submit()])?.field == "params")
    }

    /// Erasing a contact appends PersonalDataErased and removes the details; erasing twice is a conflict.
    @Test func eraseContact() throws {
        let decision = try Self.decide(.contact(.erase(contact: "C-0001")), given: [Self.submit()])
        #expect(decision.events == [.personalDataErased(contact: "C-0001")])
        #expect(decision.personalData.keys.contains("C-0001") && decision.personalData["C-0001"]! == nil)
        #expect(try Self.refusal(.contact(.erase(contact: "C-0001")), given: [Self.submit(), .contact(.erase(contact: "C-0001"))])?.code == .conflict)
        #expect(try Self.refusal(.contact(.erase(contact: "C-0009")), given: [Self.submit()])?.code == .notFound)
    }

    /// Events read back from their stored form are the events written (the log round trip).
    @Test func eventsRoundTripThroughStoredForm() throws {
        var revise = ReviseQuestion(id: "Q-0001")
        revise.size = "large"
        let commands: [Command] = [Self.submit(), .question(.revise(revise)), .question(.accept(id: "Q-0001", title: nil, description: "Nieuw", expectedVersion: nil)),
                                   .question(.withdraw(id: "Q-0001", reason: "klaar", expectedVersion: nil)), .contact(.erase(contact: "C-0001"))]
        var state = DomainState()
        for command in commands {
            for event in try Decider.decide(command, state: state, taxonomy: Self.leiden, nowMs: Self.now).events {
                let stored = try JSONParser.parse(JSONWriter.canonicalBytes(event.data))
                let decoded = try #require(DomainEvent(type: event.type, data: stored))
                #expect(decoded == event)
                state.apply(event)
            }
        }
        #expect(DomainEvent(type: "BackupTaken", data: [:]) == nil)
    }
}

/// Random valid command sequences: replaying the events gives exactly the state that deciding them built.
@Suite struct ReplayPropertyTests {
    @Test func replayOfRandomSequencesEqualsLiveState() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("ReplayPropertyTests seed \(seed) (rerun: LMDS_SEED=\(seed))")
        var generator = SplitMix64(seed: ProcessInfo.processInfo.environment["LMDS_SEED"].flatMap(UInt64.init) ?? seed)
        let taxonomy = DeciderTests.leiden
        for round in 0..<30 {
            var live = DomainState()
            var stored: [(String, JSONValue)] = []
            for step in 0..<80 {
                let command = Self.randomCommand(state: live, taxonomy: taxonomy, using: &generator)
                // Time moves on a day per step, so that proposals expire now and then.
                let nowMs = DeciderTests.now + Int64(step) * 86_400_000
                guard let decision = try? Decider.decide(command, state: live, taxonomy: taxonomy, nowMs: nowMs) else { continue }
                try Self.apply(decision, to: &live, storing: &stored)
            }
            #expect(try Self.replay(stored) == live, "round \(round)")
        }
    }

    /// Applies a decision's events to `live` and keeps them as the log stores them (type, parsed canonical data).
    static func apply(_ decision: Decision, to live: inout DomainState, storing stored: inout [(String, JSONValue)]) throws {
        for event in decision.events {
            live.apply(event)
            stored.append((event.type, try JSONParser.parse(JSONWriter.canonicalBytes(event.data))))
        }
    }

    /// The state the stored events give when read back and applied in order.
    static func replay(_ stored: [(String, JSONValue)]) throws -> DomainState {
        var replayed = DomainState()
        for (type, data) in stored { replayed.apply(try #require(DomainEvent(type: type, data: data))) }
        return replayed
    }

    static func randomCommand(state: DomainState, taxonomy: Taxonomy, using generator: inout SplitMix64) -> Command {
        let ids = state.questions.keys.sorted()
        let id = ids.isEmpty ? "Q-0001" : ids[Int.random(in: 0..<ids.count, using: &generator)]
        func pick(_ prefix: String, _ count: Int) -> String { EntityID.make(prefix, Int.random(in: 1...max(1, count), using: &generator)) }
        let side: ConsentSide = Bool.random(using: &generator) ? .requester : .education
        switch Int.random(in: 0..<22, using: &generator) {
        case 8: return OfferDeciderTests.publish(capacity: Int.random(in: 1...3, using: &generator))
        case 9, 10: return .proposal(.create(question: pick("Q", state.questionCount), offer: pick("O", state.offerCount), note: nil))
        case 11, 12, 13: return .proposal(.accept(id: pick("P", state.proposalCount), side: side, expectedVersion: nil))
        case 14: return .proposal(.decline(id: pick("P", state.proposalCount), side: side, reason: "past niet", expectedVersion: nil))
        case 15: return .proposal(.expireDue)
        case 16: return .match(.start(id: pick("M", state.matchCount), students: 4, startedOn: "2027-02-08", expectedVersion: nil))
        case 17: return .match(.cancel(id: pick("M", state.matchCount), reason: "team gestopt", expectedVersion: nil))
        case 18:
            let drafts = Bool.random(using: &generator) ? [QuestionDraft(title: "Vervolgvraag", description: "Wat nu?")] : []
            return .outcome(.record(match: pick("M", state.matchCount), content: CollaborationDeciderTests.content, followUps: drafts))
        case 19: return .match(.close(id: pick("M", state.matchCount), note: nil, expectedVersion: nil))
        case 20: return .outcome(.recordFollowUp(outcome: pick("R", state.outcomeCount), used: .partly, note: "deels"))
        case 21: return .offer(.withdraw(id: pick("O", state.offerCount), reason: "vervalt", expectedVersion: nil))
        case 0, 1:
            let district = taxonomy.districts[Int.random(in: 0..<taxonomy.districts.count, using: &generator)]
            let theme = taxonomy.themes[Int.random(in: 0..<taxonomy.themes.count, using: &generator)].id
            return DeciderTests.submit("Vraag \(state.questionCount + 1) uit \(district.label)", neighbourhood: district.label,
                name: Bool.random(using: &generator) ? "Bewoner \(state.questionCount)" : nil, themes: [theme])
        case 2: return .question(.accept(id: id, title: Bool.random(using: &generator) ? "Herschreven" : nil, description: nil, expectedVersion: nil))
        case 3: return .question(.reject(id: id, reason: "buiten scope", expectedVersion: nil))
        case 4:
            var revise = ReviseQuestion(id: id)
            revise.size = ["small", "medium", "large"][Int.random(in: 0..<3, using: &generator)]
            return .question(.revise(revise))
        case 5: return .question(.refer(id: id, to: "Den Haag", reason: "elders", expectedVersion: nil))
        case 6: return .question(.withdraw(id: id, reason: "ingetrokken", expectedVersion: nil))
        default: return .contact(.erase(contact: "C-000\(Int.random(in: 1...5, using: &generator))"))
        }
    }
}

@Suite struct EventSummaryTests {
    /// Summaries name the entity and what happened, in words, from the stored data.
    @Test func summarisesEvents() throws {
        let decision = try DeciderTests.decide(DeciderTests.submit())
        let submitted = EventSummary.line(type: decision.events[0].type, data: decision.events[0].data)
        #expect(submitted == "Q-0001 submitted by a group (Bewonersvereniging) in stevenshof: Eenzaamheid in de Stevenshof")
        #expect(EventSummary.line(type: "QuestionRejected", data: ["id": "Q-0002", "reason": "buiten scope"]) == "Q-0002 rejected: buiten scope")
        #expect(EventSummary.line(type: "SomethingNew", data: [:]) == "SomethingNew")
    }

    /// An outcome's summary counts its deliverables and follow-up questions in words: "1 deliverable", "no
    /// follow-up questions", never "deliverable(s)".
    @Test func outcomeSummaryCountsInWords() {
        let one: JSONValue = ["id": "R-0001", "match": "M-0001", "deliverables": [["kind": "report"]], "followUps": [], "followUpDue": "2027-06-07"]
        #expect(EventSummary.line(type: "OutcomeRecorded", data: one)
            == "R-0001 recorded for M-0001: 1 deliverable, no follow-up questions; follow-up check due 2027-06-07")
        let many: JSONValue = ["id": "R-0002", "match": "M-0002", "deliverables": [[:], [:]], "followUps": [[:]], "followUpDue": "2027-06-07"]
        #expect(EventSummary.line(type: "OutcomeRecorded", data: many)
            == "R-0002 recorded for M-0002: 2 deliverables, 1 follow-up question; follow-up check due 2027-06-07")
    }

    /// A question's history covers its contact; an offer's its contact; anything else only itself.
    @Test func historyScopeFollowsLinks() throws {
        let state = try DeciderTests.given([DeciderTests.submit(), OfferDeciderTests.publish()])
        #expect(state.historyScope(of: "Q-0001") == ["Q-0001", "C-0001"])
        #expect(state.historyScope(of: "O-0001") == ["O-0001", "C-0002"])
        #expect(state.historyScope(of: "C-0001") == ["C-0001"])
    }
}
