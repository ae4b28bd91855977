import Domain
import Foundation
import LMDSJSON
import LMDSTestSupport
import Matching

/// `lmds-bench matching`: suggestion quality on the labelled set, and speed on synthetic sets built from
/// it (the labelled texts recombined, with random themes, disciplines, levels, periods and capacities).
///
///     lmds-bench matching --labelled DIR [--heldout DIR] [--words FILE] [--folds 5] [--cv-seed 14]
///                         [--offers 10000] [--queries 300] [--plan-questions 2000] [--plan-offers 500] [--seed S]
///
/// Quality: the development set (--labelled) with the default weights, the weights chosen on it by
/// --folds-fold cross-validation (seeded with --cv-seed, printed) and their cross-validated estimate, and
/// naive BM25 (words only, the period filter); the same figures on the held-out set (--heldout), which
/// nothing was tuned on. Texts are analysed with the Dutch word list (--words, default /usr/share/dict/dutch,
/// as the daemon does; its load time is reported).
func runMatching(_ options: Options) throws {
    let directory = try options.string("labelled")
    let quality = try matchingQuality(options, taxonomy: try leidenTaxonomy(), directory: directory)
    let offerCount = try options.positiveInteger("offers", default: 10_000)
    let queries = try options.positiveInteger("queries", default: 300)
    let planQuestions = try options.positiveInteger("plan-questions", default: 2_000)
    let planOffers = try options.positiveInteger("plan-offers", default: 500)
    let seed = UInt64(try options.positiveInteger("seed", default: Int(UInt32.random(in: 1...UInt32.max))))
    let sets = try SyntheticMatchingSets(directory: directory, analyzer: quality.analyzer, seed: seed)
    let matcher = Matcher(taxonomy: sets.taxonomy)

    // One suggestion among offerCount offers, for random questions: the daemon's live path.
    let (state, index) = try sets.build(offers: offerCount, questions: queries, onePeriod: false)
    var latencies: [UInt64] = []
    for number in 0..<queries {
        let question = EntityID.make("Q", number + 1)
        let started = nowNanoseconds()
        let found = try matcher.suggestOffers(for: question, state: state, index: index, limit: 10, explain: false)
        latencies.append(nowNanoseconds() - started)
        guard !found.suggestions.isEmpty else { throw BenchFailure("no suggestion for \(question)") }
    }
    latencies.sort()

    // A plan for one period: planQuestions open questions against planOffers offers of 2026-2027 S2.
    let (planState, planIndex) = try sets.build(offers: planOffers, questions: planQuestions, onePeriod: true)
    let planStarted = nowNanoseconds()
    let plan = Planner.plan(period: .label("2026-2027 S2"), minScore: 0.3, state: planState, index: planIndex, matcher: matcher)
    let planSeconds = Double(nowNanoseconds() - planStarted) / 1e9

    emit([
        "workload": "matching", "seed": .integer(Int64(seed)),
        "labelledQuestions": quality.members["development"]?["questions"] ?? .null,
        "top1": quality.developmentTop1, "top3": quality.developmentTop3, "meanReciprocalRank": quality.developmentMeanReciprocalRank,
        "offers": .integer(Int64(offerCount)), "queries": .integer(Int64(queries)),
        "suggestP50Us": .double(rounded(Double(quantile(latencies, 0.5)) / 1000, 1)),
        "suggestP99Us": .double(rounded(Double(quantile(latencies, 0.99)) / 1000, 1)),
        "indexUsPerEvent": .double(rounded(Double(sets.indexNanoseconds) / 1000 / Double(max(1, sets.indexedEvents)), 2)),
        "planQuestions": .integer(Int64(planQuestions)), "planOffers": .integer(Int64(planOffers)),
        "planCandidatePairs": .integer(Int64(plan.candidatePairs)), "planPairs": .integer(Int64(plan.pairs.count)),
        "planSeconds": .double(rounded(planSeconds, 3)),
        "quality": .object(quality.members),
    ])
}

