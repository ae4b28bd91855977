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
        /// For each concept, the stems (as in `terms`) of the words that pointed at it, in text order
        /// without repeats: what a reason names, and whose document frequency says how specific it is.
        public var evidence: [Concept: [String]] = [:]
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
        "we", "wij", "onze", "graag", "willen", "welke", "waar", "studenten", "student",
    ]

    /// One-word keywords (by their inflectional stem, `DutchStemmer.inflectionalStem`) and the concepts
    /// they stand for. Those of at least `compoundStemMin` letters also match at the end of a Dutch
    /// compound, where its head is ("eenzaamheid" in "jongereneenzaamheid"), never at its start
    /// ("ondernemen" is not in "ondernemers").
    let words: [String: Set<Concept>]
    /// The last `compoundStemMin` letters of the long keywords: a word that does not end in one cannot
    /// hold one at its end, so most words cost two lookups.
    let compoundTails: Set<String>
    /// Keyword phrases of several words (stemmed), by their first stem.
    let phrases: [String: [(stems: [String], concept: Concept)]]
    static let compoundStemMin = 6
    /// Whether a compound's parts also count as words of the text for BM25. Measured on the development
    /// set, they cost more than they bring (top-1 0.841 with them, 0.864 without; README section 17.5),
    /// so they do not: a part counts only through the concepts it names.
    static let partsAreTerms = false
    /// The city whose keywords it knows.
    public let taxonomy: Taxonomy
    /// The Dutch words that compounds are split into and diminutives reduced to; nil: neither is done.
    public let lexicon: DutchLexicon?

    /// The analyzer for a city's taxonomy: its theme and discipline labels and keywords become concepts;
    /// with a lexicon, compounds also count by their parts and diminutives as their base.
    public init(taxonomy: Taxonomy, lexicon: DutchLexicon? = nil) {
        self.taxonomy = taxonomy
        self.lexicon = lexicon
        var words: [String: Set<Concept>] = [:]
        var phrases: [String: [(stems: [String], concept: Concept)]] = [:]
        for (kind, entries) in [(Concept.Kind.theme, taxonomy.themes), (.discipline, taxonomy.disciplines)] {
            for entry in entries {
                for keyword in [entry.label] + entry.keywords {
                    let folded = Self.words(keyword)
                    let stems = folded.map(DutchStemmer.stem)
                    let concept = Concept(kind: kind, id: entry.id)
                    if stems.count == 1 {
                        words[DutchStemmer.inflectionalStem(folded[0]), default: []].insert(concept)
                    } else if let first = stems.first {
                        phrases[first, default: []].append((stems, concept))
                    }
                }
            }
        }
        self.words = words
        self.phrases = phrases
        compoundTails = Set(words.keys.filter { $0.count >= Self.compoundStemMin }.map { String($0.suffix(Self.compoundStemMin)) })
    }

    /// Folded words of `text`, stop words removed.
    static func words(_ text: String) -> [String] {
        latinWords(text) ?? foldedWords(text)
    }

    /// The general path, for text in any script: Foundation's case and diacritic folding, then Unicode's
    /// letters and numbers.
    static func foldedWords(_ text: String) -> [String] {
        TextFolding.foundationFold(text)
            .split { !($0.isLetter || $0.isNumber) }
            .map(String.init)
            .filter { $0.count >= 2 && !stopWords.contains($0) && !$0.allSatisfy(\.isNumber) }
    }

    /// The same words as `foldedWords`, without Foundation's folding (half of start-up's index build went to it), for the text nearly every question and offer
    /// is written in: ASCII, the Latin-1 letters with diacritics of `TextFolding.latinBase` and common punctuation.
    /// `nil` for text with any other character, which takes the general path (so the result never differs;
    /// `TextAnalyzerTests` compares both on the labelled set and on seeded random text).
    static func latinWords(_ text: String) -> [String]? {
        var result: [String] = []
        var token: [UInt8] = []
        token.reserveCapacity(32)
        var onlyDigits = true
        func finish() {
            if token.count >= 2, !onlyDigits {
                let word = String(decoding: token, as: UTF8.self)
                if !stopWords.contains(word) { result.append(word) }
            }
            token.removeAll(keepingCapacity: true)
            onlyDigits = true
        }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            switch value {
            case 0x41...0x5A:
                token.append(UInt8(value + 0x20))
                onlyDigits = false
            case 0x61...0x7A:
                token.append(UInt8(value))
                onlyDigits = false
            case 0x30...0x39:
                token.append(UInt8(value))
            case 0..<0x80:
                finish()
            case 0xC0...0xFF:
                guard let folded = TextFolding.latinBase[Int(value - 0xC0)] else { return nil }
                token.append(folded)
                onlyDigits = false
            case 0xA0, 0xAB, 0xBB, 0x2010...0x2015, 0x2018...0x201F, 0x2022, 0x2026, 0x20AC:
                finish()
            default:
                return nil
            }
        }
        finish()
        return result
    }

    /// Analyses one text.
    public func analyze(_ text: String) -> Analysis {
        let tokens = Self.words(text)
        return analysis(tokens, tokens.map(entry(ofWord:)))
    }

    /// What one word stands for: its stem, the concepts it names, and its compound's parts.
    struct WordEntry: Sendable, Hashable {
        let stem: String
        let concepts: Set<Concept>
        /// The stems of its parts when it is a compound (with the lexicon), each with the part as written
        /// and the concepts the part names (the part is their evidence: "zorgen" in "geldzorgen" weighs
        /// as little as "zorgen" does by itself).
        let parts: [(stem: String, word: String, concepts: Set<Concept>)]

        static func == (left: WordEntry, right: WordEntry) -> Bool {
            left.stem == right.stem && left.concepts == right.concepts
                && left.parts.elementsEqual(right.parts) { $0.stem == $1.stem && $0.word == $1.word && $0.concepts == $1.concepts }
        }

        func hash(into hasher: inout Hasher) { hasher.combine(stem) }
    }

    /// The entry of one word. With the lexicon, a diminutive is read as its base ("boompje" as "boom"), and
    /// a compound's parts name concepts and count as terms too ("energierekening": energie, rekening).
    func entry(ofWord word: String) -> WordEntry {
        guard let lexicon else { return WordEntry(stem: DutchStemmer.stem(word), concepts: concepts(ofWord: word), parts: []) }
        let base = lexicon.base(ofDiminutive: word) ?? word
        let stem = DutchStemmer.stem(base)
        var parts: [(stem: String, word: String, concepts: Set<Concept>)] = []
        for part in lexicon.parts(of: base) where !Self.stopWords.contains(part) {
            let partStem = DutchStemmer.stem(part)
            if partStem != stem, !parts.contains(where: { $0.stem == partStem }) {
                parts.append((partStem, part, words[DutchStemmer.inflectionalStem(part)] ?? []))
            }
        }
        return WordEntry(stem: stem, concepts: concepts(ofWord: base), parts: parts)
    }

    /// What each word seen so far stands for: its stem and the concepts the stem names. A word's entry
    /// depends only on the word and the analyzer, so one cache serves any number of texts (one analyzer's,
    /// one thread's); it saves the stemming and the keyword lookups of words seen before.
    public struct WordCache: Sendable {
        var entries: [String: WordEntry] = [:]
        /// Words held at most; when full, the cache starts empty again (a long-lived cache stays bounded).
        public let wordsMax: Int

        /// An empty cache of at most `wordsMax` words (unbounded by default: a one-off index build).
        public init(wordsMax: Int = .max) {
            precondition(wordsMax > 0, "a word cache holds at least one word")
            self.wordsMax = wordsMax
        }

        /// Words held now.
        public var count: Int { entries.count }
    }

    /// The same analysis as `analyze(_:)`, with words already seen taken from `cache` (for building an
    /// index of many texts at once).
    public func analyze(_ text: String, cache: inout WordCache) -> Analysis {
        let tokens = Self.words(text)
        return analysis(tokens, tokens.map { word in
            if let known = cache.entries[word] { return known }
            let entry = entry(ofWord: word)
            if cache.entries.count >= cache.wordsMax { cache.entries.removeAll(keepingCapacity: true) }
            cache.entries[word] = entry
            return entry
        })
    }

    /// The concepts a word names by itself: a keyword with the same inflectional stem, or a long keyword
    /// at the end of a Dutch compound.
    func concepts(ofWord word: String) -> Set<Concept> {
        let stem = DutchStemmer.inflectionalStem(word)
        var matched = words[stem] ?? []
        if stem.count > Self.compoundStemMin, compoundTails.contains(String(stem.suffix(Self.compoundStemMin))) {
            for length in Self.compoundStemMin..<stem.count { matched.formUnion(words[String(stem.suffix(length))] ?? []) }
        }
        return matched
    }

    /// The analysis of a text's words, given each word's entry.
    func analysis(_ tokens: [String], _ stemmed: [WordEntry]) -> Analysis {
        var analysis = Analysis()
        analysis.length = stemmed.count
        // Room for every word at once, instead of growing (and rehashing) as the text is read.
        analysis.terms.reserveCapacity(stemmed.count)
        analysis.surface.reserveCapacity(stemmed.count)
        for (word, entry) in zip(tokens, stemmed) {
            analysis.terms[entry.stem, default: 0] += 1
            if analysis.surface[entry.stem] == nil { analysis.surface[entry.stem] = word }
            for part in entry.parts where Self.partsAreTerms {
                analysis.terms[part.stem, default: 0] += 1
                if analysis.surface[part.stem] == nil { analysis.surface[part.stem] = part.word }
            }
        }
        func found(_ concept: Concept, from stems: some Collection<String>) {
            analysis.concepts.insert(concept)
            analysis.terms[concept.term, default: 0] += 1
            for stem in stems where !(analysis.evidence[concept]?.contains(stem) ?? false) { analysis.evidence[concept, default: []].append(stem) }
        }
        for (position, entry) in stemmed.enumerated() {
            for concept in entry.concepts { found(concept, from: CollectionOfOne(entry.stem)) }
            for part in entry.parts {
                if analysis.surface[part.stem] == nil { analysis.surface[part.stem] = part.word }
                for concept in part.concepts where !entry.concepts.contains(concept) { found(concept, from: CollectionOfOne(part.stem)) }
            }
            for (phrase, concept) in phrases[entry.stem] ?? [] where position + phrase.count <= stemmed.count {
                if stemmed[position..<(position + phrase.count)].lazy.map(\.stem).elementsEqual(phrase) { found(concept, from: phrase) }
            }
        }
        return analysis
    }
}

