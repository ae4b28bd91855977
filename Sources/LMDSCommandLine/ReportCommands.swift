import ArgumentParser
import LMDSJSON
import LMDSProtocol

#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` to `path` (created 0644, or truncated) or appends it; a failure names the path.
func writeFile(_ path: String, _ text: String, append: Bool = false) throws {
    guard let file = fopen(path, append ? "a" : "w") else {
        throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    let bytes = Array(text.utf8)
    guard bytes.isEmpty || fwrite(bytes, 1, bytes.count, file) == bytes.count else {
        throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
}

/// The last 1 MiB of a file (an export line is at most a request line long), or nil when it cannot be read.
func fileTail(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    fseek(file, 0, SEEK_END)
    let size = ftell(file)
    let length = min(size, 1 << 20)
    fseek(file, size - length, SEEK_SET)
    var bytes = [UInt8](repeating: 0, count: length)
    guard fread(&bytes, 1, length, file) == length else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

/// The first line of a file parsed as JSON (an export's header), or nil.
func fileHead(_ path: String) -> JSONValue? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    defer { free(line) }
    guard getline(&line, &capacity, file) > 0, let line else { return nil }
    return try? JSONParser.parse(String(String(cString: line).prefix { $0 != "\n" }))
}

extension LMDSCommand {
    struct ReportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Print a report: overview, neighbourhoods, institutions, themes, talent, outcomes, followups, workload, feedback, reminders or organisations.",
            discussion: """
                Example: lmds report neighbourhoods --from 2026-09-01 --to 2027-08-31 --format html --output wijken.html
                --as-of gives the report as it stood then (a log position or a UTC date/time).
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The report: \(Choices.reports).") var name: String
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the report as it stood then.") var asOf: String?
        @Option(help: "First day of the period (YYYY-MM-DD).") var from: String?
        @Option(help: "Last day of the period (YYYY-MM-DD).") var to: String?
        @Option(help: "The format: \(Choices.formats).") var format: String = "text"
        @Option(help: "Write the report to this file instead of printing it.") var output: String?
        @Flag(help: "Neighbourhoods report: include the wijken with nothing to report.") var all = false

        static let flags: FlagTable = ["name": "NAME", "asOf": "--as-of", "from": "--from", "to": "--to", "format": "--format", "all": "--all"]

        func run() throws {
            var params: [String: JSONValue] = ["name": .string(name), "format": .string(format)]
            if let from { params["from"] = .string(from) }
            if let to { params["to"] = .string(to) }
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            if all { params["all"] = true }
            let result = try global.call("report.get", .object(params), flags: Self.flags)
            let text: String
            if let content = result["content"]?.stringValue {
                text = content
            } else if let report = result["report"] {
                text = global.json ? JSONWriter.prettyString(result) + "\n" : JSONWriter.prettyString(report) + "\n"
            } else {
                text = JSONWriter.prettyString(result) + "\n"
            }
            if let output {
                try writeFile(output, text)
                print("wrote \(name) (\(describe(result["format"]))) to \(output), as of log position \(describe(result["asOf"]?["position"]))")
            } else if global.json && result["content"] != nil {
                global.printJSON(result)
            } else {
                print(text, terminator: "")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the whole log as NDJSON (one envelope per line, positions and hashes included).",
            discussion: """
                To a file, the export resumes where that file ends: run it again and only newer events are added.
                lmdsd import --data-dir NEW FILE rebuilds a data directory from it and checks every hash.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "First position to export (default: 1, or after the last line already in --output).") var from: Int64?
        @Option(help: "The file to write (default: standard output).") var output: String?

        func run() throws {
            var start = from ?? 1
            var resumed = false
            if from == nil, let output, let tail = fileTail(output), !tail.isEmpty {
                guard tail.hasSuffix("\n"), let last = (try? JSONParser.parse(String(tail.split(separator: "\n").last ?? ""))),
                    let position = last["position"]?.integerValue ?? (ExportHeader.isHeader(last) ? 0 : nil)
                else { throw ValidationError("\(output) does not end with a complete export line; give --from or another file") }
                start = position + 1
                resumed = true
            }
            let client = try global.connect()
            // A whole export starts with the log's identity, so that an import rebuilds the same log.
            let logID = try GlobalOptions.unwrap(try global.invoke(client, "system.status", nil), method: "system.status")["logId"]?.stringValue
            if resumed, let output, let header = fileHead(output), ExportHeader.isHeader(header), header["logId"]?.stringValue != logID {
                throw ValidationError("\(output) is an export of log \(header["logId"]?.stringValue ?? "?"); the daemon serves log \(logID ?? "?"): use another file")
            }
            if start == 1 && !resumed, let logID {
                let line = JSONWriter.canonicalString(ExportHeader.json(logID: logID)) + "\n"
                if let output { try writeFile(output, line, append: true) } else { print(line, terminator: "") }
            }
            var written: Int64 = 0
            while true {
                let page = try GlobalOptions.unwrap(try global.invoke(client, "events.read", ["from": .integer(start), "limit": 1000]), method: "events.read")
                let events = page["events"]?.arrayValue ?? []
                if events.isEmpty { break }
                let lines = events.map { JSONWriter.canonicalString($0) + "\n" }.joined()
                if let output { try writeFile(output, lines, append: true) } else { print(lines, terminator: "") }
                written += Int64(events.count)
                start = (events.last?["position"]?.integerValue ?? start) + 1
            }
            if let output { print("exported \(written) events to \(output); next export starts at position \(start)") }
        }
    }
}
