/// Dutch words known to exist (the OpenTaal word list that Debian ships as `wdutch`, one word a line in
/// /usr/share/dict/dutch), and what the matcher derives from them: the parts of a compound
/// ("energierekening" → "energie", "rekening") and the base of a diminutive ("boompje" → "boom").
///
/// Pure: the words come in as a value (the daemon reads the file at start-up, `DutchWordList` in
/// LMDSServer); without a lexicon the analyser only recognises keywords at the end of a compound.
public struct DutchLexicon: Sendable {
    /// The words: lower-case ASCII letters only, `wordLettersMin` to `wordLettersMax` letters.
    public let words: Set<String>

    /// A part of a compound has at least this many letters: shorter words ("ar", "ree", "ver") would split
    /// almost any long word into nonsense.
    public static let partLettersMin = 4
    /// Shorter words are kept only as the base of a diminutive ("bal" of "balletje").
    static let wordLettersMin = 3
    /// Longer lines of the list are left out (none is a word people write; keeps the set small).
    static let wordLettersMax = 30
    /// Parts at most per compound (energie|armoede|bestrijding has three).
    static let partsMax = 3

    /// Words that the list holds but that are never a compound's part here: particles and prepositions that
    /// start verbs and nouns ("onder|nemers", "over|last"), and bound suffixes ("bereik|baarheid").
    static let notParts: Set<String> = [
        "onder", "over", "voor", "door", "achter", "tegen", "boven", "binnen", "buiten", "samen", "terug", "voort", "mede", "rond",
        "heid", "heden", "lijk", "lijke", "baar", "bare", "isch", "ische", "ling", "lingen", "schap", "schappen", "achtig", "achtige",
        "loos", "loze", "erij", "tjes", "ster", "sters", "tief", "teit", "atie", "aties",
    ]

    /// A lexicon of the given words (folded to lower case by the caller; others are ignored).
    public init(words: some Sequence<String>) {
        self.words = Set(words.filter { Self.isListWord($0.utf8) })
    }

    /// The lexicon of a word list's text: one word a line; lines with capitals (names), digits, accents or
    /// punctuation are left out.
    public init(listText: String) {
        var words = Set<String>()
        words.reserveCapacity(400_000)
        for line in listText.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) where Self.isListWord(line) {
            words.insert(String(decoding: line, as: UTF8.self))
        }
        self.words = words
    }

    static func isListWord(_ letters: some Collection<UInt8>) -> Bool {
        letters.count >= wordLettersMin && letters.count <= wordLettersMax && letters.allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
    }

    /// How many words it holds.
    public var count: Int { words.count }

    func isPart(_ word: String) -> Bool { words.contains(word) && !Self.notParts.contains(word) }

    /// The parts of a compound, left to right ("schooltuin" → ["school", "tuin"]), or [] when `word` is
    /// not one. Each part is a word of the list of at least `partLettersMin` letters; a linking "s" after a
    /// part is dropped ("veiligheidsgevoel" → ["veiligheid", "gevoel"]). The longest first part that
    /// leads to a split wins, and at most `partsMax` parts are made.
    ///
    /// - Complexity: at most `wordLettersMax` heads tried per part, so bounded for any input: a word longer
    ///   than `partsMax` parts of `wordLettersMax` letters and their links is no compound and is not tried
    ///   (a 10 KB "word" in a description would otherwise cost seconds inside the write path).
    public func parts(of word: String) -> [String] {
        let letters = Array(word.utf8)
        guard letters.count >= 2 * Self.partLettersMin, letters.count <= Self.compoundLettersMax else { return [] }
        return split(letters[...], partsLeft: Self.partsMax) ?? []
    }

    /// The longest word that can be a compound: `partsMax` parts of at most `wordLettersMax` letters, each
    /// but the last followed by a linking "s".
    static let compoundLettersMax = partsMax * (wordLettersMax + 1) - 1

    private func split(_ letters: ArraySlice<UInt8>, partsLeft: Int) -> [String]? {
        guard partsLeft >= 2, letters.count >= 2 * Self.partLettersMin else { return nil }
        // A head longer than the longest word of the list is never a part.
        for headLength in stride(from: min(letters.count - Self.partLettersMin, Self.wordLettersMax), through: Self.partLettersMin, by: -1) {
            let head = String(decoding: letters.prefix(headLength), as: UTF8.self)
            guard isPart(head) else { continue }
            var rest = letters.dropFirst(headLength)
            for linked in [false, true] {
                if linked {
                    guard rest.first == UInt8(ascii: "s"), rest.count > Self.partLettersMin else { break }
                    rest = rest.dropFirst()
                }
                let tail = String(decoding: rest, as: UTF8.self)
                if isPart(tail) { return [head, tail] }
                if let more = split(rest, partsLeft: partsLeft - 1) { return [head] + more }
            }
        }
        return nil
    }

    /// Diminutive endings, longest first.
    static let diminutiveEndings = ["etjes", "etje", "tjes", "pjes", "kjes", "jes", "tje", "pje", "kje", "je"]

    /// The word a diminutive is made of ("boompje" → "boom", "straatjes" → "straat", "balletje" → "bal",
    /// "autootje" → "auto"), or nil when `word` is none (its base is not in the list).
    public func base(ofDiminutive word: String) -> String? {
        for ending in Self.diminutiveEndings where word.hasSuffix(ending) {
            var base = Array(word.utf8.dropLast(ending.utf8.count))
            guard base.count >= 3 else { continue }
            let count = base.count
            if ending.hasPrefix("k") {
                // koninkje: konin → koning; any other -kje is -je after a k (bankje).
                guard base.suffix(2) == [UInt8(ascii: "i"), UInt8(ascii: "n")] else { continue }
                base.append(UInt8(ascii: "g"))
            } else if ending.hasPrefix("et"), base[count - 1] == base[count - 2] {
                base.removeLast()  // balletje: ball → bal
            } else if ending.hasPrefix("tj"), [UInt8(ascii: "a"), UInt8(ascii: "o"), UInt8(ascii: "u")].contains(base[count - 1]), base[count - 1] == base[count - 2] {
                base.removeLast()  // autootje: autoo → auto
            }
            let candidate = String(decoding: base, as: UTF8.self)
            if words.contains(candidate) { return candidate }
        }
        return nil
    }
}
