import Domain
import LMDSJSON
import Testing

/// Given events, when a proposal, match, outcome or follow-up command, then events or this error.
@Suite struct CollaborationDeciderTests {
    static let content = OutcomeContent(
        summary: "Het team sprak veertig bewoners en adviseert een buurtkamer.",
        deliverables: [Deliverable(kind: "report", title: "Eindrapport", uri: "https://example.nl/r.pdf", visibility: .public, embargoUntil: nil)],
        students: 4, hours: 560, competences: ["interviewen"], ratings: Ratings(requester: 5, education: 4), impact: "Een buurtkamer komt er.")

    static let requester = ConsentSide.requester
    static let education = ConsentSide.education

    /// An open question Q-0001 and a published offer O-0001 of Hogeschool Leiden with `capacity`.
    static func openQuestionAndOffer(capacity: Int = 2) -> [Command] {
        [DeciderTests.submit(), .question(.accept(id: "Q-0001", title: nil, description: nil, expectedVersion: nil)),
         OfferDeciderTests.publish(capacity: capacity)]
    }

    /// ... plus P-0001 proposing Q-0001 to O-0001.
    static func proposed(capacity: Int = 2) -> [Command] {
        openQuestionAndOffer(capacity: capacity) + [.proposal(.create(question: "Q-0001", offer: "O-0001", note: "Past goed"))]
    }

    /// ... plus both consents: match M-0001 agreed.
    static func agreed(capacity: Int = 2) -> [Command] {
        proposed(capacity: capacity) + [.proposal(.accept(id: "P-0001", side: requester, expectedVersion: nil)),
                                        .proposal(.accept(id: "P-0001", side: education, expectedVersion: nil))]
    }

    /// ... plus the team started.
    static func started(capacity: Int = 2) -> [Command] {
        agreed(capacity: capacity) + [.match(.start(id: "M-0001", students: 4, startedOn: "2027-02-08", expectedVersion: nil))]
    }

