import Domain
import Foundation
import LMDSTestSupport
@testable import Matching
import Testing

/// Learning from the coordinators on a simulated history (README section 17.6): the simulation keeps its
/// rules, and the last semester ranks the coordinators' choices better after the earlier ones taught.
@Suite struct SimulatedHistoryTests {
    /// The seeds the figures are reported for (BENCHMARKS.md, README section 17.6).
    static let seeds: [UInt64] = [1, 2, 3, 4, 5]

    static func analyzer() throws -> TextAnalyzer {
        TextAnalyzer(taxonomy: MatchingFixtures.leiden, lexicon: try #require(MatchingFixtures.lexicon))
    }

    static func history(seed: UInt64, rules: SimulatedHistory.Rules = SimulatedHistory.Rules()) throws -> SimulatedHistory {
        var generator = SplitMix64(seed: seed)
        return try SimulatedHistory(development: MatchingFixtures.labelledSet(), taxonomy: MatchingFixtures.leiden, rules: rules, using: &generator)
    }

    /// The target: on the scored (last) semester, top-1 with learning at least 0.05 above the
    /// same ranking without it, for each seed (the default weights, chosen on the teaching semesters).
    @Test(arguments: seeds) func learningGainsOnTheTimeSplit(seed: UInt64) throws {
        let history = try Self.history(seed: seed)
        let found = history.evaluate(matcher: Matcher(taxonomy: MatchingFixtures.leiden), analyzer: try Self.analyzer())
        print(String(format: "simulated history, seed %llu: %d scored; without learning top-1 %.3f MRR %.3f; with %.3f, %.3f", seed, found.with.questions,
                     found.without.top1, found.without.meanReciprocalRank, found.with.top1, found.with.meanReciprocalRank))
        #expect(found.with.top1 >= found.without.top1 + 0.05 - 1e-9, "seed \(seed)")
        #expect(found.with.meanReciprocalRank >= found.without.meanReciprocalRank)
    }
}

extension SimulatedHistoryTests {
    /// The default history weights are what a time-series cross-validation on the teaching semesters of
    /// every seed's history chooses (never a scored semester), among the candidates that do no worse on
    /// the development set's own time split (`LabelledSet.evaluateLearning`) than no learning: none of
    /// their neighbours in the grid (one weight a step up or down) does better. `LMDS_HISTORY_GRID=full`
    /// searches the whole grid (60 candidates, a few minutes in a debug build), as was done to choose them.
    @Test func defaultsAreTheCrossValidatedChoice() throws {
        let histories = try Self.seeds.map { try Self.history(seed: $0) }
        let full = ProcessInfo.processInfo.environment["LMDS_HISTORY_GRID"] == "full"
        let development = try MatchingFixtures.labelledSet()
        let analyzer = try Self.analyzer()
        let grid = (full ? SimulatedHistory.grid() : Self.neighbours(of: MatchingWeights())).filter { weights in
            let split = development.evaluateLearning(matcher: Matcher(taxonomy: MatchingFixtures.leiden, weights: weights), analyzer: analyzer, teachingShare: 2.0 / 3)
            return split.with.top1 >= split.without.top1 - 1e-9 && split.with.meanReciprocalRank >= split.without.meanReciprocalRank - 1e-9
        }
        let found = SimulatedHistory.chooseWeights(histories: histories, analyzer: analyzer, candidates: grid)
        let chosen = found.chosen
        print(String(format: "history weights chosen on the teaching semesters of seeds %@ (%d candidates): history %.2f, similar %.1f, ratings %.1f, district %.1f; top-1 + reciprocal rank %.3f per question",
                     Self.seeds.map(String.init).joined(separator: ", "), grid.count, chosen.history, chosen.historySimilar, chosen.historyRatings,
                     chosen.historyDistrict, found.objective))
        #expect(chosen == MatchingWeights())
    }

