import LMDSServer
import LMDSCore
import ArgumentParser
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import Matching
import Foundation
import Reports

#if canImport(Glibc)
import Glibc
#endif

/// The config file and the city's taxonomy, resolved as `lmdsd serve` does.
struct DaemonSettings {
    let config: DaemonConfig
    let taxonomy: Taxonomy

    /// Reads `--config` (or the default file) and the taxonomy; a problem is logged and ends with exit code 1.
    static func resolve(config: String?, taxonomy: String?, environment: [String: String]) throws -> DaemonSettings {
        var daemonConfig = DaemonConfig()
        let fallback = DefaultPaths.configFile(environment: environment)
        let configPath = config ?? fallback.path
        if config != nil || fallback.explicit || access(configPath, F_OK) == 0 {
            do {
                daemonConfig = try DaemonConfig.load(path: configPath)
            } catch {
                DaemonLog(threshold: .info).error("\(error.message)")
                throw ExitCode(1)
            }
        }
        do throws(ConfigError) {
            let cityTaxonomy = try loadTaxonomy(path: taxonomy ?? daemonConfig.taxonomyPath)
            try daemonConfig.resolveInstitutions(in: cityTaxonomy)
            return DaemonSettings(config: daemonConfig, taxonomy: cityTaxonomy)
        } catch {
            DaemonLog(threshold: .info).error("\(error.message)")
            throw ExitCode(1)
        }
    }
}

extension DaemonCommand {
    /// Builds reports straight from the LMDB file, or checks that a full replay equals the running daemon.
    public struct Replay: ParsableCommand {
        /// The help text of `lmdsd replay`.
        public static let configuration = CommandConfiguration(
            abstract: "Replay the log offline: print a report from the LMDB file, or --check that the running daemon serves this log and a replay equals it.",
            discussion: """
                The log is opened read-only, so this works with or without the daemon running.
                A report ends with its receipt (the log's identity, the position, the hash there); on a backup or an
                imported copy it is the one report.get gave for the same --as-of.
                --check refuses (exit 1) a daemon serving another log, a file shorter than the daemon's log, or
                another hash at the daemon's position, naming both logs.
                  lmdsd replay --data-dir /var/lib/lmds --report overview --as-of 2026-11-01 --format markdown
                  lmdsd replay --data-dir /var/lib/lmds --check --socket /run/lmds/lmds.sock
                """)

        @Option(help: "Data directory (default as for serve).") var dataDir: String?
        @Option(help: "A report: overview, neighbourhoods, institutions, themes, talent, outcomes, followups, workload.") var report: String?
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: as it stood then.") var asOf: String?
        @Option(help: "First day of the report's period.") var from: String?
        @Option(help: "Last day of the report's period.") var to: String?
        @Option(help: "text (default), json, csv, markdown or html.") var format: String = "text"
        @Flag(help: "Include the rows with nothing to report (the neighbourhoods report's wijken without questions).") var all = false
        @Flag(help: "Compare a full replay with the running daemon's read models (their digest in system.status).") var check = false
        @Option(help: "The daemon's socket, for --check (default as for serve).") var socket: String?
        @Option(help: "Config file (as for serve): the follow-up grace days used by reports.") var config: String?
        @Option(help: "Taxonomy file (as for serve).") var taxonomy: String?

        public init() {}

        public func validate() throws {
            guard check != (report != nil) else { throw ValidationError("give either --report NAME or --check") }
        }

        public func run() throws {
            let environment = DefaultPaths.processEnvironment()
            let directory = dataDir ?? DefaultPaths.dataDirectory(environment: environment)
            if let problem = PageCheck.problem(dataDirectory: directory, refusal: "lmdsd replay does not read it") {
                DaemonLog(threshold: .info).error(problem)
                throw ExitCode(1)
            }
            if check {
                try runCheck(directory: directory, socketPath: socket ?? DefaultPaths.socketPath(environment: environment))
                return
            }
            let settings = try DaemonSettings.resolve(config: config, taxonomy: taxonomy, environment: environment)
            var params: [String: JSONValue] = ["name": .string(report ?? ""), "format": .string(format)]
            if let from { params["from"] = .string(from) }
            if let to { params["to"] = .string(to) }
            if let asOf { params["asOf"] = Int64(asOf).map { .integer($0) } ?? .string(asOf) }
            if all { params["all"] = true }
            var reader = try Params(.object(params))
            let request: Dispatcher.ReportRequest
            do {
                request = try Dispatcher.reportRequest(&reader)
            } catch {
                throw ValidationError(error.message)
            }
            let log = try Self.openReadOnly(directory)
            defer { log.close() }
            let replay = try DomainProcessor.replay(log: log, upTo: request.asOf)
            var nowMs = SystemClock().nowMs()
            if case .timeMs(let time)? = request.asOf { nowMs = time } else if request.asOf != nil { nowMs = replay.headTimeMs }
            var builder = ReportBuilder(
                state: replay.state, taxonomy: settings.taxonomy, policy: settings.config.policy, asOfPosition: replay.head, nowMs: nowMs,
                period: request.period, seesAll: true,
                presentation: ReportBuilder.Presentation(timeZone: settings.config.timeZone, includesEmptyRows: request.includesEmptyRows))
            // Whoever reads the log file offline sees what an admin sees.
            builder.feedbackReader = .admin
            guard let built = builder.build(request.name) else { throw ValidationError("unknown report \(request.name)") }
            print(request.format.render(built.withReceipt(try log.receipt(at: replay.head))), terminator: "")
        }

