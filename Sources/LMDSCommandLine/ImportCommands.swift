import ArgumentParser
import LMDSJSON
import LMDSProtocol

/// A CSV table as the programmes' spreadsheets export it: UTF-8 with or without a byte-order mark, `;` or
/// `,` between fields (whichever the header line uses), fields quoted with `"` when they hold either.
public struct CSVTable: Sendable {
    /// A cell that could not be read, named by its line and column.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let line: Int
        public let column: String?
        public let reason: String
        public var description: String { "line \(line)" + (column.map { ", column \($0)" } ?? "") + ": \(reason)" }
    }

    public let header: [String]
    /// Data rows with the file line each starts on.
    public let rows: [(line: Int, fields: [String])]

    /// Parses the text of a CSV file.
    public init(bytes: [UInt8]) throws(Problem) {
        var bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Problem(line: 1, column: nil, reason: "not UTF-8 text") }
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r\n" }
        let separator: Character = firstLine.filter { $0 == ";" }.count >= firstLine.filter { $0 == "," }.count ? ";" : ","
        var records: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var recordLine = 1
        var atFieldStart = true
        var iterator = text.makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let character = pending { pending = nil; return character }
            return iterator.next()
        }
        while let character = next() {
            if quoted {
                if character == "\"" {
                    if let following = next() {
                        if following == "\"" { field.append("\"") } else { quoted = false; pending = following }
                    } else {
                        quoted = false
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where atFieldStart:
                quoted = true
                atFieldStart = false
            case separator:
                fields.append(field)
                field = ""
                atFieldStart = true
            case "\n", "\r\n", "\r":
                fields.append(field)
                if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
                fields = []
                field = ""
                atFieldStart = true
                line += 1
                recordLine = line
            default:
                field.append(character)
                atFieldStart = false
            }
        }
        if quoted { throw Problem(line: recordLine, column: nil, reason: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append((recordLine, fields))
        }
        guard let head = records.first else { throw Problem(line: 1, column: nil, reason: "the file is empty") }
        header = head.1.map { $0.trimmingCharacters(in: " ") }
        rows = records.dropFirst().map { (line: $0.0, fields: $0.1) }
    }

    /// A header reduced to letters and digits, lower case: "E-mail" and "e mail" are "email", "Thema's" is "themas".
    public static func key(_ header: String) -> String {
        String(header.lowercased().filter { $0.isLetter || $0.isNumber })
    }
}

extension String {
    func trimmingCharacters(in characters: String) -> String {
        let set = Set(characters)
        var result = Substring(self)
        while let first = result.first, set.contains(first) { result = result.dropFirst() }
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return String(result)
    }
}

/// The documented column layouts: each param and the headers (Dutch or English) that fill it.
public enum ImportLayout {
    public enum Kind: String, Sendable { case text, list, integer }

    /// param path ("requester.kind", "window.from"), kind, accepted header keys.
    public typealias Column = (param: String, kind: Kind, headers: [String])

    public static let questions: [Column] = [
        ("title", .text, ["title", "titel"]),
        ("description", .text, ["description", "omschrijving", "beschrijving"]),
        ("requester.kind", .text, ["requesterkind", "kind", "soortaanvrager", "aanvrager", "soort"]),
        ("requester.organisation", .text, ["organisation", "organisatie"]),
        ("requester.name", .text, ["name", "naam", "contactpersoon"]),
        ("requester.email", .text, ["email", "emailadres"]),
        ("requester.phone", .text, ["phone", "telefoon", "telefoonnummer"]),
        ("neighbourhood", .text, ["neighbourhood", "wijk", "buurt"]),
        ("themes", .list, ["themes", "themas", "thema"]),
        ("disciplines", .list, ["disciplines", "discipline", "vakgebieden"]),
        ("levels", .list, ["levels", "niveaus", "niveau"]),
        ("window.from", .text, ["from", "van", "vanaf"]),
        ("window.to", .text, ["to", "tot", "totenmet"]),
        ("size", .text, ["size", "omvang"]),
    ]

    public static let offers: [Column] = [
        ("title", .text, ["title", "titel"]),
        ("description", .text, ["description", "omschrijving", "beschrijving"]),
        ("institution", .text, ["institution", "instelling", "onderwijsinstelling"]),
        ("programme", .text, ["programme", "opleiding"]),
        ("level", .text, ["level", "niveau"]),
        ("kind", .text, ["kind", "soort", "vorm"]),
        ("disciplines", .list, ["disciplines", "discipline", "vakgebieden"]),
        ("themes", .list, ["themes", "themas", "thema"]),
        ("period.from", .text, ["from", "van", "vanaf"]),
        ("period.to", .text, ["to", "tot", "totenmet"]),
        ("period.label", .text, ["period", "periode"]),
        ("capacity", .integer, ["capacity", "capaciteit", "aantalvragen"]),
        ("teamSize", .integer, ["teamsize", "teamgrootte"]),
        ("contact.name", .text, ["contactname", "contactpersoon", "naam"]),
        ("contact.email", .text, ["contactemail", "email"]),
        ("contact.phone", .text, ["contactphone", "telefoon"]),
    ]

    /// Dutch names of the requester kinds, as spreadsheets write them.
    public static let requesterKinds = [
        "bewoner": "resident", "inwoner": "resident", "bewonersgroep": "group", "buurtgroep": "group", "groep": "group",
        "organisatie": "organisation", "gemeente": "municipality", "bedrijf": "company",
    ]

    /// The rows as params objects, and every cell or header that could not be used.
    public static func params(_ table: CSVTable, layout: [Column]) -> (rows: [(line: Int, params: JSONValue)], problems: [CSVTable.Problem]) {
        var problems: [CSVTable.Problem] = []
        var columnFor: [Int: Column] = [:]
        for (index, header) in table.header.enumerated() {
            let key = CSVTable.key(header)
            guard let column = layout.first(where: { $0.headers.contains(key) }) else {
                problems.append(CSVTable.Problem(line: 1, column: header, reason: "unknown column (known: \(layout.map(\.param).joined(separator: ", ")))"))
                continue
            }
            if columnFor.values.contains(where: { $0.param == column.param }) {
                problems.append(CSVTable.Problem(line: 1, column: header, reason: "a second column for \(column.param)"))
            }
            columnFor[index] = column
        }
        var rows: [(Int, JSONValue)] = []
        for row in table.rows {
            guard row.fields.count == table.header.count else {
                problems.append(CSVTable.Problem(line: row.line, column: nil, reason: "\(row.fields.count) fields, the header has \(table.header.count)"))
                continue
            }
            var object: [String: JSONValue] = [:]
            for (index, raw) in row.fields.enumerated() {
                guard let column = columnFor[index] else { continue }
                let value = raw.trimmingCharacters(in: " \t")
                guard !value.isEmpty else { continue }
                let cell: JSONValue
                switch column.kind {
                case .text where column.param == "requester.kind":
                    cell = .string(ImportLayout.requesterKinds[CSVTable.key(value)] ?? value.lowercased())
                case .text: cell = .string(value)
                case .list: cell = .array(value.split(whereSeparator: { $0 == "|" || $0 == "," }).map { .string(String($0).trimmingCharacters(in: " ")) })
                case .integer:
                    guard let number = Int64(value) else {
                        problems.append(CSVTable.Problem(line: row.line, column: table.header[index], reason: "expected a whole number, got \"\(value)\""))
                        continue
                    }
                    cell = .integer(number)
                }
                let path = column.param.split(separator: ".").map(String.init)
                if path.count == 2 {
                    var inner = object[path[0]]?.objectValue ?? [:]
                    inner[path[1]] = cell
                    object[path[0]] = .object(inner)
                } else {
                    object[path[0]] = cell
                }
            }
            rows.append((row.line, .object(object)))
        }
        return (rows.map { (line: $0.0, params: $0.1) }, problems)
    }
}

extension LMDSCommand {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import questions or offers from a CSV spreadsheet: all rows, or none.",
            discussion: """
                Columns (Dutch or English headers, any order; lists separated by | or ,):
                  questions: titel, omschrijving, soort aanvrager, organisatie, naam, e-mail, telefoon, wijk,
                             thema's, disciplines, niveaus, van, tot, omvang
                  offers:    titel, omschrijving, instelling, opleiding, niveau, soort, disciplines, thema's,
                             van, tot, periode, capaciteit, teamgrootte, contactpersoon, e-mail, telefoon
                --dry-run lists every bad row with its line, column and reason, and imports nothing.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "questions or offers.") var kind: String
        @Argument(help: "The CSV file (UTF-8, ; or , separated).") var file: String
        @Flag(name: .customLong("dry-run"), help: "Check every row; import nothing.") var dryRun = false
        @Option(name: .customLong("request-id"), help: "Idempotency key: a retry imports nothing twice.") var requestID: String?

        func validate() throws {
            guard kind == "questions" || kind == "offers" else { throw ValidationError("import questions or offers, not \(kind)") }
        }

        func run() throws {
            guard case .success(let bytes) = SmallFile.read(file, bytesMax: 16 << 20) else { throw ValidationError("cannot read \(file) (at most 16 MiB)") }
            let table: CSVTable
            do {
                table = try CSVTable(bytes: bytes)
            } catch {
                printError("lmds: \(file): \(error)")
                throw CLIExit(code: CLIExitCode.daemonError)
            }
            let (rows, problems) = ImportLayout.params(table, layout: kind == "questions" ? ImportLayout.questions : ImportLayout.offers)
            var lines = problems.map { "\(file): \($0)" }
            if rows.isEmpty && problems.isEmpty { lines.append("\(file): no rows under the header") }
            if problems.isEmpty || dryRun, !rows.isEmpty {
                var params: [String: JSONValue] = ["rows": .array(rows.map(\.params)), "dryRun": .bool(dryRun || !problems.isEmpty)]
                if let requestID { params["requestId"] = .string(requestID) }
                let client = try global.connect()
                switch try global.invoke(client, "import.\(kind)", .object(params)) {
                case .success(let result):
                    if !dryRun && problems.isEmpty {
                        if global.json { return global.printJSON(result) }
                        let ids = (result["ids"]?.arrayValue ?? []).compactMap(\.stringValue)
                        print("imported \(English.count(ids.count, String(kind.dropLast()))) (\(ids.first ?? "")..\(ids.last ?? "")) in one append, up to log position \(describe(result["position"]))")
                        for link in result["linked"]?.arrayValue ?? [] { print(Self.linkLine(link, rows: rows, file: file)) }
                        return
                    }
                    for error in result["errors"]?.arrayValue ?? [] { lines.append(Self.rowProblem(error, rows: rows, file: file)) }
                case .failure(let error):
                    let refused = error.data?["rows"]?.arrayValue ?? []
                    if refused.isEmpty { _ = try GlobalOptions.unwrap(.failure(error), method: "import.\(kind)") }
                    for row in refused { lines.append(Self.rowProblem(row, rows: rows, file: file)) }
                }
            }
            if lines.isEmpty {
                print("\(file): " + (rows.count == 1 ? "the 1 row is valid" : "all \(rows.count) rows are valid") + (dryRun ? "; nothing imported (dry run)" : ""))
                return
            }
            for line in lines { print(line) }
            print("\(English.count(lines.count, "problem")) in \(English.count(rows.count, "row")); nothing imported")
            throw CLIExit(code: CLIExitCode.daemonError)
        }

        /// "people.csv: line 4 (Q-0012) linked to existing contact C-0003", or "... to contact C-0014, as line 2".
        static func linkLine(_ link: JSONValue, rows: [(line: Int, params: JSONValue)], file: String) -> String {
            func line(_ index: Int64?) -> Int { index.map { Int($0) }.flatMap { $0 < rows.count ? rows[$0].line : nil } ?? 0 }
            let question = "\(file): line \(line(link["row"]?.integerValue)) (\(describe(link["id"])))"
            if link["existing"] == true { return "\(question) linked to existing contact \(describe(link["contact"]))" }
            return "\(question) linked to contact \(describe(link["contact"])), as line \(line(link["sameAsRow"]?.integerValue)) (same e-mail or phone)"
        }

        static func rowProblem(_ error: JSONValue, rows: [(line: Int, params: JSONValue)], file: String) -> String {
            let index = Int(error["row"]?.integerValue ?? 0)
            let line = index < rows.count ? rows[index].line : 0
            let field = error["field"]?.stringValue.map { ", column for \($0)" } ?? ""
            return "\(file): line \(line)\(field): \(error["reason"]?.stringValue ?? "refused")"
        }
    }
}
