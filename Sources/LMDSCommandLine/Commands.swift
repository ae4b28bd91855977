import ArgumentParser
import LMDSJSON
import LMDSProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The CLI's exit codes; scripts rely on them.
public enum CLIExitCode {
    /// The command did what was asked.
    public static let success: Int32 = 0
    /// The daemon answered with an error (its message is printed).
    public static let daemonError: Int32 = 1
    /// The command line was wrong.
    public static let usage: Int32 = 2
    /// The daemon cannot be reached.
    public static let unreachable: Int32 = 3
}

/// Thrown by commands to end with a given code after printing.
struct CLIExit: Error {
    let code: Int32
}

/// Options every command takes: `--socket` and `--json`.
///
/// They are global: `lmds --socket PATH --json status` and `lmds status --socket PATH --json` mean the same,
/// for nested commands too (`lmds --json question get Q-0001`). The root command declares this group, and
/// swift-argument-parser parses a command's options from the whole command line, wherever they stand, and
/// hands an `@OptionGroup` of a type already decoded for a parent command to its subcommands. So the root
/// takes `--socket` and `--json` from anywhere and every subcommand's `@OptionGroup var global` gets that
/// value; each subcommand still declares the group, so that its `--help` lists both. (`@ParentCommand` would
/// reach only the parent's value, and moving arguments about before parsing would duplicate the parser's
/// own option scanning.) `CLIForPeopleTests.socketAndJSONAreGlobal` runs both positions, nested commands included.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The daemon's socket (default: $LMDS_SOCKET, $XDG_RUNTIME_DIR/lmds/lmds.sock, /run/lmds/lmds.sock). Before or after the command.")
    var socket: String?

    @Flag(help: "Print the raw JSON result (ids, UTC times) for scripts instead of text for people. Before or after the command.")
    var json = false

    var socketPath: String { socket ?? DefaultPaths.socketPath(environment: DefaultPaths.processEnvironment()) }

    /// Connects, calls, and returns the result; prints the daemon's error (phrased with the command's `flags`)
    /// and exits 1 on failure, or explains and exits 3 when the daemon cannot be reached. Warnings in the
    /// result are printed on stderr.
    func call(_ method: String, _ params: JSONValue? = nil, flags: FlagTable = [:]) throws -> JSONValue {
        let client = try connect()
        return try Self.unwrap(try invoke(client, method, params), method: method, params: params, flags: flags)
    }

    /// Calls as `call` does, but prints an error as the daemon phrased it (with `data.field`): for
    /// `lmds call`, whose user speaks in methods and JSON paths.
    func callRaw(_ method: String, _ params: JSONValue?) throws -> JSONValue {
        let result = try invoke(try connect(), method, params)
        if case .failure(let error) = result {
            printError("lmds: \(error.message) (code \(error.code))" + (error.data?["field"]?.stringValue.map { "\n  field: \($0)" } ?? ""))
            throw CLIExit(code: CLIExitCode.daemonError)
        }
        return try Self.unwrap(result, method: method)
    }

    func connect() throws -> RPCClient {
        do {
            return try RPCClient(socketPath: socketPath)
        } catch {
            printError("lmds: \(error)")
            throw CLIExit(code: CLIExitCode.unreachable)
        }
    }

    func invoke(_ client: RPCClient, _ method: String, _ params: JSONValue?) throws -> Result<JSONValue, RPCError> {
        do {
            return try client.call(method, params)
        } catch {
            printError("lmds: \(error)")
            throw CLIExit(code: CLIExitCode.unreachable)
        }
    }

    /// The result, after printing its `warnings` (`warning: <reason>` on stderr); or the error phrased for
    /// people (`ErrorText`) and exit 1.
    static func unwrap(_ result: Result<JSONValue, RPCError>, method: String, params: JSONValue? = nil, flags: FlagTable = [:]) throws -> JSONValue {
        switch result {
        case .success(let value):
            for warning in value["warnings"]?.arrayValue ?? [] {
                printError("warning: " + CommandNames.replacingMethods(in: warning["reason"]?.stringValue ?? describe(warning)))
            }
            return value
        case .failure(let error):
            printError(ErrorText(method: method, params: params, flags: flags).lines(error).joined(separator: "\n"))
            throw CLIExit(code: CLIExitCode.daemonError)
        }
    }

    /// Prints `value` as one canonical JSON line (for `--json`).
    func printJSON(_ value: JSONValue) {
        print(JSONWriter.canonicalString(value))
    }
}

