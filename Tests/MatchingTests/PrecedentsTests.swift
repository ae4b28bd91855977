import Domain
@testable import Matching
import Testing

/// Learning from the coordinators: earlier decisions on similar questions move the ranking, explained in
/// words, and are replayed from the log.
@Suite struct PrecedentsTests {
    static func analyzer() throws -> TextAnalyzer {
        TextAnalyzer(taxonomy: MatchingFixtures.leiden, lexicon: try #require(MatchingFixtures.lexicon))
    }

    /// Time split on both sets: the later questions ranked after the earlier ones taught, against the same
    /// ranking without learning (the figures are printed; learning must not do worse).
    @Test(arguments: ["Labelled", "HeldOut"]) func learningOnATimeSplit(set name: String) throws {
        let set = name == "Labelled" ? try MatchingFixtures.labelledSet() : try HeldOutSetTests.set()
        let found = set.evaluateLearning(matcher: Matcher(taxonomy: MatchingFixtures.leiden), analyzer: try Self.analyzer(), teachingShare: 2.0 / 3)
        print(String(format: "%@: %d taught, %d scored: without learning top-1 %.3f MRR %.3f; with %.3f, %.3f", name, found.taught, found.with.questions,
                     found.without.top1, found.without.meanReciprocalRank, found.with.top1, found.with.meanReciprocalRank))
        #expect(found.with.top1 >= found.without.top1 && found.with.meanReciprocalRank >= found.without.meanReciprocalRank - 1e-9)
    }

    /// A proposal accepted by both sides (a match) and one declined are kept per offer, the same whether the
    /// index follows the events or is rebuilt from the state; a question like the chosen one gets the
    /// chosen offer's history in words, and the declined offer's.
    @Test func decisionsAreReplayedAndExplained() throws {
        let set = try MatchingFixtures.labelledSet()
        var state = set.state
        var index = MatchingIndex(analyzer: try Self.analyzer(), state: state)
        func run(_ command: Command) throws {
            for event in try Decider.decide(command, state: state, taxonomy: MatchingFixtures.leiden, nowMs: 1_796_000_000_000).events {
                index.willApply(event, to: state)
                state.apply(event)
                index.didApply(event, to: state)
            }
        }
        // Q-0045 asks what Q-0002 asked, in the same words.
        let original = try #require(state.questions["Q-0002"])
        try run(.question(.submit(SubmitQuestion(
            title: original.title, description: original.description, requesterKind: "resident", organisation: nil,
            contact: ContactDetails(name: nil, email: nil, phone: nil), neighbourhood: original.neighbourhood.wijk ?? original.neighbourhood.district, themes: [], disciplines: [],
            levels: original.levels, window: original.window, size: nil))))
        try run(.question(.accept(id: "Q-0045", title: nil, description: nil, expectedVersion: nil)))
        try run(.proposal(.createMany([ProposalRequest(question: "Q-0002", offer: "O-0001", note: nil), ProposalRequest(question: "Q-0002", offer: "O-0014", note: nil)])))
        try run(.proposal(.accept(id: "P-0001", side: .requester, expectedVersion: nil)))
        try run(.proposal(.accept(id: "P-0001", side: .education, expectedVersion: nil)))
        try run(.proposal(.decline(id: "P-0002", side: .education, reason: "our minor is full of nursing students", expectedVersion: nil)))
        #expect(index.precedents.chosen == ["O-0001": ["Q-0002"]] && index.precedents.declined == ["O-0014": ["Q-0002"]])
        let rebuilt = MatchingIndex(analyzer: try Self.analyzer(), state: state)
        #expect(rebuilt.precedents.chosen == index.precedents.chosen && rebuilt.precedents.declined == index.precedents.declined)
        let suggestions = try Matcher(taxonomy: MatchingFixtures.leiden).suggestOffers(for: "Q-0045", state: state, index: index, limit: 30, explain: false).suggestions
        func history(_ offer: String) -> MatchReason? { suggestions.first { $0.id == offer }?.reasons.first { $0.factor == "history" } }
        #expect(history("O-0001")?.detail == "chosen for 1 similar question before")
        #expect((history("O-0001")?.value ?? 0) > 0.5)
        #expect(history("O-0014")?.detail == "chosen for 0 similar questions before, declined for 1")
        #expect((history("O-0014")?.value ?? 1) < 0.5)
    }
}
