import LMDSJSON

/// The reminder aggregate's decider: which deadlines passed by the command's time (over the state and the
/// time given, no clock), who acknowledges, and which reminders an appended event answers.
enum ReminderDecider {
    static func decide(_ command: ReminderCommand, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        switch command {
        case .raiseDue:
            let raised = due(state: state, policy: context.policy.reminders, nowMs: context.nowMs)
            return decision(raised.map { .reminderRaised($0) }, entityID: raised.first?.id ?? "")
        case .acknowledge(let id, let by):
            guard let reminder = state.reminders.reminders[id] else { throw .notFound(id) }
            guard context.issuer.role == "admin" || reminder.isFor(user: by, role: context.issuer.role, institution: context.issuer.institution) else {
                throw DomainError(.forbidden, "\(id) is not for \(by): only its recipients (or an admin) acknowledge it")
            }
            guard reminder.status == .open else {
                throw DomainError(.conflict, "\(id) is \(reminder.status.rawValue): only an open reminder can be acknowledged",
                                  state: reminder.status.rawValue)
            }
            return decision([.reminderAcknowledged(id: id, by: by, acknowledgedMs: context.nowMs)], entityID: id)
        }
    }

    static func decision(_ events: [ReminderEvent], entityID: String) -> Decision {
        Decision(events: events.map(DomainEvent.reminder), personalData: [:], entityID: entityID)
    }

    // MARK: Raising

    /// A reminder that may be due: its rule, entity, deadline, due time, institution and recipients.
    struct Candidate {
        let rule: ReminderRule
        let entity: String
        let deadlineMs: Int64
        let dueMs: Int64
        let institution: String?
        let recipients: [ReminderRecipient]
    }

    /// The reminders due by `nowMs` and not raised before, numbered in order (entity ids, then rules), at most
    /// `ReminderLimits.raisedPerAppendMax`.
    /// - Complexity: one pass over what the rules watch (`ReminderState`'s watch lists and the pending
    ///   proposals), not over every entity.
    static func due(state: DomainState, policy: ReminderPolicy, nowMs: Int64) -> [Reminder] {
        var candidates: [Candidate] = []
        candidates += intakeCandidates(state: state, policy: policy, nowMs: nowMs)
        candidates += proposalCandidates(state: state, policy: policy, nowMs: nowMs)
        candidates += matchCandidates(state: state, policy: policy)
        candidates += followUpCandidates(state: state, policy: policy, nowMs: nowMs)
        candidates += progressCandidates(state: state, policy: policy)
        let due = candidates.filter { $0.dueMs <= nowMs && !state.reminders.wasRaised($0.rule, entity: $0.entity, deadlineMs: $0.deadlineMs) }
            .sorted { left, right in
                left.entity == right.entity ? left.rule.order < right.rule.order : EntityID.precedes(left.entity, right.entity)
            }
            .prefix(ReminderLimits.raisedPerAppendMax)
        var number = state.reminders.reminders.count
        return due.map { candidate in
            number += 1
            return Reminder(id: EntityID.make("A", number), rule: candidate.rule, entity: candidate.entity, deadlineMs: candidate.deadlineMs,
                            dueMs: candidate.dueMs, raisedMs: nowMs, institution: candidate.institution, recipients: candidate.recipients)
        }
    }

    /// The questions in intake past the threshold by `nowMs`. Intake can hold every question of a busy day, and
    /// this runs every second: the due time is checked before anything is built for a question.
    static func intakeCandidates(state: DomainState, policy: ReminderPolicy, nowMs: Int64) -> [Candidate] {
        guard let threshold = policy.thresholdMs(.intakeWaiting) else { return [] }
        return state.reminders.questionsInIntake.compactMap { id -> Candidate? in
            guard let submittedMs = state.questions[id]?.submittedMs, submittedMs + threshold <= nowMs else { return nil }
            return Candidate(rule: .intakeWaiting, entity: id, deadlineMs: submittedMs, dueMs: submittedMs + threshold,
                             institution: nil, recipients: ownerOrCoordinators(of: id, state: state))
        }
    }

    /// Consent waiting (counted from the proposal's creation) and expiry warnings (counted back from its
    /// expiry, while it has not expired), for the sides that have not consented.
    static func proposalCandidates(state: DomainState, policy: ReminderPolicy, nowMs: Int64) -> [Candidate] {
        var candidates: [Candidate] = []
        for id in state.pendingProposals {
            guard let proposal = state.proposals[id] else { continue }
            let institution = state.offers[proposal.offer]?.institution
            var recipients: [ReminderRecipient] = []
            if !proposal.consents.contains(.requester) {
                recipients += ownerOrCoordinators(of: proposal.question, state: state)
                if let contact = state.questions[proposal.question]?.requester.contact, !state.erasedContacts.contains(contact) {
                    recipients.append(.requester(contact: contact))
                }
            }
            if !proposal.consents.contains(.education), let institution { recipients.append(.educators(institution: institution)) }
            if let threshold = policy.thresholdMs(.consentWaiting) {
                candidates.append(Candidate(rule: .consentWaiting, entity: id, deadlineMs: proposal.createdMs, dueMs: proposal.createdMs + threshold,
                                            institution: institution, recipients: recipients))
            }
            // A proposal whose time is up is expired by the daemon, not warned about; nor is one whose whole
            // time to consent is shorter than the warning (it would be warned about as it is made).
            if let threshold = policy.thresholdMs(.expiryWarning), nowMs < proposal.expiresMs, proposal.expiresMs - threshold > proposal.createdMs {
                candidates.append(Candidate(rule: .expiryWarning, entity: id, deadlineMs: proposal.expiresMs, dueMs: proposal.expiresMs - threshold,
                                            institution: institution, recipients: recipients))
            }
        }
        return candidates
    }

