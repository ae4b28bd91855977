/// lmds-bench: measures lmds on this machine, for `scripts/bench`: the event log in process (below), the
/// domain and reports (`ReportsBench.swift`), matching (`MatchingBench.swift`), and a running daemon through
/// its socket (`RPCBench.swift`).
///
/// Subcommands (each prints exactly one JSON line on stdout; errors go to stderr with exit status 1):
///
///     lmds-bench append --dir D --appenders N --events E [--event-bytes 300] [--events-per-append 1]
///         N concurrent tasks append one event per call (or commands of K events) until E events are
///         appended; reports wall time, events per second and the per-append latency (p50/p99 in µs).
///         Durable, group-committed. Two appenders with K = 32 time the log's 32-event transaction
///         without many callers (one encodes its next command while the other's commits), next to raw
///         LMDB's batch 32.
///     lmds-bench fill --dir D --events E [--event-bytes 300]
///         Fills a log quickly (commands of 1,000 events each) for the scan benchmark.
///     lmds-bench scan --dir D [--parse-data]
///         Opens the log read-only and replays it: decodes every envelope (and parses its JSON data
///         with --parse-data). An untimed raw pass first counts the stored bytes and warms the page cache.
///
/// Events are realistic Dutch `QuestionSubmitted` events, padded so that each stored record (binary
/// envelope, canonical JSON data and both hashes) is `--event-bytes` long.
import EventLog
import LMDSJSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Command line

