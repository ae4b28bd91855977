import Domain
import LMDSJSON
import Testing

/// Given events, when the daemon raises due reminders (at a time given) or someone acknowledges one, then
/// these reminders, resolutions or errors.
@Suite struct ReminderDeciderTests {
    static let dayMs: Int64 = 86_400_000
    static let now = DeciderTests.now
    static let requester = ConsentSide.requester
    static let education = ConsentSide.education

    /// The state after `commands`, each decided at `DeciderTests.now` (reminders resolved as they would be).
    static func state(after commands: [Command], policy: DomainPolicy = .default) throws -> DomainState {
        var state = DomainState()
        for command in commands {
            for event in try Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: now, policy: policy).events {
                state.apply(event)
            }
        }
        return state
    }

    /// The reminders `raiseDue` raises at `nowMs` on `state`, applied to it.
    static func raise(_ state: inout DomainState, at nowMs: Int64, policy: DomainPolicy = .default) throws -> [Reminder] {
        let decision = try Decider.decide(.reminder(.raiseDue), state: state, taxonomy: DeciderTests.leiden, nowMs: nowMs, policy: policy)
        for event in decision.events { state.apply(event) }
        return decision.events.compactMap { event in
            if case .reminder(.reminderRaised(let reminder)) = event { return reminder }
            return nil
        }
    }

    /// The reminders resolved by `command` decided on `state`, as (id, by).
    static func resolved(by command: Command, on state: inout DomainState, at nowMs: Int64, issuer: CommandIssuer = .staff) throws -> [String] {
        let decision = try Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: nowMs, issuer: issuer)
        for event in decision.events { state.apply(event) }
        return decision.events.compactMap { event in
            if case .reminder(.reminderResolved(let id, let by, _)) = event { return "\(id) \(by)" }
            return nil
        }
    }

    static func policy(_ days: [ReminderRule: Double]) -> DomainPolicy {
        DomainPolicy(reminders: ReminderPolicy(days: days))
    }

    /// Given a question in intake, when the threshold has not quite passed, then nothing; once it has,
    /// then one reminder for the coordinators, and never a second one for the same question.
    @Test func intakeWaitingIsRaisedOnceWhenDue() throws {
        var state = try Self.state(after: [DeciderTests.submit()])
        #expect(try Self.raise(&state, at: Self.now + 7 * Self.dayMs - 1).isEmpty)
        let raised = try Self.raise(&state, at: Self.now + 7 * Self.dayMs)
        #expect(raised.count == 1)
        let reminder = try #require(raised.first)
        #expect(reminder.id == "A-0001" && reminder.rule == .intakeWaiting && reminder.entity == "Q-0001")
        #expect(reminder.deadlineMs == Self.now && reminder.dueMs == Self.now + 7 * Self.dayMs && reminder.recipients == [.coordinators])
        #expect(try Self.raise(&state, at: Self.now + 30 * Self.dayMs).isEmpty, "at most once per rule, entity and deadline")
        #expect(state.reminders.reminders["A-0001"]?.status == .open)
    }

    /// Given a raised intake reminder, when the question is accepted, then the same append resolves it,
    /// naming QuestionAccepted.
    @Test func theAnsweringEventResolvesIt() throws {
        var state = try Self.state(after: [DeciderTests.submit()])
        _ = try Self.raise(&state, at: Self.now + 8 * Self.dayMs)
        let resolved = try Self.resolved(by: .question(.accept(id: "Q-0001", title: nil, description: nil, expectedVersion: nil)), on: &state,
                                         at: Self.now + 9 * Self.dayMs)
        #expect(resolved == ["A-0001 QuestionAccepted"])
        #expect(state.reminders.reminders["A-0001"]?.status == .resolved)
        #expect(state.reminders.reminders["A-0001"]?.resolvedMs == Self.now + 9 * Self.dayMs)
        #expect(state.reminders.unresolvedByEntity.isEmpty)
    }

    /// Given a reminder raised under a 7-day threshold, when the threshold becomes 1 day, then that
    /// reminder is neither raised again nor changed, and only a question submitted later is raised under
    /// the new threshold.
    @Test func aChangedThresholdAffectsOnlyLaterReminders() throws {
        var state = try Self.state(after: [DeciderTests.submit()])
        _ = try Self.raise(&state, at: Self.now + 7 * Self.dayMs)
        let shorter = Self.policy([.intakeWaiting: 1])
        var later = state
        let submitted = try Decider.decide(DeciderTests.submit("Groen in Merenwijk"), state: later, taxonomy: DeciderTests.leiden,
                                           nowMs: Self.now + 7 * Self.dayMs)
        for event in submitted.events { later.apply(event) }
        let raised = try Self.raise(&later, at: Self.now + 8 * Self.dayMs, policy: shorter)
        #expect(raised.map(\.entity) == ["Q-0002"])
        #expect(raised.first?.dueMs == Self.now + 8 * Self.dayMs)
        #expect(later.reminders.reminders["A-0001"]?.dueMs == Self.now + 7 * Self.dayMs)
    }

    /// Given a proposal the requester consented to, when it has waited past the consent threshold, then
    /// the reminder is for the offer's institution's educators only; the second consent resolves it.
    @Test func consentWaitingIsForTheSidesThatHaveNotConsented() throws {
        var state = try Self.state(after: CollaborationDeciderTests.proposed() + [.proposal(.accept(id: "P-0001", side: Self.requester, expectedVersion: nil))])
        let raised = try Self.raise(&state, at: Self.now + 5 * Self.dayMs, policy: Self.policy([.consentWaiting: 5]))
        #expect(raised.map(\.rule) == [.consentWaiting])
        #expect(raised.first?.recipients == [.educators(institution: "hogeschool-leiden")] && raised.first?.institution == "hogeschool-leiden")
        let resolved = try Self.resolved(by: .proposal(.accept(id: "P-0001", side: Self.education, expectedVersion: nil)), on: &state,
                                         at: Self.now + 6 * Self.dayMs)
        #expect(resolved == ["A-0001 ProposalAccepted"])
    }

    /// Given a pending proposal, then the expiry warning falls due the threshold before its expiry (for the
    /// coordinators, the requester's contact and the educators), and none is raised once it has expired;
    /// the expiry resolves it.
    @Test func expiryWarningBeforeTheExpiryOnly() throws {
        let base = try Self.state(after: CollaborationDeciderTests.proposed())
        let expiresMs = Self.now + 21 * Self.dayMs
        var late = base
        #expect(try Self.raise(&late, at: expiresMs, policy: Self.policy([.expiryWarning: 3])).isEmpty)
        var state = base
        #expect(try Self.raise(&state, at: expiresMs - 3 * Self.dayMs - 1, policy: Self.policy([.expiryWarning: 3])).isEmpty)
        let raised = try Self.raise(&state, at: expiresMs - 3 * Self.dayMs, policy: Self.policy([.expiryWarning: 3]))
        #expect(raised.map(\.rule) == [.expiryWarning] && raised.first?.deadlineMs == expiresMs)
        #expect(raised.first?.recipients == [.coordinators, .requester(contact: "C-0001"), .educators(institution: "hogeschool-leiden")])
        #expect(try Self.resolved(by: .proposal(.expireDue), on: &state, at: expiresMs) == ["A-0001 ProposalExpired"])
        var short = try Self.state(after: CollaborationDeciderTests.proposed(), policy: DomainPolicy(proposalExpiryDays: 2))
        #expect(try Self.raise(&short, at: Self.now + 1, policy: Self.policy([.expiryWarning: 3])).isEmpty,
                "no warning for a proposal whose whole time to consent is shorter than the warning")
    }

    /// Given an agreed match, then "not started" falls due the threshold after its period began and the
    /// start resolves it; then "outcome missing" after the period ended, resolved by the outcome.
    @Test func matchRemindersFollowThePeriod() throws {
        var state = try Self.state(after: CollaborationDeciderTests.agreed())
        let periodStart = Int64(CivilDate.dayNumber("2027-02-01")) * Self.dayMs
        let raised = try Self.raise(&state, at: periodStart + 7 * Self.dayMs, policy: Self.policy([.notStarted: 7, .outcomeMissing: 14]))
        #expect(raised.map(\.rule) == [.notStarted] && raised.first?.entity == "M-0001" && raised.first?.deadlineMs == periodStart)
        #expect(raised.first?.recipients == [.coordinators, .educators(institution: "hogeschool-leiden")])
        let start = Command.match(.start(id: "M-0001", students: 4, startedOn: "2027-02-08", expectedVersion: nil))
        #expect(try Self.resolved(by: start, on: &state, at: periodStart + 8 * Self.dayMs) == ["A-0001 MatchStarted"])
        let periodEnd = Int64(CivilDate.dayNumber("2027-07-01")) * Self.dayMs
        #expect(try Self.raise(&state, at: periodEnd + 14 * Self.dayMs - 1, policy: Self.policy([.outcomeMissing: 14])).isEmpty)
        let missing = try Self.raise(&state, at: periodEnd + 14 * Self.dayMs, policy: Self.policy([.outcomeMissing: 14]))
        #expect(missing.map(\.rule) == [.outcomeMissing] && missing.first?.id == "A-0002")
        let record = Command.outcome(.record(match: "M-0001", content: CollaborationDeciderTests.content, followUps: []))
        #expect(try Self.resolved(by: record, on: &state, at: periodEnd + 15 * Self.dayMs) == ["A-0002 MatchDelivered"])
    }

    /// Given an outcome, then its follow-up check reminds the coordinators on its due date, and the
    /// follow-up record resolves it.
    @Test func followUpDueOnItsDate() throws {
        var state = try Self.state(after: CollaborationDeciderTests.started() + [
            .outcome(.record(match: "M-0001", content: CollaborationDeciderTests.content, followUps: []))])
        let due = Int64(CivilDate.dayNumber(try #require(state.outcomes["R-0001"]?.followUpDue))) * Self.dayMs
        let only = Self.policy([.followUpDue: 0])
        #expect(try Self.raise(&state, at: due - 1, policy: only).isEmpty)
        let raised = try Self.raise(&state, at: due, policy: only)
        #expect(raised.map(\.rule) == [.followUpDue] && raised.first?.entity == "R-0001" && raised.first?.institution == "hogeschool-leiden")
        let followUp = Command.outcome(.recordFollowUp(outcome: "R-0001", used: .yes, note: nil))
        #expect(try Self.resolved(by: followUp, on: &state, at: due + 1) == ["A-0001 FollowUpRecorded"])
    }

    /// A rule left out of the policy (turned off in the config) raises nothing.
    @Test func aRuleTurnedOffRaisesNothing() throws {
        var state = try Self.state(after: [DeciderTests.submit()])
        #expect(try Self.raise(&state, at: Self.now + 365 * Self.dayMs, policy: Self.policy([.consentWaiting: 5])).isEmpty)
    }

    /// Only a recipient (or an admin) acknowledges; an acknowledged reminder cannot be acknowledged again;
    /// an unknown one is not found.
    @Test func acknowledgeChecksTheRecipientAndTheStatus() throws {
        var state = try Self.state(after: CollaborationDeciderTests.proposed())
        _ = try Self.raise(&state, at: Self.now + 5 * Self.dayMs, policy: Self.policy([.consentWaiting: 5]))
        func refusal(_ command: Command, _ issuer: CommandIssuer) -> DomainError? {
            do throws(DomainError) {
                _ = try Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: Self.now, issuer: issuer)
                return nil
            } catch {
                return error
            }
        }
        let otherEducator = CommandIssuer(role: "educator", institution: "universiteit-leiden")
        #expect(refusal(.reminder(.acknowledge(id: "A-0001", by: "bob")), otherEducator)?.code == .forbidden)
        #expect(refusal(.reminder(.acknowledge(id: "A-0009", by: "alice")), .staff)?.code == .notFound)
        let educator = CommandIssuer(role: "educator", institution: "hogeschool-leiden")
        let decision = try Decider.decide(.reminder(.acknowledge(id: "A-0001", by: "jeroen")), state: state, taxonomy: DeciderTests.leiden,
                                          nowMs: Self.now + 6 * Self.dayMs, issuer: educator)
        #expect(decision.events == [.reminder(.reminderAcknowledged(id: "A-0001", by: "jeroen", acknowledgedMs: Self.now + 6 * Self.dayMs))])
        for event in decision.events { state.apply(event) }
        #expect(refusal(.reminder(.acknowledge(id: "A-0001", by: "alice")), .staff)?.code == .conflict)
    }

    /// Given a question assigned to alice (issue 11), when its intake reminder falls due, then it is for alice
    /// alone (not every coordinator); an unassigned question's is for the coordinators.
    @Test func theOwnerIsTheRecipient() throws {
        let assign = Command.desk(.assign(id: "Q-0001", owner: "alice", expectedVersion: nil))
        var state = try Self.state(after: [DeciderTests.submit(), assign, DeciderTests.submit("Tweede vraag")], policy: DeskDeciderTests.policy)
        let raised = try Self.raise(&state, at: Self.now + 7 * Self.dayMs, policy: DeskDeciderTests.policy)
        #expect(raised.map(\.entity) == ["Q-0001", "Q-0002"])
        #expect(raised.first?.recipients == [.user("alice")] && raised.last?.recipients == [.coordinators])
        let owned = try #require(raised.first)
        #expect(owned.isFor(user: "alice", role: "coordinator", institution: nil) && !owned.isFor(user: "carol", role: "coordinator", institution: nil))
    }

    /// Given a started match whose template plans milestones, then each falls due on its day (threshold 0),
    /// once, for the owner or coordinators and the institution's educators; completing it resolves it.
    @Test func anOverdueMilestoneIsRaisedAndResolvedByItsCompletion() throws {
        var state = try Self.state(after: ProgressDeciderTests.started)
        let policy = Self.policy([.milestoneOverdue: 0])
        let kickOff = Int64(CivilDate.dayNumber("2027-02-08")) * Self.dayMs
        #expect(try Self.raise(&state, at: kickOff - 1, policy: policy).isEmpty)
        let raised = try Self.raise(&state, at: kickOff, policy: policy)
        #expect(raised.map(\.rule) == [.milestoneOverdue] && raised.first?.entity == "M-0001" && raised.first?.deadlineMs == kickOff)
        #expect(raised.first?.recipients == [.coordinators, .educators(institution: "hogeschool-leiden")])
        #expect(try Self.raise(&state, at: kickOff + Self.dayMs, policy: policy).isEmpty, "once per milestone date")
        let complete = Command.progress(.completeMilestone(match: "M-0001", milestone: 1, note: nil))
        #expect(try Self.resolved(by: complete, on: &state, at: kickOff + Self.dayMs) == ["A-0001 MilestoneCompleted"])
        let interviews = Int64(CivilDate.dayNumber("2027-03-08")) * Self.dayMs
        #expect(try Self.raise(&state, at: interviews + 2 * Self.dayMs - 1, policy: Self.policy([.milestoneOverdue: 2])).isEmpty)
        #expect(try Self.raise(&state, at: interviews + 2 * Self.dayMs, policy: Self.policy([.milestoneOverdue: 2])).map(\.deadlineMs) == [interviews])
        let deliver = Command.outcome(.record(match: "M-0001", content: CollaborationDeciderTests.content, followUps: []))
        #expect(try Self.resolved(by: deliver, on: &state, at: interviews + 3 * Self.dayMs) == ["A-0002 MatchDelivered"])
    }

    /// Given a match whose check-in says stalled, then a reminder from that check-in; a second stalled one adds
    /// none (the same run); a later check-in that is not stalled resolves it.
    @Test func aStalledMatchIsRaisedAndResolvedByABetterCheckIn() throws {
        let stalled = Command.progress(.recordCheckIn(match: "M-0001", health: .stalled, note: nil))
        var state = try Self.state(after: ProgressDeciderTests.started + [stalled])
        let policy = Self.policy([.matchStalled: 1])
        #expect(try Self.raise(&state, at: Self.now + Self.dayMs - 1, policy: policy).isEmpty)
        let raised = try Self.raise(&state, at: Self.now + Self.dayMs, policy: policy)
        #expect(raised.map(\.rule) == [.matchStalled] && raised.first?.deadlineMs == Self.now && raised.first?.entity == "M-0001")
        #expect(try Self.resolved(by: stalled, on: &state, at: Self.now + 2 * Self.dayMs).isEmpty)
        #expect(try Self.raise(&state, at: Self.now + 5 * Self.dayMs, policy: policy).isEmpty, "still the same run of stalled check-ins")
        let better = Command.progress(.recordCheckIn(match: "M-0001", health: .atRisk, note: nil))
        #expect(try Self.resolved(by: better, on: &state, at: Self.now + 6 * Self.dayMs) == ["A-0001 CheckInRecorded"])
        #expect(try Self.raise(&state, at: Self.now + 30 * Self.dayMs, policy: policy).isEmpty)
    }

    /// The watch lists a check reads (questions in intake, open matches, outcomes awaiting their follow-up
    /// check) follow the events, and equal those rebuilt from the entities (as after a snapshot).
    @Test func watchListsFollowTheEvents() throws {
        let record = Command.outcome(.record(match: "M-0001", content: CollaborationDeciderTests.content, followUps: []))
        let agreed = try Self.state(after: CollaborationDeciderTests.agreed() + [DeciderTests.submit("Groen in Merenwijk")])
        #expect(agreed.reminders.questionsInIntake == ["Q-0002"] && agreed.reminders.openMatches == ["M-0001"])
        let recorded = try Self.state(after: CollaborationDeciderTests.started() + [record])
        #expect(recorded.reminders.openMatches.isEmpty && recorded.reminders.outcomesAwaitingFollowUp == ["R-0001"])
        for state in [agreed, recorded] {
            var rebuilt = state.reminders
            rebuilt.rebuildWatchLists(questions: state.questions, matches: state.matches, outcomes: state.outcomes)
            #expect(rebuilt == state.reminders)
        }
    }

    /// Every reminder event reads back from its stored type and data.
    @Test func eventsRoundTripThroughTheLog() throws {
        var state = try Self.state(after: CollaborationDeciderTests.proposed())
        let reminder = try #require(try Self.raise(&state, at: Self.now + 21 * Self.dayMs - 1).first)
        for event in [DomainEvent.reminder(.reminderRaised(reminder)), .reminder(.reminderAcknowledged(id: "A-0001", by: "alice", acknowledgedMs: 5)),
                      .reminder(.reminderResolved(id: "A-0001", by: "ProposalExpired", resolvedMs: 6))] {
            #expect(DomainEvent(type: event.type, data: event.data) == event)
        }
    }
}
