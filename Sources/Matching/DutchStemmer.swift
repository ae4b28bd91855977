/// The Snowball Dutch stemmer (Martin Porter's algorithm for Dutch, as published at snowballstem.org as
/// "dutch", now also known as "dutch_porter"), written here because no listed Swift package has it.
/// It maps inflections to one stem: "lichamelijk", "lichamelijke" and "lichamen" all become "licham".
/// Input is expected lower-case; accents are removed as the algorithm prescribes. Works on bytes: the
/// analyser calls it for every word of every question and offer.
public enum DutchStemmer {
    /// The stem of one lower-case word.
    public static func stem(_ word: String) -> String {
        guard var w = prepared(word) else { return word }
        w.step1()
        let removedE = w.step2()
        w.step3a()
        w.step3b(step2RemovedE: removedE)
        w.step4()
        return w.text
    }

    /// The word as the algorithm's steps take it (accents removed, consonant uses of i and y marked,
    /// regions found); nil for a word of at most two letters or outside the algorithm's alphabet, which
    /// is left as it is.
    static func prepared(_ word: String) -> Word? {
        var letters: [UInt8] = []
        letters.reserveCapacity(word.utf8.count)
        for scalar in word.unicodeScalars {
            let plain = removingAccent(scalar)
            guard plain.isASCII else { return nil }
            letters.append(UInt8(plain.value))
        }
        guard letters.count > 2 else { return nil }
        markConsonantUses(&letters)
        let (r1, r2) = regions(letters)
        return Word(letters: letters, r1: r1, r2: r2)
    }

    /// The stem of one lower-case word with only its inflection removed (Snowball's steps 1, 2 and 4:
    /// plural -en and -s, a final -e, a doubled vowel), not its derivation (-heid, -baar, -lijk, -ing,
    /// -end, -ig): "bereiken" becomes "bereik" but "bereikbaarheid" stays itself, where the full stem
    /// makes both "bereik". Keywords are recognised on this stem, so a verb does not read as a policy noun.
    public static func inflectionalStem(_ word: String) -> String {
        guard var w = prepared(word) else { return word }
        w.step1()
        _ = w.step2()
        w.step4()
        return w.text
    }

    static let upperI = UInt8(ascii: "I"), upperY = UInt8(ascii: "Y"), lowerI = UInt8(ascii: "i"), lowerY = UInt8(ascii: "y")

