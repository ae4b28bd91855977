import Domain
import LMDSJSON
import Site

/// The templates of a report's HTML page: `report.mustache` with the partials it shares with the public site
/// (`head`, `chart`, `table`) and the site's style sheet, set inline so that the page stays self-contained
/// (it loads nothing). They are files in Sources/Site/Templates, compiled in by scripts/embed-site, and come in
/// as a value: Reports does no I/O.
public struct ReportTemplates: Sendable {
    /// The Mustache templates a report page uses, by name (the file is NAME.mustache).
    public static let templateNames = ["report", "head", "chart", "table"]
    /// The style sheet, set inline in the page.
    public static let styleSheetName = "style.css"

    let pages: PageTemplates

    /// The shipped templates (the site's embedded files).
    public static let embedded: ReportTemplates = {
        do {
            return try ReportTemplates(files: SiteTemplates.embeddedFiles)
        } catch {
            preconditionFailure("the embedded report templates do not parse: \(error)")
        }
    }()

    /// Templates from file texts by file name (`report.mustache`, `style.css`).
    /// - Throws: `SiteError` naming a missing file or a template that does not parse.
    public init(files: [String: String]) throws(SiteError) {
        pages = try PageTemplates(files: files, templateNames: Self.templateNames, assetNames: [Self.styleSheetName])
    }

    /// The page of `report`.
    func render(_ report: Report) -> String {
        pages.render("report", ReportPage(report: report).context(styleSheet: pages.assets[Self.styleSheetName] ?? ""))
    }
}

/// The context of `report.mustache` for one report: its header lines, figures, one section per table (a bar
/// chart of its chart column, if any, and the table of the people's columns), and its receipt.
struct ReportPage {
    let report: Report

    /// Characters on one line of a chart label at most; a longer label wraps at spaces onto more lines.
    static let chartLabelLineCharactersMax = 48
    /// The chart's geometry in SVG units (pixels at its natural size): the font, a label line, the space
    /// between rows, the longest bar, the room for the value after it, and the margin.
    static let chartFontSize = 11, chartLineHeight = 14, chartRowPadding = 6, chartBarWidthMax = 360, chartValueWidth = 60, chartMargin = 8

    func context(styleSheet: String) -> [String: Any] {
        let lines = ReportRenderer.header(report)
        var context: [String: Any] = [
            "documentTitle": lines[0], "title": lines[0], "description": lines[1], "scope": lines[2], "styleSheet": styleSheet,
            "sections": report.tables.enumerated().map { index, table -> [String: Any] in
                var section: [String: Any] = ["heading": table.title, "table": Self.table(table)]
                if let column = table.chartColumn, let chart = Self.chart(table, column: column, id: "chart-\(index + 1)") { section["chart"] = chart }
                return section
            },
        ]
        if !report.figures.isEmpty {
            context["figuresTable"] = PageTemplates.table(
                caption: "Figures", columns: ["Figure", "Value"],
                rows: report.figures.map { PageTemplates.labelledNumberRow($0.label, ReportRenderer.cell($0.value)) })
        }
        if let receipt = report.receipt {
            context["receipt"] = ["logID": receipt.logID ?? "(no identity)", "position": receipt.position, "headHash": receipt.headHash] as [String: Any]
        }
        return context
    }

    /// One table for `table.mustache`: the people's columns, Dutch data marked `lang="nl"`, numbers
    /// right-aligned, dates kept on one line, URIs as links.
    static func table(_ table: Report.Table) -> [String: Any] {
        let columns = table.peopleColumns
        let rows = table.rows.map { row in
            columns.map { column -> [String: Any] in
                let value = row[column]
                var cell: [String: Any] = ["html": ReportRenderer.linked(ReportRenderer.cell(value))]
                if value.stringValue == nil && !value.isNull {
                    cell["cellClass"] = "number"
                } else if value.stringValue.map(DateWindow.isDate) ?? false {
                    cell["cellClass"] = "date"
                }
                if table.dutchColumns.contains(column) && value.stringValue != nil { cell["cellLang"] = "nl" }
                return cell
            }
        }
        return PageTemplates.table(columns: columns.map { table.columns[$0] }, rows: rows)
    }

    /// A horizontal bar chart of one column for `chart.mustache`: each row's label (the people's columns before
    /// the charted one) in full, wrapped when long, the label area as wide as the widest line needs; nil when
    /// no row has a value above zero.
    static func chart(_ table: Report.Table, column: Int, id: String) -> [String: Any]? {
        let labelColumns = table.peopleColumns.filter { $0 < column }
        let dutch = labelColumns.contains { table.dutchColumns.contains($0) }
        let entries = table.rows.compactMap { row -> (lines: [String], value: Double)? in
            guard let value = row[column].doubleValue, value > 0 else { return nil }
            let label = labelColumns.compactMap { row[$0].stringValue }.filter { !$0.isEmpty }.joined(separator: " / ")
            return (wrap(label.isEmpty ? ReportRenderer.cell(row[0]) : label), value)
        }
        guard !entries.isEmpty else { return nil }
        let maximum = entries.map(\.value).max() ?? 1
        let labelWidth = chartMargin + (entries.flatMap(\.lines).map(labelWidthPixels).max() ?? 0) + 8
        var y = chartMargin / 2
        var bars: [[String: Any]] = []
        for entry in entries {
            let barLength = max(1, Int(Double(chartBarWidthMax) * entry.value / maximum))
            var bar: [String: Any] = [
                "lines": entry.lines.enumerated().map { ["text": $1, "dy": $0 == 0 ? 0 : chartLineHeight] as [String: Any] },
                "labelX": labelWidth - 8, "labelEnd": true, "textY": y + 11, "barX": labelWidth, "y": y + 1, "barWidth": barLength,
                "countX": labelWidth + barLength + 4, "count": ReportRenderer.cell(.double(entry.value)),
            ]
            if dutch { bar["labelLang"] = "nl" }
            bars.append(bar)
            y += entry.lines.count * chartLineHeight + chartRowPadding
        }
        let described = entries.map { "\($0.lines.joined(separator: " ")): \(ReportRenderer.cell(.double($0.value)))" }.joined(separator: "; ")
        return [
            "chartID": id, "title": "\(table.title): \(table.columns[column])", "description": "\(table.columns[column]) per row. \(described).",
            "width": labelWidth + chartBarWidthMax + chartValueWidth, "height": y + chartMargin / 2, "pixelSize": true, "bars": bars,
            "fontSize": chartFontSize, "barHeight": chartLineHeight - 1,
        ]
    }

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
}