/// `lmds`: the command-line client of lmdsd.
public struct LMDSCommand: ParsableCommand {
    /// The command name, help text, version and subcommands of `lmds`.
    public static let configuration = CommandConfiguration(
        commandName: "lmds",
        abstract: "Talk to lmdsd, the Leren met de Stad daemon.",
        discussion: "Exit codes: 0 ok, 1 the daemon answered with an error, 2 usage, 3 the daemon cannot be reached.",
        version: "0.1.0",
        subcommands: [
            Status.self, Ping.self, Call.self, Events.self, Audit.self, Backup.self, Taxonomy.self,
            Question.self, Questions.self, Offer.self, Offers.self, Propose.self, Accept.self, Decline.self, ProposalGroup.self,
            Proposals.self, Suggest.self, PlanCommand.self, ReportCommand.self, Export.self, Import.self, Start.self, MatchGroup.self, Matches.self, OutcomeGroup.self, Outcomes.self, Followups.self,
            FollowupGroup.self, Milestones.self, MilestoneGroup.self, CheckinCommand.self, FeedbackGroup.self, Show.self, History.self, Erase.self,
            Assign.self, Desk.self, NoteCommand.self, Notes.self, SiteCommand.self, Inbox.self, Organisations.self, OrganisationGroup.self,
            PersonGroup.self,
        ])

    /// Declared here so that `--socket` and `--json` may stand before the command (see `GlobalOptions`).
    @OptionGroup var global: GlobalOptions

    public init() {}

    /// Runs the CLI with `arguments` (without the program name) and returns the exit code.
    public static func run(_ arguments: [String]) -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return CLIExitCode.success
        } catch let exit as CLIExit {
            return exit.code
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                return CLIExitCode.success
            }
            printError(fullMessage(for: error))
            if let exitCode = error as? ExitCode { return exitCode.rawValue }
            return CLIExitCode.usage
        }
    }
}

