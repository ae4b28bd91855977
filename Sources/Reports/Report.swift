import Domain
import LMDSJSON

/// A report as data: a title, a few headline figures, and tables (each optionally charted). Built from
/// a `DomainState` by `ReportBuilder` and rendered by `ReportRenderer` into text, JSON, CSV, Markdown or
/// HTML; the figures do not depend on the format.
public struct Report: Sendable, Hashable {
    /// A table of the report.
    public struct Table: Sendable, Hashable {
        public let title: String
        public let columns: [String]
        /// Cells as JSON values (numbers stay numbers in JSON and CSV).
        public let rows: [[JSONValue]]
        /// The column (by index) drawn as bars in HTML, when any.
        public let chartColumn: Int?

        public init(title: String, columns: [String], rows: [[JSONValue]], chartColumn: Int? = nil) {
            self.title = title
            self.columns = columns
            self.rows = rows
            self.chartColumn = chartColumn
        }
    }

    public let name: String
    public let title: String
    /// What the report answers, and how its figures are defined (one line).
    public let description: String
    /// Headline figures, in order: label and value.
    public let figures: [(label: String, value: JSONValue)]
    public let tables: [Table]
    /// When the report was made from: the log position and time it reflects, and the period it covers.
    public let asOfPosition: UInt64
    public let asOfTime: String
    public let period: DateWindow?

    public init(
        name: String, title: String, description: String, figures: [(label: String, value: JSONValue)], tables: [Table],
        asOfPosition: UInt64, asOfTime: String, period: DateWindow?
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.figures = figures
        self.tables = tables
        self.asOfPosition = asOfPosition
        self.asOfTime = asOfTime
        self.period = period
    }

    public static func == (left: Report, right: Report) -> Bool { left.json == right.json }
    public func hash(into hasher: inout Hasher) { hasher.combine(JSONWriter.canonicalString(json)) }

    /// The report as JSON (the `json` format).
    public var json: JSONValue {
        [
            "name": .string(name), "title": .string(title), "description": .string(description),
            "asOf": ["position": .integer(Int64(asOfPosition)), "time": .string(asOfTime)],
            "period": period.map { ["from": .string($0.from), "to": .string($0.to)] } ?? .null,
            "figures": .array(figures.map { ["label": .string($0.label), "value": $0.value] }),
            "tables": .array(tables.map { table in
                [
                    "title": .string(table.title), "columns": .array(table.columns.map { .string($0) }),
                    "rows": .array(table.rows.map { .array($0) }),
                ]
            }),
        ]
    }
}

/// The report names and what each answers.
public enum ReportCatalogue {
    public static let names: [(name: String, summary: String)] = [
        ("overview", "The pipeline by status, match rate, days from submission to match and from match to outcome, open proposals"),
        ("neighbourhoods", "Per wijk: questions, matched, completed, outcomes, students, hours (support the neighbourhoods)"),
        ("institutions", "Per institution, programme and level: offers, places, places used, matches, students, hours, ratings"),
        ("themes", "Per theme: questions, matched, completed, offers, outcomes"),
        ("talent", "Students, hours and competences by institution, level and period (develop talent)"),
        ("outcomes", "The catalogue of documented outcomes with their deliverables (document outcomes)"),
        ("followups", "Follow-up checks due and overdue, and what the finished ones said"),
    ]

    /// Whether `name` is a report.
    public static func contains(_ name: String) -> Bool { names.contains { $0.name == name } }
}
