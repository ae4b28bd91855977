// lmds-crash-writer: the child process of the log's crash test (scripts/crash-test).
//
//   lmds-crash-writer append DIR [--appenders N]   append as fast as possible; print "ack POSITION WRITER SEQ"
//                                                  for every acknowledged event, unbuffered, until killed
//   lmds-crash-writer seed DIR N                   append N deterministic events (for tests that need history)
//   lmds-crash-writer check DIR ACKFILE            reopen the log after the kill and check every acknowledged
//                                                  event is there with its data, positions gapless, chain intact
//
// The parent kills `append` with SIGKILL at random moments; a line printed means the append returned, so the
// event must survive. Appends are commands of 1-3 events, so atomicity is exercised too.
import EventLog
import Foundation
import LMDSJSON

#if canImport(Glibc)
import Glibc
#endif

/// Writes a line straight to fd 1 so that nothing acknowledged sits in a buffer when SIGKILL arrives.
func writeLine(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = write(1, raw.baseAddress! + offset, raw.count - offset)
            if written <= 0 { exit(3) }
            offset += written
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("lmds-crash-writer: \(message)\n".utf8))
    exit(1)
}

func eventID(writer: Int, sequence: Int, part: Int) -> EventID {
    var bytes = [UInt8](repeating: 0, count: 16)
    withUnsafeBytes(of: UInt32(writer).bigEndian) { for index in 0..<4 { bytes[index] = $0[index] } }
    withUnsafeBytes(of: UInt64(sequence).bigEndian) { for index in 0..<8 { bytes[4 + index] = $0[index] } }
    bytes[12] = UInt8(part)
    return EventID(bytes: bytes)
}

func runAppend(directory: String, appenders: Int) async {
    let log: EventLog
    do {
        log = try EventLog.open(EventLogConfiguration(directory: directory, mapBytesInitial: 1 << 20))
    } catch {
        fail("open: \(error)")
    }
    let start = log.head.position
    writeLine("start \(start)")
    // Sequences continue across rounds so that every acknowledged (writer, sequence) is unique.
    let sequenceBase = Int(start) * 10
    await withTaskGroup(of: Void.self) { group in
        for writer in 0..<appenders {
            group.addTask {
                var sequence = sequenceBase
                while true {
                    sequence += 1
                    let parts = 1 + sequence % 3
                    let events = (0..<parts).map { part in
                        ProposedEvent(
                            eventID: eventID(writer: writer, sequence: sequence, part: part), type: "CrashTestAppended",
                            timeMs: Int64(sequence), actor: EventActor(uid: 0, userName: "crash", role: "admin"),
                            entityIDs: ["W-\(writer)"],
                            data: ["writer": .integer(Int64(writer)), "sequence": .integer(Int64(sequence)),
                                   "part": .integer(Int64(part)), "wijk": "Bos- en Gasthuisdistrict"])
                    }
                    do {
                        let records = try await log.append(events)
                        for record in records {
                            writeLine("ack \(record.position) \(writer) \(sequence)")
                        }
                    } catch {
                        fail("append: \(error)")
                    }
                }
            }
        }
    }
}

func runCheck(directory: String, acknowledgements: String) {
    guard let text = try? String(contentsOfFile: acknowledgements, encoding: .utf8) else { fail("cannot read \(acknowledgements)") }
    // The last line may be cut by the kill: only whole lines (ending in a newline) count.
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if !text.hasSuffix("\n") { lines.removeLast() }
    let log: EventLog
    do {
        log = try EventLog.open(EventLogConfiguration(directory: directory))
    } catch {
        fail("reopen after kill: \(error)")
    }
    var checked = 0
    for line in lines where line.hasPrefix("ack ") {
        let fields = line.split(separator: " ")
        guard fields.count == 4, let position = UInt64(fields[1]), let writer = Int64(fields[2]), let sequence = Int64(fields[3]) else {
            fail("malformed line: \(line)")
        }
        do {
            guard let record = try log.record(at: position) else { fail("acknowledged position \(position) is missing") }
            let data = try record.data()
            guard data["writer"]?.integerValue == writer, data["sequence"]?.integerValue == sequence else {
                fail("position \(position) holds \(data), acknowledged as writer \(writer) sequence \(sequence)")
            }
        } catch {
            fail("reading \(position): \(error)")
        }
        checked += 1
    }
    do {
        let report = try log.verify()
        guard report.isIntact else { fail("chain broken: \(report.problem ?? "?") at \(report.firstBadPosition ?? 0)") }
        // Atomicity: every command's events are all there or none, so each (writer, sequence) has 1 + sequence % 3 parts.
        var parts: [String: (expected: Int64, seen: Int64)] = [:]
        try log.scan(from: 1) { record throws(EventLogError) -> Bool in
            let data = try record.data()
            let sequence = data["sequence"]?.integerValue ?? -1
            let key = "\(data["writer"]?.integerValue ?? -1)/\(sequence)"
            let current = parts[key] ?? (1 + sequence % 3, 0)
            parts[key] = (current.expected, current.seen + 1)
            return true
        }
        for (key, count) in parts where count.expected != count.seen {
            fail("command \(key) has \(count.seen) of its \(count.expected) events: not atomic")
        }
        print("ok: \(checked) acknowledged events present, \(report.recordsChecked) in the log, gapless, chain intact, \(parts.count) commands atomic")
    } catch {
        fail("verify: \(error)")
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: lmds-crash-writer append DIR [--appenders N] | check DIR ACKFILE") }
switch arguments[1] {
case "append":
    var appenders = 8
    if let index = arguments.firstIndex(of: "--appenders"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) {
        appenders = value
    }
    await runAppend(directory: arguments[2], appenders: appenders)
case "seed":
    // Deterministic filler for tests that need a log with history: N events in commands of 100.
    guard arguments.count == 4, let count = Int(arguments[3]) else { fail("usage: lmds-crash-writer seed DIR N") }
    do {
        let log = try EventLog.open(EventLogConfiguration(directory: arguments[2]))
        var sequence = 0
        while sequence < count {
            let batch = (0..<min(100, count - sequence)).map { offset in
                ProposedEvent(
                    eventID: eventID(writer: 0, sequence: sequence + offset, part: 0), type: "SeedAppended",
                    timeMs: Int64(1_790_000_000_000 + sequence + offset), actor: EventActor(uid: 0, userName: "seed", role: "admin"),
                    entityIDs: ["W-0"], data: ["sequence": .integer(Int64(sequence + offset)), "wijk": "Stevenshof"])
            }
            _ = try await log.append(batch)
            sequence += batch.count
        }
        print("seeded \(count) events, head \(log.head.position)")
    } catch {
        fail("seed: \(error)")
    }
case "check":
    guard arguments.count == 4 else { fail("usage: lmds-crash-writer check DIR ACKFILE") }
    runCheck(directory: arguments[2], acknowledgements: arguments[3])
default:
    fail("unknown command \(arguments[1])")
}