extension LMDSCommand {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the daemon's version, log head, event count and connections.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let status = try global.call("system.status")
            if global.json { return global.printJSON(status) }
            let rows: [(String, String)] = [
                ("version", status["version"]?.stringValue ?? "?"),
                ("socket", global.socketPath),
                ("data directory", status["dataDirectory"]?.stringValue ?? "?"),
                ("events", describe(status["eventCount"])),
                ("head position", describe(status["position"])),
                ("head hash", status["headHash"]?.stringValue ?? "?"),
                ("uptime", "\(describe(status["uptimeSeconds"])) s"),
                ("connections", describe(status["connections"])),
            ] + ["logId": "log id", "timeZone": "time zone"].sorted(by: <).compactMap { key, name in status[key]?.stringValue.map { (name, $0) } }
                + (status["writeFault"]?["reason"]?.stringValue.map { [("WRITES REFUSED", $0)] } ?? [])
            print(TextTable.keyValue(rows))
        }
    }

    struct Ping: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check that the daemon answers, and how fast.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let client = try global.connect()
            let start = monotonicNs()
            let result = try GlobalOptions.unwrap(try global.invoke(client, "system.ping", nil), method: "system.ping")
            let elapsedUs = (monotonicNs() - start) / 1000
            if global.json { return global.printJSON(result) }
            print("pong from lmdsd at \(global.socketPath) in \(elapsedUs) µs")
        }
    }

    struct Call: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Call any method with raw JSON params and print the raw JSON result (for scripts).",
            discussion: "Example: lmds call events.read '{\"from\": 1, \"limit\": 5}'")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The method, such as system.status.") var method: String
        @Argument(help: "The params as a JSON object (default: none).") var params: String?

        func run() throws {
            var parsed: JSONValue?
            if let params {
                do {
                    parsed = try JSONParser.parse(params)
                } catch {
                    throw ValidationError("PARAMS is not valid JSON: \(error)")
                }
            }
            let result = try global.callRaw(method, parsed)
            print(global.json ? JSONWriter.canonicalString(result) : JSONWriter.prettyString(result))
        }
    }

    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List events from the log (the latest 20 by default); with --follow, keep printing new ones as they are committed.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "First position (default: the latest --limit events; with --follow and no --from: only new events).") var from: UInt64?
        @Option(help: "Events to list at most, 1 to 1000 (default \(Events.latestCount); without --follow).") var limit: Int?
        @Flag(help: "Stream events as they are committed, until interrupted.") var follow = false

        /// How many events `lmds events` lists without --limit: the latest, one screen.
        static let latestCount = 20

        static let flags: FlagTable = ["from": "--from", "limit": "--limit"]

        func validate() throws {
            if let limit { guard limit >= 1 && limit <= 1000 else { throw ValidationError("--limit must be from 1 to 1000") } }
            if let from, from < 1 { throw ValidationError("--from must be 1 or more") }
        }

        func run() throws {
            if follow { return try runFollow() }
            let status = try global.call("system.status")
            let view = PeopleView(taxonomy: .null, timeZone: status["timeZone"]?.stringValue)
            let count = limit ?? Self.latestCount
            let head = status["position"]?.integerValue ?? 0
            let start = from.map { Int64($0) } ?? max(1, head - Int64(count) + 1)
            let result = try global.call("events.read", ["from": .integer(start), "limit": .integer(Int64(count))], flags: Self.flags)
            if global.json { return global.printJSON(result) }
            let events = result["events"]?.arrayValue ?? []
            if events.isEmpty {
                print("no events from position \(start) (head is \(describe(result["head"])))")
                return
            }
            print(TextTable.render(headers: EventRow.headers, rows: events.map { EventRow.cells($0, view) }))
            if let next = result["next"]?.integerValue, let head = result["head"]?.integerValue, next <= head {
                print("… more from position \(next) (lmds events --from \(next))")
            }
            if from == nil && start > 1 {
                let earlier = max(1, start - Int64(count))
                print("the latest \(English.count(events.count, "event")) of \(head); earlier ones with lmds events --from \(earlier) --limit \(start - earlier)")
            }
        }

        func runFollow() throws {
            let client = try global.connect()
            var params: [String: JSONValue] = [:]
            if let from { params["from"] = .integer(Int64(from)) }
            let subscription = try GlobalOptions.unwrap(try global.invoke(client, "events.subscribe", .object(params)), method: "events.subscribe", flags: Self.flags)
            let view = global.json ? PeopleView(taxonomy: .null, timeZone: nil) : PeopleView(taxonomy: .null, timeZone: try global.call("system.status")["timeZone"]?.stringValue)
            if !global.json {
                printError("following events from position \(describe(subscription["from"])) (Ctrl-C to stop)")
                print(TextTable.line(EventRow.headers, widths: EventRow.widths))
            }
            try Self.eachEvent(client) { event in
                if global.json {
                    global.printJSON(event)
                } else {
                    print(TextTable.line(EventRow.cells(event, view), widths: EventRow.widths))
                }
                fflush(nil)
            }
        }

        /// Calls `body` with each event a subscription on `client` delivers, until the connection fails
        /// (exit code 3, the daemon cannot be reached). `lmds events --follow` and `lmds site --follow` share it.
        static func eachEvent(_ client: RPCClient, _ body: (JSONValue) throws -> Void) throws -> Never {
            while true {
                let message: JSONValue
                do {
                    message = try client.nextNotification()
                } catch {
                    printError("lmds: \(error)")
                    throw CLIExit(code: CLIExitCode.unreachable)
                }
                guard message["method"] == "events.event", let event = message["params"]?["event"] else { continue }
                try body(event)
            }
        }
    }

    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Audit the log.", subcommands: [Verify.self])

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Walk the whole hash chain and report the first bad position, if any.")
            @OptionGroup var global: GlobalOptions

            func run() throws {
                let report = try global.call("audit.verify")
                if global.json { global.printJSON(report) } else if report["intact"] == true {
                    print("the log is intact: \(describe(report["recordsChecked"])) records checked, head \(describe(report["headPosition"])) \(report["headHash"]?.stringValue ?? "")")
                } else {
                    print("THE LOG IS DAMAGED at position \(describe(report["firstBadPosition"])): \(report["problem"]?.stringValue ?? "?")")
                }
                if report["intact"] != true { throw CLIExit(code: CLIExitCode.daemonError) }
            }
        }
    }

    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a hot, compacted copy of the log in a new directory (on the daemon's machine) and verify it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The directory for the copy; must not exist or be empty. Relative paths are taken from here.") var directory: String

        func run() throws {
            var path = directory
            if !path.hasPrefix("/") {
                var buffer = [CChar](repeating: 0, count: 4096)
                if getcwd(&buffer, buffer.count) != nil {
                    path = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + path
                }
            }
            let report = try global.call("admin.backup", ["path": .string(path)])
            if global.json {
                global.printJSON(report)
                if report["verification"]?["intact"] != true { throw CLIExit(code: CLIExitCode.daemonError) }
                return
            }
            let intact = report["verification"]?["intact"] == true
            print("backup written to \(report["path"]?.stringValue ?? path): position \(describe(report["position"])), \(describe(report["bytes"])) bytes, \(intact ? "verified" : "VERIFICATION FAILED")")
            if !intact { throw CLIExit(code: CLIExitCode.daemonError) }
        }
    }
}

