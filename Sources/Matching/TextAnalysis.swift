import Foundation
import Domain

/// Dutch text as the matcher sees it: words folded (case and diacritics), Dutch stop words dropped,
/// stemmed with the Snowball Dutch stemmer, and the taxonomy's keywords recognised as the themes and
/// disciplines they stand for ("eenzaamheid" → theme loneliness), which act as synonyms.
public struct TextAnalyzer: Sendable {
    /// A theme or discipline recognised in text, as a term that both sides can share.
    public struct Concept: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable { case theme, discipline }
        public let kind: Kind
        public let id: String

        public init(kind: Kind, id: String) {
            self.kind = kind
            self.id = id
        }

        /// The index term that stands for it ("#theme:loneliness").
        public var term: String { "#\(kind.rawValue):\(id)" }
    }

    /// What a text was reduced to.
    public struct Analysis: Sendable, Hashable {
        /// Stems and concept terms with their counts.
        public var terms: [String: Int] = [:]
        /// The first word seen for each stem, to explain a match in words people recognise.
        public var surface: [String: String] = [:]
        /// Themes and disciplines its words point at.
        public var concepts: Set<Concept> = []
        /// Words kept (the document length for BM25).
        public var length = 0
    }

    /// Snowball's Dutch stop-word list: words too common to say anything about a match.
    public static let stopWords: Set<String> = [
        "de", "en", "van", "ik", "te", "dat", "die", "in", "een", "hij", "het", "niet", "zijn", "is", "was", "op", "aan", "met", "als",
        "voor", "had", "er", "maar", "om", "hem", "dan", "zou", "of", "wat", "mijn", "men", "dit", "zo", "door", "over", "ze", "zich",
        "bij", "ook", "tot", "je", "mij", "uit", "der", "daar", "haar", "naar", "heb", "hoe", "heeft", "hebben", "deze", "u", "want",
        "nog", "zal", "me", "zij", "nu", "ge", "geen", "omdat", "iets", "worden", "toch", "al", "waren", "veel", "meer", "doen", "toen",
        "moet", "ben", "zonder", "kan", "hun", "dus", "alles", "onder", "ja", "eens", "hier", "wie", "werd", "altijd", "doch", "wordt",
        "wezen", "kunnen", "ons", "zelf", "tegen", "na", "reeds", "wil", "kon", "niets", "uw", "iemand", "geweest", "andere",
        // Words every question and offer in this programme uses; they separate nothing.
        "we", "wij", "onze", "graag", "willen", "welke", "waar", "hoe", "studenten", "student",
    ]

    /// Keyword phrases (stemmed) per concept; single stems of at least `compoundStemMin` letters also match
    /// inside Dutch compounds ("buurthuis" in "buurthuisbezoekers").
    let phrases: [(stems: [String], concept: Concept)]
    static let compoundStemMin = 6

    /// The analyzer for a city's taxonomy: its theme and discipline labels and keywords become concepts.
    public init(taxonomy: Taxonomy) {
        var phrases: [(stems: [String], concept: Concept)] = []
        for (kind, entries) in [(Concept.Kind.theme, taxonomy.themes), (.discipline, taxonomy.disciplines)] {
            for entry in entries {
                for keyword in [entry.label] + entry.keywords {
                    let stems = Self.words(keyword).map(DutchStemmer.stem)
                    if !stems.isEmpty { phrases.append((stems, Concept(kind: kind, id: entry.id))) }
                }
            }
        }
        self.phrases = phrases
    }

    /// Folded words of `text`, stop words removed.
    static func words(_ text: String) -> [String] {
        TextFolding.fold(text)
            .split { !($0.isLetter || $0.isNumber) }
            .map(String.init)
            .filter { $0.count >= 2 && !stopWords.contains($0) && !$0.allSatisfy(\.isNumber) }
    }

    /// Analyses one text.
    public func analyze(_ text: String) -> Analysis {
        var analysis = Analysis()
        let words = Self.words(text)
        let stems = words.map(DutchStemmer.stem)
        analysis.length = stems.count
        for (word, stem) in zip(words, stems) {
            analysis.terms[stem, default: 0] += 1
            if analysis.surface[stem] == nil { analysis.surface[stem] = word }
        }
        for (stemsOfPhrase, concept) in phrases {
            let count = occurrences(of: stemsOfPhrase, in: stems)
            guard count > 0 else { continue }
            analysis.concepts.insert(concept)
            analysis.terms[concept.term, default: 0] += count
        }
        return analysis
    }

    func occurrences(of phrase: [String], in stems: [String]) -> Int {
        if phrase.count == 1 {
            let keyword = phrase[0]
            if keyword.count >= Self.compoundStemMin { return stems.filter { $0.contains(keyword) }.count }
            return stems.filter { $0 == keyword }.count
        }
        guard stems.count >= phrase.count else { return 0 }
        var count = 0
        for start in 0...(stems.count - phrase.count) where Array(stems[start..<(start + phrase.count)]) == phrase { count += 1 }
        return count
    }
}

