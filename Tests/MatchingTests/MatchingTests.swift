import Domain
import Foundation
import LMDSJSON
import LMDSTestSupport
@testable import Matching
import Testing

/// The Snowball Dutch stemmer against the algorithm's published examples.
@Suite struct DutchStemmerTests {
    @Test(arguments: [
        ("lichamelijk", "licham"), ("lichamelijke", "licham"), ("lichamelijkheden", "licham"), ("lichamen", "licham"),
        ("lichere", "licher"), ("licht", "licht"), ("lichtbeelden", "lichtbeeld"), ("lichtbruin", "lichtbruin"),
        ("lichtdoorlatende", "lichtdoorlat"), ("lichte", "licht"), ("lichten", "licht"), ("lichtende", "lichtend"),
        ("lichtgevende", "lichtgev"), ("lichtjes", "lichtjes"), ("lichtkrans", "lichtkran"),
    ])
    func publishedExamples(word: String, stem: String) {
        #expect(DutchStemmer.stem(word) == stem)
    }

    /// Inflections of one word share a stem; that is what lets "eenzame" find "eenzaamheid".
    @Test func inflectionsShareAStem() {
        #expect(DutchStemmer.stem("fietsers") == DutchStemmer.stem("fietser"))
        #expect(DutchStemmer.stem("ouderen") == DutchStemmer.stem("oudere"))
        #expect(DutchStemmer.stem("wijken") == DutchStemmer.stem("wijk"))
        #expect(DutchStemmer.stem("maan") == "man", "a double vowel before a final consonant is undoubled")
    }
}

@Suite struct TextAnalyzerTests {
    static let analyzer = TextAnalyzer(taxonomy: MatchingFixtures.leiden)

    /// Stop words go, case and accents fold, words stem, and taxonomy keywords become concepts.
    @Test func analysesDutchText() {
        let analysis = Self.analyzer.analyze("De eenzaamheid van ouderen in het Café bij de Stevenshof")
        #expect(analysis.terms["de"] == nil && analysis.terms["het"] == nil)
        #expect(analysis.surface[DutchStemmer.stem("cafe")] == "cafe")
        #expect(analysis.concepts.contains(TextAnalyzer.Concept(kind: .theme, id: "loneliness")))
        #expect(analysis.terms["#theme:loneliness"] != nil)
    }

    /// Every string of the labelled set's questions and offers (titles, descriptions, names, places).
    static func labelledTexts() throws -> [String] {
        func strings(_ value: JSONValue) -> [String] {
            switch value {
            case .string(let text): return [text]
            case .array(let items): return items.flatMap(strings)
            case .object(let members): return members.values.flatMap(strings)
            default: return []
            }
        }
        return try (MatchingFixtures.lines("questions.jsonl") + MatchingFixtures.lines("offers.jsonl")).flatMap(strings)
    }

    /// With a word cache shared over many texts (as an index build does), every analysis equals the one
    /// made without it: on the labelled set, twice over (the second pass all from the cache).
    @Test func analysesWithAWordCacheEqualThoseWithout() throws {
        let texts = try Self.labelledTexts()
        var cache = TextAnalyzer.WordCache()
        for _ in 0..<2 {
            for text in texts { #expect(Self.analyzer.analyze(text, cache: &cache) == Self.analyzer.analyze(text), "\(text)") }
        }
        #expect(!cache.entries.isEmpty)
        var small = TextAnalyzer.WordCache(wordsMax: 7)
        for text in texts.prefix(20) {
            #expect(Self.analyzer.analyze(text, cache: &small) == Self.analyzer.analyze(text), "\(text)")
            #expect(small.count <= 7)
        }
        let compound = "De buurthuisbezoekers en het wijkcentrum: eenzaamheid, ouderenzorg en het buurthuis"
        #expect(Self.analyzer.analyze(compound, cache: &cache) == Self.analyzer.analyze(compound))
        #expect(!Self.analyzer.analyze(compound).concepts.isEmpty)
    }

    /// The fast path for Latin text finds exactly the words Foundation's folding finds, on real texts.
    @Test func latinWordsEqualFoldedWordsOnTheLabelledSet() throws {
        let texts = try Self.labelledTexts()
        var fast = 0
        for text in texts {
            guard let words = TextAnalyzer.latinWords(text) else { continue }
            fast += 1
            #expect(words == TextAnalyzer.foldedWords(text), "\(text)")
        }
        #expect(texts.count > 100 && fast > texts.count * 9 / 10, "the fast path took \(fast) of \(texts.count) texts")
    }

    /// The same on seeded random text made of letters with and without diacritics, digits, punctuation,
    /// and characters the fast path leaves to the general one (which must then be used).
    @Test func latinWordsEqualFoldedWordsOnRandomText() {
        let seed = UInt64(ProcessInfo.processInfo.environment["LMDS_SEED"] ?? "") ?? UInt64.random(in: 1...999_999)
        print("TextAnalyzerTests seed \(seed) (LMDS_SEED=\(seed) replays it)")
        var random = SplitMix64(seed: seed)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -'.,;:!?()/\n\t\u{00A0}«»–—‘’“”•…€"
                             + (0xC0...0xFF).map { String(UnicodeScalar($0)!) }.joined() + "ĳŁœßÆøµ²½ﬁＡ中e\u{0301}")
        var fallbacks = 0
        for _ in 0..<2000 {
            let length = Int(random.next() % 40)
            let text = String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            let folded = TextAnalyzer.foldedWords(text)
            if let fast = TextAnalyzer.latinWords(text) {
                #expect(fast == folded, "seed \(seed): \(text.unicodeScalars.map { String($0.value, radix: 16) })")
            } else {
                fallbacks += 1
            }
        }
        #expect(fallbacks > 0 && fallbacks < 2000, "both paths are exercised")
    }
}