    /// `weights` and the grid's candidates that differ from it in one history weight by one step.
    static func neighbours(of weights: MatchingWeights) -> [MatchingWeights] {
        let values = SimulatedHistory.gridValues
        var result = [weights]
        func steps(_ grid: [Double], _ value: Double, _ set: (inout MatchingWeights, Double) -> Void) {
            guard let position = grid.firstIndex(of: value) else { return }
            for other in [position - 1, position + 1] where grid.indices.contains(other) {
                var neighbour = weights
                set(&neighbour, grid[other])
                result.append(neighbour)
            }
        }
        steps(values.history, weights.history) { $0.history = $1 }
        steps(values.similar, weights.historySimilar) { $0.historySimilar = $1 }
        steps(values.ratings, weights.historyRatings) { $0.historyRatings = $1 }
        steps(values.district, weights.historyDistrict) { $0.historyDistrict = $1 }
        return result
    }
}

/// The simulation's rules, one by one.
@Suite struct SimulationRulesTests {
    /// The same seed gives the same history, event for event; another seed another.
    @Test func aSeedGivesOneHistory() throws {
        let first = try SimulatedHistoryTests.history(seed: 7)
        let again = try SimulatedHistoryTests.history(seed: 7)
        let other = try SimulatedHistoryTests.history(seed: 8)
        #expect(first.events == again.events && first.choices == again.choices)
        #expect(first.choices != other.choices)
    }