/// Synthetic sets for the matching bench, built through the decider from the labelled texts with seeded
/// choices; the index is kept current event by event, as the daemon does, and that upkeep is timed.
final class SyntheticMatchingSets {
    let taxonomy: Taxonomy
    let analyzer: TextAnalyzer
    let questionTexts: [JSONValue]
    let offerTexts: [JSONValue]
    var generator: SplitMix64
    /// Time spent keeping the index current, and over how many events.
    private(set) var indexNanoseconds: UInt64 = 0
    private(set) var indexedEvents = 0
    let periods = [("2026-2027 S1", "2026-09-01", "2027-01-31"), ("2026-2027 S2", "2027-02-01", "2027-06-30"), ("2027-2028 S1", "2027-09-01", "2028-01-31")]

    init(directory: String, analyzer: TextAnalyzer, seed: UInt64) throws {
        func lines(_ name: String) throws -> [JSONValue] {
            try String(contentsOfFile: directory + "/" + name, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        }
        taxonomy = try leidenTaxonomy()
        self.analyzer = analyzer
        questionTexts = try lines("questions.jsonl")
        offerTexts = try lines("offers.jsonl")
        generator = SplitMix64(seed: seed)
    }

    func pick<T>(_ values: [T]) -> T { values[Int(generator.next() % UInt64(values.count))] }

    func someIDs(_ entries: [Taxonomy.Entry], max: Int) -> [String] {
        Array(Set((0..<Int(generator.next() % UInt64(max) + 1)).map { _ in pick(entries).id }))
    }

    /// `offers` offers (in one period, or any of three) and `questions` accepted questions.
    func build(offers: Int, questions: Int, onePeriod: Bool) throws -> (DomainState, MatchingIndex) {
        var state = DomainState()
        var index = MatchingIndex(analyzer: analyzer)
        // A word cache for the index's whole life, as the daemon keeps (CoreLimits.analysisWordsCachedMax).
        var words = TextAnalyzer.WordCache(wordsMax: 200_000)
        func run(_ command: Command) throws {
            for event in try Decider.decide(command, state: state, taxonomy: taxonomy, nowMs: 1_796_000_000_000).events {
                let started = nowNanoseconds()
                index.willApply(event, to: state)
                state.apply(event)
                index.afterApplying(event, to: state, words: &words)
                indexNanoseconds += nowNanoseconds() - started
                indexedEvents += 1
            }
        }
        for number in 0..<offers { try run(.offer(.publish(offer(number, onePeriod: onePeriod)))) }
        for number in 0..<questions {
            try run(.question(.submit(question(number))))
            try run(.question(.accept(id: EntityID.make("Q", number + 1), title: nil, description: nil, expectedVersion: nil)))
        }
        return (state, index)
    }

    func offer(_ number: Int, onePeriod: Bool) -> PublishOffer {
        let source = offerTexts[number % offerTexts.count]
        let institution = pick(taxonomy.institutions)
        let period = onePeriod ? periods[1] : pick(periods)
        return PublishOffer(
            title: (source["title"]?.stringValue ?? "") + " \(number)", description: source["description"]?.stringValue ?? "",
            institution: institution.id, programme: source["programme"]?.stringValue ?? "Programma", level: pick(institution.levels),
            kind: pick(OfferLimits.kinds), disciplines: someIDs(taxonomy.disciplines, max: 3), themes: someIDs(taxonomy.themes, max: 3),
            period: Period(window: DateWindow(from: period.1, to: period.2), label: period.0), capacity: Int(generator.next() % 4) + 1,
            teamSize: nil, contact: ContactDetails(name: nil, email: nil, phone: nil))
    }

    func question(_ number: Int) -> SubmitQuestion {
        let source = questionTexts[number % questionTexts.count]
        return SubmitQuestion(
            title: (source["title"]?.stringValue ?? "") + " \(number)", description: source["description"]?.stringValue ?? "",
            requesterKind: "resident", organisation: nil, contact: ContactDetails(name: nil, email: nil, phone: nil),
            neighbourhood: pick(taxonomy.districts).id, themes: someIDs(taxonomy.themes, max: 2), disciplines: someIDs(taxonomy.disciplines, max: 2),
            levels: [pick(taxonomy.levels).id], window: DateWindow(from: "2027-01-15", to: "2027-07-31"), size: nil)
    }
}