/// A usage or runtime failure, reported on stderr.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let usage = """
    usage: lmds-bench append --dir D --appenders N --events E [--event-bytes 300] [--events-per-append 1]
           lmds-bench fill   --dir D --events E [--event-bytes 300]
           lmds-bench scan   --dir D [--parse-data]
           lmds-bench reports --dir D [--events 1000000] [--repeats 20]
           lmds-bench fill-domain --dir D --events N
           lmds-bench rpc --socket S --method M --clients N [--params JSON] [--rotate K] [--duration-ms 3000] [--warmup-ms 500]
           lmds-bench matching --labelled DIR [--offers 10000] [--queries 300] [--plan-questions 2000] [--plan-offers 500] [--seed S]
    """

/// Flags of the form `--name value` and switches of the form `--name`.
struct Options {
    private var values: [String: String] = [:]
    private var switches: Set<String> = []

    init(_ arguments: ArraySlice<String>, valueNames: Set<String>, switchNames: Set<String>) throws(BenchFailure) {
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            guard argument.hasPrefix("--") else { throw BenchFailure("unexpected argument '\(argument)'") }
            let name = String(argument.dropFirst(2))
            if switchNames.contains(name) {
                switches.insert(name)
            } else if valueNames.contains(name) {
                guard let value = remaining.popFirst() else { throw BenchFailure("--\(name) needs a value") }
                values[name] = value
            } else {
                throw BenchFailure("unknown option '\(argument)'")
            }
        }
    }

    func string(_ name: String) throws(BenchFailure) -> String {
        guard let value = values[name], !value.isEmpty else { throw BenchFailure("--\(name) is required") }
        return value
    }

    func positiveInteger(_ name: String, default defaultValue: Int? = nil) throws(BenchFailure) -> Int {
        guard let text = values[name] else {
            guard let defaultValue else { throw BenchFailure("--\(name) is required") }
            return defaultValue
        }
        guard let value = Int(text), value > 0 else { throw BenchFailure("--\(name) must be a positive integer") }
        return value
    }

    func optionalString(_ name: String) -> String? { values[name] }

    func isSet(_ name: String) -> Bool { switches.contains(name) }
}

// MARK: Events

/// Builds the benchmark's events: a small pool of Dutch data objects, each padded so that its stored
/// record is exactly the requested size, and per-event ids, times and entity ids.
struct EventFactory: Sendable {
    static let templateCount = 16
    static let titles = [
        "Eenzaamheid onder ouderen in de Stevenshof",
        "Groen in de wijk: wat willen bewoners van de Merenwijk?",
        "Verkeersveiligheid rond basisscholen in Leiden-Noord",
        "Energiearmoede bij huurders in De Kooi",
        "Jongeren en schulden: waar vinden ze hulp?",
        "Taalcafé en inburgering in de Slaaghwijk",
        "Wateroverlast na hevige regen in Roomburg",
        "Mantelzorgers ondersteunen in Boerhaavedistrict",
    ]
    static let wijken = ["Stevenshof", "Merenwijk", "Leiden-Noord", "De Kooi", "Binnenstad", "Slaaghwijk", "Roomburg", "Boerhaavedistrict"]
    static let paddingText = Array(("Bewoners vertellen over hun ervaringen in de buurt, de rol van de gemeente, "
        + "vrijwilligers en welzijnswerk, en wat studenten van de hogeschool en de universiteit "
        + "samen met hen kunnen onderzoeken. ").utf8)

    static let actor = EventActor(uid: 0, userName: "bench", role: "admin")
    static let baseTimeMs: Int64 = 1_795_000_000_000
    /// The first 8 bytes of every event id of this run (random); the last 8 hold the event's index.
    let idPrefix: [UInt8]
    /// Data objects, each padded to give a record of exactly `eventBytes`.
    let templates: [JSONValue]
    let eventBytes: Int

    init(eventBytes: Int) throws(BenchFailure) {
        var generator = SystemRandomNumberGenerator()
        var prefix: [UInt8] = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
        prefix[6] = (prefix[6] & 0x0F) | 0x40  // UUID version 4
        var built: [JSONValue] = []
        for index in 0..<Self.templateCount {
            built.append(try Self.padded(templateIndex: index, eventBytes: eventBytes, idPrefix: prefix))
        }
        idPrefix = prefix
        templates = built
        self.eventBytes = eventBytes
    }

    private static func data(templateIndex: Int, paddingBytes: Int) -> JSONValue {
        let padding = (0..<paddingBytes).map { paddingText[$0 % paddingText.count] }
        return .object([
            "title": .string(titles[templateIndex % titles.count]),
            "wijk": .string(wijken[(templateIndex / 2 + templateIndex) % wijken.count]),
            "padding": .string(String(decoding: padding, as: UTF8.self)),
        ])
    }

    /// The data object for one template, with the padding that makes the record `eventBytes` long.
    private static func padded(templateIndex: Int, eventBytes: Int, idPrefix: [UInt8]) throws(BenchFailure) -> JSONValue {
        func encodedSize(_ data: JSONValue) -> Int {
            let event = makeEvent(index: 0, data: data, idPrefix: idPrefix)
            return RecordCodec.encode(event, position: 1, previousHash: RecordCodec.genesisHash).bytes.count
        }
        let bare = encodedSize(data(templateIndex: templateIndex, paddingBytes: 0))
        guard bare <= eventBytes else {
            throw BenchFailure("--event-bytes \(eventBytes) is smaller than the smallest benchmark event (\(bare) bytes)")
        }
        let result = data(templateIndex: templateIndex, paddingBytes: eventBytes - bare)
        precondition(encodedSize(result) == eventBytes, "padding arithmetic is off")
        return result
    }

    private static func makeEvent(index: Int, data: JSONValue, idPrefix: [UInt8]) -> ProposedEvent {
        var id = idPrefix
        withUnsafeBytes(of: UInt64(index).bigEndian) { id.append(contentsOf: $0) }
        id[8] = (id[8] & 0x3F) | 0x80  // RFC 4122 variant; the index stays unique below 2^62
        let question = "Q-" + String(100_000 + index % 900_000)  // always 6 digits: a fixed-size envelope
        return ProposedEvent(
            eventID: EventID(bytes: id), type: "QuestionSubmitted", timeMs: baseTimeMs + Int64(index), actor: actor,
            requestID: nil, entityIDs: [question], data: data)
    }

    /// The `index`th event of the run.
    func event(index: Int) -> ProposedEvent {
        Self.makeEvent(index: index, data: templates[index % templates.count], idPrefix: idPrefix)
    }
}

// MARK: Measuring

/// Monotonic nanoseconds.
func nowNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// The `fraction` quantile (nearest rank) of sorted values.
func quantile(_ sorted: [UInt64], _ fraction: Double) -> UInt64 {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((fraction * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

/// Rounds to `digits` decimals, for readable JSON.
func rounded(_ value: Double, _ digits: Int = 3) -> Double {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    return (value * scale).rounded() / scale
}

/// Prints one JSON line (keys in the given order) and flushes stdout.
func emit(_ fields: KeyValuePairs<String, JSONValue>) {
    var line = "{"
    for (offset, (key, value)) in fields.enumerated() {
        if offset > 0 { line += "," }
        line += JSONWriter.canonicalString(.string(key)) + ":" + JSONWriter.canonicalString(value)
    }
    line += "}"
    print(line)
    fflush(nil)  // stdout is block-buffered when piped
}

// MARK: Workloads

/// Counts the log's write transactions and their events, through `commitObserver`.
///
/// The log calls `observe` from its completion thread (or its writer, for a small batch when that thread
/// is idle), one transaction at a time; the counts are read after `EventLog.close()`, which waits for the
/// writer to stop and the completion thread to finish, so the reads happen after every write.
final class CommitCounter: @unchecked Sendable {
    private(set) var transactions = 0
    private(set) var events = 0
    private(set) var largest = 0

    func observe(_ summary: CommitSummary) {
        transactions += 1
        events += summary.eventCount
        largest = max(largest, summary.eventCount)
    }
}

/// N tasks, one event (or K) per append, E events in all.
func runAppend(_ options: Options) async throws {
    let directory = try options.string("dir")
    let appenders = try options.positiveInteger("appenders")
    let events = try options.positiveInteger("events")
    let eventsPerAppend = try options.positiveInteger("events-per-append", default: 1)
    let factory = try EventFactory(eventBytes: try options.positiveInteger("event-bytes", default: 300))
    let counter = CommitCounter()
    let log = try EventLog.open(EventLogConfiguration(directory: directory, commitObserver: { counter.observe($0) }))
    let firstIndex = Int(log.head.position)
    // Each appender's events are built before the clock starts: the measure is the log's, as the raw
    // LMDB reference's is LMDB's (its payload is a byte fill), not the cost of making up events.
    let shares: [[[ProposedEvent]]] = (0..<appenders).map { appender in
        // Appender `a` appends the events whose index is a modulo `appenders`.
        let share = events / appenders + (appender < events % appenders ? 1 : 0)
        let mine = (0..<share).map { step in factory.event(index: firstIndex + appender + step * appenders) }
        return stride(from: 0, to: mine.count, by: eventsPerAppend).map { Array(mine[$0..<min(mine.count, $0 + eventsPerAppend)]) }
    }

    let started = nowNanoseconds()
    let latencies = try await withThrowingTaskGroup(of: [UInt64].self) { group in
        for share in shares where !share.isEmpty {
            group.addTask {
                var mine: [UInt64] = []
                mine.reserveCapacity(share.count)
                for command in share {
                    let before = nowNanoseconds()
                    _ = try await log.append(command)
                    mine.append(nowNanoseconds() - before)
                }
                return mine
            }
        }
        var all: [UInt64] = []
        all.reserveCapacity(shares.reduce(0) { $0 + $1.count })
        for try await mine in group { all.append(contentsOf: mine) }
        return all
    }
    let seconds = Double(nowNanoseconds() - started) / 1e9
    log.close()
    guard counter.events == events else { throw BenchFailure("appended \(counter.events) events, expected \(events)") }
    let sorted = latencies.sorted()
    emit([
        "workload": "append", "appenders": .integer(Int64(appenders)), "events": .integer(Int64(events)),
        "eventsPerAppend": .integer(Int64(eventsPerAppend)),
        "seconds": .double(rounded(seconds, 4)), "eventsPerSecond": .double(rounded(Double(events) / seconds, 1)),
        "p50Us": .double(rounded(Double(quantile(sorted, 0.50)) / 1000, 1)),
        "p99Us": .double(rounded(Double(quantile(sorted, 0.99)) / 1000, 1)),
        "transactions": .integer(Int64(counter.transactions)),
        "meanEventsPerTransaction": .double(rounded(Double(counter.events) / Double(max(counter.transactions, 1)), 1)),
        "largestTransaction": .integer(Int64(counter.largest)),
    ])
}

/// Fills a log with commands of up to 1,000 events; a few concurrent tasks keep the writer busy.
func runFill(_ options: Options) async throws {
    let directory = try options.string("dir")
    let events = try options.positiveInteger("events")
    let factory = try EventFactory(eventBytes: try options.positiveInteger("event-bytes", default: 300))
    let log = try EventLog.open(EventLogConfiguration(directory: directory))
    let firstIndex = Int(log.head.position)
    let commandEvents = 1000
    let commands = (events + commandEvents - 1) / commandEvents
    let tasks = min(4, commands)

    let started = nowNanoseconds()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask {
                var command = task
                while command < commands {
                    let start = command * commandEvents
                    let end = min(events, start + commandEvents)
                    _ = try await log.append((start..<end).map { factory.event(index: firstIndex + $0) })
                    command += tasks
                }
            }
        }
        try await group.waitForAll()
    }
    let seconds = Double(nowNanoseconds() - started) / 1e9
    let head = log.head.position
    log.close()
    emit([
        "workload": "fill", "events": .integer(Int64(events)), "head": .integer(Int64(head)),
        "seconds": .double(rounded(seconds, 4)), "eventsPerSecond": .double(rounded(Double(events) / seconds, 1)),
    ])
}

/// A full replay: every envelope decoded, and the data parsed with `--parse-data`.
func runScan(_ options: Options) throws {
    let directory = try options.string("dir")
    let parseData = options.isSet("parse-data")
    let log = try EventLog.open(EventLogConfiguration(directory: directory, readOnly: true))

    // Untimed: count the stored bytes (and bring the file into the page cache).
    var storedBytes = 0
    var rawCount = 0
    try log.scanRaw(from: 1) { _, bytes in
        storedBytes += bytes.count
        rawCount += 1
        return true
    }

    var count = 0
    var checksum: UInt64 = 0  // consumes what was decoded, so the work cannot be optimised away
    let started = nowNanoseconds()
    try log.scan(from: 1) { record throws(EventLogError) -> Bool in
        count += 1
        checksum &+= record.position &+ UInt64(record.dataBytes.count) &+ UInt64(record.entityIDs.count)
        if parseData {
            if case .object(let members) = try record.data() { checksum &+= UInt64(members.count) }
        }
        return true
    }
    let seconds = Double(nowNanoseconds() - started) / 1e9
    log.close()
    guard count == rawCount else { throw BenchFailure("the two passes saw \(rawCount) and \(count) records") }
    guard checksum != 0 || count == 0 else { throw BenchFailure("nothing was decoded") }
    emit([
        "workload": "scan", "events": .integer(Int64(count)), "bytes": .integer(Int64(storedBytes)),
        "seconds": .double(rounded(seconds, 4)),
        "eventsPerSecond": .double(rounded(Double(count) / seconds, 1)),
        "megabytesPerSecond": .double(rounded(Double(storedBytes) / 1e6 / seconds, 2)),
        "parsedData": .bool(parseData),
    ])
}

// MARK: Main

let arguments = CommandLine.arguments.dropFirst()
do {
    guard let command = arguments.first else { throw BenchFailure(usage) }
    let rest = arguments.dropFirst()
    switch command {
    case "append":
        try await runAppend(Options(rest, valueNames: ["dir", "appenders", "events", "event-bytes", "events-per-append"], switchNames: []))
    case "fill":
        try await runFill(Options(rest, valueNames: ["dir", "events", "event-bytes"], switchNames: []))
    case "scan":
        try runScan(Options(rest, valueNames: ["dir"], switchNames: ["parse-data"]))
    case "reports":
        try await runReports(Options(rest, valueNames: ["dir", "events", "repeats"], switchNames: []))
    case "fill-domain":
        try await runFillDomain(Options(rest, valueNames: ["dir", "events"], switchNames: []))
    case "rpc":
        try runRPC(Options(rest, valueNames: ["socket", "method", "clients", "params", "rotate", "duration-ms", "warmup-ms"], switchNames: []))
    case "matching":
        try runMatching(Options(rest, valueNames: ["labelled", "offers", "queries", "plan-questions", "plan-offers", "seed", "heldout", "words", "folds", "cv-seed"], switchNames: []))
    case "-h", "--help", "help":
        print(usage)
    default:
        throw BenchFailure("unknown subcommand '\(command)'\n\(usage)")
    }
} catch {
    let message = Array("lmds-bench: \(error)\n".utf8)
    _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}
