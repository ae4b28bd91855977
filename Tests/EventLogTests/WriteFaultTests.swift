import CLMDB
@testable import EventLog
import Foundation
import LMDSJSON
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A commit or sync that fails on the disk poisons the log for writing (issue 24, "a failed fsync"): the
/// write that hit it is not acknowledged, every later one is refused with the same reason, reads go on,
/// the fault is reported once, and a new open of the log takes writes again.
@Suite struct WriteFaultTests {
    /// Counts the fault observer's calls.
    final class FaultCount: Sendable {
        let calls = Mutex<[EventLogError]>([])
        func record(_ fault: EventLogError) { calls.withLock { $0.append(fault) } }
        var all: [EventLogError] { calls.withLock { $0 } }
    }

    /// The error an append ends with, or nil when it was acknowledged.
    static func failure(of append: () async throws -> [EventRecord]) async -> EventLogError? {
        do {
            _ = try await append()
            return nil
        } catch {
            return error as? EventLogError
        }
    }

    /// An EIO from the commit: that append and every later one fail with `syncFailed` naming EIO and the
    /// time, nothing is written, reads and verification go on, the observer hears of it once, and the log
    /// opened again takes writes after the last acknowledged record.
    @Test func aFailedSyncRefusesThatWriteAndEveryLaterOne() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let faults = FaultCount()
        var log = try EventLog.open(EventLogConfiguration(directory: directory.path, faultObserver: { faults.record($0) }))
        var factory = EventFactory()
        for _ in 0..<3 { _ = try await log.append([factory.make()]) }
        #expect(log.writeFault == nil)
        log.failNextTransaction(status: EIO)
        let hit = await Self.failure { try await log.append([factory.make()]) }
        #expect(hit?.code == .syncFailed, "\(String(describing: hit))")
        #expect(hit?.message.contains("EIO") == true && hit?.message.contains("restart the daemon") == true, "\(hit?.message ?? "")")
        for _ in 0..<5 {
            let later = await Self.failure { try await log.append([factory.make()]) }
            #expect(later == hit, "every later write gets the first failure's reason")
        }
        #expect(log.writeFault == hit)
        #expect(log.head.position == 3)
        #expect(try log.records(from: 1, limit: 10).count == 3)
        #expect(try log.verify().isIntact)
        #expect(faults.all == [hit].compactMap { $0 }, "reported once, not per write")
        log.close()
        log = try EventLog.open(EventLogConfiguration(directory: directory.path))
        #expect(log.writeFault == nil)
        let next = try await log.append([factory.make()])
        #expect(next.map(\.position) == [4])
        #expect(try log.verify().isIntact)
        log.close()
    }

    /// LMDB's MDB_PANIC (an environment it marked unusable) also poisons the log; the environment is opened
    /// again so that reads go on.
    @Test func aPanicRefusesWritesAndReadsGoOn() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
        defer { log.close() }
        var factory = EventFactory()
        _ = try await log.append([factory.make(), factory.make()])
        log.failNextTransaction(status: MDB_PANIC)
        let hit = await Self.failure { try await log.append([factory.make()]) }
        #expect(hit?.code == .syncFailed && hit?.message.contains("MDB_PANIC") == true, "\(String(describing: hit))")
        let later = await Self.failure { try await log.append([factory.make()]) }
        #expect(later?.code == .syncFailed)
        #expect(try log.record(at: 2) != nil)
        #expect(try log.verify().recordsChecked == 2)
    }

    /// Sixteen appenders write while a commit fails: every acknowledged record is in the log at its
    /// position, gapless, and once an appender saw the failure none of its later appends succeeds (those
    /// queued behind the failed batch are refused, not committed on top of it).
    @Test func appendsQueuedBehindTheFailedCommitAreRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path))
        defer { log.close() }
        let outcomes = try await withThrowingTaskGroup(of: ([EventRecord], Int, Bool).self) { group in
            for appender in 0..<16 {
                group.addTask {
                    var factory = EventFactory(counter: UInt64(appender) * 1_000_000)
                    var records: [EventRecord] = []
                    var failures = 0
                    var successAfterFailure = false
                    for attempt in 0..<200 {
                        if appender == 0 && attempt == 50 { log.failNextTransaction(status: EIO) }
                        do {
                            records += try await log.append([factory.make()])
                            if failures > 0 { successAfterFailure = true }
                        } catch let error as EventLogError {
                            #expect(error.code == .syncFailed, "\(error.message)")
                            failures += 1
                        }
                    }
                    return (records, failures, successAfterFailure)
                }
            }
            var all: [([EventRecord], Int, Bool)] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        let acknowledged = outcomes.flatMap(\.0)
        #expect(outcomes.allSatisfy { $0.1 > 0 }, "every appender was refused in the end")
        #expect(!outcomes.contains { $0.2 }, "no append succeeded after its appender saw the failure")
        #expect(log.head.position == UInt64(acknowledged.count))
        #expect(Set(acknowledged.map(\.position)) == Set(1...UInt64(acknowledged.count)))
        for record in acknowledged { #expect(try log.record(at: record.position) == record) }
        #expect(try log.verify().isIntact)
    }
}
