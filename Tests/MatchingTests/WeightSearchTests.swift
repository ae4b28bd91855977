import Domain
import LMDSTestSupport
@testable import Matching
import Testing

/// The weights are chosen by k-fold cross-validation on the development set (`WeightSearch`, run in full by
/// `lmds-bench matching`); these tests check the search itself and that the defaults are its choice.
@Suite struct WeightSearchTests {
    static func analyzer() throws -> TextAnalyzer {
        TextAnalyzer(taxonomy: MatchingFixtures.leiden, lexicon: try #require(MatchingFixtures.lexicon))
    }

    /// The same seed gives the same folds and figures; every question is scored in exactly one fold.
    @Test func seededAndReplayable() throws {
        let set = try MatchingFixtures.labelledSet()
        let candidates = [MatchingWeights(), WeightSearch.reference]
        var firstFolding = SplitMix64(seed: 3)
        var againFolding = SplitMix64(seed: 3)
        let first = WeightSearch.run(set: set, analyzer: try Self.analyzer(), candidates: candidates, folds: 4, using: &firstFolding)
        let again = WeightSearch.run(set: set, analyzer: try Self.analyzer(), candidates: candidates, folds: 4, using: &againFolding)
        #expect(first.chosen == again.chosen && first.crossValidated == again.crossValidated)
        #expect(first.folds == 4 && first.candidates == 2)
    }

    /// The defaults are what the full grid chose (`lmds-bench matching` prints the search): among the
    /// defaults and their neighbours on the grid, the search takes the defaults.
    @Test func defaultsAreTheSearchsChoiceAmongTheirNeighbours() throws {
        let set = try MatchingFixtures.labelledSet()
        let defaults = MatchingWeights()
        var candidates = [defaults]
        for factor in ["themes", "disciplines", "level", "text"] {
            for change in [-0.05, 0.05] where defaults[factor] + change > 0 {
                var neighbour = defaults
                neighbour[factor] += change
                candidates.append(neighbour)
            }
        }
        var folding = SplitMix64(seed: 14)
        let found = WeightSearch.run(set: set, analyzer: try Self.analyzer(), candidates: candidates, folds: 5, using: &folding)
        #expect(found.chosen == defaults)
    }
}
