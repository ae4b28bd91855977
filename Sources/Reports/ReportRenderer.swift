import Domain
import Foundation
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

    static func header(_ report: Report) -> [String] {
        var lines = ["\(report.title)", report.description]
        var scope = "as of log position \(report.asOfPosition) (\(report.asOfTime))"
        if let period = report.period { scope += "; period \(period.from) to \(period.to)" }
        lines.append(scope)
        return lines
    }

    static func text(_ report: Report) -> String {
        var output = header(report).joined(separator: "\n") + "\n\n"
        let width = report.figures.map(\.label.count).max() ?? 0
        for figure in report.figures {
            output += figure.label + ":" + String(repeating: " ", count: width - figure.label.count + 1) + cell(figure.value) + "\n"
        }
        for table in report.tables {
            output += "\n" + table.title + "\n"
            let cells = table.rows.map { $0.map(cell) }
            let widths = table.columns.indices.map { column in
                max(table.columns[column].count, cells.map { $0[column].count }.max() ?? 0)
            }
            func line(_ values: [String]) -> String {
                values.enumerated().map { index, value in
                    index == values.count - 1 ? value : value + String(repeating: " ", count: widths[index] - value.count)
                }.joined(separator: "  ")
            }
            output += line(table.columns.map { $0.uppercased() }) + "\n"
            for row in cells { output += line(row) + "\n" }
            if cells.isEmpty { output += "(none)\n" }
        }
        return output
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

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
            output += "\n## \(table.title)\n\n"
            output += "| " + table.columns.map(markdownCell).joined(separator: " | ") + " |\n"
            output += "|" + table.columns.indices.map { column in
                table.rows.first.map { row in row[column].stringValue == nil && !row[column].isNull ? "---:" : "---" } ?? "---"
            }.joined(separator: "|") + "|\n"
            for row in table.rows { output += "| " + row.map { markdownCell(cell($0)) }.joined(separator: " | ") + " |\n" }
        }
        return output
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A horizontal bar chart of one column, as inline SVG.
    static func chart(_ table: Report.Table, column: Int) -> String {
        let labelled = table.rows.compactMap { row -> (String, Double)? in
            guard let value = row[column].doubleValue else { return nil }
            let label = row.prefix(column).compactMap(\.stringValue).filter { !$0.isEmpty }.joined(separator: " / ")
            return (label.isEmpty ? cell(row[0]) : label, value)
        }.filter { $0.1 > 0 }
        guard !labelled.isEmpty else { return "" }
        let maximum = labelled.map(\.1).max() ?? 1
        let rowHeight = 18, labelWidth = 280, barWidth = 360
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"\(labelWidth + barWidth + 60)\" height=\"\(labelled.count * rowHeight + 8)\" "
        svg += "aria-label=\"\(escape(table.title)): \(escape(table.columns[column]))\">"
        for (index, entry) in labelled.enumerated() {
            let y = 4 + index * rowHeight
            let width = max(1, Int(Double(barWidth) * entry.1 / maximum))
            let label = entry.0.count > 42 ? String(entry.0.prefix(41)) + "…" : entry.0
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 13)\" text-anchor=\"end\">\(escape(label))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 2)\" width=\"\(width)\" height=\"\(rowHeight - 5)\" fill=\"#2a6f97\"/>"
            svg += "<text x=\"\(labelWidth + width + 4)\" y=\"\(y + 13)\">\(escape(cell(.double(entry.1))))</text>"
        }
        return svg + "</svg>"
    }

    static func html(_ report: Report) -> String {
        let lines = header(report)
        var body = "<h1>\(escape(lines[0]))</h1>\n<p>\(escape(lines[1]))</p>\n<p class=\"scope\">\(escape(lines[2]))</p>\n<dl>"
        for figure in report.figures { body += "<dt>\(escape(figure.label))</dt><dd>\(escape(cell(figure.value)))</dd>" }
        body += "</dl>\n"
        for table in report.tables {
            body += "<section>\n<h2>\(escape(table.title))</h2>\n"
            if let column = table.chartColumn { body += "<figure>\(chart(table, column: column))</figure>\n" }
            body += "<table><thead><tr>" + table.columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
            for row in table.rows {
                body += "<tr>" + row.map { value in
                    let numeric = value.stringValue == nil && !value.isNull
                    return "<td\(numeric ? " class=\"n\"" : "")>\(escape(cell(value)))</td>"
                }.joined() + "</tr>\n"
            }
            if table.rows.isEmpty { body += "<tr><td colspan=\"\(table.columns.count)\">(none)</td></tr>\n" }
            body += "</tbody></table>\n</section>\n"
        }
        let style = """
            body{font-family:system-ui,sans-serif;margin:2em auto;max-width:62em;color:#222;line-height:1.4}
            h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em}.scope{color:#555;font-size:.9em}
            dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{color:#555}dd{margin:0;font-weight:600}
            table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
            th{background:#f3f5f7}td.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:.5em 0}svg text{font-size:11px;fill:#222}
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
