import Domain
import EventLog
import Foundation
import LMDSJSON
import Matching
import LMDSTestSupport
import Testing
@testable import LMDSServer
@testable import LMDSCore

/// A task that says whether it has finished.
final class WriterTask: @unchecked Sendable {
    private let lock = NSLock()
    private var finished = false
    private var task: Task<Void, Never>?

    init(_ body: @escaping @Sendable () async -> Void) {
        task = Task { [self] in
            await body()
            lock.withLock { finished = true }
        }
    }

    var isFinished: Bool { lock.withLock { finished } }
    var value: Void { get async { await task?.value } }
}

/// A report of the current state names in its receipt only what the log holds: the position it reflects is
/// committed before the receipt is made, and the state it was built from is exactly the log's up to there.
@Suite struct ReportReceiptTests {
    /// While 600 submissions commit (some refused: the log's queue holds 16 appends), every state taken for
    /// a report is, once `waitUntilCommitted` says so, the replay of the log up to its position; when an
    /// append it held failed, the wait says so instead (here most waits: 10-40 states are checked).
    @Test func receiptsNameOnlyCommittedStates() async throws {
        let directory = NSTemporaryDirectory() + "lmds-receipt-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog.open(EventLogConfiguration(directory: directory, commitLimits: GroupCommitLimits(queueRequestsMax: 16)))
        defer { log.close() }
        let processor = DomainProcessor(log: log, taxonomy: DomainFixtures.leiden, policy: .default, weights: MatchingWeights(),
                                        clock: SystemClock(), eventIDs: RandomEventIDSource())
        try await processor.rebuild()
        let actor = EventActor(uid: 0, userName: "test", role: "admin")
        let writers = WriterTask {
            for round in 0..<10 {
                await withTaskGroup(of: Void.self) { group in
                    for number in 0..<60 {
                        group.addTask {
                            _ = try? await processor.execute(DomainFixtures.submit(round * 60 + number), actor: actor, issuer: .staff, requestID: nil)
                        }
                    }
                }
            }
        }
        var checked = 0
        var checkedWhileWriting = 0
        var attempts = 0
        // Until the writers are done (at most 40 replays), and once more after.
        while checked < 40 {
            let writing = !writers.isFinished
            attempts += 1
            let taken = await processor.stateAndPosition()
            guard await processor.waitUntilCommitted(through: taken.position, generation: taken.generation) else {
                await Task.yield()
                continue
            }
            #expect(log.head.position >= taken.position)
            #expect(try DomainProcessor.replay(log: log, upTo: .position(taken.position)).state == taken.state, "at \(taken.position)")
            let hashThere = taken.position == 0 ? RecordCodec.genesisHash : try log.record(at: taken.position)?.hash
            #expect(try log.receipt(at: taken.position).headHash == hashThere.map(Hex.encode))
            checked += 1
            if writing { checkedWhileWriting += 1 } else { break }
        }
        await writers.value
        // At least one state must have been checked while appends were in flight: the check after the
        // writers finish alone would pass whatever `waitUntilCommitted` did under load.
        #expect(checkedWhileWriting > 0, "\(attempts) attempts, \(checked) checked")
    }
}