    static func decide(_ command: Command, given: [Command], nowMs: Int64 = DeciderTests.now, issuer: CommandIssuer = .staff,
                       policy: DomainPolicy = .default) throws -> Decision {
        var state = DomainState()
        for earlier in given {
            for event in try Decider.decide(earlier, state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now, policy: policy).events {
                state.apply(event)
            }
        }
        return try Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: nowMs, issuer: issuer, policy: policy)
    }

    static func refusal(_ command: Command, given: [Command], nowMs: Int64 = DeciderTests.now, issuer: CommandIssuer = .staff,
                        policy: DomainPolicy = .default) -> DomainError? {
        do {
            _ = try decide(command, given: given, nowMs: nowMs, issuer: issuer, policy: policy)
            return nil
        } catch let error as DomainError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    static func state(after commands: [Command]) throws -> DomainState {
        var state = DomainState()
        for command in commands {
            for event in try Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now).events { state.apply(event) }
        }
        return state
    }

    /// Given an open question and a published offer, when proposed, then ProposalCreated P-0001 that
    /// expires after the policy's days.
    @Test func createProposalExpiresAfterPolicyDays() throws {
        let decision = try Self.decide(.proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)), given: Self.openQuestionAndOffer(),
                                       policy: DomainPolicy(proposalExpiryDays: 7))
        guard case .collaboration(.proposalCreated(let proposal))? = decision.events.first, decision.events.count == 1 else {
            Issue.record("expected one ProposalCreated, got \(decision.events)")
            return
        }
        #expect(proposal.id == "P-0001" && decision.entityID == "P-0001")
        #expect(proposal.expiresMs == DeciderTests.now + 7 * 86_400_000)
    }

    /// A proposal needs an open (or matched) question and a published offer, names both, and is not made twice.
    @Test func createProposalRefusals() {
        let submittedOnly: [Command] = [DeciderTests.submit(), OfferDeciderTests.publish()]
        #expect(Self.refusal(.proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)), given: submittedOnly)?.state == "submitted")
        #expect(Self.refusal(.proposal(.create(question: "Q-0009", offer: "O-0001", note: nil)), given: Self.openQuestionAndOffer())?.code == .notFound)
        #expect(Self.refusal(.proposal(.create(question: "Q-0001", offer: "O-0009", note: nil)), given: Self.openQuestionAndOffer())?.code == .notFound)
        #expect(Self.refusal(.proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)), given: Self.proposed())?.state == "proposed")
        #expect(Self.refusal(.proposal(.create(question: "Q-0001", offer: "O-0001", note: " ")), given: Self.openQuestionAndOffer())?.field == "note")
        let closed = Self.openQuestionAndOffer() + [.offer(.close(id: "O-0001", reason: nil, expectedVersion: nil))]
        #expect(Self.refusal(.proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)), given: closed)?.state == "closed")
        let educator = CommandIssuer(role: "educator", institution: "hogeschool-leiden")
        #expect(Self.refusal(.proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)), given: Self.openQuestionAndOffer(), issuer: educator)?.code == .forbidden)
    }

    /// The first consent is recorded alone; the same side again is a conflict.
    @Test func firstConsentIsRecordedOnce() throws {
        let decision = try Self.decide(.proposal(.accept(id: "P-0001", side: Self.requester, expectedVersion: nil)), given: Self.proposed())
        #expect(decision.events == [.collaboration(.proposalConsented(id: "P-0001", side: .requester))])
        let again = Self.proposed() + [.proposal(.accept(id: "P-0001", side: Self.requester, expectedVersion: nil))]
        #expect(Self.refusal(.proposal(.accept(id: "P-0001", side: Self.requester, expectedVersion: nil)), given: again)?.code == .conflict)
    }

    /// Given one consent, when the other side accepts, then in one decision: consent, accepted, match
    /// agreed, question matched, and (capacity 1) the offer full.
    @Test func secondConsentAgreesMatchAtomically() throws {
        let given = Self.proposed(capacity: 1) + [.proposal(.accept(id: "P-0001", side: Self.education, expectedVersion: nil))]
        let decision = try Self.decide(.proposal(.accept(id: "P-0001", side: Self.requester, expectedVersion: nil)), given: given)
        #expect(decision.events.map(\.type) == ["ProposalConsented", "ProposalAccepted", "MatchAgreed", "QuestionMatched", "OfferFilled"])
        #expect(decision.entityID == "P-0001")
        let state = try Self.state(after: given + [.proposal(.accept(id: "P-0001", side: Self.requester, expectedVersion: nil))])
        #expect(state.proposals["P-0001"]?.status == .accepted && state.proposals["P-0001"]?.match == "M-0001")
        #expect(state.matches["M-0001"]?.status == .agreed)
        #expect(state.questions["Q-0001"]?.status == .matched)
        #expect(state.offers["O-0001"]?.status == .full)
    }

    /// A full offer takes no proposal; a second consent is refused when the offer filled up meanwhile.
    @Test func fullOfferTakesNoProposal() throws {
        var given = Self.agreed(capacity: 1)
        given += [DeciderTests.submit("Tweede vraag"), .question(.accept(id: "Q-0002", title: nil, description: nil, expectedVersion: nil))]
        #expect(Self.refusal(.proposal(.create(question: "Q-0002", offer: "O-0001", note: nil)), given: given)?.state == "full")
        // Two proposals on a capacity-1 offer: the second cannot be agreed once the first filled it.
        var race = Self.openQuestionAndOffer(capacity: 1)
        race += [DeciderTests.submit("Tweede vraag"), .question(.accept(id: "Q-0002", title: nil, description: nil, expectedVersion: nil)),
                 .proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)), .proposal(.create(question: "Q-0002", offer: "O-0001", note: nil)),
                 .proposal(.accept(id: "P-0001", side: Self.requester, expectedVersion: nil)), .proposal(.accept(id: "P-0001", side: Self.education, expectedVersion: nil)),
                 .proposal(.accept(id: "P-0002", side: Self.requester, expectedVersion: nil))]
        #expect(Self.refusal(.proposal(.accept(id: "P-0002", side: Self.education, expectedVersion: nil)), given: race)?.state == "full")
    }

    /// Educators answer only for the education side, and only for their own institution's offers.
    @Test func educatorsSpeakOnlyForEducationOfTheirInstitution() throws {
        let own = CommandIssuer(role: "educator", institution: "hogeschool-leiden")
        let other = CommandIssuer(role: "educator", institution: "universiteit-leiden")
        #expect((try? Self.decide(.proposal(.accept(id: "P-0001", side: Self.education, expectedVersion: nil)), given: Self.proposed(), issuer: own)) != nil)
        #expect(Self.refusal(.proposal(.accept(id: "P-0001", side: Self.requester, expectedVersion: nil)), given: Self.proposed(), issuer: own)?.code == .forbidden)
        #expect(Self.refusal(.proposal(.accept(id: "P-0001", side: Self.education, expectedVersion: nil)), given: Self.proposed(), issuer: other)?.code == .forbidden)
        #expect(Self.refusal(.match(.start(id: "M-0001", students: 3, startedOn: "2027-02-08", expectedVersion: nil)), given: Self.agreed(), issuer: other)?.code == .forbidden)
    }

    /// Decline and withdraw end a pending proposal; nothing can happen to it afterwards.
    @Test func declineAndWithdraw() throws {
        let decline = try Self.decide(.proposal(.decline(id: "P-0001", side: Self.education, reason: "Geen plek", expectedVersion: nil)), given: Self.proposed())
        #expect(decline.events == [.collaboration(.proposalDeclined(id: "P-0001", side: .education, reason: "Geen plek"))])
        let declined = Self.proposed() + [.proposal(.decline(id: "P-0001", side: Self.education, reason: "Geen plek", expectedVersion: nil))]
        #expect(Self.refusal(.proposal(.accept(id: "P-0001", side: Self.requester, expectedVersion: nil)), given: declined)?.state == "declined")
        #expect(Self.refusal(.proposal(.withdraw(id: "P-0001", reason: "x", expectedVersion: nil)), given: declined)?.state == "declined")
        #expect(Self.refusal(.proposal(.decline(id: "P-0001", side: Self.requester, reason: "", expectedVersion: nil)), given: Self.proposed())?.field == "reason")
        let withdraw = try Self.decide(.proposal(.withdraw(id: "P-0001", reason: "Vraag verandert", expectedVersion: 1)), given: Self.proposed())
        #expect(withdraw.events.map(\.type) == ["ProposalWithdrawn"])
        #expect(Self.refusal(.proposal(.withdraw(id: "P-0001", reason: "x", expectedVersion: 3)), given: Self.proposed())?.code == .conflict)
    }

    /// Proposals without both consents expire when due, not before; accepted ones never.
    @Test func expiryWhenDue() throws {
        let policy = DomainPolicy.default
        let early = try Self.decide(.proposal(.expireDue), given: Self.proposed(), nowMs: DeciderTests.now + policy.proposalExpiryMs - 1)
        #expect(early.events.isEmpty)
        let due = try Self.decide(.proposal(.expireDue), given: Self.proposed(), nowMs: DeciderTests.now + policy.proposalExpiryMs)
        #expect(due.events == [.collaboration(.proposalExpired(id: "P-0001"))])
        let late = try Self.decide(.proposal(.expireDue), given: Self.agreed(), nowMs: DeciderTests.now + 100 * 86_400_000)
        #expect(late.events.isEmpty)
        // After it expired, no side can accept it any more.
        var state = try Self.state(after: Self.proposed())
        for event in due.events { state.apply(event) }
        #expect(state.proposals["P-0001"]?.status == .expired)
        #expect(throws: ProposalVerb.accept.refusal("P-0001", state: "expired", allowed: [])) {
            try Decider.decide(.proposal(.accept(id: "P-0001", side: .requester, expectedVersion: nil)), state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now)
        }
    }

    /// agreed → started, with a team and a date; not twice; students and date are checked.
    @Test func startMatch() throws {
        let decision = try Self.decide(.match(.start(id: "M-0001", students: 4, startedOn: "2027-02-08", expectedVersion: 1)), given: Self.agreed())
        #expect(decision.events == [.collaboration(.matchStarted(id: "M-0001", students: 4, startedOn: "2027-02-08"))])
        #expect(Self.refusal(.match(.start(id: "M-0001", students: 4, startedOn: "2027-02-08", expectedVersion: nil)), given: Self.started())?.state == "started")
        #expect(Self.refusal(.match(.start(id: "M-0001", students: 0, startedOn: "2027-02-08", expectedVersion: nil)), given: Self.agreed())?.field == "students")
        #expect(Self.refusal(.match(.start(id: "M-0001", students: 4, startedOn: "8 februari", expectedVersion: nil)), given: Self.agreed())?.field == "startedOn")
        #expect(Self.refusal(.match(.start(id: "M-0009", students: 4, startedOn: "2027-02-08", expectedVersion: nil)), given: Self.agreed())?.code == .notFound)
    }

    /// Cancelling the only match reopens the question and frees the offer's place.
    @Test func cancelReopensQuestionAndOffer() throws {
        let decision = try Self.decide(.match(.cancel(id: "M-0001", reason: "Team gestopt", expectedVersion: nil)), given: Self.started(capacity: 1))
        #expect(decision.events.map(\.type) == ["MatchCancelled", "QuestionReopened", "OfferReopened"])
        let cancelled = Self.started() + [.match(.cancel(id: "M-0001", reason: "Team gestopt", expectedVersion: nil))]
        #expect(Self.refusal(.match(.cancel(id: "M-0001", reason: "x", expectedVersion: nil)), given: cancelled)?.state == "cancelled")
        // The question can be proposed again.
        #expect((try? Self.decide(.proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)), given: cancelled)) != nil)
    }

    /// Recording an outcome delivers the match, completes the question, frees the place, and turns the
    /// follow-up drafts into new questions linked to the outcome; the check falls due after the policy's months.
    @Test func recordOutcome() throws {
        let drafts = [QuestionDraft(title: "Een buurtkamer", description: "Waar kan die komen?"),
                      QuestionDraft(title: "Jongeren", description: "En de jongeren?", neighbourhood: "Merenwijk")]
        let decision = try Self.decide(.outcome(.record(match: "M-0001", content: Self.content, followUps: drafts)), given: Self.started(capacity: 1),
                                       policy: DomainPolicy(followUpMonths: 3))
        #expect(decision.events.map(\.type) == ["OutcomeRecorded", "MatchDelivered", "QuestionCompleted", "OfferReopened", "QuestionSubmitted", "QuestionSubmitted"])
        #expect(decision.entityID == "R-0001")
        guard case .collaboration(.outcomeRecorded(let outcome))? = decision.events.first else {
            Issue.record("expected OutcomeRecorded first")
            return
        }
        #expect(outcome.followUps == ["Q-0002", "Q-0003"])
        #expect(outcome.followUpDue == CivilDate.adding(months: 3, to: CivilDate.date(milliseconds: DeciderTests.now)))
        guard case .questionSubmitted(let followUp) = decision.events[5] else {
            Issue.record("expected a follow-up question")
            return
        }
        #expect(followUp.followUpOf == "R-0001" && followUp.requester.contact == "C-0001" && followUp.neighbourhood.district == "merenwijk")
        let state = try Self.state(after: Self.started() + [.outcome(.record(match: "M-0001", content: Self.content, followUps: drafts))])
        #expect(state.contactCount == 2, "a follow-up question shares its requester's contact")
    }

    /// An outcome needs a started match, a summary, and deliverables with a consistent visibility.
    @Test func recordOutcomeRefusals() {
        #expect(Self.refusal(.outcome(.record(match: "M-0001", content: Self.content, followUps: [])), given: Self.agreed())?.state == "agreed")
        var noSummary = Self.content
        noSummary.summary = nil
        #expect(Self.refusal(.outcome(.record(match: "M-0001", content: noSummary, followUps: [])), given: Self.started())?.field == "summary")
        var embargo = Self.content
        embargo.deliverables = [Deliverable(kind: "dataset", title: "Data", uri: nil, visibility: .embargo, embargoUntil: nil)]
        #expect(Self.refusal(.outcome(.record(match: "M-0001", content: embargo, followUps: [])), given: Self.started())?.field == "deliverables[0].embargoUntil")
        var kind = Self.content
        kind.deliverables = [Deliverable(kind: "poem", title: "Gedicht", uri: nil, visibility: .public, embargoUntil: nil)]
        #expect(Self.refusal(.outcome(.record(match: "M-0001", content: kind, followUps: [])), given: Self.started())?.field == "deliverables[0].kind")
        var rating = Self.content
        rating.ratings = Ratings(requester: 6, education: nil)
        #expect(Self.refusal(.outcome(.record(match: "M-0001", content: rating, followUps: [])), given: Self.started())?.field == "ratings.requester")
        let badDraft = [QuestionDraft(title: "Vervolg", description: "x", neighbourhood: "Atlantis")]
        #expect(Self.refusal(.outcome(.record(match: "M-0001", content: Self.content, followUps: badDraft)), given: Self.started())?.field == "followUps[0].neighbourhood")
        let delivered = Self.started() + [.outcome(.record(match: "M-0001", content: Self.content, followUps: []))]
        #expect(Self.refusal(.outcome(.record(match: "M-0001", content: Self.content, followUps: [])), given: delivered)?.state == "delivered")
    }

    /// Revising changes only the fields given; closing needs a delivered match.
    @Test func reviseOutcomeAndCloseMatch() throws {
        let delivered = Self.started() + [.outcome(.record(match: "M-0001", content: Self.content, followUps: []))]
        let revise = try Self.decide(.outcome(.revise(id: "R-0001", content: OutcomeContent(hours: 600), expectedVersion: 1)), given: delivered)
        #expect(revise.events == [.collaboration(.outcomeRevised(id: "R-0001", changes: ["hours": 600]))])
        #expect(Self.refusal(.outcome(.revise(id: "R-0001", content: OutcomeContent(), expectedVersion: nil)), given: delivered)?.field == "params")
        #expect(Self.refusal(.outcome(.revise(id: "R-0001", content: OutcomeContent(hours: 1), expectedVersion: 5)), given: delivered)?.code == .conflict)
        #expect(Self.refusal(.match(.close(id: "M-0001", note: nil, expectedVersion: nil)), given: Self.started())?.state == "started")
        #expect(try Self.decide(.match(.close(id: "M-0001", note: "Afgerond", expectedVersion: nil)), given: delivered).events.map(\.type) == ["MatchClosed"])
    }

    /// A follow-up check is recorded once.
    @Test func recordFollowUpOnce() throws {
        let delivered = Self.started() + [.outcome(.record(match: "M-0001", content: Self.content, followUps: []))]
        let decision = try Self.decide(.outcome(.recordFollowUp(outcome: "R-0001", used: .yes, note: "Buurtkamer open")), given: delivered)
        #expect(decision.events.map(\.type) == ["FollowUpRecorded"])
        let recorded = delivered + [.outcome(.recordFollowUp(outcome: "R-0001", used: .yes, note: nil))]
        #expect(Self.refusal(.outcome(.recordFollowUp(outcome: "R-0001", used: .no, note: nil)), given: recorded)?.code == .conflict)
        #expect(Self.refusal(.outcome(.recordFollowUp(outcome: "R-0009", used: .no, note: nil)), given: recorded)?.code == .notFound)
    }

    /// Withdrawing a question withdraws its pending proposals and cancels its open matches, freeing offers.
    @Test func withdrawingAQuestionWindsDownItsCollaborations() throws {
        var given = Self.agreed(capacity: 1)
        given += [OfferDeciderTests.publish(), .proposal(.create(question: "Q-0001", offer: "O-0002", note: nil))]
        let decision = try Self.decide(.question(.withdraw(id: "Q-0001", reason: "Opgelost", expectedVersion: nil)), given: given)
        #expect(decision.events.map(\.type) == ["QuestionWithdrawn", "ProposalWithdrawn", "MatchCancelled", "OfferReopened"])
    }

    /// Withdrawing an offer cancels its matches (the question reopens); closing it only withdraws pending proposals.
    @Test func endingAnOfferWindsDownItsCollaborations() throws {
        let withdraw = try Self.decide(.offer(.withdraw(id: "O-0001", reason: "Vak vervalt", expectedVersion: nil)), given: Self.started())
        #expect(withdraw.events.map(\.type) == ["OfferWithdrawn", "MatchCancelled", "QuestionReopened"])
        let close = try Self.decide(.offer(.close(id: "O-0001", reason: nil, expectedVersion: nil)), given: Self.proposed())
        #expect(close.events.map(\.type) == ["OfferClosed", "ProposalWithdrawn"])
        let closeRunning = try Self.decide(.offer(.close(id: "O-0001", reason: nil, expectedVersion: nil)), given: Self.started())
        #expect(closeRunning.events.map(\.type) == ["OfferClosed"])
    }

    /// Lowering an offer's capacity to its open matches fills it; raising it reopens it.
    @Test func capacityRevisionFillsAndReopens() throws {
        var lower = ReviseOffer(id: "O-0001")
        lower.capacity = 1
        #expect(try Self.decide(.offer(.revise(lower)), given: Self.agreed(capacity: 2)).events.map(\.type) == ["OfferRevised", "OfferFilled"])
        var raise = ReviseOffer(id: "O-0001")
        raise.capacity = 3
        #expect(try Self.decide(.offer(.revise(raise)), given: Self.agreed(capacity: 1)).events.map(\.type) == ["OfferRevised", "OfferReopened"])
    }

    /// Referring a question withdraws its pending proposals; completing one withdraws those still waiting.
    @Test func referralAndCompletionEndPendingProposals() throws {
        let refer = try Self.decide(.question(.refer(id: "Q-0001", to: "Den Haag", reason: "elders", expectedVersion: nil)), given: Self.proposed())
        #expect(refer.events.map(\.type) == ["QuestionReferred", "ProposalWithdrawn"])
        let given = Self.started() + [OfferDeciderTests.publish(), .proposal(.create(question: "Q-0001", offer: "O-0002", note: nil))]
        let record = try Self.decide(.outcome(.record(match: "M-0001", content: Self.content, followUps: [])), given: given)
        #expect(record.events.map(\.type) == ["OutcomeRecorded", "MatchDelivered", "QuestionCompleted", "ProposalWithdrawn"])
    }

    /// Even a first consent needs an offer that takes questions; no consent counts once the time is up.
    @Test func consentChecksOfferAndClock() throws {
        var given = Self.proposed(capacity: 1)
        given += [DeciderTests.submit("Tweede"), .question(.accept(id: "Q-0002", title: nil, description: nil, expectedVersion: nil)),
                  .proposal(.create(question: "Q-0002", offer: "O-0001", note: nil)),
                  .proposal(.accept(id: "P-0002", side: Self.requester, expectedVersion: nil)), .proposal(.accept(id: "P-0002", side: Self.education, expectedVersion: nil))]
        #expect(Self.refusal(.proposal(.accept(id: "P-0001", side: Self.requester, expectedVersion: nil)), given: given)?.state == "full")
        let late = DeciderTests.now + DomainPolicy.default.proposalExpiryMs
        #expect(Self.refusal(.proposal(.accept(id: "P-0001", side: Self.requester, expectedVersion: nil)), given: Self.proposed(), nowMs: late)?.state == "expired")
    }

    /// Revising one side's rating keeps the other's.
    @Test func reviseKeepsTheOtherRating() throws {
        let delivered = Self.started() + [.outcome(.record(match: "M-0001", content: Self.content, followUps: []))]
        let revise = try Self.decide(.outcome(.revise(id: "R-0001", content: OutcomeContent(ratings: Ratings(requester: 3, education: nil)), expectedVersion: nil)),
                                     given: delivered)
        #expect(revise.events == [.collaboration(.outcomeRevised(id: "R-0001", changes: ["ratings": ["requester": 3, "education": 4]]))])
    }

    /// Every collaboration event reads back from its stored form as written.
    @Test func eventsRoundTripThroughStoredForm() throws {
        let commands = Self.started(capacity: 1) + [
            .outcome(.record(match: "M-0001", content: Self.content, followUps: [QuestionDraft(title: "Vervolg", description: "Wat nu?")])),
            .outcome(.revise(id: "R-0001", content: OutcomeContent(ratings: Ratings(requester: 4, education: nil)), expectedVersion: nil)),
            .outcome(.recordFollowUp(outcome: "R-0001", used: .partly, note: "Deels")), .match(.close(id: "M-0001", note: "Klaar", expectedVersion: nil)),
            .proposal(.create(question: "Q-0002", offer: "O-0001", note: nil)),
        ]
        var state = DomainState()
        var types = Set<String>()
        for command in commands {
            guard let decision = try? Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now) else { continue }
            for event in decision.events {
                let stored = try JSONParser.parse(JSONWriter.canonicalBytes(event.data))
                #expect(try #require(DomainEvent(type: event.type, data: stored)) == event)
                types.insert(event.type)
                state.apply(event)
            }
        }
        #expect(types.isSuperset(of: ["ProposalCreated", "ProposalConsented", "ProposalAccepted", "MatchAgreed", "MatchStarted", "OutcomeRecorded",
                                      "MatchDelivered", "OutcomeRevised", "FollowUpRecorded", "MatchClosed", "QuestionMatched", "QuestionCompleted"]))
    }

    /// A question's history reaches its proposals, matches and outcomes; a match's its proposal and outcome.
    @Test func historyScopeFollowsLinks() throws {
        let state = try Self.state(after: Self.started() + [.outcome(.record(match: "M-0001", content: Self.content, followUps: []))])
        #expect(Set(state.historyScope(of: "Q-0001")) == ["Q-0001", "C-0001", "P-0001", "M-0001", "R-0001"])
        #expect(Set(state.historyScope(of: "M-0001")) == ["M-0001", "P-0001", "R-0001"])
        #expect(Set(state.historyScope(of: "R-0001")) == ["R-0001", "M-0001"])
    }
}