    /// Agreed matches not started after the period began; started ones without an outcome after it ended.
    static func matchCandidates(state: DomainState, policy: ReminderPolicy) -> [Candidate] {
        var candidates: [Candidate] = []
        for id in state.reminders.openMatches {
            guard let match = state.matches[id], let offer = state.offers[match.offer] else { continue }
            let recipients = ownerOrCoordinators(of: match.question, state: state) + [.educators(institution: offer.institution)]
            let rule: ReminderRule = match.status == .agreed ? .notStarted : .outcomeMissing
            guard let threshold = policy.thresholdMs(rule) else { continue }
            // The period ends at the end of its last day.
            let deadline = rule == .notStarted ? dayStartMs(offer.period.window.from) : dayStartMs(offer.period.window.to) + dayMs
            candidates.append(Candidate(rule: rule, entity: match.id, deadlineMs: deadline, dueMs: deadline + threshold,
                                        institution: offer.institution, recipients: recipients))
        }
        return candidates
    }

    /// The outcomes whose follow-up check is past the threshold by `nowMs` (checked before anything is built).
    static func followUpCandidates(state: DomainState, policy: ReminderPolicy, nowMs: Int64) -> [Candidate] {
        guard let threshold = policy.thresholdMs(.followUpDue) else { return [] }
        return state.reminders.outcomesAwaitingFollowUp.compactMap { id -> Candidate? in
            guard let outcome = state.outcomes[id] else { return nil }
            let deadline = dayStartMs(outcome.followUpDue)
            guard deadline + threshold <= nowMs else { return nil }
            return Candidate(rule: .followUpDue, entity: outcome.id, deadlineMs: deadline, dueMs: deadline + threshold,
                             institution: state.offers[outcome.offer]?.institution, recipients: ownerOrCoordinators(of: outcome.question, state: state))
        }
    }

    /// Who answers for a question: its owner (issue 11's `QuestionAssigned`) or else the coordinators. The
    /// owner at the moment of raising is recorded in `ReminderRaised`; a later reassignment leaves it as it was.
    static func ownerOrCoordinators(of question: String, state: DomainState) -> [ReminderRecipient] {
        state.owner(of: question).map { [.user($0)] } ?? [.coordinators]
    }

    /// Overdue milestones (counted from the start of their due day: 0 raises on the day) and stalled matches
    /// (counted from the first check-in of the latest run of `stalled` ones) of the open matches.
    /// - Complexity: the open matches times their milestones (at most `MilestoneLimits.milestonesMax`) and
    ///   their latest check-ins.
    static func progressCandidates(state: DomainState, policy: ReminderPolicy) -> [Candidate] {
        var candidates: [Candidate] = []
        for id in state.reminders.openMatches {
            guard let match = state.matches[id], let offer = state.offers[match.offer] else { continue }
            let recipients = ownerOrCoordinators(of: match.question, state: state) + [.educators(institution: offer.institution)]
            if let threshold = policy.thresholdMs(.milestoneOverdue) {
                let dueDates = Set((state.progress.milestones[id] ?? []).filter { $0.completedMs == nil }.map(\.due))
                for due in dueDates {
                    let deadline = dayStartMs(due)
                    candidates.append(Candidate(rule: .milestoneOverdue, entity: id, deadlineMs: deadline, dueMs: deadline + threshold,
                                                institution: offer.institution, recipients: recipients))
                }
            }
            if let threshold = policy.thresholdMs(.matchStalled), let since = stalledSinceMs(state.progress.checkIns[id] ?? []) {
                candidates.append(Candidate(rule: .matchStalled, entity: id, deadlineMs: since, dueMs: since + threshold,
                                            institution: offer.institution, recipients: recipients))
            }
        }
        return candidates
    }

    /// When the latest run of `stalled` check-ins began, or nil when the latest check-in is not stalled.
    static func stalledSinceMs(_ checkIns: [CheckIn]) -> Int64? {
        var since: Int64?
        for checkIn in checkIns.reversed() {
            guard checkIn.health == .stalled else { break }
            since = checkIn.recordedMs
        }
        return since
    }

    static let dayMs: Int64 = 86_400_000