        static func openReadOnly(_ directory: String) throws -> EventLog {
            do {
                return try EventLog.open(EventLogConfiguration(directory: directory, readOnly: true))
            } catch {
                DaemonLog(threshold: .info).error("cannot open the log in \(directory): \(error)")
                throw ExitCode(1)
            }
        }

        /// Asks the daemon for its log identity, head and read models' digest; checks that DIR's log is the same
        /// log (the same identity, at least as long, the same hash at the daemon's head), replays it up to the
        /// daemon's read models' position, and compares. Exit 0 when equal, 1 when not (both sides printed).
        func runCheck(directory: String, socketPath: String) throws {
            let status: JSONValue
            do {
                status = try DaemonQuestion.call(socketPath: socketPath, method: "system.status", params: ["digest": true])
            } catch {
                DaemonLog(threshold: .info).error("cannot ask the daemon at \(socketPath): \(error)")
                throw ExitCode(3)
            }
            guard let position = status["readModels"]?["position"]?.integerValue, let live = status["readModels"]?["digest"]?.stringValue,
                let committed = status["position"]?.integerValue, let headHash = status["headHash"]?.stringValue
            else {
                DaemonLog(threshold: .info).error("the daemon's system.status has no readModels digest or head")
                throw ExitCode(1)
            }
            let daemon = SameLogCheck.Daemon(logID: status["logId"]?.stringValue, position: UInt64(committed), headHash: headHash)
            let file = try Self.openReadOnly(directory)
            print("daemon:  log \(daemon.logID ?? "(none)"), position \(committed), head hash \(headHash)")
            print("file:    log \(file.identity?.description ?? "(none)"), position \(file.head.position) in \(directory)")
            if let difference = try SameLogCheck.difference(file: file, directory: directory, daemon: daemon) {
                print("DIFFERENT: \(difference)")
                throw ExitCode(1)
            }
            file.close()
            let replayed = try replayWhenCommitted(directory: directory, position: UInt64(position))
            // The incremental structures are built from the replayed state: equal digests mean the daemon's
            // copies, kept current event by event, did not drift.
            let environment = DefaultPaths.processEnvironment()
            let settings = try DaemonSettings.resolve(config: config, taxonomy: taxonomy, environment: environment)
            // The same word list the daemon reads (LMDS_DUTCH_WORDS, else Debian's wdutch): the inferred themes
            // in the index depend on it, so a replay without it would differ from a daemon with it.
            let lexicon = DutchWordList.load(environment: environment, clock: SystemClock()).lexicon
            let index = MatchingIndex(analyzer: TextAnalyzer(taxonomy: settings.taxonomy, lexicon: lexicon), state: replayed.state)
            let offline = ReadModels(state: replayed.state, matching: index).digestHex
            print("daemon:  position \(position), read models \(live)")
            print("replay:  position \(replayed.head), read models \(offline)")
            guard offline == live else {
                print("DIFFERENT: a full replay does not give the daemon's state")
                throw ExitCode(1)
            }
            print("same: a full replay of the log gives exactly the daemon's read models")
        }

        /// DIR's log replayed up to `position`, the daemon's read models' position, which may be a little
        /// past its committed head: waits up to 10 s for those events to reach the file.
        func replayWhenCommitted(directory: String, position: UInt64) throws -> DomainProcessor.Replay {
            for _ in 0..<100 {
                let log = try Self.openReadOnly(directory)
                defer { log.close() }
                if log.head.position >= position {
                    return try DomainProcessor.replay(log: log, upTo: .position(position))
                }
                usleep(100_000)
            }
            print("DIFFERENT: the log in \(directory) does not reach position \(position) (the daemon's read models)")
            throw ExitCode(1)
        }
    }

