import LMDSJSON

/// The site's drawings (a bar chart, the schematic map), its Atom feed and `projects.json`.
extension SiteRenderer {
    /// Label width and bar room of the bar chart, in SVG units.
    static let chartLabelWidth = 250
    static let chartBarRoom = 300

    /// A horizontal bar chart as SVG (`chart.mustache`), with a title and a description that say what it
    /// shows; the page shows the same numbers as a table.
    func chart(_ rows: [(label: String, count: Int)], id: String, title: String, noun: String) -> String {
        let largest = max(1, rows.map(\.count).max() ?? 1)
        let bars = rows.enumerated().map { index, row -> [String: Any] in
            let width = row.count * Self.chartBarRoom / largest
            return ["lines": [["text": row.label, "dy": 0]], "labelX": 0, "count": row.count, "y": index * 26, "textY": index * 26 + 14,
                    "barX": Self.chartLabelWidth, "barWidth": width, "countX": Self.chartLabelWidth + width + 6]
        }
        let described = rows.map { "\($0.label): \($0.count)" }.joined(separator: "; ")
        return templates.render("chart", [
            "chartID": id, "title": title, "description": "Aantal openbare projecten per \(noun). \(described).",
            "width": Self.chartLabelWidth + Self.chartBarRoom + 40, "height": max(26, rows.count * 26), "bars": bars,
            "fontSize": 14, "barHeight": 18,
        ])
    }

    /// The schematic map of the city's districts (`map.mustache`), from the map layout of the content's city,
    /// each district a link to its page, shaded by its number of projects; nil when the city has no layout.
    func map(_ districts: [Group], root: String) -> String? {
        guard let cityID = content["city"]?["id"]?.stringValue, let layout = templates.maps[cityID],
            let size = layout["viewBox"]?.arrayValue, size.count == 2
        else { return nil }
        let byID = Dictionary(districts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let shapes = (layout["districts"]?.arrayValue ?? []).compactMap { shape -> [String: Any]? in
            guard let id = shape["id"]?.stringValue, let group = byID[id], let x = shape["x"]?.integerValue, let y = shape["y"]?.integerValue,
                let width = shape["width"]?.integerValue, let height = shape["height"]?.integerValue
            else { return nil }
            let lines = Self.wrap(group.label, widthCharacters: Int(width) / 8)
            let top = y + height / 2 - Int64(lines.count * 17) / 2
            let count = group.projects.count
            return [
                "href": "\(id).html", "label": group.label, "x": x, "y": y, "width": width, "height": height, "textX": x + width / 2,
                "lines": lines.enumerated().map { ["text": $1, "y": top + Int64($0 * 17)] as [String: Any] },
                "countY": top + Int64(lines.count * 17), "countText": count == 1 ? "1 project" : "\(count) projecten",
                "fill": Self.shade(count),
            ]
        }
        let described = districts.map { "\($0.label): \($0.projects.count)" }.joined(separator: "; ")
        return templates.render("map", [
            "width": size[0].integerValue ?? 600, "height": size[1].integerValue ?? 470, "city": city, "districts": shapes,
            "description": "Schematische kaart, niet op schaal; per district het aantal openbare projecten. \(described).",
        ])
    }

    /// Light fills (dark text on each keeps a contrast above 4.5:1), darker with more projects.
    static func shade(_ count: Int) -> String {
        switch count {
        case 0: return "#f2f2f2"
        case 1: return "#d9e7f5"
        case 2...3: return "#b9d3ee"
        default: return "#9cc2e8"
        }
    }

    /// `label` in lines of at most `widthCharacters`, broken at spaces and after hyphens.
    static func wrap(_ label: String, widthCharacters: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        var word = ""
        func flushWord() {
            if !line.isEmpty && line.count + word.count > widthCharacters {
                lines.append(line.trimmingSpaces)
                line = ""
            }
            line += word
            word = ""
        }
        for character in label {
            word.append(character)
            if character == " " || character == "-" { flushWord() }
        }
        flushWord()
        if !line.isEmpty { lines.append(line.trimmingSpaces) }
        return lines
    }

    /// The Atom feed of the newest outcomes (`feed.mustache`).
    func feed() -> String {
        let withOutcome = projects.filter { $0.recordedAt != nil }.sorted { ($0.recordedAt ?? "", $0.id) > ($1.recordedAt ?? "", $1.id) }
        // Not the build's time: a rebuild with nothing new writes the same feed.
        let updated = withOutcome.first?.recordedAt ?? (content["asOf"]?["publicDay"]?.stringValue ?? "1970-01-01") + "T00:00:00.000Z"
        let prefix = baseURL ?? "urn:lmds:\(content["city"]?["id"]?.stringValue ?? "city"):"
        let entries = withOutcome.prefix(Self.feedEntriesMax).map { project -> [String: Any] in
            ["id": project.id, "title": project.title, "summary": project.summary ?? "", "updated": project.recordedAt ?? updated,
             "entryID": baseURL.map { "\($0)projecten/\(project.id).html" } ?? "\(prefix)project:\(project.id)"]
        }
        var context: [String: Any] = ["city": city, "updated": updated, "entries": entries, "feedID": baseURL.map { $0 + "feed.xml" } ?? prefix + "feed"]
        if let baseURL { context["baseURL"] = baseURL }
        return templates.render("feed", context)
    }

    /// `projects.json`: the public projects for open-data portals, as `Protocol/schemas/projects.json.schema.json`
    /// documents: the content's projects, each with its page's address.
    func projectsJSON() -> String {
        let projects = (content["projects"]?.arrayValue ?? []).map { project -> JSONValue in
            guard case .object(var members) = project, let id = project["id"]?.stringValue else { return project }
            members["page"] = .string((baseURL ?? "") + "projecten/\(id).html")
            return .object(members)
        }
        let document: JSONValue = [
            "schemaVersion": 1, "city": content["city"] ?? .null,
            "asOf": ["position": content["asOf"]?["position"] ?? .null, "publicDay": content["asOf"]?["publicDay"] ?? .null],
            "licence": "CC0-1.0", "projects": .array(projects),
        ]
        return JSONWriter.prettyString(document) + "\n"
    }
}

extension String {
    /// The text without spaces at either end.
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
