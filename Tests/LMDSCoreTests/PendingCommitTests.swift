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
        Self.report(.failure(EventLogError(.storageFull, "the disk is full")), to: commit)
        await #expect(throws: EventLogError.self) { try await commit.value() }
    }

    /// A commit reported while the processor waits answers early, from the reporting thread, after the wait is resumed.
    @Test func aCommitReportedDuringTheWaitAnswersEarly() async throws {
        let commit = PendingCommit()
        let answered = LockedLines()
        commit.answerOnCommit { records in answered.append("early \(records.count)") }
        Self.report(.success([]), to: commit)
        #expect(try await commit.value().isEmpty)
        while answered.all.isEmpty { await Task.yield() }
        #expect(answered.all == ["early 0"])
    }

    /// A commit reported before the processor waits is answered by the processor, not early.
    @Test func aCommitReportedBeforeTheWaitDoesNotAnswerEarly() async throws {
        let commit = PendingCommit()
        let answered = LockedLines()
        commit.answerOnCommit { _ in answered.append("early") }
        commit.complete(.success([]))
        _ = try await commit.value()
        #expect(answered.all.isEmpty)
    }

    /// A failed commit is never answered early: the processor answers with the error.
    @Test func aFailedCommitDoesNotAnswerEarly() async throws {
        let commit = PendingCommit()
        let answered = LockedLines()
        commit.answerOnCommit { _ in answered.append("early") }
        Self.report(.failure(EventLogError(.storageFull, "the disk is full")), to: commit)
        await #expect(throws: EventLogError.self) { try await commit.value() }
        #expect(answered.all.isEmpty)
    }

    /// A write's reply is delivered once: the later of an early and a final answer is dropped.
    @Test func aWriteReplyIsDeliveredOnce() {
        let answered = LockedLines()
        let reply = WriteReply { outcome in answered.append((try? outcome.get())??.entityID ?? "error") }
        reply.deliver(.success(WriteResult(entityID: "Q-0001", status: "submitted", version: 1, position: 1)))
        reply.deliver(.failure(.shuttingDown))
        #expect(answered.all == ["Q-0001"])
    }

    /// A submission's details (organisation link, existing contact) survive the result's JSON, as a snapshot keeps it.
    @Test func aSubmissionResultRoundTripsThroughItsJSON() {
        let organisation = WriteResult.OrganisationLink(id: "G-0001", name: "Bewonersgroep Tuinstadwijk ë", registered: true)
        let result = WriteResult(entityID: "Q-0002", status: "submitted", version: 1, position: 7,
                                 details: .submission(organisation: organisation, existingContact: "C-0001"))
        #expect(WriteResult(json: result.json) == result)
        let plain = WriteResult(entityID: "Q-0003", status: "submitted", version: 1, position: 8)
        #expect(WriteResult(json: plain.json) == plain)
    }

    /// Reports `result` to `commit` from another thread, as the log's writer does, while the test waits.
    static func report(_ result: Result<[EventRecord], EventLogError>, to commit: PendingCommit) {
        let reporter = Thread {
            usleep(20_000)
            commit.complete(result)
        }
        reporter.start()
    }
}