    /// Whether a log file holds the history a daemon serves, as far as the daemon has committed it.
    enum SameLogCheck {
        /// What the daemon's `system.status` says of its log.
        struct Daemon {
            let logID: String?
            let position: UInt64
            let headHash: String
        }

        /// Why `file` is not the daemon's log (its identity differs, it is shorter than the daemon's committed
        /// head, or its record there has another hash), naming both logs; nil when it is.
        static func difference(file: EventLog, directory: String, daemon: Daemon) throws(EventLogError) -> String? {
            let fileID = file.identity?.description ?? "(none)"
            let daemonID = daemon.logID ?? "(none)"
            guard let daemonLogID = daemon.logID, daemonLogID == file.identity?.description else {
                return "the log in \(directory) is log \(fileID); the daemon serves log \(daemonID): they are not the same log"
            }
            guard file.head.position >= daemon.position else {
                return "the log in \(directory) (log \(fileID)) ends at position \(file.head.position), before the daemon's position \(daemon.position) (log \(daemonID))"
            }
            let fileHash = try file.receipt(at: daemon.position).headHash
            guard fileHash == daemon.headHash else {
                return "at position \(daemon.position) the log in \(directory) (log \(fileID)) has hash \(fileHash), the daemon's (log \(daemonID)) \(daemon.headHash): the histories differ"
            }
            return nil
        }
    }

    /// Rebuilds a data directory from an export (`lmds export`), checking every hash on the way.
    public struct Import: AsyncParsableCommand {
        /// The help text of `lmdsd import`.
        public static let configuration = CommandConfiguration(
            abstract: "Rebuild a new data directory from an NDJSON export (lmds export), and verify its hash chain.",
            discussion: """
                Every event keeps its position, id, time, actor and request id, so every hash must come out as
                exported; the first that does not stops the import (exit 1). The new log takes the identity named on
                the export's first line, so it is the same log (an export without that line gets a new identity).
                Personal details are not in the log, so they are not in an export: contacts show as erased until they
                are entered again.
                  lmdsd import --data-dir /var/lib/lmds-restored export.ndjson
                With --continue, the data directory already holds a copy of the same log (a restored backup): the
                export's events up to that log's head must be its records (same hashes), and the events after it
                are appended, so a backup plus a later export (whole, or from any position up to the backup's head
                plus one) give back every event.
                  lmdsd import --continue --data-dir /var/lib/lmds export-since-backup.ndjson
                """)

        @Option(help: "The data directory to create (must not hold a log yet; with --continue, it must).") var dataDir: String
        @Flag(name: .customLong("continue"), help: "Append to the log in the data directory (a restored backup) the export's events after its head.")
        var continuing = false
        @Argument(help: "The export file (NDJSON, one envelope per line).") var file: String

        public init() {}

        /// Appends a batch at a time; each batch is one commit.
        static let batchEventsMax = 1000

        public func run() async throws {
            if continuing {
                try await runContinuing()
                return
            }
            if access(dataDir + "/data.mdb", F_OK) == 0 {
                DaemonLog(threshold: .info).error("\(dataDir) already holds a log; import into a new directory")
                throw ExitCode(1)
            }
            let input = try openExport()
            defer { fclose(input) }
            let existed = access(dataDir, F_OK) == 0
            do {
                let count = try await load(input)
                print("imported \(count) events into \(dataDir); every hash as exported; the chain verifies")
            } catch {
                // Nothing half-imported stays behind: what this import created is removed.
                if existed {
                    for name in ["data.mdb", "lock.mdb", "lmds.lock"] { unlink(dataDir + "/" + name) }
                } else {
                    try? FileManager.default.removeItem(atPath: dataDir)
                }
                throw error
            }
        }

        /// Appends every envelope of the export under the identity its header names (a new one for an export
        /// without a header); returns how many.
        func load(_ input: UnsafeMutablePointer<FILE>) async throws -> Int64 {
            var reader = LineReader(input)
            defer { reader.close() }
            var first = try reader.next()
            var identity = LogIdentity.random()
            if let header = first, ExportHeader.isHeader(header.value) {
                identity = try Self.identity(header.value, line: header.number)
                first = try reader.next()
            } else {
                print("the export names no log (made before exports had a header): the new log gets an identity of its own")
            }
            let log: EventLog
            do {
                log = try EventLog.open(EventLogConfiguration(directory: dataDir, identityForNewLog: identity))
            } catch {
                DaemonLog(threshold: .info).error("cannot create the log in \(dataDir): \(error)")
                throw ExitCode(1)
            }
            defer { log.close() }
            var batch: [ExportedEvent] = []
            var expected: Int64 = 1
            var line = first
            while let current = line {
                batch.append(try Self.envelope(current, at: expected))
                expected += 1
                if batch.count == Self.batchEventsMax { try await Self.append(&batch, to: log) }
                line = try reader.next()
            }
            try await Self.append(&batch, to: log)
            try Self.verifyChain(log)
            return expected - 1
        }

