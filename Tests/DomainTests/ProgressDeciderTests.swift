import Domain
import Foundation
import LMDSJSON
import LMDSTestSupport
import Testing

/// Given events, when a milestone, check-in or feedback command, then events or this error; and the blind rule.
@Suite struct ProgressDeciderTests {
    typealias Given = CollaborationDeciderTests

    static let template = [MilestoneTemplate(title: "Kick-off", dayOffset: 0), MilestoneTemplate(title: "Interviews klaar", dayOffset: 28),
                           MilestoneTemplate(title: "Eindpresentatie", dayOffset: 120)]

    /// An open question, an offer with the milestone template, both consents: M-0001 agreed.
    static func agreedWithTemplate() -> [Command] {
        guard case .offer(.publish(var publish)) = OfferDeciderTests.publish(capacity: 2) else { return [] }
        publish.milestones = template
        return [DeciderTests.submit(), .question(.accept(id: "Q-0001", title: nil, description: nil, expectedVersion: nil)), .offer(.publish(publish)),
                .proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)),
                .proposal(.accept(id: "P-0001", side: .requester, expectedVersion: nil)), .proposal(.accept(id: "P-0001", side: .education, expectedVersion: nil))]
    }

    static let start = Command.match(.start(id: "M-0001", students: 4, startedOn: "2027-02-08", expectedVersion: nil))
    static let started = agreedWithTemplate() + [start]
    static let delivered = started + [.outcome(.record(match: "M-0001", content: Given.content, followUps: []))]

    static let allFives = Dictionary(uniqueKeysWithValues: FeedbackPolicy.defaultSet.map { ($0.id, 5) })

    static func feedback(_ side: FeedbackSide, _ moment: FeedbackMoment = .end, answers: [String: Int] = allFives, comment: String? = nil) -> Command {
        .progress(.submitFeedback(SubmitFeedback(match: "M-0001", side: side, moment: moment, answers: answers, comment: comment)))
    }

    /// Given an offer with a milestone template, when its match starts, then the same append plans the template's
    /// milestones from the start date, numbered from 1.
    @Test func startPlansTheTemplateInTheSameAppend() throws {
        let decision = try Given.decide(Self.start, given: Self.agreedWithTemplate())
        #expect(decision.events.count == 2)
        guard case .progress(.milestonesPlanned(let match, let milestones))? = decision.events.last else {
            Issue.record("expected MilestonesPlanned after MatchStarted, got \(decision.events)")
            return
        }
        #expect(match == "M-0001")
        #expect(milestones.map(\.number) == [1, 2, 3])
        #expect(milestones.map(\.due) == ["2027-02-08", "2027-03-08", "2027-06-08"])
        #expect(milestones.map(\.title) == ["Kick-off", "Interviews klaar", "Eindpresentatie"])
    }

    /// Given an offer without a template, when its match starts, then no milestones are planned.
    @Test func startWithoutTemplatePlansNothing() throws {
        let decision = try Given.decide(.match(.start(id: "M-0001", students: 4, startedOn: "2027-02-08", expectedVersion: nil)), given: Given.agreed())
        #expect(decision.events.count == 1)
    }

    /// A milestone's status is a pure function of the milestone and the moment: upcoming, due within seven days,
    /// overdue after its date, completed from its completion on.
    @Test func statusAsOfAnyMoment() {
        let day: Int64 = 86_400_000
        let noon = DeciderTests.now  // 2026-11-30
        var milestone = Milestone(number: 1, title: "Kick-off", due: "2026-12-10")
        #expect(milestone.status(asOfMs: noon) == .upcoming)
        #expect(milestone.status(asOfMs: noon + 3 * day) == .due)
        #expect(milestone.status(asOfMs: noon + 10 * day) == .due)
        #expect(milestone.status(asOfMs: noon + 11 * day) == .overdue)
        milestone.completedMs = noon + 12 * day
        milestone.completedOn = "2026-12-12"
        #expect(milestone.status(asOfMs: noon + 11 * day) == .overdue)
        #expect(milestone.status(asOfMs: noon + 12 * day) == .completed)
        #expect(!milestone.metOnTime)
    }

    /// Given a started match, when a milestone is completed with a note, then the event holds the note's id and
    /// SHA-256 and the text goes to the personal table; completing it again is a conflict.
    @Test func completeKeepsTheNoteOutOfTheLog() throws {
        let complete = Command.progress(.completeMilestone(match: "M-0001", milestone: 2, note: "Veertig interviews, met Anna de Vries"))
        let decision = try Given.decide(complete, given: Self.started)
        guard case .progress(.milestoneCompleted(_, let number, _, let completedOn, let note?))? = decision.events.first else {
            Issue.record("expected MilestoneCompleted with a note, got \(decision.events)")
            return
        }
        #expect(number == 2 && completedOn == "2026-11-30")
        #expect(note.id == "T-0001" && note.sha256 == PersonalRecord.sha256Hex("Veertig interviews, met Anna de Vries"))
        #expect(decision.personalData["T-0001"] == .some(.text("Veertig interviews, met Anna de Vries")))
        #expect(!JSONWriter.canonicalString(decision.events[0].data).contains("Anna"))
        #expect(Given.refusal(complete, given: Self.started + [complete])?.code == .conflict)
        #expect(Given.refusal(.progress(.completeMilestone(match: "M-0001", milestone: 9, note: nil)), given: Self.started)?.field == "milestone")
    }

    /// Given a started match, when its milestones are planned anew, then they replace the old list; once one is
    /// completed, planning anew is refused.
    @Test func planReplacesUntilOneIsCompleted() throws {
        let plan = Command.progress(.planMilestones(match: "M-0001", items: [MilestoneItem(title: "Start", due: "2027-02-10")]))
        let state = try Given.state(after: Self.started + [plan])
        #expect(state.progress.milestones["M-0001"]?.map(\.title) == ["Start"])
        let completed = Self.started + [.progress(.completeMilestone(match: "M-0001", milestone: 1, note: nil))]
        #expect(Given.refusal(plan, given: completed)?.code == .conflict)
        let badDate = Command.progress(.planMilestones(match: "M-0001", items: [MilestoneItem(title: "Start", due: "2027-02-30")]))
        #expect(Given.refusal(badDate, given: Self.started)?.field == "items[0].due")
    }

    /// Given a started match, when a milestone is revised, then its due date moves.
    @Test func reviseMovesTheDueDate() throws {
        let state = try Given.state(after: Self.started + [.progress(.reviseMilestone(match: "M-0001", milestone: 2, due: "2027-03-15"))])
        #expect(state.progress.milestones["M-0001"]?[1].due == "2027-03-15")
    }

    /// A match's health is its latest check-in; a check-in's note goes to the personal table.
    @Test func healthIsTheLatestCheckIn() throws {
        let state = try Given.state(after: Self.started + [
            .progress(.recordCheckIn(match: "M-0001", health: .onTrack, note: nil)),
            .progress(.recordCheckIn(match: "M-0001", health: .atRisk, note: "Interviews lopen achter")),
        ])
        #expect(state.progress.health(of: "M-0001") == .atRisk)
        #expect(state.progress.checkIns["M-0001"]?.map(\.number) == [1, 2])
        #expect(state.progress.checkIns["M-0001"]?.last?.note?.id == "T-0001")
    }

    /// An educator of another institution may not record a check-in or plan milestones.
    @Test func educatorsOfAnotherInstitutionAreForbidden() {
        let other = CommandIssuer(role: "educator", institution: "universiteit-leiden")
        let checkIn = Command.progress(.recordCheckIn(match: "M-0001", health: .stalled, note: nil))
        #expect(Given.refusal(checkIn, given: Self.started, issuer: other)?.code == .forbidden)
        #expect(Given.refusal(checkIn, given: Self.started, issuer: CommandIssuer(role: "educator", institution: "hogeschool-leiden")) == nil)
    }

    /// Feedback at the end needs the outcome; answers are checked against the questions; each side answers once.
    @Test func feedbackIsChecked() throws {
        #expect(Given.refusal(Self.feedback(.requester), given: Self.started)?.code == .conflict)
        var missing = Self.allFives
        missing["again"] = nil
        #expect(Given.refusal(Self.feedback(.requester, answers: missing), given: Self.delivered)?.field == "answers.again")
        var outOfScale = Self.allFives
        outOfScale["learning"] = 6
        #expect(Given.refusal(Self.feedback(.requester, answers: outOfScale), given: Self.delivered)?.field == "answers.learning")
        var unknown = Self.allFives
        unknown["mood"] = 3
        #expect(Given.refusal(Self.feedback(.requester, answers: unknown), given: Self.delivered)?.field == "answers.mood")
        #expect(Given.refusal(Self.feedback(.requester), given: Self.delivered + [Self.feedback(.requester)])?.code == .conflict)
        #expect(Given.refusal(Self.feedback(.requester, .followup), given: Self.delivered)?.code == .conflict)
        let educator = CommandIssuer(role: "educator", institution: "hogeschool-leiden")
        #expect(Given.refusal(Self.feedback(.requester), given: Self.delivered, issuer: educator)?.code == .forbidden)
        #expect(Given.refusal(Self.feedback(.education), given: Self.delivered, issuer: educator) == nil)
    }

    /// Questions from the policy replace the default set: answers are checked against them.
    @Test func configuredQuestionsAreUsed() throws {
        var policy = DomainPolicy()
        policy.feedback.questions[.requester] = [FeedbackQuestion(id: "nut", text: "Hoe nuttig?", scale: 10)]
        let decision = try Given.decide(Self.feedback(.requester, answers: ["nut": 9], comment: "Top"), given: Self.delivered, policy: policy)
        guard case .progress(.feedbackSubmitted(_, let entry))? = decision.events.first else {
            Issue.record("expected FeedbackSubmitted, got \(decision.events)")
            return
        }
        #expect(entry.answers == ["nut": 9] && entry.comment?.sha256 == PersonalRecord.sha256Hex("Top"))
        #expect(decision.personalData[entry.comment?.id ?? ""] == .some(.text("Top")))
    }

    /// Given a comment, when it is erased, then TextErased and the personal record deleted; twice is a conflict.
    @Test func eraseText() throws {
        let given = Self.delivered + [Self.feedback(.requester, comment: "Anna was top")]
        let decision = try Given.decide(.progress(.eraseText(id: "T-0001")), given: given)
        #expect(decision.events == [.progress(.textErased(id: "T-0001"))])
        #expect(decision.personalData.keys.sorted() == ["T-0001"] && decision.personalData["T-0001"] == .some(.none))
        #expect(Given.refusal(.progress(.eraseText(id: "T-0002")), given: given)?.code == .notFound)
        #expect(Given.refusal(.progress(.eraseText(id: "T-0001")), given: given + [.progress(.eraseText(id: "T-0001"))])?.code == .conflict)
    }

    /// Every progress event reads back from its stored type and data.
    @Test func eventsRoundTrip() throws {
        var given = Self.started + [.progress(.recordCheckIn(match: "M-0001", health: .stalled, note: "x")),
                                    .progress(.completeMilestone(match: "M-0001", milestone: 1, note: "y")),
                                    .progress(.reviseMilestone(match: "M-0001", milestone: 2, due: "2027-04-01")),
                                    .outcome(.record(match: "M-0001", content: Given.content, followUps: []))]
        given += [Self.feedback(.education, comment: "Goed"), .progress(.eraseText(id: "T-0001"))]
        var state = DomainState()
        for command in given {
            for event in try Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now).events {
                #expect(DomainEvent(type: event.type, data: event.data) == event, "\(event.type) does not read back")
                state.apply(event)
            }
        }
    }
}