    /// Without noise, every choice follows the hidden rules: the chosen run does not decline the
    /// question's kind, every proposal declined was declined by a run that declines it (with its reason),
    /// and the chosen offer is the district's partner institution's whenever a fitting offer of the
    /// partner takes the question.
    @Test func choicesFollowTheRules() throws {
        var rules = SimulatedHistory.Rules()
        rules.noise = 0
        let history = try SimulatedHistoryTests.history(seed: 11, rules: rules)
        let state = history.state
        func run(_ offer: String) -> String { Precedents.run(of: state.offers[offer]!) }
        var partnersChosen = 0
        for (question, offer) in history.choices {
            let source = try #require(history.sources[question])
            #expect(!history.declines.contains(run(offer) + "|" + source))
            for declined in history.declinedOffers[question] ?? [] { #expect(history.declines.contains(run(declined) + "|" + source)) }
            let district = state.questions[question]!.neighbourhood.district
            let chosen = state.offers[offer]!
            if history.partners[district + "|" + chosen.level] == chosen.institution { partnersChosen += 1 }
        }
        // Twins share a level, so a question's partner for the chosen level is one of the twins' institutions
        // or neither's; at least the share of partners among two or three institutions is exceeded.
        #expect(Double(partnersChosen) / Double(history.choices.count) > 0.5, "\(partnersChosen) of \(history.choices.count)")
        let reasons = state.proposals.values.filter { $0.status == .declined }.map(\.closingReason)
        #expect(!reasons.isEmpty && reasons.allSatisfy { $0 == Coordinator.declineReason }, "\(reasons.prefix(3))")
    }

    /// The coordinator's order: the district's partner first, then the run that delivers well, else at
    /// random; a run that declines the kind of question is passed over, and the next is chosen.
    @Test func theCoordinatorsOrder() throws {
        let set = try MatchingFixtures.labelledSet()
        let template = set.state.offers["O-0002"]!
        func course(_ institution: String) -> SimulatedHistory.Course {
            var offer = template
            offer.institution = institution
            let run = Precedents.run(of: offer)
            return SimulatedHistory.Course(template: offer, institution: institution, programme: offer.programme, run: run, origin: run)
        }
        let (leiden, hague) = (course("hogeschool-leiden"), course("de-haagse-hogeschool"))
        let district = set.state.questions["Q-0001"]!.neighbourhood.district
        let offers = [(id: "O-0002", course: leiden), (id: "O-0099", course: hague)]
        var generator = SplitMix64(seed: 1)
        func order(partner: String, good: [String], declines: Set<String> = []) -> [String] {
            let coordinator = Coordinator(partners: [district + "|hbo": partner], deliversWell: Dictionary(uniqueKeysWithValues: good.map { ($0, true) }),
                                          declines: declines, fitting: ["Q-0001": [leiden.run, hague.run]], noise: 0)
            return coordinator.order("Q-0001", source: "Q-0001", offers: offers, state: set.state, using: &generator).map(\.id)
        }
        #expect(order(partner: "de-haagse-hogeschool", good: [leiden.run]) == ["O-0099", "O-0002"], "the partner first, though the other delivers well")
        #expect(order(partner: "universiteit-leiden", good: [hague.run]) == ["O-0099", "O-0002"], "no partner among them: the one that delivers well")
        #expect(order(partner: "universiteit-leiden", good: [leiden.run]) == ["O-0002", "O-0099"])
        var builder = SimulatedHistory.Builder(state: set.state, taxonomy: MatchingFixtures.leiden)
        let coordinator = Coordinator(partners: [:], deliversWell: [:], declines: [leiden.run + "|Q-0001"], fitting: [:], noise: 0)
        try coordinator.decide("Q-0001", order: offers, source: "Q-0001", apply: false, window: template.period.window, into: &builder, nowMs: 0, using: &generator)
        #expect(builder.choices["Q-0001"] == "O-0099", "the run that declines this kind of question is passed over")
    }

    /// Every outcome is rated 4 or 5 by both sides when its run delivers well, else 2 or 3.
    @Test func ratingsFollowHowARunDelivers() throws {
        let history = try SimulatedHistoryTests.history(seed: 3)
        #expect(!history.state.outcomes.isEmpty)
        for outcome in history.state.outcomes.values {
            let good = history.deliversWell[Precedents.run(of: history.state.offers[outcome.offer]!)] == true
            for rating in [outcome.ratings.requester, outcome.ratings.education] {
                #expect(good ? (4...5).contains(rating ?? 0) : (2...3).contains(rating ?? 0))
            }
        }
    }

    /// The simulated log replayed event by event teaches the index what a rebuild from the final state
    /// teaches: the same decisions, runs and district counts.
    @Test func theHistoryIsReplayedFromItsLog() throws {
        let history = try SimulatedHistoryTests.history(seed: 5)
        let analyzer = TextAnalyzer(taxonomy: MatchingFixtures.leiden)
        var state = DomainState()
        var index = MatchingIndex(analyzer: analyzer)
        for event in history.events {
            index.willApply(event, to: state)
            state.apply(event)
            index.didApply(event, to: state)
        }
        let rebuilt = MatchingIndex(analyzer: analyzer, state: history.state).precedents
        #expect(index.precedents.chosen == rebuilt.chosen && index.precedents.declined == rebuilt.declined)
        #expect(index.precedents.decidedOffersByRun == rebuilt.decidedOffersByRun && index.precedents.chosenInDistrict == rebuilt.chosenInDistrict)
        #expect(rebuilt.chosenCount > 0 && !rebuilt.declined.isEmpty)
    }
}

/// What the ranking learnt, in words.
@Suite struct LearnedExplanationTests {
    /// A course chosen for a question in one semester is, given again the next semester under a new offer
    /// id, "chosen for 1 similar question before (as O-0001, an earlier run of this course)", with its
    /// outcome's ratings; and its institution's record in the question's district is named, once two
    /// institutions have been chosen. The history value rises above the neutral 0.5.
    @Test func anEarlierRunAndTheDistrictAreNamed() throws {
        let set = try MatchingFixtures.labelledSet()
        var state = set.state
        var index = MatchingIndex(analyzer: TextAnalyzer(taxonomy: MatchingFixtures.leiden), state: state)
        func run(_ command: Command) throws {
            for event in try Decider.decide(command, state: state, taxonomy: MatchingFixtures.leiden, nowMs: 1_796_000_000_000).events {
                index.willApply(event, to: state)
                state.apply(event)
                index.didApply(event, to: state)
            }
        }
        // Q-0002 (Merenwijk, autumn) chose O-0001, Hogeschool Leiden's Social Work placement in the autumn;
        // Q-0004 (De Kooi) chose Universiteit Leiden's O-0004.
        for (proposal, question, offer) in [("P-0001", "Q-0002", "O-0001"), ("P-0002", "Q-0004", "O-0004")] {
            try run(.proposal(.create(question: question, offer: offer, note: nil)))
            try run(.proposal(.accept(id: proposal, side: .requester, expectedVersion: nil)))
            try run(.proposal(.accept(id: proposal, side: .education, expectedVersion: nil)))
        }
        try run(.match(.start(id: "M-0001", students: 3, startedOn: "2026-09-07", expectedVersion: nil)))
        try run(.outcome(.record(match: "M-0001", content: OutcomeContent(summary: "Een lotgenotengroep.", ratings: Ratings(requester: 5, education: 4)), followUps: [])))
        // Q-0045 asks what Q-0002 asked, in Merenwijk, for the spring: O-0001 is over; O-0002 is the same course then.
        let original = try #require(state.questions["Q-0002"])
        try run(.question(.submit(SubmitQuestion(
            title: original.title, description: original.description, requesterKind: "resident", organisation: nil,
            contact: ContactDetails(name: nil, email: nil, phone: nil), neighbourhood: "Merenwijk", themes: [], disciplines: [],
            levels: ["hbo"], window: DateWindow(from: "2027-02-01", to: "2027-06-30"), size: nil))))
        try run(.question(.accept(id: "Q-0045", title: nil, description: nil, expectedVersion: nil)))
        let suggestions = try Matcher(taxonomy: MatchingFixtures.leiden).suggestOffers(for: "Q-0045", state: state, index: index, limit: 30, explain: false).suggestions
        let history = try #require(suggestions.first { $0.id == "O-0002" }?.reasons.first { $0.factor == "history" })
        #expect(history.detail == "chosen for 1 similar question before (as O-0001, an earlier run of this course); earlier outcomes rated 4.5 of 5 "
            + "(1 outcome, 2 ratings); Hogeschool Leiden was chosen for 1 of the 1 question from Merenwijk before")
        #expect(history.value > 0.5)
        // Universiteit Leiden was chosen elsewhere, never in Merenwijk: its record here lowers its offers.
        let other = try #require(suggestions.first { $0.id == "O-0004" }?.reasons.first { $0.factor == "history" })
        #expect(other.detail == "Universiteit Leiden was chosen for 0 of the 1 question from Merenwijk before" && other.value < 0.5)
    }
}

/// The parts of a lesson, computed by hand.
@Suite struct LessonPartsTests {
    /// An institution's record in a district is its smoothed share there over its share of all choices:
    /// Hogeschool Leiden, chosen for 2 of 3 questions, 1 of them Merenwijk's only one, gets
    /// `(1 + 2 × 2/3) / (1 + 2) ÷ 2/3` = 7/6, so 7/13; Universiteit Leiden (1 of 3, none there) 2/3, so 2/5.
    @Test func districtRecordsAreSmoothedLifts() throws {
        let state = try MatchingFixtures.labelledSet().state
        var precedents = Precedents()
        for (question, offer) in [("Q-0002", "O-0001"), ("Q-0004", "O-0004"), ("Q-0018", "O-0014")] {
            precedents.record(question: question, offer: offer, chosen: true, state: state)
        }
        precedents.record(question: "Q-0002", offer: "O-0003", chosen: false, state: state)
        let leiden = try #require(precedents.districtRecord(institution: "hogeschool-leiden", district: "merenwijk"))
        #expect(leiden.chosen == 1 && leiden.ofDistrict == 1 && abs(leiden.value - 7.0 / 13) < 1e-12)
        let university = try #require(precedents.districtRecord(institution: "universiteit-leiden", district: "merenwijk"))
        #expect(university.chosen == 0 && abs(university.value - 2.0 / 5) < 1e-12)
        #expect(precedents.districtRecord(institution: "mborijnland", district: "merenwijk") == nil, "a decline is no choice: mboRijnland has none")
        #expect(precedents.decidedOffersByRun[Precedents.run(of: state.offers["O-0002"]!)] == ["O-0001"], "O-0001 and O-0002 are one run")
    }

    /// The history value moves from 0.5 by each part's weighted distance from 0.5, within 0..1.
    @Test func theHistoryValueWeighsItsParts() {
        var weights = MatchingWeights()
        (weights.historySimilar, weights.historyRatings, weights.historyDistrict) = (3, 0.5, 0.5)
        var lesson = Lesson(similar: Precedents.Record(chosen: 1, declined: 0, offers: ["O-0001"], value: 0.6), ratings: nil, district: nil)
        #expect(abs(lesson.value(weights) - 0.8) < 1e-12)
        lesson.ratings = Lesson.RatingSummary(mean: 1, count: 2, outcomes: 1)
        lesson.district = Precedents.DistrictRecord(chosen: 0, ofDistrict: 3, value: 0.3)
        #expect(abs(lesson.value(weights) - (0.8 - 0.25 - 0.1)) < 1e-12)
        lesson.similar?.value = 0.1
        #expect(lesson.value(weights) == 0, "within 0..1")
    }
}
