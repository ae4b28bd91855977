import Domain
import Foundation
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
        /// Columns holding the ids of the labels in the column before each: JSON and CSV carry them for
        /// scripts; text, Markdown and HTML, which people read, leave them out.
        public let idColumns: Set<Int>
        /// Columns whose text is the programme's own data in Dutch (labels, titles): HTML marks it `lang="nl"`.
        public let dutchColumns: Set<Int>

        public init(
            title: String, columns: [String], rows: [[JSONValue]], chartColumn: Int? = nil, idColumns: Set<Int> = [], dutchColumns: Set<Int> = []
        ) {
            precondition(idColumns.allSatisfy { $0 > 0 && $0 < columns.count } && dutchColumns.allSatisfy { $0 < columns.count },
                "id and Dutch columns must be columns of the table (an id column follows its label)")
            precondition(chartColumn.map { !idColumns.contains($0) } ?? true, "an id column is not charted")
            self.title = title
            self.columns = columns
            self.rows = rows
            self.chartColumn = chartColumn
            self.idColumns = idColumns
            self.dutchColumns = dutchColumns
        }

        /// The columns people read (all but the id columns), by index.
        var peopleColumns: [Int] { columns.indices.filter { !idColumns.contains($0) } }
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
    /// What the report was built from: the log, the position and the head hash there (nil only where no
    /// log is involved, as in unit tests).
    public let receipt: ReportReceipt?
    /// The time zone people read the report's time in (text, Markdown, HTML); JSON keeps UTC.
    public let timeZone: TimeZone

    public init(
        name: String, title: String, description: String, figures: [(label: String, value: JSONValue)], tables: [Table],
        asOfPosition: UInt64, asOfTime: String, period: DateWindow?, receipt: ReportReceipt? = nil, timeZone: TimeZone = .gmt
    ) {
        precondition(receipt.map { $0.position == asOfPosition } ?? true, "a receipt names the position the report reflects")
        self.name = name
        self.title = title
        self.description = description
        self.figures = figures
        self.tables = tables
        self.asOfPosition = asOfPosition
        self.asOfTime = asOfTime
        self.period = period
        self.receipt = receipt
        self.timeZone = timeZone
    }

    /// The same report stating what it was built from.
    public func withReceipt(_ receipt: ReportReceipt) -> Report {
        Report(name: name, title: title, description: description, figures: figures, tables: tables, asOfPosition: asOfPosition, asOfTime: asOfTime,
               period: period, receipt: receipt, timeZone: timeZone)
    }

    public static func == (left: Report, right: Report) -> Bool { left.json == right.json }
    public func hash(into hasher: inout Hasher) { hasher.combine(JSONWriter.canonicalString(json)) }

    /// The report as JSON (the `json` format).
    public var json: JSONValue {
        var members: [String: JSONValue] = [
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
        if let receipt { members["receipt"] = receipt.json }
        return .object(members)
    }
}

/// What a report was built from: anyone holding a copy of the log (a backup, or a log imported from an
/// export) can rebuild the report at `position` and compare, and check that the copy's record there has
/// `headHash`.
public struct ReportReceipt: Sendable, Hashable {
    /// The log's identity (32 lower-case hex characters); nil for a log without one (see `LogIdentity`).
    public let logID: String?
    /// The last log position the report reflects.
    public let position: UInt64
    /// The hash of the record at `position` (64 lower-case hex characters; the genesis hash at 0).
    public let headHash: String

    public init(logID: String?, position: UInt64, headHash: String) {
        self.logID = logID
        self.position = position
        self.headHash = headHash
    }

    /// `{"logId", "position", "headHash"}`, as `report.get` returns it.
    public var json: JSONValue {
        ["logId": logID.map { .string($0) } ?? .null, "position": .integer(Int64(position)), "headHash": .string(headHash)]
    }

    /// One line for people: `receipt: log ID, position N, head hash HASH`.
    public var line: String {
        "receipt: log \(logID ?? "(no identity)"), position \(position), head hash \(headHash)"
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
        ("workload", "Per coordinator: owned questions by status, active matches, overdue items, and the unowned questions"),
        ("feedback", "Every side's feedback: response rates per side and moment, the answers' distribution, per institution, theme and wijk (blind answers hidden)"),
        ("reminders", "Reminders raised, acknowledged and resolved, and the median time to resolve, per rule and per institution"),
        ("organisations", "Partner organisations: partners per year, new and returning, the repeat rate, per kind and per wijk"),
    ]

    /// Whether `name` is a report.
    public static func contains(_ name: String) -> Bool { names.contains { $0.name == name } }
}
