import Foundation
import LMDSJSON

/// A city's configuration: its neighbourhoods (districts and the wijken in them), institutions, levels,
/// themes and disciplines, with Dutch labels and keywords. Another city is another file, no code change.
///
/// Pure: parsed from JSON that the daemon reads, validated, and queried; it never touches the disk.
public struct Taxonomy: Sendable, Hashable {
    /// An entry of a list: a stable ASCII id, its Dutch label, and keywords that text may use for it.
    public struct Entry: Sendable, Hashable {
        public let id: String
        public let label: String
        /// Lower-case Dutch words or phrases that point at this entry (synonyms for matching).
        public let keywords: [String]
    }

    /// A district and the wijken in it. A question may name either level.
    public struct District: Sendable, Hashable {
        public let id: String
        public let label: String
        /// The municipality's district number, when it has one.
        public let code: String?
        public let wijken: [Wijk]
    }

    /// A wijk inside a district.
    public struct Wijk: Sendable, Hashable {
        public let id: String
        public let label: String
        /// The municipality's wijk number, when it has one.
        public let code: String?
    }

    /// An institution and the levels it teaches at.
    public struct Institution: Sendable, Hashable {
        public let id: String
        public let label: String
        public let levels: [String]
        /// District ids where it prefers to work (a living lab, a standing partnership): matching favours
        /// questions from there. Optional in the file (`"neighbourhoods": ["stevenshof"]`, districts or wijken).
        public var preferredDistricts: [String] = []
    }

    /// What a neighbourhood reference resolved to.
    public struct Place: Sendable, Hashable {
        /// The district's id.
        public let district: String
        /// The wijk's id, when the reference named a wijk rather than a whole district.
        public let wijk: String?

        /// A district, or a wijk in it.
        public init(district: String, wijk: String?) {
            self.district = district
            self.wijk = wijk
        }

        /// The most precise id: the wijk's, else the district's.
        public var id: String { wijk ?? district }
    }

    /// Levels, themes and disciplines a taxonomy may list at most (each).
    public static let entriesMax = 64

    /// The taxonomy format this version reads.
    public static let schemaVersionSupported: Int64 = 1

    public let cityID: String
    public let cityLabel: String
    public let districts: [District]
    public let institutions: [Institution]
    public let levels: [Entry]
    public let themes: [Entry]
    public let disciplines: [Entry]
    /// The document as given, returned by `taxonomy.get`.
    public let json: JSONValue

    private let places: [String: Place]

