import Domain
import Foundation
import LMDSCalendar
import LMDSJSON

/// Renders a report in one of the formats people and tools read. The figures are the same in every
/// format; only the layout differs.
public enum ReportFormat: String, Sendable, Hashable, CaseIterable {
    /// Aligned plain-text tables, for a terminal.
    case text
    /// The report as one JSON object.
    case json
    /// Comma-separated tables (RFC 4180 quoting), one after another with a `# title` line each.
    case csv
    /// Markdown tables.
    case markdown
    /// One self-contained HTML page: inline CSS, SVG bar charts, no external assets, printable.
    case html

    public func render(_ report: Report) -> String {
        switch self {
        case .text: return ReportRenderer.text(report)
        case .json: return JSONWriter.canonicalString(report.json) + "\n"
        case .csv: return ReportRenderer.csv(report)
        case .markdown: return ReportRenderer.markdown(report)
        case .html: return ReportRenderer.html(report)
        }
    }

    /// The MIME type of the rendered text.
    public var mediaType: String {
        switch self {
        case .text: return "text/plain; charset=utf-8"
        case .json: return "application/json"
        case .csv: return "text/csv; charset=utf-8"
        case .markdown: return "text/markdown; charset=utf-8"
        case .html: return "text/html; charset=utf-8"
        }
    }
}

