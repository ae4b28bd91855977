import CLMDB
import EventLog
import Foundation
import LMDSJSON
import LMDSTestSupport
import Testing

@Suite struct EventLogTests {
    /// An appended event comes back from a read with the same envelope and byte-identical Dutch data.
    @Test func appendedEventReadsBackExactly() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
        var factory = EventFactory()
        let data: JSONValue = ["wijk": "Bos- en Gasthuisdistrict", "titel": "Café in de Stevenshof, ë en ü", "aantal": 3]
        let event = factory.make(data: data, requestID: "req-1")
        let records = try await log.append([event])
        #expect(records.count == 1)
        #expect(records[0].position == 1)
        let read = try #require(try log.record(at: 1))
        #expect(read == records[0])
        #expect(try read.data() == data)
        #expect(read.requestID == "req-1")
        #expect(read.actor == event.actor)
        #expect(read.previousHash == RecordCodec.genesisHash)
        #expect(log.head == LogHead(position: 1, hash: read.hash))
        #expect(try log.record(at: 2) == nil)
    }

    /// The data directory is created with mode 0700.
    @Test func createsDataDirectoryPrivate() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        _ = try EventLog.open(EventLogConfiguration(directory: directory.path + "/nested/data"))
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path + "/nested/data")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
    }

    /// A data directory that others can write to is refused.
    @Test func refusesWorldWritableDirectory() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        chmod(directory.path, 0o777)
        #expect { try EventLog.open(EventLogConfiguration(directory: directory.path)) } throws: { error in
            (error as? EventLogError)?.code == .dataDirectoryUnusable
        }
    }

    /// 64 concurrent appenders of 3-event commands get gapless positions, each command contiguous.
    @Test func concurrentAppendsAreGaplessAndAtomic() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
        let appenders = 64
        let commandsEach = 10
        let positions = try await withThrowingTaskGroup(of: [[UInt64]].self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    var factory = EventFactory(counter: UInt64(appender) * 1000)
                    var mine: [[UInt64]] = []
                    for _ in 0..<commandsEach {
                        let batch = [factory.make(), factory.make(), factory.make()]
                        let records = try await log.append(batch)
                        mine.append(records.map(\.position))
                    }
                    return mine
                }
            }
            var all: [[UInt64]] = []
            for try await part in group { all += part }
            return all
        }
        for command in positions {
            #expect(command.count == 3)
            #expect(command[1] == command[0] + 1 && command[2] == command[1] + 1)
        }
        let flat = positions.flatMap { $0 }.sorted()
        #expect(flat == Array(1...UInt64(appenders * commandsEach * 3)))
        let report = try log.verify()
        #expect(report.isIntact)
        #expect(report.recordsChecked == UInt64(appenders * commandsEach * 3))
    }

    /// The commit observer sees every transaction once, in position order: its ranges tile the log from
    /// position 1 without gaps or overlaps, and its append counts add up to the appends made.
    @Test func commitObserverSeesContiguousTransactions() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        final class Seen: @unchecked Sendable {
            let lock = NSLock()
            var summaries: [CommitSummary] = []
        }
        let seen = Seen()
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path, commitObserver: { summary in
            seen.lock.withLock { seen.summaries.append(summary) }
        }))
        let appenders = 16
        let commandsEach = 20
        try await withThrowingTaskGroup(of: Void.self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    var factory = EventFactory(counter: UInt64(appender) * 1000)
                    for command in 0..<commandsEach {
                        _ = try await log.append((0...(command % 3)).map { _ in factory.make() })
                    }
                }
            }
            try await group.waitForAll()
        }
        log.close()
        let summaries = seen.lock.withLock { seen.summaries }
        var next: UInt64 = 1
        for summary in summaries {
            #expect(summary.positions.lowerBound == next)
            #expect(summary.eventCount >= summary.appendCount && summary.appendCount >= 1)
            next = summary.positions.upperBound + 1
        }
        #expect(next - 1 == log.head.position)
        #expect(summaries.reduce(0) { $0 + $1.appendCount } == appenders * commandsEach)
    }

    /// Proposed events compare and hash by content, as values do, though the type is a class.
    @Test func proposedEventsCompareByContent() {
        var first = EventFactory()
        var second = EventFactory()
        let one = first.make(data: ["wijk": "Bos- en Gasthuisdistrict"])
        let same = second.make(data: ["wijk": "Bos- en Gasthuisdistrict"])
        let other = second.make(data: ["wijk": "Stevenshof"])
        #expect(one !== same)
        #expect(one == same)
        #expect(one.hashValue == same.hashValue)
        #expect(one != other)
        #expect(Set([one, same, other]).count == 2)
    }

    /// A command with one invalid event appends none of its events.
    @Test func invalidEventInBatchAppendsNothing() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
        var factory = EventFactory()
        let good = factory.make()
        let bad = factory.make(data: .array([1, 2]))
        await #expect(throws: EventLogError.self) { try await log.append([good, bad]) }
        #expect(log.head.position == 0)
        #expect(try log.records(from: 1, limit: 10).isEmpty)
    }

    /// Reopening a log keeps its head and records; scans start where asked.
    @Test func reopenKeepsHeadAndScansFromPosition() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var factory = EventFactory()
        var head: LogHead
        do {
            let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
            for _ in 0..<20 { _ = try await log.append([factory.make()]) }
            head = log.head
            log.close()
        }
        let reopened = try EventLog.open(EventLogConfiguration(directory: directory.path))
        #expect(reopened.head == head)
        let tail = try reopened.records(from: 15, limit: 100)
        #expect(tail.map(\.position) == Array(15...20))
        let next = try await reopened.append([factory.make()])
        #expect(next[0].position == 21)
        #expect(next[0].previousHash == head.hash)
    }

    /// A second writer on the same directory gets a clear error; a read-only opener does not.
    @Test func secondWriterIsRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let first = try EventLog.open(EventLogConfiguration(directory: directory.path))
        #expect { try EventLog.open(EventLogConfiguration(directory: directory.path)) } throws: { error in
            guard let error = error as? EventLogError else { return false }
            return error.code == .dataDirectoryLocked && error.message.contains("\(getpid())")
        }
        let reader = try EventLog.open(EventLogConfiguration(directory: directory.path, readOnly: true))
        #expect(reader.head == first.head)
    }

    /// The map starts small and grows by itself; at its maximum, appends fail cleanly and the log stays intact.
    @Test func mapGrowsAndStopsAtMaximum() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path, mapBytesInitial: 1 << 20, mapBytesMax: 8 << 20))
        var factory = EventFactory()
        let big: JSONValue = ["text": .string(String(repeating: "Merenwijk ", count: 1000))]
        let initialMap = log.mapBytes
        var appended = 0
        var failure: EventLogError?
        while failure == nil && appended < 10_000 {
            do {
                _ = try await log.append([factory.make(data: big)])
                appended += 1
            } catch let error as EventLogError {
                failure = error
            }
        }
        #expect(log.mapBytes > initialMap)
        #expect(appended > 200)
        #expect(failure?.code == .storageFull)
        let report = try log.verify()
        #expect(report.isIntact)
        #expect(report.recordsChecked == UInt64(appended))
    }

    /// Verification while appends go on checks the chain up to the head it started from and reports it intact.
    @Test func verifyDuringAppendsIsIntact() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
        let writers = (0..<8).map { writer in
            Task {
                var factory = EventFactory(counter: UInt64(writer) * 100_000)
                for _ in 0..<300 { _ = try await log.append([factory.make()]) }
            }
        }
        var reports: [VerificationReport] = []
        while log.head.position < 2400 {
            reports.append(try log.verify())
        }
        for writer in writers { try await writer.value }
        reports.append(try log.verify())
        #expect(reports.count > 1)
        for report in reports { #expect(report.isIntact, "\(report)") }
        #expect(reports.last?.recordsChecked == 2400)
    }

    /// On a full disk (a 4 MiB tmpfs mounted for the test) appends fail with `storageFull`, nothing is
    /// half-written, reads go on, and appends work again once space is freed, without reopening.
    @Test(.enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
    func diskFullFailsCleanlyAndRecovers() async throws {
        let mountPoint = TemporaryDirectory("lmds-diskfull")
        try FileManager.default.createDirectory(atPath: mountPoint.path, withIntermediateDirectories: true)
        defer { mountPoint.remove() }
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint.path]) == 0 else {
            print("skipped: cannot mount a tmpfs here")
            return
        }
        defer { _ = Self.run("/bin/umount", ["-l", mountPoint.path]) }
        let filler = mountPoint.path + "/filler"
        try Data(repeating: 1, count: 1 << 20).write(to: URL(fileURLWithPath: filler))
        let directory = mountPoint.path + "/data"
        let log = try EventLog.open(EventLogConfiguration(directory: directory, mapBytesInitial: 16 << 20))
        var factory = EventFactory()
        let big: JSONValue = ["text": .string(String(repeating: "Bos- en Gasthuisdistrict ", count: 400))]
        var failure: EventLogError?
        var appended: UInt64 = 0
        while failure == nil && appended < 5000 {
            do {
                _ = try await log.append([factory.make(data: big)])
                appended += 1
            } catch let error as EventLogError {
                failure = error
            }
        }
        #expect(failure?.code == .storageFull, "\(failure?.message ?? "no failure")")
        #expect(failure?.message.contains("full") == true)
        #expect(log.head.position == appended)
        #expect(try log.record(at: appended) != nil)
        #expect(try log.verify().isIntact)
        try FileManager.default.removeItem(atPath: filler)
        let after = try await log.append([factory.make()])
        #expect(after[0].position == appended + 1)
        #expect(try log.verify().isIntact)
        log.close()
    }

    static func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// An append that expects another head is refused with `conflict` and writes nothing; one that matches is written.
    @Test func expectedPositionGuardsAppends() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
        var factory = EventFactory()
        _ = try await log.append([factory.make()], options: AppendOptions(expectedPosition: 0))
        await #expect { try await log.append([factory.make()], options: AppendOptions(expectedPosition: 0)) } throws: { error in
            (error as? EventLogError)?.code == .conflict
        }
        #expect(log.head.position == 1)
        let next = try await log.append([factory.make(), factory.make()], options: AppendOptions(expectedPosition: 1))
        #expect(next.map(\.position) == [2, 3])
    }

    /// Concurrent appends that each expect the head they saw: exactly the ones in order are written, the
    /// rest refused, and nothing is written twice.
    @Test func pipelinedAppendsWithStaleExpectationsAreRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                group.addTask {
                    var factory = EventFactory(counter: UInt64(index) * 10)
                    return (try? await log.append([factory.make()], options: AppendOptions(expectedPosition: 0))) != nil
                }
            }
            var successes = 0
            for await success in group where success { successes += 1 }
            return successes
        }
        #expect(outcomes == 1)
        #expect(log.head.position == 1)
    }

    /// Personal data goes into its own mutable table in the same transaction as its event, and can be erased;
    /// the hash chain does not cover it, so erasing leaves the chain intact.
    @Test func personalTableIsWrittenWithEventsAndErasable() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
        var factory = EventFactory()
        let person = Array(#"{"name":"Anouk de Vrieë","email":"anouk@example.nl"}"#.utf8)
        _ = try await log.append([factory.make("ContactRegistered")], options: AppendOptions(sideWrites: [SideWrite(key: "C-0001", operation: .put(person))]))
        #expect(try log.personalValue("C-0001") == person)
        _ = try await log.append([factory.make("PersonalDataErased")], options: AppendOptions(sideWrites: [SideWrite(key: "C-0001", operation: .delete)]))
        #expect(try log.personalValue("C-0001") == nil)
        #expect(try log.verify().isIntact)
        // A refused append's side writes are not applied either.
        await #expect(throws: EventLogError.self) {
            try await log.append([factory.make()], options: AppendOptions(expectedPosition: 99, sideWrites: [SideWrite(key: "C-0002", operation: .put([1]))]))
        }
        #expect(try log.personalValue("C-0002") == nil)
    }

    /// A record changed behind the log's back is named by verify.
    @Test func verifyNamesTamperedPosition() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var factory = EventFactory()
        do {
            let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
            for _ in 0..<10 { _ = try await log.append([factory.make()]) }
            #expect(try log.verify().isIntact)
        }
        try RawLMDB.modify(directory: directory.path, position: 7) { bytes in
            // Change one letter of the data: "Eenzaamheid" -> "Fenzaamheid".
            let index = try #require(bytes.firstIndex(of: UInt8(ascii: "E")))
            bytes[index] = UInt8(ascii: "F")
        }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path, readOnly: true))
        let report = try log.verify()
        #expect(!report.isIntact)
        #expect(report.firstBadPosition == 7)
    }

    /// A log whose head entry is damaged is refused as damaged, never reported intact.
    @Test func verifyReportsMissingHead() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var factory = EventFactory()
        do {
            let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
            for _ in 0..<3 { _ = try await log.append([factory.make()]) }
        }
        try RawLMDB.putMeta(directory: directory.path, key: "head", value: [1, 2, 3])
        #expect { try EventLog.open(EventLogConfiguration(directory: directory.path, readOnly: true)) } throws: { error in
            (error as? EventLogError)?.code == .damaged
        }
    }

    /// A log written by a newer format is refused; a file that is not LMDB is reported damaged.
    @Test func refusesNewerFormatAndDamagedFiles() async throws {
        let newer = TemporaryDirectory()
        defer { newer.remove() }
        do { _ = try EventLog.open(EventLogConfiguration(directory: newer.path)) }
        try RawLMDB.putMeta(directory: newer.path, key: "format", value: [0, 0, 0, 9])
        #expect { try EventLog.open(EventLogConfiguration(directory: newer.path)) } throws: { error in
            (error as? EventLogError)?.code == .formatTooNew
        }
        let damaged = TemporaryDirectory()
        defer { damaged.remove() }
        try FileManager.default.createDirectory(atPath: damaged.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Data(repeating: 0x5A, count: 64 * 1024).write(to: URL(fileURLWithPath: damaged.path + "/data.mdb"))
        #expect { try EventLog.open(EventLogConfiguration(directory: damaged.path)) } throws: { error in
            (error as? EventLogError)?.code == .damaged
        }
    }

    /// A hot backup taken while appends go on opens, verifies and holds a prefix of the log.
    @Test func hotBackupDuringAppendsVerifies() async throws {
        let directory = TemporaryDirectory()
        let target = TemporaryDirectory("lmds-backup")
        defer { directory.remove(); target.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
        var factory = EventFactory()
        for _ in 0..<200 { _ = try await log.append([factory.make()]) }
        let writer = Task {
            var local = EventFactory(counter: 10_000)
            for _ in 0..<200 { _ = try await log.append([local.make()]) }
        }
        let report = try log.backup(to: target.path)
        try await writer.value
        #expect(report.verification.isIntact)
        #expect(report.head.position >= 200)
        #expect(report.head.position <= 400)
        let original = try #require(try log.record(at: report.head.position))
        #expect(original.hash == report.head.hash)
        #expect { try log.backup(to: target.path) } throws: { error in
            (error as? EventLogError)?.code == .backupFailed
        }
    }
}