        /// One export line: the event to append and the hash the export gives it.
        typealias ExportedEvent = (event: ProposedEvent, hash: String)

        /// The event of the export line `line`, which must be an envelope at position `expected`.
        static func envelope(_ line: (number: Int, value: JSONValue), at expected: Int64) throws -> ExportedEvent {
            guard let event = proposedEvent(line.value), line.value["position"]?.integerValue == expected,
                let hash = line.value["hash"]?.stringValue
            else {
                DaemonLog(threshold: .info).error("line \(line.number): not an export envelope at position \(expected)")
                throw ExitCode(1)
            }
            return (event, hash)
        }

        /// Appends `batch` in one commit, checks that every new record's hash is the export's, and empties it.
        static func append(_ batch: inout [ExportedEvent], to log: EventLog) async throws {
            guard !batch.isEmpty else { return }
            let records = try await log.append(batch.map(\.event))
            for (record, exported) in zip(records, batch) where Hex.encode(record.hash) != exported.hash {
                DaemonLog(threshold: .info).error("position \(record.position): the hash differs from the export's (altered, or another format)")
                throw ExitCode(1)
            }
            batch.removeAll(keepingCapacity: true)
        }

        /// Walks the whole chain of `log` (as `audit.verify` does); exit 1 unless it is intact.
        static func verifyChain(_ log: EventLog) throws {
            let report = try log.verify()
            guard report.firstBadPosition == nil else {
                DaemonLog(threshold: .info).error("the imported chain does not verify at position \(report.firstBadPosition ?? 0)")
                throw ExitCode(1)
            }
        }

        /// The export file, open for reading; exit 1 when it cannot be read.
        func openExport() throws -> UnsafeMutablePointer<FILE> {
            guard let input = fopen(file, "r") else {
                DaemonLog(threshold: .info).error("cannot read \(file): \(String(cString: strerror(errno)))")
                throw ExitCode(1)
            }
            return input
        }

        /// `--continue`: the data directory holds a copy of the exported log (a restored backup); the export's
        /// events up to its head must be its records, and the rest are appended. Nothing is removed on failure:
        /// what was appended before it is a verified continuation of the same history.
        func runContinuing() async throws {
            guard access(dataDir + "/data.mdb", F_OK) == 0 else {
                DaemonLog(threshold: .info).error("\(dataDir) holds no log to continue: restore the backup into it first")
                throw ExitCode(1)
            }
            if let problem = PageCheck.problem(dataDirectory: dataDir, refusal: "nothing is appended to it") {
                DaemonLog(threshold: .info).error(problem)
                throw ExitCode(1)
            }
            let input = try openExport()
            defer { fclose(input) }
            let log: EventLog
            do {
                log = try EventLog.open(EventLogConfiguration(directory: dataDir))
            } catch {
                DaemonLog(threshold: .info).error("cannot open the log in \(dataDir): \(error)")
                throw ExitCode(1)
            }
            defer { log.close() }
            let base = log.head.position
            let (matched, appended) = try await continueLog(log, from: input)
            print("continued the log in \(dataDir) (head \(base)): \(matched) exported events matched its records, \(appended) appended; "
                + "every hash as exported; the chain verifies")
        }