    static func isVowel(_ letter: UInt8) -> Bool {
        switch letter {
        case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "y"): return true
        default: return false
        }
    }

    static func removingAccent(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar {
        case "ä", "á": return "a"
        case "ë", "é", "è": return "e"
        case "ï", "í": return "i"
        case "ö", "ó": return "o"
        case "ü", "ú": return "u"
        default: return scalar
        }
    }

    /// Initial y, y after a vowel, and i between vowels are consonants: written upper case meanwhile.
    static func markConsonantUses(_ letters: inout [UInt8]) {
        for index in letters.indices {
            let previousIsVowel = index > 0 && isVowel(letters[index - 1])
            if letters[index] == lowerY && (index == 0 || previousIsVowel) {
                letters[index] = upperY
            } else if letters[index] == lowerI, previousIsVowel, index + 1 < letters.count, isVowel(letters[index + 1]) {
                letters[index] = upperI
            }
        }
    }

    /// R1: after the first non-vowel that follows a vowel, at least 3 letters in; R2: the same within R1.
    static func regions(_ letters: [UInt8]) -> (Int, Int) {
        func regionStart(from start: Int) -> Int {
            var index = start
            while index + 1 < letters.count {
                if isVowel(letters[index]) && !isVowel(letters[index + 1]) { return index + 2 }
                index += 1
            }
            return letters.count
        }
        // R2 is searched from R1 as found, before R1 is moved to at least 3 letters in.
        let found = regionStart(from: 0)
        let r2 = regionStart(from: found)
        return (min(max(3, found), letters.count), r2)
    }

    struct Word {
        var letters: [UInt8]
        let r1: Int
        let r2: Int

        /// The letters as a lower-case string (the consonant marks undone).
        var text: String {
            String(decoding: letters.map { $0 == DutchStemmer.upperI ? DutchStemmer.lowerI : $0 == DutchStemmer.upperY ? DutchStemmer.lowerY : $0 }, as: UTF8.self)
        }

        func ends(with suffix: StaticString) -> Bool {
            let count = suffix.utf8CodeUnitCount
            guard letters.count >= count else { return false }
            let start = letters.count - count
            return suffix.withUTF8Buffer { buffer in
                for offset in 0..<count where letters[start + offset] != buffer[offset] { return false }
                return true
            }
        }

        /// Whether a suffix of `count` letters (which the word ends with) lies in the region starting at `region`.
        func inRegion(_ count: Int, _ region: Int) -> Bool { letters.count - count >= region }

        func letter(beforeSuffixOf count: Int) -> UInt8? {
            let index = letters.count - count - 1
            return index >= 0 ? letters[index] : nil
        }

        /// A non-vowel other than j.
        func validSEnding(_ count: Int) -> Bool {
            guard let letter = letter(beforeSuffixOf: count) else { return false }
            return !DutchStemmer.isVowel(letter) && letter != UInt8(ascii: "j")
        }

        /// A non-vowel, and not after "gem".
        func validEnEnding(_ count: Int) -> Bool {
            guard let letter = letter(beforeSuffixOf: count), !DutchStemmer.isVowel(letter) else { return false }
            let end = letters.count - count
            return !(end >= 3 && letters[end - 3] == UInt8(ascii: "g") && letters[end - 2] == UInt8(ascii: "e") && letters[end - 1] == UInt8(ascii: "m"))
        }

        mutating func undouble() {
            if ends(with: "kk") || ends(with: "dd") || ends(with: "tt") { letters.removeLast() }
        }

        /// Deletes "en" (or "ene") when in R1 after a valid en-ending, then undoubles.
        mutating func removeEn(_ count: Int) {
            guard inRegion(count, r1), validEnEnding(count) else { return }
            letters.removeLast(count)
            undouble()
        }

        mutating func step1() {
            if ends(with: "heden") {
                if inRegion(5, r1) {
                    letters.removeLast(5)
                    letters += [UInt8(ascii: "h"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "d")]
                }
            } else if ends(with: "ene") {
                removeEn(3)
            } else if ends(with: "en") {
                removeEn(2)
            } else if ends(with: "se") || ends(with: "s") {
                let count = ends(with: "se") ? 2 : 1
                if inRegion(count, r1) && validSEnding(count) { letters.removeLast(count) }
            }
        }

        mutating func step2() -> Bool {
            guard ends(with: "e"), inRegion(1, r1), let letter = letter(beforeSuffixOf: 1), !DutchStemmer.isVowel(letter) else { return false }
            letters.removeLast()
            undouble()
            return true
        }

        mutating func step3a() {
            guard ends(with: "heid"), inRegion(4, r2), letter(beforeSuffixOf: 4) != UInt8(ascii: "c") else { return }
            letters.removeLast(4)
            if ends(with: "en") { removeEn(2) }
        }

        mutating func step3b(step2RemovedE: Bool) {
            if ends(with: "end") || ends(with: "ing") {
                guard inRegion(3, r2) else { return }
                letters.removeLast(3)
                if ends(with: "ig"), inRegion(2, r2), letter(beforeSuffixOf: 2) != UInt8(ascii: "e") {
                    letters.removeLast(2)
                } else {
                    undouble()
                }
            } else if ends(with: "ig") {
                if inRegion(2, r2) && letter(beforeSuffixOf: 2) != UInt8(ascii: "e") { letters.removeLast(2) }
            } else if ends(with: "lijk") {
                if inRegion(4, r2) {
                    letters.removeLast(4)
                    _ = step2()
                }
            } else if ends(with: "baar") {
                if inRegion(4, r2) { letters.removeLast(4) }
            } else if ends(with: "bar") {
                if inRegion(3, r2) && step2RemovedE { letters.removeLast(3) }
            }
        }

        /// A word ending non-vowel, double a/e/o/u, non-vowel other than I loses one of the vowels.
        mutating func step4() {
            let count = letters.count
            guard count >= 4 else { return }
            let c = letters[count - 4], v1 = letters[count - 3], v2 = letters[count - 2], d = letters[count - 1]
            let doubled = v1 == v2 && (v1 == UInt8(ascii: "a") || v1 == UInt8(ascii: "e") || v1 == UInt8(ascii: "o") || v1 == UInt8(ascii: "u"))
            guard !DutchStemmer.isVowel(c), doubled, !DutchStemmer.isVowel(d), d != DutchStemmer.upperI else { return }
            letters.remove(at: count - 2)
        }
    }
}