/// Every log has an identity: drawn by its creator, kept by reopening and by backups, given at the next
/// writable open to a log made before identities existed.
@Suite struct LogIdentityTests {
    /// A new log takes the identity its creator draws; a reopen and a backup keep it.
    @Test func newLogKeepsTheIdentityItsCreatorGave() async throws {
        let directory = TemporaryDirectory()
        let target = TemporaryDirectory("lmds-backup")
        defer { directory.remove(); target.remove() }
        var numbers = SplitMix64(seed: 17)
        let identity = LogIdentity.random(using: &numbers)
        do {
            let log = try EventLog.open(EventLogConfiguration(directory: directory.path, identityForNewLog: identity))
            #expect(log.identity == identity)
            var factory = EventFactory()
            _ = try await log.append([factory.make()])
            #expect(try log.backup(to: target.path).verification.isIntact)
        }
        let reopened = try EventLog.open(EventLogConfiguration(directory: directory.path, identityForNewLog: .random()))
        #expect(reopened.identity == identity, "a reopen keeps the identity; the new one offered is not taken")
        let backup = try EventLog.open(EventLogConfiguration(directory: target.path, readOnly: true))
        #expect(backup.identity == identity)
        #expect(identity.description.count == 32 && LogIdentity(hex: identity.description) == identity)
    }

