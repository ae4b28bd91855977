import Domain

/// Chooses the matching weights on a labelled set by k-fold cross-validation, so that the figures it
/// reports are measured on questions the choice did not see. Pure and seeded: the same set, grid and seeded generator
/// give the same folds, weights and figures.
///
/// Every candidate's rank of the wanted offer is computed once per question (the index does not depend on
/// the weights); a fold's figures are then sums over its questions.
public struct WeightSearch: Sendable {
    /// What the search found.
    public struct Result: Sendable {
        /// The weights chosen on the whole set (the best sum of top-1 and MRR; ties: the nearest to the reference).
        public let chosen: MatchingWeights
        /// The chosen weights' figures on the whole set (where they were chosen: optimistic).
        public let whole: LabelledSet.Quality
        /// The cross-validated estimate: each fold scored with the weights chosen on the other folds.
        public let crossValidated: (top1: Double, top3: Double, meanReciprocalRank: Double)
        public let folds: Int
        public let candidates: Int
    }

    /// The grid the defaults were chosen from: the four topical weights, the level weight, and how much
    /// inferred concepts count on each side; the other factors keep their defaults.
    public static func grid() -> [MatchingWeights] {
        var candidates: [MatchingWeights] = []
        for themes in [0.05, 0.1, 0.15, 0.25] {
            for disciplines in [0.1, 0.2, 0.3] {
                for level in [0.1, 0.15, 0.25, 0.35] {
                    for text in [0.05, 0.1, 0.2, 0.3] {
                        for inferred in [0.15, 0.3, 0.6, 0.9] {
                            for inferredOffer in [0.25, 0.5, 0.75, 1.0] {
                                var weights = MatchingWeights()
                                (weights.themes, weights.disciplines, weights.level, weights.text) = (themes, disciplines, level, text)
                                (weights.inferredConcept, weights.inferredOfferConcept) = (inferred, inferredOffer)
                                candidates.append(weights)
                            }
                        }
                    }
                }
            }
        }
        return candidates
    }

    /// The weights before the search (issue 14): among candidates that do equally well, the one nearest to
    /// them is taken, rather than the first of the grid (which would pick the grid's edge).
    public static let reference: MatchingWeights = {
        var weights = MatchingWeights()
        (weights.themes, weights.disciplines, weights.level, weights.text) = (0.15, 0.2, 0.25, 0.2)
        (weights.inferredConcept, weights.inferredOfferConcept) = (0.6, 1.0)
        return weights
    }()

    /// How far apart two sets of weights are: the factor weights as shares of their sum, the two
    /// inference weights and the three history parts' weights, summed absolute differences.
    static func distance(_ left: MatchingWeights, _ right: MatchingWeights) -> Double {
        let factors = MatchingWeights.factors.reduce(0.0) { $0 + abs(left[$1] / left.total - right[$1] / right.total) }
        return factors + abs(left.inferredConcept - right.inferredConcept) + abs(left.inferredOfferConcept - right.inferredOfferConcept)
            + abs(left.historySimilar - right.historySimilar) + abs(left.historyRatings - right.historyRatings)
            + abs(left.historyDistrict - right.historyDistrict)
    }

    /// Cross-validates `candidates` on `set` with `folds` folds of its questions, shuffled with `generator`
    /// (the caller's seeded one: Matching draws no randomness of its own); ties go to the candidate nearest
    /// to `reference`.
    public static func run(
        set: LabelledSet, analyzer: TextAnalyzer, candidates: [MatchingWeights], folds: Int, using generator: inout some RandomNumberGenerator,
        reference: MatchingWeights = reference
    ) -> Result {
        precondition(!candidates.isEmpty && folds >= 2, "a search needs candidates and at least two folds")
        let index = MatchingIndex(analyzer: analyzer, state: set.state)
        let questions = set.expected.keys.sorted()
        let shuffled = questions.shuffled(using: &generator)
        let foldOf = Dictionary(uniqueKeysWithValues: shuffled.enumerated().map { ($1, $0 % folds) })
        // ranks[c][q]: the wanted offer's rank (nil: not among the first 50) for candidate c, question q.
        let ranks = candidates.map { weights in set.ranks(matcher: Matcher(taxonomy: analyzer.taxonomy, weights: weights), index: index, questions: questions) }
        func figures(_ candidate: Int, _ included: (String) -> Bool) -> (top1: Double, top3: Double, mrr: Double, count: Int) {
            var top1 = 0.0, top3 = 0.0, mrr = 0.0, count = 0
            for (position, question) in questions.enumerated() where included(question) {
                count += 1
                guard let rank = ranks[candidate][position] else { continue }
                top1 += rank == 1 ? 1 : 0
                top3 += rank <= 3 ? 1 : 0
                mrr += 1 / Double(rank)
            }
            return (top1, top3, mrr, count)
        }
        func best(_ included: (String) -> Bool) -> Int {
            var chosen = 0, chosenObjective = -1.0, chosenDistance = Double.infinity
            for candidate in candidates.indices {
                let found = figures(candidate, included)
                let objective = found.top1 + found.mrr
                let distance = Self.distance(candidates[candidate], reference)
                if objective > chosenObjective + 1e-9 || (objective > chosenObjective - 1e-9 && distance < chosenDistance - 1e-12) {
                    (chosen, chosenObjective, chosenDistance) = (candidate, objective, distance)
                }
            }
            return chosen
        }
        var top1 = 0.0, top3 = 0.0, mrr = 0.0
        for fold in 0..<folds {
            let chosen = best { foldOf[$0] != fold }
            let found = figures(chosen) { foldOf[$0] == fold }
            (top1, top3, mrr) = (top1 + found.top1, top3 + found.top3, mrr + found.mrr)
        }
        let count = Double(max(1, questions.count))
        let chosen = candidates[best { _ in true }]
        return Result(
            chosen: chosen, whole: set.evaluate(matcher: Matcher(taxonomy: analyzer.taxonomy, weights: chosen), analyzer: analyzer),
            crossValidated: (top1 / count, top3 / count, mrr / count), folds: folds, candidates: candidates.count)
    }
}