    /// The start (UTC midnight) of an ISO date, in ms.
    static func dayStartMs(_ date: String) -> Int64 { Int64(CivilDate.dayNumber(date)) * dayMs }

    // MARK: Resolving

    /// `decision` followed by `ReminderResolved` for every unresolved reminder that one of its events
    /// answers, in the same append, saying which event did.
    static func resolving(_ decision: Decision, state: DomainState, nowMs: Int64) -> Decision {
        var resolved: [ReminderEvent] = []
        var seen: Set<String> = []
        for event in decision.events {
            guard let (entity, rules) = answers(event) else { continue }
            for id in state.reminders.unresolvedByEntity[entity] ?? [] where !seen.contains(id) {
                guard let reminder = state.reminders.reminders[id], rules.contains(reminder.rule),
                    answersMilestones(event, reminder: reminder, state: state)
                else { continue }
                seen.insert(id)
                resolved.append(.reminderResolved(id: id, by: event.type, resolvedMs: nowMs))
            }
        }
        guard !resolved.isEmpty else { return decision }
        return Decision(events: decision.events + resolved.map(DomainEvent.reminder), personalData: decision.personalData, entityID: decision.entityID)
    }

    /// Whether `event` answers `reminder` as far as milestones go: a completed or revised milestone answers
    /// the overdue reminder of its due date once no other open milestone of the match falls due that day;
    /// every other event answers what `answers` says.
    static func answersMilestones(_ event: DomainEvent, reminder: Reminder, state: DomainState) -> Bool {
        guard reminder.rule == .milestoneOverdue else { return true }
        let number: Int
        switch event {
        case .progress(.milestoneCompleted(_, let completed, _, _, _)), .progress(.milestoneRevised(_, let completed, _)): number = completed
        case .questionSubmitted, .questionAccepted, .questionRejected, .questionReferred, .questionWithdrawn, .questionRevised, .personalDataErased,
            .offerPublished, .offerRevised, .offerClosed, .offerWithdrawn, .reminder, .notification, .publication, .desk, .progress, .collaboration,
            .lineage, .organisation:
            return true
        }
        let open = (state.progress.milestones[reminder.entity] ?? []).filter { $0.completedMs == nil && dayStartMs($0.due) == reminder.deadlineMs }
        return open.map(\.number) == [number]
    }

    /// The entity whose reminders of these rules `event` answers, or nil when it answers none.
    static func answers(_ event: DomainEvent) -> (entity: String, rules: Set<ReminderRule>)? {
        switch event {
        case .questionAccepted(let id, _, _), .questionRejected(let id, _), .questionReferred(let id, _, _), .questionWithdrawn(let id, _):
            return (id, [.intakeWaiting])
        case .questionSubmitted, .questionRevised, .personalDataErased, .offerPublished, .offerRevised, .offerClosed, .offerWithdrawn, .reminder,
            .notification, .publication, .desk, .organisation:
            return nil
        case .progress(let event):
            return answers(event)
        case .collaboration(let event):
            return answers(event)
        case .lineage(.questionMerged(let id, _, _)), .lineage(.questionSplit(let id, _, _)):
            // A merged or split question is final: nothing about it waits any more.
            return (id, [.intakeWaiting])
        }
    }

    static func answers(_ event: CollaborationEvent) -> (entity: String, rules: Set<ReminderRule>)? {
        switch event {
        case .proposalAccepted(let id, _), .proposalDeclined(let id, _, _), .proposalWithdrawn(let id, _), .proposalExpired(let id):
            return (id, [.consentWaiting, .expiryWarning])
        case .matchStarted(let id, _, _): return (id, [.notStarted])
        case .matchCancelled(let id, _): return (id, [.notStarted, .outcomeMissing, .milestoneOverdue, .matchStalled])
        case .matchDelivered(let id, _), .matchClosed(let id, _): return (id, [.outcomeMissing, .milestoneOverdue, .matchStalled])
        case .followUpRecorded(let outcome, _, _, _): return (outcome, [.followUpDue])
        case .proposalCreated, .proposalConsented, .matchAgreed, .questionMatched, .questionCompleted, .questionReopened, .offerFilled,
            .offerReopened, .outcomeRecorded, .outcomeRevised:
            return nil
        }
    }

    /// Milestones answer their overdue reminders (`answersMilestones` narrows it to the milestone's date); a
    /// check-in that is not stalled answers a stalled match's.
    static func answers(_ event: ProgressEvent) -> (entity: String, rules: Set<ReminderRule>)? {
        switch event {
        case .milestoneCompleted(let match, _, _, _, _), .milestoneRevised(let match, _, _): return (match, [.milestoneOverdue])
        case .checkInRecorded(let match, let checkIn): return checkIn.health == .stalled ? nil : (match, [.matchStalled])
        case .milestonesPlanned, .feedbackSubmitted, .textErased: return nil
        }
    }
}

extension ReminderRule {
    /// The rules in declaration order, for a stable numbering of reminders raised together.
    var order: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}