    /// A log without an identity (made before logs had one) reads as such read-only, and gets one at the
    /// next writable open, which it keeps.
    @Test func olderLogGetsAnIdentityAtItsNextWritableOpen() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        do {
            let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
            var factory = EventFactory()
            _ = try await log.append([factory.make()])
        }
        try RawLMDB.deleteMeta(directory: directory.path, key: "identity")
        #expect(try EventLog.open(EventLogConfiguration(directory: directory.path, readOnly: true)).identity == nil)
        let given = LogIdentity.random()
        do { #expect(try EventLog.open(EventLogConfiguration(directory: directory.path, identityForNewLog: given)).identity == given) }
        #expect(try EventLog.open(EventLogConfiguration(directory: directory.path, readOnly: true)).identity == given)
        #expect(try EventLog.open(EventLogConfiguration(directory: directory.path, readOnly: true)).head.position == 1)
    }

    /// Identities parse only from 32 lower-case hex digits; two drawn ones differ.
    @Test func identitiesParseStrictly() {
        #expect(LogIdentity(hex: "0123456789abcdef0123456789abcdef") != nil)
        for text in ["0123456789ABCDEF0123456789ABCDEF", "0123", "0123456789abcdef0123456789abcdeg", ""] { #expect(LogIdentity(hex: text) == nil) }
        #expect(LogIdentity.random() != LogIdentity.random())
    }
}


/// Direct LMDB access for tests that must damage a log as an attacker or a broken disk would.
enum RawLMDB {
    static func deleteMeta(directory: String, key name: String) throws {
        try withWriteTransaction(directory: directory) { txn, _, meta in
            var keyBytes = Array(name.utf8)
            try keyBytes.withUnsafeMutableBytes { keyRaw in
                var key = MDB_val(mv_size: keyRaw.count, mv_data: keyRaw.baseAddress)
                guard mdb_del(txn, meta, &key, nil) == 0 else { throw CocoaError(.fileWriteUnknown) }
            }
        }
    }

