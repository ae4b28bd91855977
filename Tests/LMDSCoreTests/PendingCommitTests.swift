import EventLog
import Foundation
import Testing
@testable import LMDSCore

/// An append's outcome reaches the processor whether the log reports it before or after the wait begins.
@Suite struct PendingCommitTests {
    @Test func aCommitReportedBeforeTheWaitIsDelivered() async throws {
        let commit = PendingCommit()
        commit.complete(.success([]))
        #expect(try await commit.value().isEmpty)
    }

    @Test func aCommitReportedDuringTheWaitIsDelivered() async throws {
        let commit = PendingCommit()
        let reporter = Thread {
            usleep(20_000)
            commit.complete(.failure(EventLogError(.storageFull, "the disk is full")))
        }
        reporter.start()
        await #expect(throws: EventLogError.self) { try await commit.value() }
    }
}
