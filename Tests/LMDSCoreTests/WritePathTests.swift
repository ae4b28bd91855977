import Domain
import EventLog
import Foundation
import LMDSTestSupport
import Matching
import Synchronization
import Testing
@testable import LMDSCore

/// The write path as the daemon drives it (`execute(_:actor:issuer:requestID:reply:)`): answers that leave from
/// the log's writer thread, and texts analysed before a command reaches the processor, change nothing a replay
/// of the log would not give.
@Suite struct WritePathTests {
    /// 200 submissions at once, answered through `reply`: each is answered exactly once, as a submitted question
    /// at its log position, and the read models (the matching index built partly from analyses made before the
    /// processor took the command) digest the same as read models rebuilt from the log.
    @Test func concurrentWritesAnsweredEarlyLeaveTheReadModelsAReplayGives() async throws {
        let directory = NSTemporaryDirectory() + "lmds-write-path-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog.open(EventLogConfiguration(directory: directory))
        defer { log.close() }
        let processor = DomainProcessor(log: log, taxonomy: DomainProcessorTests.leiden, policy: .default, weights: MatchingWeights(),
                                        clock: SystemClock(), eventIDs: RandomEventIDSource())
        try await processor.rebuild()
        let actor = EventActor(uid: 0, userName: "test", role: "admin")
        let count = 200
        let answers = await withTaskGroup(of: (Int, Result<WriteResult?, CoreError>).self) { group in
            for number in 1...count {
                group.addTask {
                    let answer = await withCheckedContinuation { continuation in
                        let description = "Wilde bijen en groene daken in de Bos- en Gasthuisdistrict, vraag \(number)"
                        processor.execute(DomainProcessorTests.submit(number, description: description), actor: actor, issuer: .staff,
                                          requestID: "r-\(number)") { continuation.resume(returning: $0) }
                    }
                    return (number, answer)
                }
            }
            var collected: [(Int, Result<WriteResult?, CoreError>)] = []
            for await answer in group { collected.append(answer) }
            return collected
        }
        let results = try answers.map { try #require(try $0.1.get()) }
        #expect(results.count == count && Set(results.map(\.entityID)).count == count)
        #expect(results.allSatisfy { $0.status == "submitted" && $0.version == 1 })
        #expect(Set(results.map(\.position)) == Set((1...UInt64(count))))
        let (position, live) = await processor.snapshot()
        #expect(position == UInt64(count))
        let replayed = try DomainProcessor.replay(log: log, upTo: nil)
        let rebuilt = ReadModels(state: replayed.state, matching: MatchingIndex(analyzer: processor.analyzer, state: replayed.state))
        #expect(live.digestHex == rebuilt.digestHex)
        // The processor took every commit in after answering: each request id is remembered with its answer.
        for (number, answer) in answers {
            #expect(await processor.rememberedResult("r-\(number)") == (try answer.get()))
        }
    }
}