/// UTC dates without a clock: due dates from event times.
@Suite struct CivilDateTests {
    @Test func dateOfMilliseconds() {
        #expect(CivilDate.date(milliseconds: 0) == "1970-01-01")
        #expect(CivilDate.date(milliseconds: 1_796_000_000_000) == "2026-11-30")
        #expect(CivilDate.date(milliseconds: -1) == "1969-12-31")
        #expect(CivilDate.date(milliseconds: 951_782_400_000) == "2000-02-29")
    }

    @Test func addingMonthsClampsTheDay() {
        #expect(CivilDate.adding(months: 6, to: "2026-08-31") == "2027-02-28")
        #expect(CivilDate.adding(months: 6, to: "2027-08-31") == "2028-02-29")
        #expect(CivilDate.adding(months: 1, to: "2026-12-15") == "2027-01-15")
    }

    /// A date must exist: 30 February does not.
    @Test func datesMustExist() {
        #expect(DateWindow.isDate("2028-02-29") && !DateWindow.isDate("2027-02-29") && !DateWindow.isDate("2027-02-30"))
        #expect(DateWindow.isDate("2027-04-30") && !DateWindow.isDate("2027-04-31"))
    }

    @Test func addingDaysCrossesMonthsAndYears() {
        #expect(CivilDate.adding(days: 30, to: "2027-05-29") == "2027-06-28")
        #expect(CivilDate.adding(days: 1, to: "2026-12-31") == "2027-01-01")
        #expect(CivilDate.adding(days: 1, to: "2028-02-28") == "2028-02-29")
    }
}
