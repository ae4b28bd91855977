import Domain
import LMDSJSON

/// The overview's figures are a projection: kept current event by event, rebuilt from a state, digested.
extension OverviewProjection: Projection {
    /// The overview's counts by status and its day lists (sorted).
    public var digestJSON: JSONValue {
        func counts<Status: RawRepresentable>(_ table: [Status: Int]) -> JSONValue where Status.RawValue == String {
            .object(Dictionary(uniqueKeysWithValues: table.map { ($0.key.rawValue, JSONValue.integer(Int64($0.value))) }))
        }
        return [
            "questions": counts(questionStatuses), "matchedQuestions": counts(matchedQuestionStatuses),
            "offers": counts(offerStatuses), "proposals": counts(proposalStatuses), "matches": counts(matchStatuses),
            "daysToMatch": .array(daysToMatch.sorted().map { .double($0) }),
            "daysToOutcome": .array(daysToOutcome.sorted().map { .double($0) }), "outcomes": .integer(Int64(outcomeCount)),
        ]
    }
}
