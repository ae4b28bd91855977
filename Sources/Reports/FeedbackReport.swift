import Domain
import LMDSJSON

/// The feedback report and the figures of milestones, check-ins and feedback that the overview, talent and
/// outcomes reports share. Answers still hidden by the blind rule (as of the report's time) are left out
/// unless the reader is an admin (`feedbackReader`); that a side answered is never hidden.
extension ReportBuilder {
    /// One side's feedback at one moment on one match, with whether the reader may count its answers.
    struct FeedbackResponse {
        let match: Match
        let entry: FeedbackEntry
        let shown: Bool
    }

    /// Feedback submitted in the period (by its time) and by the report's time, with its visibility to the reader.
    var feedbackResponses: [FeedbackResponse] {
        var responses: [FeedbackResponse] = []
        for (matchID, entries) in state.progress.feedback {
            guard let match = state.matches[matchID] else { continue }
            for entry in entries where entry.submittedMs <= nowMs && inPeriod(entry.submittedMs) {
                let revealed = state.feedbackRevealed(match, entry.moment, policy: policy.feedback, asOfMs: nowMs)
                responses.append(FeedbackResponse(match: match, entry: entry, shown: feedbackReader == .admin || revealed))
            }
        }
        return responses.sorted { ($0.match.id, $0.entry.side, $0.entry.moment.rawValue) < ($1.match.id, $1.entry.side, $1.entry.moment.rawValue) }
    }

    /// Matches asked for feedback at `moment` in the period: an outcome (`end`) or a follow-up check (`followup`) in it.
    func feedbackEligible(_ moment: FeedbackMoment) -> [Match] {
        state.matches.values.filter { match in
            guard let opened = state.feedbackOpenedMs(match, moment) else { return false }
            return opened <= nowMs && inPeriod(opened)
        }
    }

    static func rate(_ part: Int, of whole: Int) -> JSONValue { decimal(whole == 0 ? nil : Double(part) / Double(whole), digits: 3) }

    /// Milestones of matches in `matches` due by the report's day, those met on time, open matches at risk or
    /// stalled, and each expected side's response rate at the end: the figures three reports share.
    func progressFigures(_ matches: [Match]) -> [(String, JSONValue)] {
        var due = 0
        var onTime = 0
        var atRisk = 0
        for match in matches {
            for milestone in state.progress.milestones[match.id] ?? [] where milestone.due <= today {
                due += 1
                if milestone.metOnTime { onTime += 1 }
            }
            if match.status.isOpen, let health = state.progress.health(of: match.id), health != .onTrack { atRisk += 1 }
        }
        let delivered = matches.filter { state.feedbackOpenedMs($0, .end).map { $0 <= nowMs } ?? false }
        var figures: [(String, JSONValue)] = [
            ("milestones due by the report's day", Self.integer(due)), ("milestones met on time", Self.integer(onTime)),
            ("share of milestones met on time", Self.rate(onTime, of: due)), ("open matches at risk or stalled", Self.integer(atRisk)),
        ]
        for side in policy.feedback.expectedSides.sorted() {
            let answered = delivered.filter { match in
                (state.progress.feedback[match.id] ?? []).contains { $0.side == side && $0.moment == .end && $0.submittedMs <= nowMs }
            }
            figures.append(("feedback response rate at the end, \(side.rawValue)", Self.rate(answered.count, of: delivered.count)))
        }
        return figures
    }

