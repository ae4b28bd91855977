import Testing
@testable import LMDSServer

/// The lists' `text` filter: folded words found in folded text, byte for byte.
@Suite struct ListTextTests {
    @Test func findsFoldedWordsAnywhereInTheTexts() {
        let texts = ["Eenzaamheid in de Stevenshof", "Een Café voor ouderen in het Bos- en Gasthuisdistrict"]
        #expect(ListText.matches(["cafe", "ouderen"], in: texts))
        #expect(ListText.matches(["stevenshof", "gasthuisdistrict"], in: texts), "words from either text")
        #expect(ListText.matches(["hof"], in: texts), "inside a word")
        #expect(ListText.matches([], in: texts), "no words: everything matches")
        #expect(!ListText.matches(["cafe", "jongeren"], in: texts), "every word must appear")
        #expect(!ListText.matches(["een-lange-zin-die-nergens-staat-en-langer-is-dan-alles"], in: ["kort"]))
        #expect(ListText.matches(["districtstevenshof"], in: ["Gasthuisdistrict", "Stevenshof"]) == false, "texts are joined by a space")
        #expect(ListText.matches(["zoe"], in: ["ZOË"]))
    }
}