    static func withWriteTransaction(directory: String, _ body: (OpaquePointer?, MDB_dbi, MDB_dbi) throws -> Void) throws {
        var env: OpaquePointer?
        mdb_env_create(&env)
        mdb_env_set_maxdbs(env, 8)
        mdb_env_set_mapsize(env, 1 << 30)
        guard mdb_env_open(env, directory, UInt32(MDB_NOTLS), 0o600) == 0 else { throw CocoaError(.fileReadUnknown) }
        defer { mdb_env_close(env) }
        var txn: OpaquePointer?
        mdb_txn_begin(env, nil, 0, &txn)
        var events: MDB_dbi = 0
        var meta: MDB_dbi = 0
        mdb_dbi_open(txn, "events", 0, &events)
        mdb_dbi_open(txn, "meta", 0, &meta)
        try body(txn, events, meta)
        guard mdb_txn_commit(txn) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    static func modify(directory: String, position: UInt64, _ change: (inout [UInt8]) throws -> Void) throws {
        try withWriteTransaction(directory: directory) { txn, events, _ in
            var keyValue = position.bigEndian
            try withUnsafeMutableBytes(of: &keyValue) { keyRaw in
                var key = MDB_val(mv_size: 8, mv_data: keyRaw.baseAddress)
                var value = MDB_val()
                guard mdb_get(txn, events, &key, &value) == 0 else { throw CocoaError(.fileReadUnknown) }
                var bytes = Array(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
                try change(&bytes)
                try bytes.withUnsafeMutableBytes { raw in
                    var newValue = MDB_val(mv_size: raw.count, mv_data: raw.baseAddress)
                    guard mdb_put(txn, events, &key, &newValue, 0) == 0 else { throw CocoaError(.fileWriteUnknown) }
                }
            }
        }
    }

    static func putMeta(directory: String, key name: String, value bytes: [UInt8]) throws {
        try withWriteTransaction(directory: directory) { txn, _, meta in
            var keyBytes = Array(name.utf8)
            var valueBytes = bytes
            try keyBytes.withUnsafeMutableBytes { keyRaw in
                try valueBytes.withUnsafeMutableBytes { valueRaw in
                    var key = MDB_val(mv_size: keyRaw.count, mv_data: keyRaw.baseAddress)
                    var value = MDB_val(mv_size: valueRaw.count, mv_data: valueRaw.baseAddress)
                    guard mdb_put(txn, meta, &key, &value, 0) == 0 else { throw CocoaError(.fileWriteUnknown) }
                }
            }
        }
    }
}
