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
    /// One self-contained HTML page (`report.mustache` and the partials it shares with the public site): the
    /// site's style sheet inline, SVG bar charts, no external assets, printable.
    case html

    /// `report` in this format; HTML with `templates` (the shipped ones unless given).
    public func render(_ report: Report, templates: ReportTemplates = .embedded) -> String {
        switch self {
        case .text: return ReportRenderer.text(report)
        case .json: return JSONWriter.canonicalString(report.json) + "\n"
        case .csv: return ReportRenderer.csv(report)
        case .markdown: return ReportRenderer.markdown(report)
        case .html: return templates.render(report)
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