        /// Checks the export's events up to the head of `log` against its records and appends the rest;
        /// returns how many matched and how many were appended.
        func continueLog(_ log: EventLog, from input: UnsafeMutablePointer<FILE>) async throws -> (matched: Int64, appended: Int64) {
            var reader = LineReader(input)
            defer { reader.close() }
            let head = Int64(log.head.position)
            var line = try reader.next()
            if let header = line, ExportHeader.isHeader(header.value) {
                let identity = try Self.identity(header.value, line: header.number)
                guard identity == log.identity else {
                    DaemonLog(threshold: .info).error("\(file) is an export of log \(identity); \(dataDir) holds log \(log.identity?.description ?? "without an identity")")
                    throw ExitCode(1)
                }
                line = try reader.next()
            }
            var expected = line?.value["position"]?.integerValue ?? 1
            guard expected >= 1, expected <= head + 1 else {
                DaemonLog(threshold: .info).error("the export starts at position \(expected), after the log's head \(head) plus one: "
                    + "events \(head + 1) to \(expected - 1) are missing (export with --from \(head + 1))")
                throw ExitCode(1)
            }
            var batch: [ExportedEvent] = []
            var matched: Int64 = 0
            while let current = line {
                let exported = try Self.envelope(current, at: expected)
                if expected <= head {
                    guard let record = try log.record(at: UInt64(expected)), Hex.encode(record.hash) == exported.hash else {
                        DaemonLog(threshold: .info).error("position \(expected): the export's hash differs from the log's in \(dataDir): they are different histories")
                        throw ExitCode(1)
                    }
                    matched += 1
                } else {
                    batch.append(exported)
                    if batch.count == Self.batchEventsMax { try await Self.append(&batch, to: log) }
                }
                expected += 1
                line = try reader.next()
            }
            try await Self.append(&batch, to: log)
            try Self.verifyChain(log)
            return (matched, Int64(log.head.position) - head)
        }

        /// The log identity an export's header names.
        static func identity(_ header: JSONValue, line: Int) throws -> LogIdentity {
            guard header["lmdsExport"]?.integerValue == ExportHeader.version else {
                DaemonLog(threshold: .info).error("line \(line): an export header of another version (this lmdsd reads version \(ExportHeader.version))")
                throw ExitCode(1)
            }
            guard let text = header["logId"]?.stringValue, let identity = LogIdentity(hex: text) else {
                DaemonLog(threshold: .info).error("line \(line): the export header's logId is not 32 lower-case hexadecimal characters")
                throw ExitCode(1)
            }
            return identity
        }

        /// The non-blank lines of an export, parsed, with their line numbers (from 1).
        struct LineReader {
            let input: UnsafeMutablePointer<FILE>
            var buffer: UnsafeMutablePointer<CChar>?
            var capacity = 0
            var number = 0

            init(_ input: UnsafeMutablePointer<FILE>) { self.input = input }

            /// The next non-blank line as JSON, or nil at the end. A line that is not JSON ends the import.
            mutating func next() throws -> (number: Int, value: JSONValue)? {
                while getline(&buffer, &capacity, input) > 0, let buffer {
                    number += 1
                    let text = String(cString: buffer).trimmingSuffix("\n")
                    guard !text.isEmpty else { continue }
                    do {
                        return (number, try JSONParser.parse(Array(text.utf8)))
                    } catch {
                        DaemonLog(threshold: .info).error("line \(number): not JSON: \(error)")
                        throw ExitCode(1)
                    }
                }
                return nil
            }

            /// Frees the line buffer.
            mutating func close() {
                free(buffer)
                buffer = nil
            }
        }

        /// The event an export envelope describes, with its id, time, actor and request id as recorded.
        static func proposedEvent(_ envelope: JSONValue) -> ProposedEvent? {
            guard let id = envelope["id"]?.stringValue.flatMap(EventID.init(string:)), let type = envelope["type"]?.stringValue,
                let schemaVersion = envelope["schemaVersion"]?.integerValue, let time = envelope["timeMs"]?.integerValue,
                let actor = envelope["actor"], let uid = actor["uid"]?.integerValue, let role = actor["role"]?.stringValue,
                let data = envelope["data"]
            else { return nil }
            return ProposedEvent(
                eventID: id, type: type, schemaVersion: UInt16(clamping: schemaVersion), timeMs: time,
                actor: EventActor(uid: UInt32(clamping: uid), userName: actor["user"]?.stringValue ?? "", role: role),
                requestID: envelope["requestId"]?.stringValue, entityIDs: (envelope["entities"]?.arrayValue ?? []).compactMap(\.stringValue), data: data)
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

/// The offline commands' questions to a running daemon, through the shared client (`RPCClient`).
enum DaemonQuestion {
    /// Why the daemon could not be asked, in words (`cannot ask the daemon at PATH: …`).
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The result of `method` with `params` from the daemon at `socketPath`.
    static func call(socketPath: String, method: String, params: JSONValue) throws(Failure) -> JSONValue {
        let reply: Result<JSONValue, RPCError>
        do {
            reply = try RPCClient(socketPath: socketPath).call(method, params)
        } catch {
            switch error {
            case .unreachable(_, let reason), .protocolViolation(let reason): throw Failure(description: reason)
            }
        }
        switch reply {
        case .success(let result): return result
        case .failure(let error): throw Failure(description: error.message)
        }
    }
}