/// A BM25 index over documents (offers, or questions) that is updated one document at a time, so that
/// each event costs one document's terms and a query never rebuilds anything. Documents have dense
/// ordinals, so that a query accumulates scores in an array rather than a dictionary.
public struct TextIndex: Sendable {
    /// BM25's term-frequency saturation and length normalisation.
    public static let k1 = 1.2
    public static let b = 0.75

    /// The ordinal of each indexed id; ordinals of removed documents are reused.
    private(set) var ordinals: [String: Int] = [:]
    /// The id at each ordinal (nil: free).
    private(set) var ids: [String?] = []
    private var terms: [[String: Int]] = []
    private var lengths: [Int] = []
    private var freeOrdinals: [Int] = []
    private(set) var postings: [String: [(ordinal: Int32, frequency: Int32)]] = [:]
    private var totalLength = 0

    public init() {}

    /// How many documents are indexed.
    public var count: Int { ordinals.count }

    /// How many ordinals exist (the size of a score array).
    public var capacity: Int { ids.count }

    /// The ordinal of `id`, if indexed.
    public func ordinal(_ id: String) -> Int? { ordinals[id] }

    /// Adds the document, or replaces what was indexed under `id`.
    public mutating func upsert(_ id: String, _ analysis: TextAnalyzer.Analysis) {
        remove(id)
        let ordinal: Int
        if let free = freeOrdinals.popLast() {
            ordinal = free
            ids[ordinal] = id
            terms[ordinal] = analysis.terms
            lengths[ordinal] = analysis.length
        } else {
            ordinal = ids.count
            ids.append(id)
            terms.append(analysis.terms)
            lengths.append(analysis.length)
        }
        ordinals[id] = ordinal
        totalLength += analysis.length
        for (term, frequency) in analysis.terms { postings[term, default: []].append((Int32(ordinal), Int32(frequency))) }
    }

