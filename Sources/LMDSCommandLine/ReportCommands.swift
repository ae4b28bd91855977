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

extension LMDSCommand {
    struct ReportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Print a report: overview, neighbourhoods, institutions, themes, talent, outcomes or followups.",
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
            if from == nil, let output, let tail = fileTail(output), !tail.isEmpty {
                guard tail.hasSuffix("\n"), let last = tail.split(separator: "\n").last,
                    let position = (try? JSONParser.parse(String(last)))?["position"]?.integerValue
                else { throw ValidationError("\(output) does not end with a complete export line; give --from or another file") }
                start = position + 1
            }
            let client = try global.connect()
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
