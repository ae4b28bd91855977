@testable import EventLog
import Foundation
import LMDSJSON
import Testing

/// Appenders seal their records when they queue them; when a transaction fails, the appends queued
/// behind it are sealed again from the last committed record.
@Suite struct RechainTests {
    /// Sixteen appenders mix large and small events into a map that stops growing, so that transactions
    /// holding a large event fail while others are queued behind them. Every acknowledged record is then
    /// stored at the position it was acknowledged with, byte for byte, the positions are gapless, the
    /// chain verifies, and the queue was indeed re-chained.
    @Test func appendsQueuedBehindAFailedTransactionAreChainedAgain() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog.open(EventLogConfiguration(directory: directory.path, mapBytesInitial: 1 << 20, mapBytesMax: 2 << 20))
        let large: JSONValue = ["tekst": .string(String(repeating: "Bos- en Gasthuisdistrict, ", count: 900))]
        let small: JSONValue = ["wijk": "Stevenshof"]
        let acknowledged = try await withThrowingTaskGroup(of: ([EventRecord], Int).self) { group in
            for appender in 0..<16 {
                group.addTask {
                    var factory = EventFactory(counter: UInt64(appender) * 1_000_000)
                    var records: [EventRecord] = []
                    var failures = 0
                    var attempt = 0
                    // Until this appender saw a dozen failures and some transaction failed with appends
                    // queued behind it (how soon depends on scheduling), within a bound.
                    while (failures < 12 || log.rechainedAppends == 0) && attempt < 40_000 {
                        attempt += 1
                        let data = (attempt + appender) % 3 == 0 ? large : small
                        do {
                            records += try await log.append([factory.make(data: data)])
                        } catch let error as EventLogError {
                            #expect(error.code == .storageFull, "\(error.message)")
                            failures += 1
                        }
                    }
                    return (records, failures)
                }
            }
            var all: [EventRecord] = []
            var failures = 0
            for try await (records, failed) in group {
                all += records
                failures += failed
            }
            #expect(failures > 0)
            return all
        }
        #expect(log.rechainedAppends > 0, "no transaction failed with appends queued behind it")
        #expect(log.head.position == UInt64(acknowledged.count))
        #expect(Set(acknowledged.map(\.position)) == Set((1...UInt64(acknowledged.count))))
        for record in acknowledged {
            #expect(try log.record(at: record.position) == record)
        }
        let report = try log.verify()
        #expect(report.isIntact, "\(report)")
        #expect(report.recordsChecked == UInt64(acknowledged.count))
    }
}
