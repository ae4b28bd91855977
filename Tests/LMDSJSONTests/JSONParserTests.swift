import Foundation
import LMDSJSON
import LMDSTestSupport
import Testing

@Suite struct JSONParserTests {
    /// Dutch text with diacritics survives parse and canonical write byte for byte.
    @Test func dutchTextRoundTripsExactly() throws {
        let text = #"{"a":"Bos- en Gasthuisdistrict","b":"Café ë ü ĳ 😀","c":[1,-2,3.5,true,false,null]}"#
        let value = try JSONParser.parse(text)
        #expect(JSONWriter.canonicalString(value) == text)
    }

    /// Canonical output sorts keys and drops white space, so equal values give equal bytes.
    @Test func canonicalFormSortsKeys() throws {
        let value = try JSONParser.parse(#" { "z" : 1 , "a" : { "y": 2, "b": 3 } } "#)
        #expect(JSONWriter.canonicalString(value) == #"{"a":{"b":3,"y":2},"z":1}"#)
    }

    /// Escapes decode, including surrogate pairs, and control characters are re-escaped.
    @Test func escapesDecodeAndReencode() throws {
        let value = try JSONParser.parse(#""a\"b\\c\n\u00eb\ud83d\ude00\u0001""#)
        #expect(value == .string("a\"b\\c\në😀\u{01}"))
        #expect(JSONWriter.canonicalString(value) == #""a\"b\\c\në😀\u0001""#)
    }

    /// Malformed input is refused with a reason, never a crash.
    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "tru", "01", "1.", "-", "\"abc", "\"\u{01}\"", "{\"a\":1}x",
        "\"\\ud800\"", "\"\\x\"", "1e999", "{\"a\":1,\"a\":2}", "[1 2]",
    ])
    func malformedInputIsRefused(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    /// Invalid UTF-8 inside a string is refused.
    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
    }

    /// Nesting beyond the limit is refused, even 100,000 levels deep.
    @Test func deepNestingIsRefused() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        _ = try JSONParser.parse(fine, depthMax: 10)
    }

    /// Integers stay exact up to 64 bits; larger numbers become doubles.
    @Test func numbersKeepTheirKind() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .integer(Int64.max))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9223372036854775808))
        #expect(try JSONParser.parse("-0.5e1") == .double(-5))
    }
}

/// The canonical writer's word-at-a-time escape test and byte-order key comparison agree with their
/// byte-by-byte definitions.
@Suite struct JSONWriterTests {
    /// Seeded random byte strings of every length up to 40, made mostly of bytes next to the ones that
    /// must be escaped (0x1F/0x20, 0x21/0x22/0x23, 0x5B/0x5C/0x5D) and of non-ASCII bytes, at every offset.
    @Test func escapeTestAgreesWithTheByteDefinition() {
        let seed = UInt64(ProcessInfo.processInfo.environment["LMDS_SEED"] ?? "") ?? UInt64.random(in: 1...999_999)
        print("JSONWriterTests seed \(seed) (LMDS_SEED=\(seed) replays it)")
        var random = SplitMix64(seed: seed)
        func next() -> UInt64 { random.next() }
        let plain: [UInt8] = [0x20, 0x21, 0x23, 0x5B, 0x5D, 0x61, 0x7F, 0x80, 0xC3, 0xAB, 0xFF, 0xA2, 0xDC]
        let escaped: [UInt8] = [0x00, 0x01, 0x0A, 0x1F, 0x22, 0x5C]
        var found = 0
        for _ in 0..<20_000 {
            let count = Int(next() % 41)
            var bytes = (0..<count).map { _ in plain[Int(next() % UInt64(plain.count))] }
            if count > 0 && next() % 2 == 0 { bytes[Int(next() % UInt64(count))] = escaped[Int(next() % UInt64(escaped.count))] }
            let expected = bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
            if expected { found += 1 }
            #expect(bytes.withUnsafeBufferPointer { JSONWriter.needsEscaping($0) } == expected, "\(bytes)")
        }
        #expect(found > 5000 && found < 15000, "strings with and without escapes are tried")
    }

    /// Keys are ordered by their UTF-8 bytes, which is not the standard library's order for all strings;
    /// small objects (sorted by insertion) and large ones (the general sort) alike.
    @Test(arguments: [0, 40])
    func keysAreOrderedByTheirBytes(extraKeys: Int) throws {
        let keys = ["b", "a", "ab", "", "é", "z", "Z", "ë", "a\u{0}", "😀", "ﬀ", "Ω", "aa"] + (0..<extraKeys).map { "wijk-\(($0 * 7919) % 101)-ë" }
        let value = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.integer(1)) }))
        let expected = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let text = JSONWriter.canonicalString(value)
        #expect(text == "{" + expected.map { JSONWriter.canonicalString(.string($0)) + ":1" }.joined(separator: ",") + "}")
        #expect(JSONWriter.canonicalString(try JSONParser.parse(text)) == text)
    }
}

/// `UTF8Text.string(validating:)` gives exactly what the standard library's validating initialiser gives.
@Suite struct UTF8TextTests {
    @Test func agreesWithTheStandardLibraryOnDutchText() {
        for text in ["Stevenshof", "Bos- en Gasthuisdistrict", "ë", "café ‘t Hof – €5", "", "中文", "🚲 fietsen"] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBufferPointer { UTF8Text.string(validating: $0) } == text)
        }
    }

    /// Seeded random byte strings, mostly made of pieces of valid and broken UTF-8 sequences.
    @Test func agreesWithTheStandardLibraryOnRandomBytes() {
        let seed = UInt64(ProcessInfo.processInfo.environment["LMDS_SEED"] ?? "") ?? UInt64.random(in: 1...999_999)
        print("UTF8TextTests seed \(seed) (LMDS_SEED=\(seed) replays it)")
        var random = SplitMix64(seed: seed)
        func next() -> UInt64 { random.next() }
        let pieces: [[UInt8]] = [[0x61], [0x7A], [0xC3, 0xAB], [0xC3], [0xAB], [0xE2, 0x80, 0x98], [0xE2, 0x80], [0xF0, 0x9F, 0x9A, 0xB2],
                                 [0xF0, 0x9F], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0x00]]
        var invalid = 0
        for _ in 0..<5000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(next() % 12) { bytes += pieces[Int(next() % UInt64(pieces.count))] }
            let expected = String(validating: bytes, as: UTF8.self)
            if expected == nil { invalid += 1 }
            #expect(bytes.withUnsafeBufferPointer { UTF8Text.string(validating: $0) } == expected, "\(bytes)")
        }
        #expect(invalid > 500 && invalid < 4500, "both valid and invalid strings are tried")
    }
}
