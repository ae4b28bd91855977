import Domain
import Foundation
import LMDSJSON
import LMDSTestSupport
import Matching

/// The built-in Leiden taxonomy.
func leidenTaxonomy() throws -> Taxonomy {
    guard let text = Taxonomy.embedded["leiden"] else { throw BenchFailure("no built-in taxonomy") }
    return try Taxonomy(json: JSONParser.parse(text))
}

/// What `lmds-bench matching` measures of suggestion quality (see `runMatching`).
struct MatchingQuality {
    let analyzer: TextAnalyzer
    let members: [String: JSONValue]
    let developmentTop1: JSONValue
    let developmentTop3: JSONValue
    let developmentMeanReciprocalRank: JSONValue
}

/// The figures of one evaluation, rounded.
func qualityJSON(_ quality: LabelledSet.Quality) -> JSONValue {
    [
        "questions": .integer(Int64(quality.questions)), "top1": .double(rounded(quality.top1)), "top3": .double(rounded(quality.top3)),
        "meanReciprocalRank": .double(rounded(quality.meanReciprocalRank)),
    ]
}

/// A labelled set in `directory` (questions.jsonl, offers.jsonl, expected.json).
func labelledSet(_ directory: String, taxonomy: Taxonomy) throws -> LabelledSet {
    func text(_ name: String) throws -> String { try String(contentsOfFile: directory + "/" + name, encoding: .utf8) }
    return try LabelledSet(questionsText: text("questions.jsonl"), offersText: text("offers.jsonl"), expectedText: text("expected.json"), taxonomy: taxonomy)
}

/// Quality on the development set (default weights, cross-validated choice, naive BM25) and, when given,
/// on the held-out set; prints a readable account on stderr.
func matchingQuality(_ options: Options, taxonomy: Taxonomy, directory: String) throws -> MatchingQuality {
    let wordsPath = options.optionalString("words") ?? "/usr/share/dict/dutch"
    let folds = try options.positiveInteger("folds", default: 5)
    let cvSeed = UInt64(try options.positiveInteger("cv-seed", default: 14))
    let loadStarted = nowNanoseconds()
    let lexicon = FileManager.default.contents(atPath: wordsPath).map { DutchLexicon(listText: String(decoding: $0, as: UTF8.self)) }
    let loadMs = Double(nowNanoseconds() - loadStarted) / 1e6
    let analyzer = TextAnalyzer(taxonomy: taxonomy, lexicon: lexicon)
    let development = try labelledSet(directory, taxonomy: taxonomy)
    let defaults = development.evaluate(matcher: Matcher(taxonomy: taxonomy), analyzer: analyzer)
    var folding = SplitMix64(seed: cvSeed)
    let search = WeightSearch.run(set: development, analyzer: analyzer, candidates: WeightSearch.grid(), folds: folds, using: &folding)
    let chosen = search.chosen
    var members: [String: JSONValue] = [
        "wordList": .string(lexicon == nil ? "missing: \(wordsPath)" : wordsPath), "wordListWords": .integer(Int64(lexicon?.count ?? 0)),
        "wordListLoadMs": .double(rounded(loadMs, 1)),
        "development": qualityJSON(defaults), "developmentNaiveBM25": qualityJSON(development.evaluateNaiveBM25(taxonomy: taxonomy)),
        "crossValidation": [
            "folds": .integer(Int64(folds)), "seed": .integer(Int64(cvSeed)), "candidates": .integer(Int64(search.candidates)),
            "top1": .double(rounded(search.crossValidated.top1)), "top3": .double(rounded(search.crossValidated.top3)),
            "meanReciprocalRank": .double(rounded(search.crossValidated.meanReciprocalRank)),
            "chosenOnWholeSet": qualityJSON(search.whole),
            "chosenWeights": .object(Dictionary(uniqueKeysWithValues: (MatchingWeights.factors.map { ($0, chosen[$0]) }
                + [("inferredConcept", chosen.inferredConcept), ("inferredOfferConcept", chosen.inferredOfferConcept)]).map { ($0.0, JSONValue.double($0.1)) })),
        ],
    ]
    FileHandle.standardError.write(Data("""
        development set (\(defaults.questions) questions, default weights): top-1 \(rounded(defaults.top1)), top-3 \(rounded(defaults.top3)), MRR \(rounded(defaults.meanReciprocalRank))
        \(folds)-fold cross-validation, seed \(cvSeed), \(search.candidates) candidates: top-1 \(rounded(search.crossValidated.top1)), \
        top-3 \(rounded(search.crossValidated.top3)), MRR \(rounded(search.crossValidated.meanReciprocalRank))

        """.utf8))
    if let heldOutDirectory = options.optionalString("heldout") {
        let heldOut = try labelledSet(heldOutDirectory, taxonomy: taxonomy)
        let quality = heldOut.evaluate(matcher: Matcher(taxonomy: taxonomy), analyzer: analyzer)
        let said = heldOut.noGoodMatchSaid(matcher: Matcher(taxonomy: taxonomy), analyzer: analyzer)
        members["heldOut"] = qualityJSON(quality)
        members["heldOutNaiveBM25"] = qualityJSON(heldOut.evaluateNaiveBM25(taxonomy: taxonomy))
        members["heldOutNoGoodMatchSaid"] = ["said": .integer(Int64(said.said)), "of": .integer(Int64(said.of))]
        FileHandle.standardError.write(Data("held-out set (\(quality.questions) questions): top-1 \(rounded(quality.top1)), top-3 \(rounded(quality.top3)), MRR \(rounded(quality.meanReciprocalRank)); no good match said for \(said.said) of \(said.of)\n".utf8))
        for miss in quality.misses { FileHandle.standardError.write(Data("  \(miss)\n".utf8)) }
    }
    return MatchingQuality(
        analyzer: analyzer, members: members, developmentTop1: .double(rounded(defaults.top1)), developmentTop3: .double(rounded(defaults.top3)),
        developmentMeanReciprocalRank: .double(rounded(defaults.meanReciprocalRank)))
}