    /// Removes the document, if indexed (costs the length of its terms' postings).
    public mutating func remove(_ id: String) {
        guard let ordinal = ordinals.removeValue(forKey: id) else { return }
        totalLength -= lengths[ordinal]
        for term in terms[ordinal].keys {
            postings[term]?.removeAll { $0.ordinal == Int32(ordinal) }
            if postings[term]?.isEmpty == true { postings.removeValue(forKey: term) }
        }
        ids[ordinal] = nil
        terms[ordinal] = [:]
        lengths[ordinal] = 0
        freeOrdinals.append(ordinal)
    }

    /// Inverse document frequency (BM25's, never negative).
    public func idf(_ term: String) -> Double {
        let containing = Double(postings[term]?.count ?? 0)
        let total = Double(ordinals.count)
        return log(1 + (total - containing + 0.5) / (containing + 0.5))
    }

    var averageLength: Double { ordinals.isEmpty ? 1 : max(1, Double(totalLength) / Double(ordinals.count)) }

    /// BM25 scores of every document for `query`, by ordinal (0 for documents sharing no term).
    public func scores(_ query: [String: Int]) -> [Double] {
        let average = averageLength
        var scores = Array(repeating: 0.0, count: ids.count)
        // Terms in a fixed order, so that the sums do not depend on how the index was built.
        for term in query.keys.sorted() {
            guard let entries = postings[term] else { continue }
            let weight = idf(term)
            for entry in entries {
                let ordinal = Int(entry.ordinal)
                scores[ordinal] += weight * contribution(Double(entry.frequency), length: Double(lengths[ordinal]), averageLength: average)
            }
        }
        return scores
    }

    /// Each shared term's part of `id`'s score for `query`, largest first: the words that drove a match.
    public func contributions(_ query: [String: Int], document id: String) -> [(term: String, score: Double)] {
        guard let ordinal = ordinals[id] else { return [] }
        let average = averageLength
        return query.keys.sorted().compactMap { term -> (String, Double)? in
            guard let frequency = terms[ordinal][term] else { return nil }
            return (term, idf(term) * contribution(Double(frequency), length: Double(lengths[ordinal]), averageLength: average))
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
