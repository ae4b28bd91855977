/// The Snowball Dutch stemmer (Martin Porter's algorithm for Dutch, as published at snowballstem.org as
/// "dutch", now also known as "dutch_porter"), written here because no listed Swift package has it.
/// It maps inflections to one stem: "eenzaamheid" and "eenzame" share "eenzam"; "fietsers" and "fietsen"
/// share "fietser"/"fiets". Input is expected lower-case; accents are removed as the algorithm prescribes.
public enum DutchStemmer {
    /// The stem of one lower-case word.
    public static func stem(_ word: String) -> String {
        var letters = Array(word.unicodeScalars.map { Character(removingAccent($0)) })
        guard letters.count > 2 else { return word }
        markConsonantUses(&letters)
        let (r1, r2) = regions(letters)
        var w = Word(letters: letters, r1: r1, r2: r2)
        w.step1()
        let removedE = w.step2()
        w.step3a()
        w.step3b(step2RemovedE: removedE)
        w.step4()
        return String(w.letters.map { $0 == "I" ? "i" : $0 == "Y" ? "y" : $0 })
    }

    static let vowels: Set<Character> = ["a", "e", "i", "o", "u", "y", "è"]

    static func isVowel(_ letter: Character) -> Bool { vowels.contains(letter) }

    static func removingAccent(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar {
        case "ä", "á": return "a"
        case "ë", "é": return "e"
        case "ï", "í": return "i"
        case "ö", "ó": return "o"
        case "ü", "ú": return "u"
        default: return scalar
        }
    }

    /// Initial y, y after a vowel, and i between vowels are consonants: written upper case meanwhile.
    static func markConsonantUses(_ letters: inout [Character]) {
        for index in letters.indices {
            let previous: Character? = index > 0 ? letters[index - 1] : nil
            if letters[index] == "y" && (index == 0 || (previous.map(isVowel) ?? false)) {
                letters[index] = "Y"
            } else if letters[index] == "i", let previous, isVowel(previous), index + 1 < letters.count, isVowel(letters[index + 1]) {
                letters[index] = "I"
            }
        }
    }

    /// R1: after the first non-vowel that follows a vowel, at least 3 letters in; R2: the same within R1.
    static func regions(_ letters: [Character]) -> (Int, Int) {
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
        var letters: [Character]
        let r1: Int
        let r2: Int

        func ends(with suffix: String) -> Bool {
            let suffixLetters = Array(suffix)
            return letters.count >= suffixLetters.count && Array(letters.suffix(suffixLetters.count)) == suffixLetters
        }

        /// Whether `suffix` (which the word ends with) lies in the region starting at `region`.
        func inRegion(_ suffix: String, _ region: Int) -> Bool { letters.count - suffix.count >= region }

        func letter(before suffix: String, offset: Int = 1) -> Character? {
            let index = letters.count - suffix.count - offset
            return index >= 0 ? letters[index] : nil
        }

        /// A non-vowel other than j.
        func validSEnding(before suffix: String) -> Bool {
            guard let letter = letter(before: suffix) else { return false }
            return !DutchStemmer.isVowel(letter) && letter != "j"
        }

        /// A non-vowel, and not after "gem".
        func validEnEnding(before suffix: String) -> Bool {
            guard let letter = letter(before: suffix), !DutchStemmer.isVowel(letter) else { return false }
            let stemEnd = letters.count - suffix.count
            return !(stemEnd >= 3 && Array(letters[(stemEnd - 3)..<stemEnd]) == Array("gem"))
        }

        mutating func remove(_ suffix: String) { letters.removeLast(suffix.count) }

        mutating func undouble() {
            if ends(with: "kk") || ends(with: "dd") || ends(with: "tt") { letters.removeLast() }
        }

        /// Deletes "en" (or "ene") when in R1 after a valid en-ending, then undoubles.
        mutating func removeEn(_ suffix: String) -> Bool {
            guard ends(with: suffix), inRegion(suffix, r1), validEnEnding(before: suffix) else { return false }
            remove(suffix)
            undouble()
            return true
        }

        mutating func step1() {
            if ends(with: "heden") {
                if inRegion("heden", r1) {
                    remove("heden")
                    letters += Array("heid")
                }
            } else if ends(with: "ene") || ends(with: "en") {
                _ = removeEn(ends(with: "ene") ? "ene" : "en")
            } else if ends(with: "se") || ends(with: "s") {
                let suffix = ends(with: "se") ? "se" : "s"
                if inRegion(suffix, r1) && validSEnding(before: suffix) { remove(suffix) }
            }
        }

        mutating func step2() -> Bool {
            guard ends(with: "e"), inRegion("e", r1), let letter = letter(before: "e"), !DutchStemmer.isVowel(letter) else { return false }
            remove("e")
            undouble()
            return true
        }

        mutating func step3a() {
            guard ends(with: "heid"), inRegion("heid", r2), letter(before: "heid") != "c" else { return }
            remove("heid")
            _ = removeEn("en")
        }

        mutating func step3b(step2RemovedE: Bool) {
            if ends(with: "end") || ends(with: "ing") {
                let suffix = ends(with: "end") ? "end" : "ing"
                guard inRegion(suffix, r2) else { return }
                remove(suffix)
                if ends(with: "ig"), inRegion("ig", r2), letter(before: "ig") != "e" {
                    remove("ig")
                } else {
                    undouble()
                }
            } else if ends(with: "ig") {
                if inRegion("ig", r2) && letter(before: "ig") != "e" { remove("ig") }
            } else if ends(with: "lijk") {
                if inRegion("lijk", r2) {
                    remove("lijk")
                    _ = step2()
                }
            } else if ends(with: "baar") {
                if inRegion("baar", r2) { remove("baar") }
            } else if ends(with: "bar") {
                if inRegion("bar", r2) && step2RemovedE { remove("bar") }
            }
        }

        /// A word ending non-vowel, double a/e/o/u, non-vowel other than I loses one of the vowels.
        mutating func step4() {
            let count = letters.count
            guard count >= 4 else { return }
            let c = letters[count - 4], v1 = letters[count - 3], v2 = letters[count - 2], d = letters[count - 1]
            guard !DutchStemmer.isVowel(c), v1 == v2, ["a", "e", "o", "u"].contains(v1), !DutchStemmer.isVowel(d), d != "I" else { return }
            letters.remove(at: count - 2)
        }
    }
}