/// Random milestone, check-in, feedback and erasure commands on a started and a delivered match: replaying the
/// stored events gives exactly the state deciding them built.
@Suite struct ProgressReplayPropertyTests {
    @Test func replayOfRandomProgressEqualsLiveState() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("ProgressReplayPropertyTests seed \(seed) (rerun: LMDS_SEED=\(seed))")
        var generator = SplitMix64(seed: ProcessInfo.processInfo.environment["LMDS_SEED"].flatMap(UInt64.init) ?? seed)
        // M-0001 delivered (milestones from the template); M-0002 agreed on the same offer, then started.
        let given = ProgressDeciderTests.delivered + [
            DeciderTests.submit(), .question(.accept(id: "Q-0002", title: nil, description: nil, expectedVersion: nil)),
            .proposal(.create(question: "Q-0002", offer: "O-0001", note: nil)),
            .proposal(.accept(id: "P-0002", side: .requester, expectedVersion: nil)), .proposal(.accept(id: "P-0002", side: .education, expectedVersion: nil)),
            .match(.start(id: "M-0002", students: 3, startedOn: "2027-02-15", expectedVersion: nil)),
        ]
        var decided = 0
        for round in 0..<20 {
            var live = DomainState()
            var stored: [(String, JSONValue)] = []
            for (step, command) in given.map({ Optional($0) }).enumerated() + (0..<40).map({ (given.count + $0, nil) }) {
                let next = command ?? Self.randomCommand(state: live, using: &generator)
                guard let decision = try? Decider.decide(next, state: live, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now + Int64(step) * 3_600_000)
                else { continue }
                if command == nil { decided += 1 }
                try ReplayPropertyTests.apply(decision, to: &live, storing: &stored)
            }
            let replayed = try ReplayPropertyTests.replay(stored)
            #expect(replayed == live, "round \(round)")
            #expect(replayed.progress.json == live.progress.json)
        }
        #expect(decided > 0, "some random commands were valid")
    }

    /// A milestone, check-in, feedback or erasure command on M-0001 or M-0002 (or a text), valid or not.
    static func randomCommand(state: DomainState, using generator: inout SplitMix64) -> Command {
        let match = Bool.random(using: &generator) ? "M-0001" : "M-0002"
        let number = Int.random(in: 1...3, using: &generator)
        let note: String? = Bool.random(using: &generator) ? "Overleg met Zoë" : nil
        switch Int.random(in: 0..<6, using: &generator) {
        case 0: return .progress(.planMilestones(match: match, items: [MilestoneItem(title: "Start", due: "2027-02-10"), MilestoneItem(title: "Eind", due: "2027-06-01")]))
        case 1: return .progress(.completeMilestone(match: match, milestone: number, note: note))
        case 2: return .progress(.reviseMilestone(match: match, milestone: number, due: "2027-03-0\(number)"))
        case 3: return .progress(.recordCheckIn(match: match, health: MatchHealth.allCases[number - 1], note: note))
        case 4:
            let side = FeedbackSide.allCases[number - 1]
            return .progress(.submitFeedback(SubmitFeedback(match: match, side: side, moment: .end, answers: ProgressDeciderTests.allFives, comment: note)))
        default: return .progress(.eraseText(id: EntityID.make("T", Int.random(in: 1...max(1, state.progress.textCount), using: &generator))))
        }
    }
}

