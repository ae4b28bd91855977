import Foundation
@testable import Matching
import Testing

/// Compound splitting and diminutives backed by the OpenTaal word list (Debian's wdutch).
@Suite struct DutchLexiconTests {
    /// The splitter is pure: it takes the word set as a value.
    @Test func splitsWithTheWordsItIsGiven() {
        let lexicon = DutchLexicon(words: ["energie", "rekening", "veiligheid", "gevoel", "onder", "nemers"])
        #expect(lexicon.parts(of: "energierekening") == ["energie", "rekening"])
        #expect(lexicon.parts(of: "veiligheidsgevoel") == ["veiligheid", "gevoel"], "a linking s is dropped")
        #expect(lexicon.parts(of: "ondernemers") == [], "a particle is not a part")
        #expect(DutchLexicon(words: []).parts(of: "energierekening") == [])
    }

    /// A word longer than any compound can be is not tried: a 100,000-letter run of real words (a pasted
    /// blob in a description) gives no parts at once, where every head was tried before; the longest
    /// compound still splits.
    @Test func wordsLongerThanAnyCompoundAreNotSplit() {
        let lexicon = DutchLexicon(words: ["energie", "armoede", "bestrijding", "buurt"])
        #expect(lexicon.parts(of: String(repeating: "buurt", count: 20_000)) == [])
        #expect(lexicon.parts(of: "energiearmoedebestrijding") == ["energie", "armoede", "bestrijding"])
        let longest = String(repeating: "a", count: 30)
        let wide = DutchLexicon(words: [longest, "buurt"])
        #expect(wide.parts(of: longest + "s" + longest + "s" + longest) == [longest, longest, longest])
        #expect(wide.parts(of: longest + "s" + longest + "s" + longest + "buurt") == [])
    }

    /// On the real list: compounds split into the words their meaning comes from.
    @Test(arguments: [
        ("energierekening", ["energie", "rekening"]), ("buurtpark", ["buurt", "park"]), ("schooltuin", ["school", "tuin"]),
        ("ouderenwerk", ["ouderen", "werk"]), ("speeltuinen", ["speel", "tuinen"]), ("fietsenstalling", ["fietsen", "stalling"]),
        ("veiligheidsgevoel", ["veiligheid", "gevoel"]), ("jongerenwerker", ["jongeren", "werker"]),
        ("buurthuisbezoekers", ["buurthuis", "bezoekers"]),
    ])
    func splitsRealCompounds(word: String, parts: [String]) throws {
        let lexicon = try #require(MatchingFixtures.lexicon, "the OpenTaal list (wdutch) is installed by scripts/lib.sh")
        #expect(lexicon.parts(of: word) == parts)
    }

    /// Words that only look like compounds stay whole.
    @Test(arguments: ["ondernemers", "bereikbaarheid", "verkeer", "werken", "eenzaamheid", "gemeente", "overlast", "bewoners"])
    func leavesOtherWordsWhole(word: String) throws {
        let lexicon = try #require(MatchingFixtures.lexicon)
        #expect(lexicon.parts(of: word) == [], "\(word) split into \(lexicon.parts(of: word))")
    }

    /// Diminutives and their plurals are read as their base.
    @Test(arguments: [("boompje", "boom"), ("straatje", "straat"), ("balletje", "bal"), ("bankjes", "bank"), ("autootje", "auto"), ("huisjes", "huis")])
    func readsDiminutivesAsTheirBase(word: String, base: String) throws {
        let lexicon = try #require(MatchingFixtures.lexicon)
        #expect(lexicon.base(ofDiminutive: word) == base)
    }

    /// With the lexicon, a compound names the concepts of its parts, and a
    /// diminutive those of its base; without it, neither.
    @Test func analysisUsesPartsAndBases() throws {
        let lexicon = try #require(MatchingFixtures.lexicon)
        let plain = TextAnalyzer(taxonomy: MatchingFixtures.leiden)
        let split = TextAnalyzer(taxonomy: MatchingFixtures.leiden, lexicon: lexicon)
        func concepts(_ analyzer: TextAnalyzer, _ text: String) -> Set<String> { Set(analyzer.analyze(text).concepts.map(\.term)) }
        #expect(concepts(split, "ouderenwerk").contains("#theme:elderly"))
        #expect(!concepts(plain, "ouderenwerk").contains("#theme:elderly"))
        #expect(concepts(split, "de energierekening").isSuperset(of: ["#theme:sustainability", "#theme:poverty"]))
        #expect(concepts(split, "een geveltuintje").contains("#theme:climate-adaptation"))
        #expect(!concepts(plain, "een geveltuintje").contains("#theme:climate-adaptation"))
        // Parts name concepts but are not BM25 terms (TextAnalyzer.partsAreTerms: they cost more than they brought).
        let park = split.analyze("het buurtpark")
        #expect(park.terms[DutchStemmer.stem("park")] == nil && park.terms[DutchStemmer.stem("buurtpark")] == 1)
        #expect(park.surface[DutchStemmer.stem("park")] == "park")
    }

    /// With a word cache, the analyses with the lexicon equal those without a cache, on the labelled set.
    @Test func cachedAnalysesWithTheLexiconEqualUncached() throws {
        let analyzer = TextAnalyzer(taxonomy: MatchingFixtures.leiden, lexicon: try #require(MatchingFixtures.lexicon))
        var cache = TextAnalyzer.WordCache(wordsMax: 300)
        for text in try TextAnalyzerTests.labelledTexts() { #expect(analyzer.analyze(text, cache: &cache) == analyzer.analyze(text)) }
    }
}