    /// Parses and validates a taxonomy document.
    /// - Throws: `TaxonomyError` naming the path of the first problem (`neighbourhoods[3].wijken[0].id`).
    public init(json: JSONValue) throws(TaxonomyError) {
        let reader = TaxonomyReader()
        guard case .object = json else { throw TaxonomyError(path: "$", "the taxonomy must be a JSON object") }
        let version = try reader.integer(json["schemaVersion"], "schemaVersion")
        guard version == Self.schemaVersionSupported else {
            throw TaxonomyError(path: "schemaVersion", "this lmds reads taxonomy schema \(Self.schemaVersionSupported), the file has \(version)")
        }
        let city = try reader.object(json["city"], "city")
        cityID = try reader.id(city["id"], "city.id")
        cityLabel = try reader.label(city["label"], "city.label")

        var districts: [District] = []
        var places: [String: Place] = [:]
        var seenPlaceIDs: Set<String> = []
        for (index, value) in try reader.array(json["neighbourhoods"], "neighbourhoods", nonEmpty: true).enumerated() {
            let path = "neighbourhoods[\(index)]"
            let id = try reader.id(value["id"], path + ".id")
            guard seenPlaceIDs.insert(id).inserted else { throw TaxonomyError(path: path + ".id", "\"\(id)\" is used twice") }
            let label = try reader.label(value["label"], path + ".label")
            let code = try reader.optionalString(value["code"], path + ".code")
            var wijken: [Wijk] = []
            for (wijkIndex, wijkValue) in try reader.array(value["wijken"], path + ".wijken", nonEmpty: true).enumerated() {
                let wijkPath = "\(path).wijken[\(wijkIndex)]"
                let wijkID = try reader.id(wijkValue["id"], wijkPath + ".id")
                guard seenPlaceIDs.insert(wijkID).inserted else { throw TaxonomyError(path: wijkPath + ".id", "\"\(wijkID)\" is used twice") }
                let wijk = Wijk(id: wijkID, label: try reader.label(wijkValue["label"], wijkPath + ".label"),
                    code: try reader.optionalString(wijkValue["code"], wijkPath + ".code"))
                wijken.append(wijk)
                places[wijkID] = Place(district: id, wijk: wijkID)
                places[TextFolding.fold(wijk.label)] = places[TextFolding.fold(wijk.label)] ?? Place(district: id, wijk: wijkID)
            }
            districts.append(District(id: id, label: label, code: code, wijken: wijken))
            places[id] = Place(district: id, wijk: nil)
            places[TextFolding.fold(label)] = Place(district: id, wijk: nil)
        }
        self.districts = districts
        self.places = places

        levels = try reader.entries(json["levels"], "levels", keywordsRequired: false)
        let levelIDs = Set(levels.map(\.id))
        var institutions: [Institution] = []
        var seenInstitutions: Set<String> = []
        for (index, value) in try reader.array(json["institutions"], "institutions", nonEmpty: true).enumerated() {
            let path = "institutions[\(index)]"
            let id = try reader.id(value["id"], path + ".id")
            guard seenInstitutions.insert(id).inserted else { throw TaxonomyError(path: path + ".id", "\"\(id)\" is used twice") }
            var institutionLevels: [String] = []
            for (levelIndex, level) in try reader.array(value["levels"], path + ".levels", nonEmpty: true).enumerated() {
                let levelID = try reader.id(level, "\(path).levels[\(levelIndex)]")
                guard levelIDs.contains(levelID) else {
                    throw TaxonomyError(path: "\(path).levels[\(levelIndex)]", "\"\(levelID)\" is not one of the levels")
                }
                institutionLevels.append(levelID)
            }
            var institution = Institution(id: id, label: try reader.label(value["label"], path + ".label"), levels: institutionLevels)
            if value["neighbourhoods"] != nil {
                for (placeIndex, reference) in try reader.array(value["neighbourhoods"], path + ".neighbourhoods", nonEmpty: false).enumerated() {
                    let placePath = "\(path).neighbourhoods[\(placeIndex)]"
                    guard let text = reference.stringValue, let place = places[text] ?? places[TextFolding.fold(text)] else {
                        throw TaxonomyError(path: placePath, "not a district or wijk of this city")
                    }
                    if !institution.preferredDistricts.contains(place.district) { institution.preferredDistricts.append(place.district) }
                }
            }
            institutions.append(institution)
        }
        self.institutions = institutions
        themes = try reader.entries(json["themes"], "themes", keywordsRequired: true)
        disciplines = try reader.entries(json["disciplines"], "disciplines", keywordsRequired: true)
        let known: Set<String> = ["schemaVersion", "city", "neighbourhoods", "institutions", "levels", "themes", "disciplines"]
        for key in (json.objectValue ?? [:]).keys.sorted() where !known.contains(key) {
            throw TaxonomyError(path: key, "unknown key (\(known.sorted().joined(separator: ", ")))")
        }
        self.json = json
    }

    /// The district or wijk that `reference` names: an id or a label, case- and diacritic-insensitive.
    public func place(_ reference: String) -> Place? {
        places[reference] ?? places[TextFolding.fold(reference)]
    }

    /// The theme with this id, if any.
    public func theme(_ id: String) -> Entry? { themes.first { $0.id == id } }

    /// The discipline with this id, if any.
    public func discipline(_ id: String) -> Entry? { disciplines.first { $0.id == id } }

    /// The institution with this id or label, if any.
    public func institution(_ reference: String) -> Institution? {
        let folded = TextFolding.fold(reference)
        return institutions.first { $0.id == reference || TextFolding.fold($0.label) == folded }
    }

    /// Whether `id` is one of the levels.
    public func isLevel(_ id: String) -> Bool { levels.contains { $0.id == id } }

    /// Number of wijken across all districts.
    public var wijkCount: Int { districts.reduce(0) { $0 + $1.wijken.count } }
}