@Suite struct TextIndexTests {
    /// Upserting replaces a document; removing forgets it; a document sharing more rare terms scores higher.
    @Test func upsertRemoveAndRank() {
        let analyzer = TextAnalyzer(taxonomy: MatchingFixtures.leiden)
        var index = TextIndex()
        index.upsert("O-0001", analyzer.analyze("Wateroverlast en groene daken in de wijk"))
        index.upsert("O-0002", analyzer.analyze("Fietsen en verkeer in de binnenstad"))
        index.upsert("O-0003", analyzer.analyze("Eenzaamheid onder ouderen"))
        let query = analyzer.analyze("groene daken tegen wateroverlast").terms
        func score(_ id: String) -> Double { index.ordinal(id).map { index.scores(query)[$0] } ?? -1 }
        #expect(score("O-0001") > score("O-0002"))
        index.upsert("O-0001", analyzer.analyze("Een cursus koken"))
        #expect(score("O-0001") == 0)
        index.remove("O-0003")
        #expect(index.count == 2 && index.ordinal("O-0003") == nil)
        // A freed ordinal is reused by the next document.
        index.upsert("O-0004", analyzer.analyze("Groene daken"))
        #expect(index.capacity == 3 && score("O-0004") > 0)
    }
}

/// The plan is the maximum-weight assignment within capacities: checked against brute force on small
/// random instances (seeded; the seed is printed, LMDS_SEED replays it).
@Suite struct PlannerTests {
    @Test func matchesBruteForceOnRandomInstances() {
        let seed = ProcessInfo.processInfo.environment["LMDS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
        print("PlannerTests seed \(seed) (rerun: LMDS_SEED=\(seed))")
        var generator = SplitMix64(seed: seed)
        for round in 0..<200 {
            let questions = Int.random(in: 1...6, using: &generator)
            let offers = Int.random(in: 1...3, using: &generator)
            let places = (0..<offers).map { _ in Int.random(in: 0...2, using: &generator) }
            let candidates = (0..<questions).map { _ in
                (0..<offers).filter { _ in Bool.random(using: &generator) }.map { (offer: $0, score: Double(Int.random(in: 1...1000, using: &generator)) / 1000) }
            }
            let assignment = Planner.assign(candidates: candidates, places: places)
            var used = Array(repeating: 0, count: offers)
            var total = 0.0
            for (question, offer) in assignment.enumerated() {
                guard let offer else { continue }
                used[offer] += 1
                let option = candidates[question].first { $0.offer == offer }
                #expect(option != nil, "round \(round): assigned a pair that is not a candidate")
                total += option?.score ?? 0
            }
            #expect(zip(used, places).allSatisfy { $0 <= $1 }, "round \(round): capacity exceeded")
            let best = Self.bruteForce(candidates: candidates, places: places, question: 0, used: Array(repeating: 0, count: offers))
            #expect(abs(total - best) < 0.0011, "round \(round): plan \(total), best \(best)")
        }
    }

    static func bruteForce(candidates: [[(offer: Int, score: Double)]], places: [Int], question: Int, used: [Int]) -> Double {
        guard question < candidates.count else { return 0 }
        var best = bruteForce(candidates: candidates, places: places, question: question + 1, used: used)
        for option in candidates[question] where used[option.offer] < places[option.offer] {
            var next = used
            next[option.offer] += 1
            best = max(best, option.score + bruteForce(candidates: candidates, places: places, question: question + 1, used: next))
        }
        return best
    }
}

/// The labelled set in Tests/MatchingTests/Labelled: 44 Dutch questions, 26 offers, and the offers an
/// experienced coordinator would choose. The floor: top-3 at least 0.9 and MRR at least 0.8.
@Suite struct LabelledSetTests {
    @Test func suggestionQualityFloor() throws {
        let set = try MatchingFixtures.labelledSet()
        let quality = set.evaluate(matcher: Matcher(taxonomy: MatchingFixtures.leiden), lexicon: try #require(MatchingFixtures.lexicon))
        print(String(format: "labelled set: %d questions, top-1 %.3f, top-3 %.3f, MRR %.3f", quality.questions, quality.top1, quality.top3, quality.meanReciprocalRank))
        for miss in quality.misses { print("  " + miss) }
        #expect(quality.questions >= 40)
        #expect(quality.top3 >= 0.9)
        #expect(quality.meanReciprocalRank >= 0.8)
    }

    /// Closed offers and offers whose period misses the window are never suggested, and `explain` says why.
    @Test func hardConstraintsExcludeWithReasons() throws {
        let set = try MatchingFixtures.labelledSet()
        let index = MatchingIndex(analyzer: TextAnalyzer(taxonomy: MatchingFixtures.leiden), state: set.state)
        let matcher = Matcher(taxonomy: MatchingFixtures.leiden)
        for question in set.expected.keys {
            let (suggestions, excluded) = try matcher.suggestOffers(for: question, state: set.state, index: index, limit: 100, explain: true)
            for suggestion in suggestions {
                let offer = try #require(set.state.offers[suggestion.id])
                #expect(offer.status == .published)
                #expect(suggestion.score >= 0 && suggestion.score <= 1)
                #expect(abs(suggestion.reasons.reduce(0) { $0 + $1.share } - suggestion.score) < 1e-9, "the shares add up to the score")
            }
            #expect(excluded.contains { $0.id == "O-0009" && $0.reason.contains("closed") })
            #expect(suggestions.count + excluded.count == set.state.offers.count)
        }
    }

    /// Keeping the index current event by event gives the same suggestions as building it from the state,
    /// without a word cache, and with one long-lived cache small enough to be emptied over and over (as
    /// the daemon's bounded cache is when full).
    @Test(arguments: [nil, 50]) func incrementalIndexEqualsRebuilt(wordsMax: Int?) throws {
        let set = try MatchingFixtures.labelledSet()
        var state = DomainState()
        var index = MatchingIndex(analyzer: TextAnalyzer(taxonomy: MatchingFixtures.leiden))
        let rebuilt = MatchingIndex(analyzer: TextAnalyzer(taxonomy: MatchingFixtures.leiden), state: set.state)
        var words = TextAnalyzer.WordCache(wordsMax: wordsMax ?? 1)
        var largestCache = 0
        // Replay the same commands the set was built from, through the incremental path.
        for event in MatchingFixtures.events(of: set.state) {
            index.willApply(event, to: state)
            state.apply(event)
            if wordsMax == nil {
                index.didApply(event, to: state)
            } else {
                index.afterApplying(event, to: state, words: &words)
                largestCache = max(largestCache, words.count)
            }
        }
        if let wordsMax { #expect(largestCache == wordsMax, "the cache filled up to its bound and never beyond") }
        let matcher = Matcher(taxonomy: MatchingFixtures.leiden)
        for question in ["Q-0001", "Q-0010", "Q-0039"] {
            let live = try matcher.suggestOffers(for: question, state: state, index: index, limit: 5, explain: false).suggestions
            let fresh = try matcher.suggestOffers(for: question, state: set.state, index: rebuilt, limit: 5, explain: false).suggestions
            // The same ranking and scores (to rounding: floating-point sums may differ in the last bit).
            #expect(live.map(\.id) == fresh.map(\.id))
            #expect(zip(live, fresh).allSatisfy { abs($0.score - $1.score) < 1e-9 })
        }
    }
}

enum MatchingFixtures {
    static let leiden: Taxonomy = {
        try! Taxonomy(json: try! JSONParser.parse(Taxonomy.embedded["leiden"]!))
    }()

    /// The OpenTaal word list as the daemon reads it (nil when wdutch is not installed).
    static let lexicon: DutchLexicon? = {
        FileManager.default.contents(atPath: "/usr/share/dict/dutch").map { DutchLexicon(listText: String(decoding: $0, as: UTF8.self)) }
    }()

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Labelled").path

    static func lines(_ name: String) throws -> [JSONValue] {
        try String(contentsOfFile: directory + "/" + name, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    static func labelledSet() throws -> LabelledSet {
        try LabelledSet(
            questions: lines("questions.jsonl"), offers: lines("offers.jsonl"),
            expected: try JSONParser.parse(String(contentsOfFile: directory + "/expected.json", encoding: .utf8)), taxonomy: leiden)
    }

    /// The events that build `state`'s offers and questions, in id order (offers, closings, questions).
    static func events(of state: DomainState) -> [DomainEvent] {
        var events: [DomainEvent] = []
        for offer in state.offers.values.sorted(by: { EntityID.precedes($0.id, $1.id) }) {
            var published = offer
            published.status = .published
            events.append(.offerPublished(published))
            if offer.status == .closed { events.append(.offerClosed(id: offer.id, reason: nil)) }
        }
        for question in state.questions.values.sorted(by: { EntityID.precedes($0.id, $1.id) }) {
            var submitted = question
            submitted.status = .submitted
            events.append(.questionSubmitted(submitted))
            events.append(.questionAccepted(id: question.id, title: nil, description: nil))
        }
        return events
    }
}