    func feedback() -> Report {
        let responses = feedbackResponses
        var rateRows: [[JSONValue]] = []
        for moment in FeedbackMoment.allCases {
            let eligible = feedbackEligible(moment)
            let ids = Set(eligible.map(\.id))
            for side in FeedbackSide.allCases {
                let count = responses.filter { $0.entry.moment == moment && $0.entry.side == side && ids.contains($0.match.id) }.count
                rateRows.append([.string(side.rawValue), .string(moment.rawValue), Self.integer(eligible.count), Self.integer(count),
                                 Self.rate(count, of: eligible.count)])
            }
        }
        let hidden = responses.filter { !$0.shown }.count
        return report(
            "feedback", "Feedback: what every side said",
            "Feedback submitted in the period, per side and moment (end: after the outcome; followup: after the follow-up check). Response rate = responses / matches whose outcome (or follow-up check) falls in the period. Answers still hidden by the blind rule (not every expected side has answered and the window of \(policy.feedback.windowDays) days has not closed) are counted as responses but not in the answers"
                + (feedbackReader == .admin ? "; this reader (admin) sees them all." : "."),
            figures: [("responses", Self.integer(responses.count)), ("responses with hidden answers", Self.integer(hidden))]
                + policy.feedback.expectedSides.sorted().map { side in
                    let eligible = feedbackEligible(.end)
                    let count = responses.filter { $0.entry.side == side && $0.entry.moment == .end && eligible.contains($0.match) }.count
                    return ("response rate at the end, \(side.rawValue)", Self.rate(count, of: eligible.count))
                },
            tables: [
                Report.Table(title: "Response rates", columns: ["side", "moment", "matches asked", "responses", "response rate"], rows: rateRows,
                             chartColumn: 4),
                Report.Table(title: "Answers", columns: ["side", "moment", "question", "answers", "mean", "distribution"],
                             rows: answerRows(responses.filter(\.shown))),
                groupTable("Per institution", "institution", responses) { match in
                    let id = state.offers[match.offer]?.institution ?? "?"
                    return [(taxonomy.institution(id)?.label ?? id, id)]
                },
                groupTable("Per theme", "theme", responses) { match in
                    (state.questions[match.question]?.themes ?? []).map { id in (taxonomy.themes.first { $0.id == id }?.label ?? id, id) }
                },
                groupTable("Per wijk", "wijk", responses) { match in
                    state.questions[match.question].map { [(placeLabel($0.neighbourhood), $0.neighbourhood.id)] } ?? []
                },
            ])
    }

    /// Per side, moment and question: how many answers, their mean and how often each point of the scale was given.
    func answerRows(_ shown: [FeedbackResponse]) -> [[JSONValue]] {
        var rows: [[JSONValue]] = []
        for side in FeedbackSide.allCases {
            for moment in FeedbackMoment.allCases {
                let group = shown.filter { $0.entry.side == side && $0.entry.moment == moment }
                guard !group.isEmpty else { continue }
                for question in policy.feedback.questions(for: side) {
                    let answers = group.compactMap { $0.entry.answers[question.id] }
                    let distribution = (1...question.scale).map { point in "\(point): \(answers.filter { $0 == point }.count)" }
                    rows.append([.string(side.rawValue), .string(moment.rawValue), .string(question.id), Self.integer(answers.count),
                                 Self.decimal(Self.mean(answers), digits: 2), .string(distribution.joined(separator: ", "))])
                }
            }
        }
        return rows
    }

    /// Responses and the mean of every shown answer per group (a match may count in several: its question's themes).
    func groupTable(_ title: String, _ noun: String, _ responses: [FeedbackResponse], groups: (Match) -> [(label: String, id: String)]) -> Report.Table {
        var tally: [String: (label: String, responses: Int, answers: [Int])] = [:]
        for response in responses {
            for group in groups(response.match) {
                var entry = tally[group.id] ?? (group.label, 0, [])
                entry.responses += 1
                if response.shown { entry.answers += response.entry.answers.values }
                tally[group.id] = entry
            }
        }
        let rows = tally.sorted { $0.key < $1.key }.map { id, entry -> [JSONValue] in
            [.string(entry.label), .string(id), Self.integer(entry.responses), Self.integer(entry.answers.count), Self.decimal(Self.mean(entry.answers), digits: 2)]
        }
        return Report.Table(title: title, columns: [noun, "\(noun) id", "responses", "answers shown", "mean answer"], rows: rows, chartColumn: 2,
                            idColumns: [1], dutchColumns: [0])
    }

    /// A side's rating of a match: its `satisfaction` answer at the end when shown (feedback), else the outcome's
    /// rating for that side; and which it was.
    func rating(_ outcome: Outcome, side: FeedbackSide) -> (value: Int, fromFeedback: Bool)? {
        if let match = state.matches[outcome.match],
            let entry = state.progress.feedback[match.id]?.first(where: { $0.side == side && $0.moment == .end && $0.submittedMs <= nowMs }),
            let answer = entry.answers["satisfaction"],
            feedbackReader == .admin || state.feedbackRevealed(match, .end, policy: policy.feedback, asOfMs: nowMs)
        {
            return (answer, true)
        }
        let recorded = side == .requester ? outcome.ratings.requester : side == .education ? outcome.ratings.education : nil
        return recorded.map { ($0, false) }
    }
}
