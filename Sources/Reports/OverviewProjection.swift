import Domain
import LMDSJSON

/// The overview's figures kept current event by event, so that a live `report.get overview` (no period,
/// no `asOf`) reads counters instead of walking every entity. Each event names the entities it changes;
/// their statuses before and after it adjust the counts. A replay that builds it from scratch gives the
/// same figures as `ReportBuilder` on the same state (a test checks this).
public struct OverviewProjection: Sendable, Hashable {
    public private(set) var questionStatuses: [QuestionStatus: Int] = [:]
    /// Status counts of the questions that had at least one agreed match.
    public private(set) var matchedQuestionStatuses: [QuestionStatus: Int] = [:]
    public private(set) var offerStatuses: [OfferStatus: Int] = [:]
    public private(set) var proposalStatuses: [ProposalStatus: Int] = [:]
    public private(set) var matchStatuses: [MatchStatus: Int] = [:]
    /// Days from submission to first match, one per matched question; from match to outcome, one per outcome.
    public private(set) var daysToMatch: [Double] = []
    public private(set) var daysToOutcome: [Double] = []
    public private(set) var outcomeCount = 0

    public init() {}

    /// The projection of a whole state (start-up, rebuilds).
    public init(state: DomainState) {
        for question in state.questions.values {
            questionStatuses[question.status, default: 0] += 1
            let matchTimes = (state.matchesByQuestion[question.id] ?? []).compactMap { state.matches[$0]?.agreedMs }
            if let first = matchTimes.min() {
                matchedQuestionStatuses[question.status, default: 0] += 1
                daysToMatch.append(Double(first - question.submittedMs) / 86_400_000)
            }
        }
        for offer in state.offers.values { offerStatuses[offer.status, default: 0] += 1 }
        for proposal in state.proposals.values { proposalStatuses[proposal.status, default: 0] += 1 }
        for match in state.matches.values { matchStatuses[match.status, default: 0] += 1 }
        for outcome in state.outcomes.values {
            outcomeCount += 1
            if let match = state.matches[outcome.match] { daysToOutcome.append(Double(outcome.recordedMs - match.agreedMs) / 86_400_000) }
        }
    }

    /// The statuses of what an event names, read before it is applied.
    public struct Before: Sendable {
        var questions: [String: QuestionStatus] = [:]
        var offers: [String: OfferStatus] = [:]
        var proposals: [String: ProposalStatus] = [:]
        var matches: [String: MatchStatus] = [:]
        var questionHadMatch: [String: Bool] = [:]
    }

    /// Call with the state before `event` is applied; pass the result to `didApply`.
    public func willApply(_ event: DomainEvent, to state: DomainState) -> Before {
        var before = Before()
        for id in event.entityIDs {
            if let question = state.questions[id] {
                before.questions[id] = question.status
                before.questionHadMatch[id] = !(state.matchesByQuestion[id] ?? []).isEmpty
            }
            if let offer = state.offers[id] { before.offers[id] = offer.status }
            if let proposal = state.proposals[id] { before.proposals[id] = proposal.status }
            if let match = state.matches[id] { before.matches[id] = match.status }
        }
        return before
    }

    /// Adjusts the counts with what `event` changed, `state` being the state after it.
    public mutating func didApply(_ event: DomainEvent, to state: DomainState, prior before: Before) {
        func move<Status: Hashable>(_ counts: inout [Status: Int], from old: Status?, to new: Status?) {
            guard old != new else { return }
            if let old {
                counts[old, default: 0] -= 1
                if counts[old] == 0 { counts.removeValue(forKey: old) }
            }
            if let new { counts[new, default: 0] += 1 }
        }
        for id in event.entityIDs {
            if let question = state.questions[id] {
                let old = before.questions[id]
                move(&questionStatuses, from: old, to: question.status)
                let hadMatch = before.questionHadMatch[id] ?? false
                let hasMatch = !(state.matchesByQuestion[id] ?? []).isEmpty
                if hadMatch {
                    move(&matchedQuestionStatuses, from: old, to: question.status)
                } else if hasMatch, let first = (state.matchesByQuestion[id] ?? []).compactMap({ state.matches[$0]?.agreedMs }).min() {
                    matchedQuestionStatuses[question.status, default: 0] += 1
                    daysToMatch.append(Double(first - question.submittedMs) / 86_400_000)
                }
            }
            if let offer = state.offers[id] { move(&offerStatuses, from: before.offers[id], to: offer.status) }
            if let proposal = state.proposals[id] { move(&proposalStatuses, from: before.proposals[id], to: proposal.status) }
            if let match = state.matches[id] { move(&matchStatuses, from: before.matches[id], to: match.status) }
        }
        if case .collaboration(.outcomeRecorded(let outcome)) = event {
            outcomeCount += 1
            if let match = state.matches[outcome.match] { daysToOutcome.append(Double(outcome.recordedMs - match.agreedMs) / 86_400_000) }
        }
    }
}

extension ReportBuilder {
    /// The overview from a projection kept current (no period): the same report `overview()` builds by
    /// walking the state, at the cost of sorting two lists of days.
    public func overview(from projection: OverviewProjection) -> Report {
        // Merged and split questions count once, as their survivor or parts (as `overview()` counts them).
        let questionStatuses = projection.questionStatuses.filter { !$0.key.isReplaced }
        let matchedQuestionStatuses = projection.matchedQuestionStatuses.filter { !$0.key.isReplaced }
        let total = questionStatuses.values.reduce(0, +)
        let notPastIntake: [QuestionStatus] = [.submitted, .rejected, .referred]
        let intakeDone = total - notPastIntake.reduce(0) { $0 + (questionStatuses[$1] ?? 0) }
        let matched = matchedQuestionStatuses.values.reduce(0, +)
            - notPastIntake.reduce(0) { $0 + (matchedQuestionStatuses[$1] ?? 0) }
        let open = state.pendingProposals.compactMap { state.proposals[$0] }
        let weekEnd = nowMs + 7 * 86_400_000
        let expiring = open.filter { $0.expiresMs > nowMs && $0.expiresMs <= weekEnd }
        func table<Status: RawRepresentable & CaseIterable & Hashable>(
            _ counts: [Status: Int], _ title: String, listing: [Status] = Array(Status.allCases)
        ) -> Report.Table where Status.RawValue == String {
            Report.Table(title: title, columns: ["status", "count"],
                         rows: listing.map { [JSONValue.string($0.rawValue), Self.integer(counts[$0] ?? 0)] }, chartColumn: 1)
        }
        return overviewReport(
            questions: total, intakeDone: intakeDone, matched: matched, toMatch: projection.daysToMatch, toOutcome: projection.daysToOutcome,
            open: open.count, expiring: expiring.count, outcomes: projection.outcomeCount,
            tables: [table(questionStatuses, "Questions by status", listing: QuestionStatus.counted), table(projection.offerStatuses, "Offers by status"),
                     table(projection.proposalStatuses, "Proposals by status"), table(projection.matchStatuses, "Matches by status")])
    }
}
