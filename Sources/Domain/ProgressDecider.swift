import LMDSJSON

/// Milestones, check-ins and feedback of matches (`ProgressDecider`). A milestone is named by its number
/// within the match.
public enum ProgressCommand: Sendable, Hashable {
    /// Replaces the match's planned milestones.
    case planMilestones(match: String, items: [MilestoneItem])
    case completeMilestone(match: String, milestone: Int, note: String?)
    case reviseMilestone(match: String, milestone: Int, due: String)
    case recordCheckIn(match: String, health: MatchHealth, note: String?)
    case submitFeedback(SubmitFeedback)
    /// Erases a note or comment (`T-0001`) from the personal table.
    case eraseText(id: String)
}

/// A milestone to plan: its title and due date.
public struct MilestoneItem: Sendable, Hashable {
    public let title: String
    public let due: String

    public init(title: String, due: String) {
        self.title = title
        self.due = due
    }
}

/// `feedback.submit`'s content.
public struct SubmitFeedback: Sendable, Hashable {
    public let match: String
    public let side: FeedbackSide
    public let moment: FeedbackMoment
    public let answers: [String: Int]
    public let comment: String?

    public init(match: String, side: FeedbackSide, moment: FeedbackMoment, answers: [String: Int], comment: String?) {
        self.match = match
        self.side = side
        self.moment = moment
        self.answers = answers
        self.comment = comment
    }
}

/// The decider of what happens along the way of a match: its milestones, its check-ins, and each side's
/// feedback. Notes and comments go to the personal table under a text id; the events hold their SHA-256.
enum ProgressDecider {
    static func decide(_ command: ProgressCommand, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        switch command {
        case .planMilestones(let matchID, let items):
            let match = try runningMatch(matchID, state: state, context, verb: "have its milestones planned", allowed: [.agreed, .started])
            guard items.count <= MilestoneLimits.milestonesMax else { throw .validation("items", "at most \(MilestoneLimits.milestonesMax) milestones") }
            if let done = state.progress.milestones[match.id]?.first(where: { $0.completedMs != nil }) {
                throw DomainError(.conflict, "\(match.id) has completed milestone \(done.number) (\(done.title)): revise the others' due dates instead",
                                  state: match.status.rawValue)
            }
            var planned: [Milestone] = []
            for (index, item) in items.enumerated() {
                try Decider.checkText("items[\(index)].title", item.title, bytesMax: MilestoneLimits.titleBytesMax)
                guard DateWindow.isDate(item.due) else { throw .validation("items[\(index)].due", "expected a date like 2027-02-10") }
                planned.append(Milestone(number: index + 1, title: item.title, due: item.due))
            }
            return decision([.milestonesPlanned(match: match.id, milestones: planned)], entityID: match.id)
        case .completeMilestone(let matchID, let number, let note):
            let match = try runningMatch(matchID, state: state, context, verb: "have milestones completed", allowed: [.started, .delivered])
            let milestone = try openMilestone(number, of: match, state: state)
            let (reference, personal) = try text(note, field: "note", state: state)
            let event = ProgressEvent.milestoneCompleted(
                match: match.id, milestone: milestone.number, completedMs: context.nowMs, completedOn: CivilDate.date(milliseconds: context.nowMs),
                note: reference)
            return decision([event], personal: personal, entityID: match.id)
        case .reviseMilestone(let matchID, let number, let due):
            let match = try runningMatch(matchID, state: state, context, verb: "have milestones revised", allowed: [.agreed, .started])
            let milestone = try openMilestone(number, of: match, state: state)
            guard DateWindow.isDate(due) else { throw .validation("due", "expected a date like 2027-03-15") }
            guard due != milestone.due else { throw .validation("due", "milestone \(number) of \(match.id) is already due on \(due)") }
            return decision([.milestoneRevised(match: match.id, milestone: number, due: due)], entityID: match.id)
        case .recordCheckIn(let matchID, let health, let note):
            let match = try runningMatch(matchID, state: state, context, verb: "have check-ins", allowed: [.agreed, .started])
            let count = state.progress.checkIns[match.id]?.count ?? 0
            guard count < MilestoneLimits.checkInsMax else { throw .validation("match", "\(match.id) has \(count) check-ins, the most a match keeps") }
            let (reference, personal) = try text(note, field: "note", state: state)
            let checkIn = CheckIn(number: count + 1, health: health, recordedMs: context.nowMs, note: reference)
            return decision([.checkInRecorded(match: match.id, checkIn)], personal: personal, entityID: match.id)
        case .submitFeedback(let submit):
            return try submitFeedback(submit, state: state, context)
        case .eraseText(let id):
            guard context.issuer.isStaff else { throw DomainError(.forbidden, "only coordinators erase notes and comments") }
            guard state.progress.knowsText(id) else { throw .notFound(id) }
            guard !state.progress.erasedTexts.contains(id) else { throw DomainError(.conflict, "\(id) is already erased", state: "erased") }
            return Decision(events: [.progress(.textErased(id: id))], personalData: [id: nil], entityID: id)
        }
    }

    /// The milestones a match plans when it starts: its offer's template, counted from the start date. Decided
    /// with `match.start`, in the same append.
    static func plannedAtStart(match: Match, startedOn: String, state: DomainState) -> [DomainEvent] {
        guard let template = state.offers[match.offer]?.milestoneTemplate, !template.isEmpty else { return [] }
        let planned = template.enumerated().map { index, item in
            Milestone(number: index + 1, title: item.title, due: CivilDate.adding(days: item.dayOffset, to: startedOn))
        }
        return [.progress(.milestonesPlanned(match: match.id, milestones: planned))]
    }

