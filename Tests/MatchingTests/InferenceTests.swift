import Domain
import LMDSJSON
@testable import Matching
import Testing

/// Inference by confidence: keywords match whole words, stated concepts weigh more than inferred ones,
/// and an inferred concept weighs by how specific its evidence is.
@Suite struct InferenceTests {
    static let analyzer = TextAnalyzer(taxonomy: MatchingFixtures.leiden)

    static func concepts(_ text: String) -> Set<String> { Set(analyzer.analyze(text).concepts.map(\.term)) }

    /// The inflectional stem removes plural and final -e, not derivation: a verb keeps apart from a noun
    /// derived from it, where the full Snowball stem joins them.
    @Test func inflectionalStemKeepsDerivationsApart() {
        #expect(DutchStemmer.stem("bereiken") == DutchStemmer.stem("bereikbaarheid"), "the full stem joins them")
        #expect(DutchStemmer.inflectionalStem("bereiken") == "bereik")
        #expect(DutchStemmer.inflectionalStem("bereikbaarheid") == "bereikbaarheid")
        #expect(DutchStemmer.inflectionalStem("fietsers") == DutchStemmer.inflectionalStem("fietser"))
        #expect(DutchStemmer.inflectionalStem("eenzame") == DutchStemmer.inflectionalStem("eenzaam"))
    }

    /// Verbs and words that merely start like a keyword are not read as themes or disciplines.
    @Test func keywordsMatchWholeWordsNotPrefixesOrDerivations() {
        #expect(!Self.concepts("Hoe bereiken we de bewoners?").contains("#theme:mobility"))
        #expect(Self.concepts("De bereikbaarheid van het station").contains("#theme:mobility"))
        #expect(!Self.concepts("We werken samen met de bewoners").contains("#theme:work-income"))
        #expect(Self.concepts("Mensen in de bijstand zoeken betaald werk").contains("#theme:work-income"))
        #expect(!Self.concepts("De ondernemers in de winkelstraat").contains("#discipline:economics-business"))
        #expect(Self.concepts("Eenzame ouderen").contains("#theme:loneliness"))
        #expect(Self.concepts("jongereneenzaamheid").contains("#theme:loneliness"), "a keyword at the end of a compound still counts")
    }

    /// Each concept keeps the words it was inferred from, as stems of the text.
    @Test func conceptsKeepTheirEvidence() {
        let analysis = Self.analyzer.analyze("Eenzame ouderen en mantelzorgers in de wijk")
        let care = TextAnalyzer.Concept(kind: .theme, id: "care")
        #expect(analysis.evidence[care]?.map { analysis.surface[$0] } == ["mantelzorgers"])
    }

    /// A set of questions that all mention the municipality, one that also mentions loneliness, and an
    /// offer for each of the two themes.
    static func municipalitySet() throws -> LabelledSet {
        func question(_ title: String, _ themes: [String]) -> String {
            """
            {"title": "\(title)", "description": "De gemeente vraagt het ons.", "requester": {"kind": "resident"}, \
            "neighbourhood": "Pieterswijk", "themes": \(themes), "disciplines": [], "levels": ["hbo"]}
            """
        }
        let questions = [
            question("Eenzaamheid in de wijk", []), question("Een plan voor de speeltuin", []), question("Een plan voor het plein", []),
            question("Een plan voor de straat", []), question("Eenzaamheid in de flat", ["loneliness"]),
        ]
        let offer = """
            {"title": "Beleidsonderzoek", "description": "Onderzoek naar beleid.", "institution": "hogeschool-leiden", "programme": "Bestuurskunde", \
            "level": "hbo", "kind": "research", "disciplines": ["public-administration"], "themes": [], \
            "period": {"from": "2027-02-01", "to": "2027-06-30", "label": "2026-2027 S2"}, "capacity": 2}
            """
        return try LabelledSet(questions: questions.map { try JSONParser.parse($0) }, offers: [try JSONParser.parse(offer)],
                               expected: ["questions": [:]], taxonomy: MatchingFixtures.leiden)
    }

    /// "gemeente", in every question, makes public administration an inferred discipline that weighs
    /// little; "eenzaamheid", in two of five, weighs more; the same theme stated weighs 1.
    @Test func inferredConceptsWeighByTheSpecificityOfTheirEvidence() throws {
        let set = try Self.municipalitySet()
        let index = MatchingIndex(analyzer: Self.analyzer, state: set.state)
        let matcher = Matcher(taxonomy: MatchingFixtures.leiden)
        let bits = TaxonomyBits(MatchingFixtures.leiden)
        let administration = try #require(bits.disciplines["public-administration"])
        let loneliness = try #require(bits.themes["loneliness"])
        let inferred = matcher.conceptWeights(try #require(index.questionSlot("Q-0001")), index: index)
        let stated = matcher.conceptWeights(try #require(index.questionSlot("Q-0005")), index: index)
        #expect(inferred.disciplines[administration] > 0 && inferred.disciplines[administration] < 0.1, "\(inferred.disciplines[administration])")
        #expect(inferred.themes[loneliness] > 3 * inferred.disciplines[administration])
        #expect(inferred.themes[loneliness] <= MatchingWeights().inferredConcept)
        #expect(stated.themes[loneliness] == 1)
        // The offer stating public administration gets only that small share of the disciplines factor.
        let suggestion = try #require(try matcher.suggestOffers(for: "Q-0002", state: set.state, index: index, limit: 1, explain: false).suggestions.first)
        let disciplines = try #require(suggestion.reasons.first { $0.factor == "disciplines" })
        #expect(disciplines.value < 0.1)
        #expect(disciplines.detail == "offers Bestuurskunde (inferred from \"gemeente\") (none stated)")
    }

    /// The reasons say which shared concepts were stated and which inferred, and "of N" counts only the stated.
    @Test func reasonsSayStatedOrInferredAndCountOnlyTheStated() throws {
        let set = try MatchingFixtures.labelledSet()
        let index = MatchingIndex(analyzer: Self.analyzer, state: set.state)
        let matcher = Matcher(taxonomy: MatchingFixtures.leiden)
        // Q-0002 states care and loneliness; its text also speaks of "mantelzorgers" and more.
        let suggestion = try #require(try matcher.suggestOffers(for: "Q-0002", state: set.state, index: index, limit: 1, explain: false).suggestions.first)
        let themes = try #require(suggestion.reasons.first { $0.factor == "themes" }?.detail)
        #expect(themes.contains("(stated)") && themes.hasSuffix("(of 2 stated)"), "\(themes)")
    }
}
