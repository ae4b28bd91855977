import Foundation
import LMDSJSON
@testable import Site
import Testing

/// The site rendered from a small content document: its files, links, headings and escaping.
@Suite struct SiteRendererTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func project(_ id: String, title: String, district: String, wijk: String?, theme: String, year: Int64, recordedAt: String?, uri: String) -> JSONValue {
        var outcome: JSONValue = .null
        if let recordedAt {
            let deliverable: JSONValue = ["kind": "report", "title": "Rapport", "uri": .string(uri), "publicFrom": nil]
            outcome = ["id": "R-1", "summary": .string("Samenvatting van \(title)"), "impact": "Een buurtkamer", "recordedAt": .string(recordedAt),
                       "recordedOn": .string(String(recordedAt.prefix(10))), "students": 4, "hours": 300, "competences": ["interviewen"],
                       "deliverables": [deliverable]]
        }
        return [
            "id": .string(id), "status": "delivered", "programme": "Social Work", "offerTitle": "Minor", "kind": "minor", "level": "hbo",
            "question": ["id": "Q-1", "title": .string(title), "description": "Beschrijving", "district": .string(district),
                         "wijk": wijk.map { .string($0) } ?? .null, "place": "Stevenshof", "themes": [["id": .string(theme), "label": "Eenzaamheid"]], "levels": []],
            "institution": ["id": "hogeschool-leiden", "label": "Hogeschool Leiden"],
            "period": ["from": "2026-09-01", "to": "2027-06-30", "label": "2026-2027"], "startedOn": "2026-10-05", "year": .integer(year),
            "students": 4, "outcome": outcome,
        ]
    }

    static let content: JSONValue = [
        "schemaVersion": 1, "asOf": ["position": 42, "time": "2027-01-15T10:00:00.000Z", "publicDay": "2027-01-15"],
        "city": ["id": "leiden", "label": "Leiden"],
        "figures": ["questions": 12, "projects": 3, "students": 12, "hours": 900, "outcomes": 2, "places": 3, "districts": 2, "rating": nil],
        "projects": [
            project("M-0001", title: "Eenzaamheid <script>alert(1)</script>", district: "stevenshof", wijk: "kloosterhof", theme: "loneliness",
                    year: 2026, recordedAt: "2027-01-10T09:00:00.000Z", uri: "javascript:alert(1)"),
            project("M-0002", title: "Groen & water", district: "merenwijk", wijk: nil, theme: "loneliness", year: 2027, recordedAt: nil, uri: ""),
        ],
        "openQuestions": [["id": "Q-0004", "title": "Een open vraag", "description": "Wie helpt?", "district": "stevenshof", "wijk": nil, "place": "Stevenshof",
                           "themes": [], "levels": [], "window": nil, "size": "medium"]],
        "districts": [["id": "stevenshof", "label": "Stevenshof", "code": "9", "wijken": [["id": "kloosterhof", "label": "Kloosterhof"]]],
                      ["id": "merenwijk", "label": "Merenwijk", "code": "8", "wijken": [["id": "slaaghwijk", "label": "Slaaghwijk"]]],
                      ["id": "bos-en-gasthuisdistrict", "label": "Bos- en Gasthuisdistrict", "code": "5", "wijken": []]],
        "themes": [["id": "loneliness", "label": "Eenzaamheid"], ["id": "green", "label": "Groen"]],
        "institutions": [["id": "hogeschool-leiden", "label": "Hogeschool Leiden"]],
    ]

    /// The templates compiled in are exactly the files in Sources/Site/Templates and the maps in
    /// Protocol/taxonomies (run scripts/embed-site).
    @Test func embeddedTemplatesMatchTheFiles() throws {
        let directory = Self.root.appendingPathComponent("Sources/Site/Templates")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == SiteTemplates.embeddedFiles.keys.sorted(), "run scripts/embed-site")
        for name in names {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            #expect(SiteTemplates.embeddedFiles[name] == text, "\(name) differs: run scripts/embed-site")
        }
        let map = try String(contentsOf: Self.root.appendingPathComponent("Protocol/taxonomies/leiden.map.json"), encoding: .utf8)
        #expect(SiteTemplates.embeddedMaps["leiden"] == map, "run scripts/embed-site")
    }

    /// Every page and index is there; each page is Dutch with one h1; every internal link and asset resolves.
    @Test func everyPageAndLinkResolves() throws {
        let files = SiteRenderer(content: Self.content).files()
        for path in ["index.html", "style.css", "projecten/M-0001.html", "projecten/M-0002.html", "wijken/index.html", "wijken/stevenshof.html", "wijken/kloosterhof.html",
                     "wijken/bos-en-gasthuisdistrict.html", "themas/loneliness.html", "themas/green.html", "instellingen/hogeschool-leiden.html",
                     "jaren/2026.html", "jaren/2027.html", "open-vragen.html", "zoeken.html", "zoeken.js", "feed.xml", "projects.json"] {
            #expect(files[path] != nil, "\(path) is missing")
        }
        for (path, text) in files where path.hasSuffix(".html") {
            #expect(text.hasPrefix("<!DOCTYPE html>\n<html lang=\"nl\">"), "\(path)")
            #expect(text.components(separatedBy: "<h1").count == 2, "\(path) has one h1")
            for target in SiteLinks.targets(in: text) where !target.hasPrefix("http") && !target.hasPrefix("#") {
                let resolved = SiteLinks.resolve(target, from: path)
                #expect(files[resolved] != nil, "\(path) links to \(target), which is not in the site")
            }
        }
    }

    /// Text from the log is escaped; only web addresses become links; the map and charts have a title and a description.
    @Test func textIsEscapedAndFiguresDescribed() throws {
        let files = SiteRenderer(content: Self.content).files()
        let page = try #require(files["projecten/M-0001.html"])
        #expect(!page.contains("<script>") && page.contains("&lt;script&gt;"))
        #expect(!page.contains("javascript:"))
        let wijken = try #require(files["wijken/index.html"])
        #expect(wijken.contains("<svg") && wijken.contains("role=\"img\"") && wijken.contains("<title id=\"kaart-titel\">"))
        #expect(wijken.contains("Stevenshof: 1 project") && wijken.contains("<table>"))
        let home = try #require(files["index.html"])
        #expect(home.contains("<desc id=\"themas-uitleg\">") && home.contains("<caption>De cijfers van het programma</caption>"))
        #expect(files["feed.xml"]?.contains("<entry>") == true && files["feed.xml"]?.contains("M-0002") == false, "the feed holds outcomes only")
        let projects = try JSONParser.parse(try #require(files["projects.json"]))
        #expect(projects["projects"]?.arrayValue?.count == 2 && projects["projects"]?.arrayValue?.first?["page"] == "projecten/M-0001.html")
    }

    /// A district label too wide for its rectangle is wrapped at spaces and hyphens.
    @Test func longLabelsWrap() {
        #expect(SiteRenderer.wrap("Bos- en Gasthuisdistrict", widthCharacters: 15) == ["Bos- en", "Gasthuisdistrict"])
        #expect(SiteRenderer.wrap("Stevenshof", widthCharacters: 20) == ["Stevenshof"])
    }
}
