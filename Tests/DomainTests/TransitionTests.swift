import Domain
import LMDSJSON
import Testing

/// Given an entity in each of its states, when each of its commands, then the decider accepts exactly the
/// verbs the transitions table lists for that state, and a refusal names the state and those verbs.
@Suite struct TransitionTests {
    typealias Fixtures = CollaborationDeciderTests
    static let content = CollaborationDeciderTests.content
    /// Proposals expire at once under this policy, so that a proposal can be given in its expired state.
    static let expiringAtOnce = DomainPolicy(proposalExpiryDays: 0)

    static func state(after commands: [Command], policy: DomainPolicy = .default) throws -> DomainState {
        var state = DomainState()
        for command in commands {
            for event in try Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now, policy: policy).events {
                state.apply(event)
            }
        }
        return state
    }

    /// For each (status, commands that lead there): the entity is in that status, and each verb is decided
    /// without error when the table allows it, and refused with a conflict naming the status and the
    /// allowed verbs when it does not.
    static func verify<Verb: Transition>(
        _ cases: [(Verb.Status, [Command])], policy: DomainPolicy = .default, status: (DomainState) -> Verb.Status?, command: (Verb) -> Command
    ) throws {
        for (expected, given) in cases {
            let state = try state(after: given, policy: policy)
            #expect(status(state)?.rawValue == expected.rawValue, "fixture for \(expected.rawValue) is in \(status(state)?.rawValue ?? "nothing")")
            let allowed = Verb.allowed(in: expected).map(\.rawValue)
            for verb in Verb.allCases {
                do {
                    _ = try Decider.decide(command(verb), state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now, policy: policy)
                    #expect(verb.isAllowed(in: expected), "\(verb.rawValue) was accepted in \(expected.rawValue)")
                } catch {
                    #expect(!verb.isAllowed(in: expected), "\(verb.rawValue) was refused in \(expected.rawValue): \(error.message)")
                    #expect(error.code == .conflict && error.state == expected.rawValue, "\(verb.rawValue) in \(expected.rawValue): \(error.message)")
                    #expect(error.details["allowed"] == .array(allowed.map { .string($0) }), "\(verb.rawValue) in \(expected.rawValue)")
                }
            }
        }
    }

    static var delivered: [Command] {
        Fixtures.started() + [.outcome(.record(match: "M-0001", content: content, followUps: []))]
    }

    /// Questions: intake only while submitted, revise and refer until matched, withdraw until finished.
    @Test func questionVerbsAreExactlyThoseTheDeciderAccepts() throws {
        let submitted = [DeciderTests.submit()]
        try Self.verify([
            (QuestionStatus.submitted, submitted),
            (.open, Fixtures.openQuestionAndOffer()),
            (.matched, Fixtures.agreed()),
            (.completed, Self.delivered),
            (.rejected, submitted + [.question(.reject(id: "Q-0001", reason: "Geen vraag", expectedVersion: nil))]),
            (.referred, submitted + [.question(.refer(id: "Q-0001", to: "Gemeente", reason: "Elders", expectedVersion: nil))]),
            (.withdrawn, submitted + [.question(.withdraw(id: "Q-0001", reason: "Opgelost", expectedVersion: nil))]),
        ], status: { $0.questions["Q-0001"]?.status }) { (verb: QuestionVerb) in
            switch verb {
            case .accept: return .question(.accept(id: "Q-0001", title: nil, description: nil, expectedVersion: nil))
            case .reject: return .question(.reject(id: "Q-0001", reason: "Dubbel", expectedVersion: nil))
            case .revise:
                var revise = ReviseQuestion(id: "Q-0001")
                revise.title = "Nieuwe titel"
                return .question(.revise(revise))
            case .refer: return .question(.refer(id: "Q-0001", to: "Gemeente Leiden", reason: "Hoort daar", expectedVersion: nil))
            case .withdraw: return .question(.withdraw(id: "Q-0001", reason: "Niet meer nodig", expectedVersion: nil))
            }
        }
    }

    /// Offers: revise, close and withdraw until closed or withdrawn.
    @Test func offerVerbsAreExactlyThoseTheDeciderAccepts() throws {
        let published = [OfferDeciderTests.publish()]
        try Self.verify([
            (OfferStatus.published, published),
            (.full, Fixtures.agreed(capacity: 1)),
            (.closed, published + [.offer(.close(id: "O-0001", reason: nil, expectedVersion: nil))]),
            (.withdrawn, published + [.offer(.withdraw(id: "O-0001", reason: "Vervalt", expectedVersion: nil))]),
        ], status: { $0.offers["O-0001"]?.status }) { (verb: OfferVerb) in
            switch verb {
            case .revise:
                var revise = ReviseOffer(id: "O-0001")
                revise.title = "Nieuwe titel"
                return .offer(.revise(revise))
            case .close: return .offer(.close(id: "O-0001", reason: "Vol genoeg", expectedVersion: nil))
            case .withdraw: return .offer(.withdraw(id: "O-0001", reason: "Vervalt", expectedVersion: nil))
            }
        }
    }

    /// Proposals: accept, decline and withdraw only while proposed.
    @Test func proposalVerbsAreExactlyThoseTheDeciderAccepts() throws {
        let proposed = Fixtures.proposed()
        try Self.verify([
            (ProposalStatus.proposed, proposed),
            (.accepted, Fixtures.agreed()),
            (.declined, proposed + [.proposal(.decline(id: "P-0001", side: .education, reason: "Past niet", expectedVersion: nil))]),
            (.withdrawn, proposed + [.proposal(.withdraw(id: "P-0001", reason: "Vergissing", expectedVersion: nil))]),
        ], status: { $0.proposals["P-0001"]?.status }, command: Self.proposalCommand)
        try Self.verify([(ProposalStatus.expired, proposed + [.proposal(.expireDue)])], policy: Self.expiringAtOnce,
                        status: { $0.proposals["P-0001"]?.status }, command: Self.proposalCommand)
    }

    static func proposalCommand(_ verb: ProposalVerb) -> Command {
        switch verb {
        case .accept: return .proposal(.accept(id: "P-0001", side: .requester, expectedVersion: nil))
        case .decline: return .proposal(.decline(id: "P-0001", side: .requester, reason: "Toch niet", expectedVersion: nil))
        case .withdraw: return .proposal(.withdraw(id: "P-0001", reason: "Vergissing", expectedVersion: nil))
        }
    }

    /// Matches: start when agreed, cancel while open, an outcome when started, close when delivered.
    @Test func matchVerbsAreExactlyThoseTheDeciderAccepts() throws {
        try Self.verify([
            (MatchStatus.agreed, Fixtures.agreed()),
            (.started, Fixtures.started()),
            (.delivered, Self.delivered),
            (.closed, Self.delivered + [.match(.close(id: "M-0001", note: nil, expectedVersion: nil))]),
            (.cancelled, Fixtures.agreed() + [.match(.cancel(id: "M-0001", reason: "Team viel uit", expectedVersion: nil))]),
        ], status: { $0.matches["M-0001"]?.status }) { (verb: MatchVerb) in
            switch verb {
            case .start: return .match(.start(id: "M-0001", students: 4, startedOn: "2027-02-08", expectedVersion: nil))
            case .cancel: return .match(.cancel(id: "M-0001", reason: "Team viel uit", expectedVersion: nil))
            case .close: return .match(.close(id: "M-0001", note: "Klaar", expectedVersion: nil))
            case .record: return .outcome(.record(match: "M-0001", content: Self.content, followUps: []))
            }
        }
    }

    /// Outcomes: revise always, the follow-up check once.
    @Test func outcomeVerbsAreExactlyThoseTheDeciderAccepts() throws {
        try Self.verify([
            (OutcomeStatus.recorded, Self.delivered),
            (.followedUp, Self.delivered + [.outcome(.recordFollowUp(outcome: "R-0001", used: .yes, note: nil))]),
        ], status: { $0.outcomes["R-0001"]?.status }) { (verb: OutcomeVerb) in
            switch verb {
            case .revise: return .outcome(.revise(id: "R-0001", content: OutcomeContent(summary: "Beter gezegd"), expectedVersion: nil))
            case .record: return .outcome(.recordFollowUp(outcome: "R-0001", used: .partly, note: nil))
            }
        }
    }

    /// A refusal says in words what the state allows instead: one verb as an instruction, several as a list.
    @Test func refusalsNameTheAllowedVerbsInWords() throws {
        let open = try Self.state(after: Fixtures.openQuestionAndOffer())
        let reject = Command.question(.reject(id: "Q-0001", reason: "Dubbel", expectedVersion: nil))
        #expect(throws: DomainError.self) { try Decider.decide(reject, state: open, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now) }
        do {
            _ = try Decider.decide(reject, state: open, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now)
        } catch {
            #expect(error.message == "Q-0001 is open: it cannot be rejected; it can be revised, referred or withdrawn")
        }
        #expect(MatchVerb.start.refusal("M-0001", state: "started", allowed: [.cancel]).message == "M-0001 is started: it cannot be started; cancel it instead")
        #expect(QuestionVerb.withdraw.refusal("Q-0001", state: "completed", allowed: []).message
                == "Q-0001 is completed: it cannot be withdrawn; it can change no more")
    }
}