extension LMDSCommand {
    struct Taxonomy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the city's configuration: districts and their wijken, institutions, levels, themes, disciplines.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let taxonomy = try global.call("taxonomy.get")
            if global.json { return global.printJSON(taxonomy) }
            let districts = taxonomy["neighbourhoods"]?.arrayValue ?? []
            print("\(taxonomy["city"]?["label"]?.stringValue ?? "?"): \(English.count(districts.count, "district"))")
            print()
            print(TextTable.render(headers: ["DISTRICT", "ID", "WIJKEN"], rows: districts.map { district in
                let wijken = (district["wijken"]?.arrayValue ?? []).compactMap { $0["label"]?.stringValue }
                return [district["label"]?.stringValue ?? "?", district["id"]?.stringValue ?? "?", wijken.joined(separator: ", ")]
            }))
            print()
            print(TextTable.render(headers: ["INSTITUTION", "ID", "LEVELS"], rows: (taxonomy["institutions"]?.arrayValue ?? []).map { institution in
                let levels = (institution["levels"]?.arrayValue ?? []).compactMap(\.stringValue)
                return [institution["label"]?.stringValue ?? "?", institution["id"]?.stringValue ?? "?", levels.joined(separator: ", ")]
            }))
            for (title, key) in [("THEME", "themes"), ("DISCIPLINE", "disciplines")] {
                print()
                print(TextTable.render(headers: [title, "ID", "KEYWORDS"], rows: (taxonomy[key]?.arrayValue ?? []).map { entry in
                    let keywords = (entry["keywords"]?.arrayValue ?? []).compactMap(\.stringValue)
                    return [entry["label"]?.stringValue ?? "?", entry["id"]?.stringValue ?? "?", keywords.joined(separator: ", ")]
                }))
            }
        }
    }
}

extension LMDSCommand {
    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The full history of a question, offer or contact as a timeline: every event, who, when, what.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Q-0001, O-0001 or C-0001.") var id: String
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the history up to then.") var asOf: String?

        func run() throws {
            var params: [String: JSONValue] = ["id": .string(id)]
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let history = try global.call("history.get", .object(params), flags: ["id": "ID", "asOf": "--as-of"])
            if global.json { return global.printJSON(history) }
            let events = history["events"]?.arrayValue ?? []
            let view = try global.peopleView()
            print("history of \(id): \(English.count(events.count, "event"))")
            if history["questions"] != nil { print(TextTable.keyValue(contactRecordRows(history))) }
            print(TextTable.render(headers: ["POSITION", "TIME", "WHO", "WHAT"], rows: events.map { event in
                let actor = event["actor"]
                return [describe(event["position"]), view.time(event["time"]),
                        "\(describe(actor?["user"])) (\(describe(actor?["role"])))",
                        view.relabel(describe(event["summary"]), data: event["data"]) + (event["text"]?.stringValue.map { ": \($0)" } ?? "")]
            }))
        }
    }
}

/// How an event is shown in a table: its time in the programme's time zone, to the minute.
enum EventRow {
    static let headers = ["POSITION", "TIME", "TYPE", "ACTOR", "ENTITIES"]
    static let widths = [8, 16, 24, 20, 20]

    static func cells(_ event: JSONValue, _ view: PeopleView) -> [String] {
        let actor = event["actor"]
        let who = "\(actor?["user"]?.stringValue ?? "?") (\(actor?["role"]?.stringValue ?? "?"))"
        let entities = (event["entities"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " ")
        return [describe(event["position"]), view.time(event["time"]), event["type"]?.stringValue ?? "", who, entities]
    }
}

/// A JSON scalar as plain text.
func describe(_ value: JSONValue?) -> String {
    switch value {
    case nil, .null?: return "-"
    case .string(let text)?: return text
    case .integer(let integer)?: return String(integer)
    case .double(let double)?: return String(double)
    case .bool(let flag)?: return flag ? "yes" : "no"
    case let other?: return JSONWriter.canonicalString(other)
    }
}

func printError(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func monotonicNs() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}