enum ReportRenderer {
    static func cell(_ value: JSONValue) -> String {
        switch value {
        case .null: return "-"
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .double(let number): return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): return flag ? "yes" : "no"
        default: return JSONWriter.canonicalString(value)
        }
    }

    /// The title, the description, and the scope: the log position, the report's time in the report's time
    /// zone to the minute, and the period.
    static func header(_ report: Report) -> [String] {
        var lines = ["\(report.title)", report.description]
        let time = CivilCalendar.utcMilliseconds(iso: report.asOfTime).map { LocalTime.minute($0, in: report.timeZone) } ?? report.asOfTime
        var scope = "as of log position \(report.asOfPosition) (\(time) \(report.timeZone.identifier))"
        if let period = report.period { scope += "; period \(period.from) to \(period.to)" }
        lines.append(scope)
        return lines
    }

    /// The cells people read of each row: the columns other than the id columns.
    static func peopleRows(_ table: Report.Table) -> [[JSONValue]] {
        let columns = table.peopleColumns
        return table.rows.map { row in columns.map { row[$0] } }
    }

    static func text(_ report: Report) -> String {
        var output = header(report).joined(separator: "\n") + "\n\n"
        let width = report.figures.map(\.label.count).max() ?? 0
        for figure in report.figures {
            output += figure.label + ":" + String(repeating: " ", count: width - figure.label.count + 1) + cell(figure.value) + "\n"
        }
        for table in report.tables {
            output += "\n" + table.title + "\n"
            let columns = table.peopleColumns.map { table.columns[$0] }
            let cells = peopleRows(table).map { $0.map(cell) }
            let widths = columns.indices.map { column in
                max(columns[column].count, cells.map { $0[column].count }.max() ?? 0)
            }
            func line(_ values: [String]) -> String {
                values.enumerated().map { index, value in
                    index == values.count - 1 ? value : value + String(repeating: " ", count: widths[index] - value.count)
                }.joined(separator: "  ")
            }
            output += line(columns.map { $0.uppercased() }) + "\n"
            for row in cells { output += line(row) + "\n" }
            if cells.isEmpty { output += "(none)\n" }
        }
        if let receipt = report.receipt { output += "\n" + receipt.line + "\n" }
        return output
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Every column, ids included; the receipt as a last comment line (`# receipt: …`) after an empty line.
    static func csv(_ report: Report) -> String {
        var output = ""
        for table in report.tables {
            if !output.isEmpty { output += "\r\n" }
            output += "# \(report.name): \(table.title)\r\n"
            output += table.columns.map(csvField).joined(separator: ",") + "\r\n"
            for row in table.rows {
                output += row.map { $0.isNull ? "" : csvField(cell($0)) }.joined(separator: ",") + "\r\n"
            }
        }
        if let receipt = report.receipt { output += (output.isEmpty ? "" : "\r\n") + "# \(receipt.line)\r\n" }
        return output
    }

    static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func markdown(_ report: Report) -> String {
        let lines = header(report)
        var output = "# \(lines[0])\n\n\(lines[1])\n\n_\(lines[2])_\n\n"
        for figure in report.figures { output += "- \(markdownCell(figure.label)): **\(markdownCell(cell(figure.value)))**\n" }
        for table in report.tables {
            let columns = table.peopleColumns.map { table.columns[$0] }
            let rows = peopleRows(table)
            output += "\n## \(table.title)\n\n"
            output += "| " + columns.map(markdownCell).joined(separator: " | ") + " |\n"
            output += "|" + columns.indices.map { column in
                rows.first.map { row in row[column].stringValue == nil && !row[column].isNull ? "---:" : "---" } ?? "---"
            }.joined(separator: "|") + "|\n"
            for row in rows { output += "| " + row.map { markdownCell(cell($0)) }.joined(separator: " | ") + " |\n" }
        }
        if let receipt = report.receipt {
            output += "\n---\n\n_receipt: log `\(receipt.logID ?? "(no identity)")`, position \(receipt.position), head hash `\(receipt.headHash)`_\n"
        }
        return output
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// `text` HTML-escaped, with each `<http://…>` or `<https://…>` in it (how a deliverable names its URI)
    /// made a link.
    static func linked(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let open = rest.range(of: "<http"), let close = rest[open.upperBound...].firstIndex(of: ">") {
            let uri = String(rest[rest.index(after: open.lowerBound)..<close])
            guard uri.hasPrefix("http://") || uri.hasPrefix("https://"), !uri.contains(where: { $0 == " " || $0 == "<" || $0 == "\"" }) else {
                output += escape(String(rest[..<open.upperBound]))
                rest = rest[open.upperBound...]
                continue
            }
            output += escape(String(rest[..<open.lowerBound])) + "&lt;<a href=\"\(escape(uri))\">\(escape(uri))</a>&gt;"
            rest = rest[rest.index(after: close)...]
        }
        return output + escape(String(rest))
    }

    /// Characters on one line of a chart label at most; a longer label wraps at spaces onto more lines.
    static let chartLabelLineCharactersMax = 48

    /// A generous guess of a label line's width in pixels at the chart's 11 px sans-serif font: wider than
    /// any common font sets it, so that no label is cut off (the page scales the chart down to fit).
    static func labelWidthPixels(_ line: String) -> Int {
        line.reduce(0) { width, character in
            if "iljtfrI.,;:!'|() ".contains(character) { return width + 4 }
            if "mwMW@".contains(character) { return width + 11 }
            if character.isUppercase || character.isNumber { return width + 8 }
            return width + 7
        }
    }

    /// `label` in lines of at most `chartLabelLineCharactersMax` characters, broken at spaces where it can.
    static func wrap(_ label: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in label.split(separator: " ", omittingEmptySubsequences: false) {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if candidate.count <= chartLabelLineCharactersMax || current.isEmpty {
                current = candidate
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        lines.append(current)
        return lines.flatMap { line in
            stride(from: 0, to: max(line.count, 1), by: chartLabelLineCharactersMax).map { start in
                String(line.dropFirst(start).prefix(chartLabelLineCharactersMax))
            }
        }
    }

    /// A horizontal bar chart of one column, as inline SVG: each row's label (the people's columns before the
    /// charted one) in full, wrapped when long, the label area as wide as the widest line needs.
    static func chart(_ table: Report.Table, column: Int) -> String {
        let labelColumns = table.peopleColumns.filter { $0 < column }
        let dutch = labelColumns.contains { table.dutchColumns.contains($0) }
        let entries = table.rows.compactMap { row -> (lines: [String], value: Double)? in
            guard let value = row[column].doubleValue, value > 0 else { return nil }
            let label = labelColumns.compactMap { row[$0].stringValue }.filter { !$0.isEmpty }.joined(separator: " / ")
            return (wrap(label.isEmpty ? cell(row[0]) : label), value)
        }
        guard !entries.isEmpty else { return "" }
        let maximum = entries.map(\.value).max() ?? 1
        let lineHeight = 14, rowPadding = 6, barWidth = 360, valueWidth = 60, margin = 8
        let labelWidth = margin + (entries.flatMap(\.lines).map(labelWidthPixels).max() ?? 0) + 8
        let width = labelWidth + barWidth + valueWidth
        let height = entries.reduce(margin) { $0 + $1.lines.count * lineHeight + rowPadding }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" "
        svg += "aria-label=\"\(escape(table.title)): \(escape(table.columns[column]))\">"
        var y = margin / 2
        for entry in entries {
            let rowHeight = entry.lines.count * lineHeight + rowPadding
            let barLength = max(1, Int(Double(barWidth) * entry.value / maximum))
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 11)\" text-anchor=\"end\"\(dutch ? " lang=\"nl\"" : "")>"
            svg += entry.lines.enumerated().map { index, line in
                "<tspan x=\"\(labelWidth - 8)\" dy=\"\(index == 0 ? 0 : lineHeight)\">\(escape(line))</tspan>"
            }.joined() + "</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 1)\" width=\"\(barLength)\" height=\"\(lineHeight - 1)\" fill=\"#2a6f97\"/>"
            svg += "<text x=\"\(labelWidth + barLength + 4)\" y=\"\(y + 11)\">\(escape(cell(.double(entry.value))))</text>"
            y += rowHeight
        }
        return svg + "</svg>"
    }

    /// One table: the people's columns, Dutch data marked `lang="nl"`, numbers right-aligned, URIs as links.
    static func htmlTable(_ table: Report.Table) -> String {
        let columns = table.peopleColumns
        var body = "<table><thead><tr>" + columns.map { "<th>\(escape(table.columns[$0]))</th>" }.joined() + "</tr></thead><tbody>\n"
        for row in table.rows {
            body += "<tr>" + columns.map { column in
                let value = row[column]
                let numeric = value.stringValue == nil && !value.isNull
                let date = value.stringValue.map(DateWindow.isDate) ?? false
                let language = table.dutchColumns.contains(column) && value.stringValue != nil ? " lang=\"nl\"" : ""
                return "<td\(numeric ? " class=\"n\"" : date ? " class=\"d\"" : "")\(language)>\(linked(cell(value)))</td>"
            }.joined() + "</tr>\n"
        }
        if table.rows.isEmpty { body += "<tr><td colspan=\"\(columns.count)\">(none)</td></tr>\n" }
        return body + "</tbody></table>\n"
    }

    /// One self-contained page. The page's language is English (`lang="en"`: titles, descriptions, figures,
    /// column names); the programme's Dutch data in it is marked `lang="nl"`.
    static func html(_ report: Report) -> String {
        let lines = header(report)
        var body = "<h1>\(escape(lines[0]))</h1>\n<p>\(escape(lines[1]))</p>\n<p class=\"scope\">\(escape(lines[2]))</p>\n<dl>"
        for figure in report.figures { body += "<dt>\(escape(figure.label))</dt><dd>\(escape(cell(figure.value)))</dd>" }
        body += "</dl>\n"
        for table in report.tables {
            body += "<section>\n<h2>\(escape(table.title))</h2>\n"
            if let column = table.chartColumn { body += "<figure>\(chart(table, column: column))</figure>\n" }
            body += htmlTable(table) + "</section>\n"
        }
        if let receipt = report.receipt {
            body += "<footer class=\"receipt\">receipt: log <code>\(escape(receipt.logID ?? "(no identity)"))</code>, position \(receipt.position), "
            body += "head hash <code>\(escape(receipt.headHash))</code></footer>\n"
        }
        let style = """
            body{font-family:system-ui,sans-serif;margin:2em auto;max-width:62em;padding:0 1em;color:#222;line-height:1.4}
            h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em}.scope{color:#555;font-size:.9em}
            dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{color:#555}dd{margin:0;font-weight:600}
            table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
            th{background:#f3f5f7}td.n{text-align:right;font-variant-numeric:tabular-nums}td.d{white-space:nowrap}figure{margin:.5em 0}
            svg{max-width:100%;height:auto}svg text{font-size:11px;font-family:system-ui,sans-serif;fill:#222}
            td a{overflow-wrap:anywhere}.receipt{margin-top:2em;color:#555;font-size:.85em}.receipt code{word-break:break-all}
            @media print{body{margin:0;max-width:none}section{break-inside:avoid}th{background:none}}
            """
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(lines[0]))</title><style>\(style)</style></head>
            <body>
            \(body)</body></html>

            """
    }
}

/// Times for people: a UTC time shown in the programme's time zone to the minute, `2026-12-07 13:01`.
/// Pure: the zone comes in as a value (its rules are data).
public enum LocalTime {
    /// `milliseconds` since 1970 (UTC) as the date and minute in `zone`.
    public static func minute(_ milliseconds: Int64, in zone: TimeZone) -> String {
        let offsetSeconds = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        let local = milliseconds + Int64(offsetSeconds) * 1000
        let minuteOfDay = ((local % 86_400_000) + 86_400_000) % 86_400_000 / 60_000
        func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(CivilDate.date(milliseconds: local)) \(twoDigits(minuteOfDay / 60)):\(twoDigits(minuteOfDay % 60))"
    }
}