/// The blind rule as a pure function: who may see which side's answers, as of when.
@Suite struct FeedbackBlindRuleTests {
    static let opened: Int64 = 1_000_000
    static let day: Int64 = 86_400_000

    /// Answers are shown once every expected side has answered, by the moment asked about.
    @Test func shownWhenEveryExpectedSideAnswered() {
        let submitted: [FeedbackSide: Int64] = [.requester: Self.opened + 10, .education: Self.opened + 20]
        let expected: Set<FeedbackSide> = [.requester, .education]
        #expect(FeedbackBlindRule.isRevealed(submitted: submitted, expected: expected, openedMs: Self.opened, windowDays: 14, asOfMs: Self.opened + 20))
        #expect(!FeedbackBlindRule.isRevealed(submitted: submitted, expected: expected, openedMs: Self.opened, windowDays: 14, asOfMs: Self.opened + 15))
    }

    /// With one expected side silent, answers stay hidden until the window closes, then are shown.
    @Test func shownWhenTheWindowCloses() {
        let submitted: [FeedbackSide: Int64] = [.requester: Self.opened + 10, .students: Self.opened + 11]
        let expected: Set<FeedbackSide> = [.requester, .education]
        let closes = Self.opened + 14 * Self.day
        #expect(!FeedbackBlindRule.isRevealed(submitted: submitted, expected: expected, openedMs: Self.opened, windowDays: 14, asOfMs: closes - 1))
        #expect(FeedbackBlindRule.isRevealed(submitted: submitted, expected: expected, openedMs: Self.opened, windowDays: 14, asOfMs: closes))
        #expect(!FeedbackBlindRule.isRevealed(submitted: submitted, expected: expected, openedMs: nil, windowDays: 14, asOfMs: closes * 2))
    }

    /// Before the answers are shown: a side sees its own, coordinators and outsiders only that a side answered,
    /// admins everything. After: everyone sees answers; outsiders never comments.
    @Test func accessPerReader() {
        #expect(FeedbackBlindRule.access(of: .side(.education), to: .education, revealed: false) == .full)
        #expect(FeedbackBlindRule.access(of: .side(.education), to: .requester, revealed: false) == .submittedOnly)
        #expect(FeedbackBlindRule.access(of: .coordinator, to: .requester, revealed: false) == .submittedOnly)
        #expect(FeedbackBlindRule.access(of: .outsider, to: .requester, revealed: false) == .submittedOnly)
        #expect(FeedbackBlindRule.access(of: .admin, to: .requester, revealed: false) == .full)
        #expect(FeedbackBlindRule.access(of: .side(.education), to: .requester, revealed: true) == .full)
        #expect(FeedbackBlindRule.access(of: .coordinator, to: .requester, revealed: true) == .full)
        #expect(FeedbackBlindRule.access(of: .outsider, to: .requester, revealed: true) == .answers)
    }
}
