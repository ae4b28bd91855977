import Domain
@testable import EventLog
import Foundation
import LMDSJSON
import Matching
import LMDSTestSupport
import Testing
@testable import LMDSCore

#if canImport(Glibc)
import Glibc
#endif

/// The processor on a log whose commit failed on the disk (issue 24, "a failed fsync").
@Suite struct WriteFaultProcessorTests {
    /// The write whose commit fails with EIO is refused with `syncFailed` and is not in the state; every
    /// later write is refused with the same reason at once, without deciding it or rebuilding the state
    /// again; reads of the state go on and show exactly the log.
    @Test func aFailedSyncRefusesEveryLaterWriteWithoutRebuilding() async throws {
        let directory = NSTemporaryDirectory() + "lmds-processor-fault-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog.open(EventLogConfiguration(directory: directory))
        defer { log.close() }
        let processor = DomainProcessor(log: log, taxonomy: DomainFixtures.leiden, policy: .default, weights: MatchingWeights(),
                                        clock: ManualClock(1_800_000_000_000), eventIDs: RandomEventIDSource())
        try await processor.rebuild()
        let actor = EventActor(uid: 0, userName: "test", role: "admin")
        for number in 0..<3 {
            _ = try await processor.execute(DomainFixtures.submit(number), actor: actor, issuer: .staff, requestID: nil)
        }
        log.failNextTransaction(status: EIO)
        var hit: EventLogError?
        do throws(CoreError) {
            _ = try await processor.execute(DomainFixtures.submit(3), actor: actor, issuer: .staff, requestID: "r-hit")
        } catch {
            if case .storage(let failure) = error { hit = failure }
        }
        #expect(hit?.code == .syncFailed, "\(String(describing: hit))")
        #expect(await processor.state.questionCount == 3, "the write that hit the failure is not in the state")
        let generationAfterFailure = await processor.generation
        for number in 4..<24 {
            var refusal: EventLogError?
            do throws(CoreError) {
                _ = try await processor.execute(DomainFixtures.submit(number), actor: actor, issuer: .staff, requestID: nil)
            } catch {
                if case .storage(let failure) = error { refusal = failure }
            }
            #expect(refusal == hit, "every later write is refused with the first failure's reason")
        }
        #expect(await processor.generation == generationAfterFailure, "refused writes did not rebuild the state")
        #expect(await processor.state == (try DomainProcessor.replay(log: log, upTo: nil).state))
        #expect(log.head.position == 3)
    }
}