/// A BM25 index over documents (offers, or questions) that is updated one document at a time, so that
/// each event costs one document's terms and a query never rebuilds anything.
public struct TextIndex: Sendable {
    /// BM25's term-frequency saturation and length normalisation.
    public static let k1 = 1.2
    public static let b = 0.75

    struct Document: Sendable {
        var terms: [String: Int]
        var length: Int
    }

    private(set) var documents: [String: Document] = [:]
    private(set) var postings: [String: [String: Int]] = [:]
    private var totalLength = 0

    public init() {}

    /// How many documents are indexed.
    public var count: Int { documents.count }

    /// Adds the document, or replaces what was indexed under `id`.
    public mutating func upsert(_ id: String, _ analysis: TextAnalyzer.Analysis) {
        remove(id)
        documents[id] = Document(terms: analysis.terms, length: analysis.length)
        totalLength += analysis.length
        for (term, count) in analysis.terms { postings[term, default: [:]][id] = count }
    }

    /// Removes the document, if indexed.
    public mutating func remove(_ id: String) {
        guard let old = documents.removeValue(forKey: id) else { return }
        totalLength -= old.length
        for term in old.terms.keys {
            postings[term]?.removeValue(forKey: id)
            if postings[term]?.isEmpty == true { postings.removeValue(forKey: term) }
        }
    }

    /// Inverse document frequency (BM25's, never negative).
    public func idf(_ term: String) -> Double {
        let containing = Double(postings[term]?.count ?? 0)
        let total = Double(documents.count)
        return log(1 + (total - containing + 0.5) / (containing + 0.5))
    }

    /// BM25 scores of every document that shares a term with `query`.
    public func scores(_ query: [String: Int]) -> [String: Double] {
        let averageLength = documents.isEmpty ? 1 : max(1, Double(totalLength) / Double(documents.count))
        var scores: [String: Double] = [:]
        // Terms in a fixed order, so that the sums (and ties) do not depend on how the index was built.
        for term in query.keys.sorted() {
            guard let documentsWithTerm = postings[term] else { continue }
            let weight = idf(term)
            for (id, frequency) in documentsWithTerm {
                let length = Double(documents[id]?.length ?? 0)
                scores[id, default: 0] += weight * contribution(Double(frequency), length: length, averageLength: averageLength)
            }
        }
        return scores
    }

    /// Each shared term's part of `id`'s score for `query`, largest first: the words that drove a match.
    public func contributions(_ query: [String: Int], document id: String) -> [(term: String, score: Double)] {
        guard let document = documents[id] else { return [] }
        let averageLength = documents.isEmpty ? 1 : max(1, Double(totalLength) / Double(documents.count))
        return query.keys.compactMap { term -> (String, Double)? in
            guard let frequency = document.terms[term] else { return nil }
            return (term, idf(term) * contribution(Double(frequency), length: Double(document.length), averageLength: averageLength))
        }.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    }

    /// The score `query` would get against a document holding exactly its own terms: the scale that turns
    /// a BM25 score into a share between 0 and 1.
    public func idealScore(_ query: [String: Int]) -> Double {
        query.keys.sorted().reduce(0) { $0 + idf($1) * (Self.k1 + 1) / (1 + Self.k1) }
    }

    func contribution(_ frequency: Double, length: Double, averageLength: Double) -> Double {
        frequency * (Self.k1 + 1) / (frequency + Self.k1 * (1 - Self.b + Self.b * length / averageLength))
    }
}
