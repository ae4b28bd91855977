import Domain
import Foundation
import LMDSJSON
import LMDSTestSupport
import Testing

@Suite struct TaxonomyTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func shippedLeiden() throws -> Taxonomy {
        let text = try String(contentsOfFile: repositoryRoot + "/Protocol/taxonomies/leiden.json", encoding: .utf8)
        return try Taxonomy(json: try JSONParser.parse(text))
    }

    /// The shipped Leiden taxonomy parses: 10 districts with their wijken, the four kinds of institution, four levels.
    @Test func shippedLeidenTaxonomyIsValid() throws {
        let leiden = try Self.shippedLeiden()
        #expect(leiden.cityID == "leiden")
        #expect(leiden.districts.count == 10)
        #expect(leiden.districts.allSatisfy { !$0.wijken.isEmpty })
        #expect(leiden.wijkCount >= 40)
        #expect(Set(leiden.districts.map(\.label)).isSuperset(of: ["Stevenshof", "Merenwijk", "Bos- en Gasthuisdistrict", "Binnenstad-Noord"]))
        for institution in ["universiteit-leiden", "hogeschool-leiden", "lumc", "mborijnland"] {
            #expect(leiden.institution(institution) != nil, "\(institution)")
        }
        #expect(leiden.levels.map(\.id) == ["mbo", "hbo", "wo-bachelor", "wo-master"])
        #expect(leiden.themes.count >= 10 && leiden.disciplines.count >= 10)
        #expect(leiden.theme("loneliness")?.keywords.contains("eenzaamheid") == true)
    }

    /// The taxonomy compiled into the daemon is exactly the file in Protocol/taxonomies (run scripts/embed-taxonomies).
    @Test func embeddedTaxonomyMatchesTheFile() throws {
        let file = try String(contentsOfFile: Self.repositoryRoot + "/Protocol/taxonomies/leiden.json", encoding: .utf8)
        let embedded = try #require(Taxonomy.embedded["leiden"], "run scripts/embed-taxonomies")
        #expect(embedded.trimmingCharacters(in: .whitespacesAndNewlines) == file.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A neighbourhood may be named by district or wijk, by id or label, ignoring case and diacritics.
    @Test func resolvesDistrictsAndWijkenByIdOrLabel() throws {
        let leiden = try Self.shippedLeiden()
        #expect(leiden.place("stevenshof") == Taxonomy.Place(district: "stevenshof", wijk: nil))
        #expect(leiden.place("BOS- EN GASTHUISDISTRICT")?.district == "bos-en-gasthuisdistrict")
        let wijk = try #require(leiden.districts.first { $0.id == "boerhaavedistrict" }?.wijken.first)
        #expect(leiden.place(wijk.label) == Taxonomy.Place(district: "boerhaavedistrict", wijk: wijk.id))
        #expect(leiden.place(wijk.id)?.district == "boerhaavedistrict")
        #expect(leiden.place("Atlantis") == nil)
    }

    /// Problems are named by their JSON path.
    @Test(arguments: [
        (#"{"schemaVersion":2}"#, "schemaVersion"),
        (#"{"schemaVersion":1,"city":{"id":"Delft!","label":"Delft"}}"#, "city.id"),
        (#"{"schemaVersion":1,"city":{"id":"delft","label":"Delft"},"neighbourhoods":[]}"#, "neighbourhoods"),
        (#"{"schemaVersion":1,"city":{"id":"delft","label":"Delft"},"neighbourhoods":[{"id":"a","label":"A","wijken":[{"id":"a","label":"A"}]}]}"#, "neighbourhoods[0].wijken[0].id"),
    ])
    func namesTheProblemPath(text: String, path: String) {
        #expect { try Taxonomy(json: try JSONParser.parse(text)) } throws: { ($0 as? TaxonomyError)?.path == path }
    }

    /// An institution's level must be one of the levels.
    @Test func refusesUnknownInstitutionLevel() throws {
        var object = try Self.shippedLeiden().json.objectValue ?? [:]
        object["institutions"] = [["id": "x", "label": "X", "levels": ["phd"]]]
        #expect { try Taxonomy(json: .object(object)) } throws: { ($0 as? TaxonomyError)?.path == "institutions[0].levels[0]" }
    }

    /// Folding makes Dutch text comparable: case and diacritics are ignored.
    @Test func foldsCaseAndDiacritics() {
        #expect(TextFolding.fold("Café Ëlandsgracht") == "cafe elandsgracht")
        #expect(TextFolding.fold("Bos- en Gasthuisdistrict") == "bos- en gasthuisdistrict")
    }
}

/// The fast fold for Latin text gives exactly what Foundation's folding gives.
@Suite struct TextFoldingTests {
    @Test func latinFoldEqualsFoundationOnDutchNames() {
        for text in ["Stevenshof", "Bos- en Gasthuisdistrict", "Café Ëxtra", "ZOË", "Coöperatie", "ruïne", "Leiden-Noord 2027", ""] {
            #expect(TextFolding.latinFold(text) == TextFolding.foundationFold(text), "\(text)")
        }
        #expect(TextFolding.fold("Café Ëxtra") == "cafe extra")
    }

    /// Seeded random text over every ASCII character, U+00A0 … U+00FF and a few others: where the fast
    /// fold answers, it equals Foundation's; otherwise `fold` takes Foundation's path.
    @Test func latinFoldEqualsFoundationOnRandomText() {
        let seed = UInt64(ProcessInfo.processInfo.environment["LMDS_SEED"] ?? "") ?? UInt64.random(in: 1...999_999)
        print("TextFoldingTests seed \(seed) (LMDS_SEED=\(seed) replays it)")
        var random = SplitMix64(seed: seed)
        let scalars = Array(0x00...0x7F) + Array(0xA0...0xFF) + [0x0133, 0x0141, 0x0153, 0x2019, 0x20AC, 0xFB01, 0xFF21, 0x4E2D, 0x0301]
        var fast = 0
        for _ in 0..<3000 {
            let length = Int(random.next() % 30)
            let text = String(String.UnicodeScalarView((0..<length).map { _ in
                // Mostly the characters the fast path takes, so that it answers often.
                let pool = random.next() % 8 == 0 ? scalars : Array(0x20...0x7E) + Array(0xC0...0xFF)
                return UnicodeScalar(UInt32(pool[Int(random.next() % UInt64(pool.count))]))!
            }))
            if let folded = TextFolding.latinFold(text) {
                fast += 1
                #expect(folded == TextFolding.foundationFold(text), "seed \(seed): \(text.unicodeScalars.map { String($0.value, radix: 16) })")
            }
            #expect(TextFolding.fold(text) == TextFolding.foundationFold(text))
        }
        #expect(fast > 100 && fast < 3000, "both paths are exercised")
    }
}

/// Ids sort in the order they were handed out.
@Suite struct EntityIDTests {
    @Test func idsSortByNumberAcrossDigitCounts() {
        let ids = ["Q-10000", "Q-0002", "Q-9999", "Q-0010", "Q-0001", "Q-100000"]
        #expect(ids.sorted(by: EntityID.precedes) == ["Q-0001", "Q-0002", "Q-0010", "Q-9999", "Q-10000", "Q-100000"])
        #expect(!EntityID.precedes("Q-0001", "Q-0001"))
        #expect(EntityID.make("P", 12) == "P-0012" && EntityID.make("P", 12345) == "P-12345")
    }
}