/// Why a taxonomy file was refused: the JSON path of the problem and what is wrong.
public struct TaxonomyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where in the document, such as `themes[2].keywords`.
    public let path: String
    /// What is wrong there.
    public let reason: String

    public init(path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// Typed reads of the taxonomy document with the path in every error.
private struct TaxonomyReader {
    func object(_ value: JSONValue?, _ path: String) throws(TaxonomyError) -> JSONValue {
        guard let value, case .object = value else { throw TaxonomyError(path: path, "expected an object") }
        return value
    }

    func array(_ value: JSONValue?, _ path: String, nonEmpty: Bool) throws(TaxonomyError) -> [JSONValue] {
        guard let elements = value?.arrayValue else { throw TaxonomyError(path: path, "expected an array") }
        if nonEmpty && elements.isEmpty { throw TaxonomyError(path: path, "must not be empty") }
        return elements
    }

    func integer(_ value: JSONValue?, _ path: String) throws(TaxonomyError) -> Int64 {
        guard let integer = value?.integerValue else { throw TaxonomyError(path: path, "expected an integer") }
        return integer
    }

    /// Ids are lower-case ASCII kebab-case: stable in events and URLs, whatever the labels become.
    func id(_ value: JSONValue?, _ path: String) throws(TaxonomyError) -> String {
        guard let text = value?.stringValue else { throw TaxonomyError(path: path, "expected a string id") }
        let allowed = text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        guard !text.isEmpty, text.utf8.count <= 64, allowed else {
            throw TaxonomyError(path: path, "\"\(text)\" is not an id (lower-case a-z, 0-9 and '-', at most 64)")
        }
        return text
    }

    func label(_ value: JSONValue?, _ path: String) throws(TaxonomyError) -> String {
        guard let text = value?.stringValue, !text.isEmpty, text.utf8.count <= 200 else {
            throw TaxonomyError(path: path, "expected a label of 1 to 200 bytes")
        }
        return text
    }

    func optionalString(_ value: JSONValue?, _ path: String) throws(TaxonomyError) -> String? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue else { throw TaxonomyError(path: path, "expected a string") }
        return text
    }

    func entries(_ value: JSONValue?, _ path: String, keywordsRequired: Bool) throws(TaxonomyError) -> [Taxonomy.Entry] {
        var entries: [Taxonomy.Entry] = []
        var seen: Set<String> = []
        let elements = try array(value, path, nonEmpty: true)
        // Matching keeps a question's or offer's themes, disciplines and levels as 64-bit sets.
        guard elements.count <= Taxonomy.entriesMax else { throw TaxonomyError(path: path, "at most \(Taxonomy.entriesMax) entries") }
        for (index, element) in elements.enumerated() {
            let entryPath = "\(path)[\(index)]"
            let entryID = try id(element["id"], entryPath + ".id")
            guard seen.insert(entryID).inserted else { throw TaxonomyError(path: entryPath + ".id", "\"\(entryID)\" is used twice") }
            var keywords: [String] = []
            if let raw = element["keywords"] {
                for (keywordIndex, keyword) in try array(raw, entryPath + ".keywords", nonEmpty: keywordsRequired).enumerated() {
                    guard let text = keyword.stringValue, !text.isEmpty else {
                        throw TaxonomyError(path: "\(entryPath).keywords[\(keywordIndex)]", "expected a non-empty string")
                    }
                    keywords.append(text)
                }
            } else if keywordsRequired {
                throw TaxonomyError(path: entryPath + ".keywords", "expected an array")
            }
            entries.append(Taxonomy.Entry(id: entryID, label: try label(element["label"], entryPath + ".label"), keywords: keywords))
        }
        return entries
    }
}

/// Case- and diacritic-insensitive comparison of Dutch text: "Café" and "cafe", "Bos- en
/// Gasthuisdistrict" and "bos- en gasthuisdistrict", "ë" and "e" fold alike.
public enum TextFolding {
    /// `text` lower-cased with diacritics removed (locale-independent).
    public static func fold(_ text: String) -> String {
        latinFold(text) ?? foundationFold(text)
    }

    /// The general path, for text in any script: Foundation's folding.
    public static func foundationFold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }

    /// The same result as `foundationFold`, many times faster, for text made only of ASCII and the Latin-1
    /// letters of `latinBase`; nil for any other character (which then takes the general path). Lists
    /// filtered by `text` fold every question they look at, so this is on the path of every such read
    /// (found by `scripts/torture load`: Foundation's folding took half the daemon's time).
    public static func latinFold(_ text: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let value = scalar.value
            switch value {
            case 0x41...0x5A: bytes.append(UInt8(value + 0x20))
            case 0..<0x80: bytes.append(UInt8(value))
            case 0xC0...0xFF:
                guard let base = latinBase[Int(value - 0xC0)] else { return nil }
                bytes.append(base)
            default: return nil
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The base letter of U+00C0 … U+00FF ("é" → "e"), lower-cased; nil for those that fold to something
    /// else or are not letters (Æ, Ð, ×, Ø, Þ, ß, æ, ð, ÷, ø, þ), which take the general path.
    public static let latinBase: [UInt8?] = {
        let letters = Array("aaaaaa" + "-" + "ceeeeiiii" + "-" + "nooooo" + "--" + "uuuuy" + "--"
                            + "aaaaaa" + "-" + "ceeeeiiii" + "-" + "nooooo" + "--" + "uuuuy" + "-" + "y")
        precondition(letters.count == 64, "the fold table covers U+00C0 to U+00FF")
        return letters.map { $0 == "-" ? nil : $0.asciiValue }
    }()
}