    /// Checks an offer's milestone template (`offer.publish`, `offer.revise`).
    static func checkTemplate(_ template: [MilestoneTemplate]) throws(DomainError) {
        guard template.count <= MilestoneLimits.milestonesMax else { throw .validation("milestones", "at most \(MilestoneLimits.milestonesMax) milestones") }
        for (index, item) in template.enumerated() {
            try Decider.checkText("milestones[\(index)].title", item.title, bytesMax: MilestoneLimits.titleBytesMax)
            guard (0...MilestoneLimits.dayOffsetMax).contains(item.dayOffset) else {
                throw .validation("milestones[\(index)].dayOffset", "must be 0 to \(MilestoneLimits.dayOffsetMax) days after the start")
            }
        }
    }

    static func submitFeedback(_ submit: SubmitFeedback, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        guard let match = state.matches[submit.match] else { throw .notFound(submit.match) }
        let institution = state.offers[match.offer]?.institution ?? ""
        guard context.issuer.isStaff || (context.issuer.mayManageOffers(of: institution) && submit.side != .requester) else {
            throw DomainError(.forbidden, "an educator of \(context.issuer.institution ?? "no institution") may not answer for the \(submit.side.rawValue) side of \(match.id)")
        }
        let outcome = match.outcome.flatMap { state.outcomes[$0] }
        switch submit.moment {
        case .end where outcome == nil:
            throw DomainError(.conflict, "\(match.id) is \(match.status.rawValue): feedback at the end follows its outcome", state: match.status.rawValue)
        case .followup where outcome?.followUp == nil:
            throw DomainError(.conflict, "\(match.id) has no follow-up check yet: feedback at the follow-up comes after it", state: match.status.rawValue)
        case .end, .followup:
            break
        }
        if state.progress.feedback[match.id]?.contains(where: { $0.side == submit.side && $0.moment == submit.moment }) == true {
            throw DomainError(.conflict, "the \(submit.side.rawValue) side already gave feedback on \(match.id) at the \(submit.moment.rawValue)",
                              state: match.status.rawValue)
        }
        let questions = context.policy.feedback.questions(for: submit.side)
        try checkAnswers(submit.answers, questions)
        let (reference, personal) = try text(submit.comment, field: "comment", state: state)
        let entry = FeedbackEntry(side: submit.side, moment: submit.moment, answers: submit.answers, submittedMs: context.nowMs, comment: reference)
        return decision([.feedbackSubmitted(match: match.id, entry)], personal: personal, entityID: match.id)
    }

    /// Every question answered with a whole number on its scale, and nothing else.
    static func checkAnswers(_ answers: [String: Int], _ questions: [FeedbackQuestion]) throws(DomainError) {
        let known = Set(questions.map(\.id))
        for id in answers.keys.sorted() where !known.contains(id) {
            throw .validation("answers.\(id)", "no such question; the questions are \(questions.map(\.id).joined(separator: ", "))")
        }
        for question in questions {
            guard let answer = answers[question.id] else { throw .validation("answers.\(question.id)", "required: \(question.text) (1-\(question.scale))") }
            guard (1...question.scale).contains(answer) else { throw .validation("answers.\(question.id)", "must be 1 to \(question.scale)") }
        }
    }

    /// A match the issuer may change, in one of `allowed`.
    static func runningMatch(
        _ id: String, state: DomainState, _ context: DecisionContext, verb: String, allowed: Set<MatchStatus>
    ) throws(DomainError) -> Match {
        let match = try CollaborationDecider.existingMatch(id, state: state, expectedVersion: nil, issuer: context.issuer)
        guard allowed.contains(match.status) else {
            let names = MatchStatus.allCases.filter(allowed.contains).map(\.rawValue).joined(separator: " or ")
            throw DomainError(.conflict, "\(id) is \(match.status.rawValue): only a match that is \(names) can \(verb)", state: match.status.rawValue)
        }
        return match
    }

    /// Milestone `number` of the match, not completed yet.
    static func openMilestone(_ number: Int, of match: Match, state: DomainState) throws(DomainError) -> Milestone {
        let milestones = state.progress.milestones[match.id] ?? []
        guard let milestone = milestones.first(where: { $0.number == number }) else {
            throw .validation("milestone", "\(match.id) has no milestone \(number) (it has \(milestones.count))")
        }
        guard milestone.completedMs == nil else {
            throw DomainError(.conflict, "milestone \(number) of \(match.id) was completed on \(milestone.completedOn ?? "?")", state: "completed")
        }
        return milestone
    }

    /// A note or comment: checked, then a reference for the event and the record for the personal table.
    static func text(_ text: String?, field: String, state: DomainState) throws(DomainError) -> (TextReference?, [String: PersonalRecord?]) {
        guard let text else { return (nil, [:]) }
        try Decider.checkText(field, text, bytesMax: MilestoneLimits.noteBytesMax)
        let id = state.progress.nextTextID
        return (TextReference(id: id, sha256: PersonalRecord.sha256Hex(text)), [id: .text(text)])
    }

    static func decision(_ events: [ProgressEvent], personal: [String: PersonalRecord?] = [:], entityID: String) -> Decision {
        Decision(events: events.map(DomainEvent.progress), personalData: personal, entityID: entityID)
    }
}
