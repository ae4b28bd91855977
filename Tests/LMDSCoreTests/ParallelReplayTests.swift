import Domain
import EventLog
import Foundation
import LMDSJSON
import Matching
import Reports
import Testing
@testable import LMDSCore

/// The two-thread replay and index build give exactly what a plain fold over the log gives.
@Suite struct ParallelReplayTests {
    /// A log of several replay chunks: submitted questions (some with request ids), half of them accepted
    /// under a new title.
    static func makeLog(questions: Int) async throws -> (EventLog, String) {
        let directory = NSTemporaryDirectory() + "lmds-replay-\(UInt32.random(in: 0...UInt32.max))"
        let log = try EventLog.open(EventLogConfiguration(directory: directory))
        let processor = DomainProcessor(log: log, taxonomy: DomainProcessorTests.leiden, policy: .default, weights: MatchingWeights(),
                                        clock: SystemClock(), eventIDs: RandomEventIDSource())
        try await processor.rebuild()
        let actor = EventActor(uid: 0, userName: "test", role: "admin")
        let descriptions = ["Ouderen in de Stevenshof voelen zich eenzaam", "Groen in het Bos- en Gasthuisdistrict", "Café voor de buurt, met ë"]
        for start in stride(from: 1, through: questions, by: 50) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for number in start..<min(start + 50, questions + 1) {
                    group.addTask {
                        let submit = DomainProcessorTests.submit(number, description: descriptions[number % descriptions.count])
                        _ = try await processor.execute(submit, actor: actor, issuer: .staff, requestID: number % 3 == 0 ? "request-\(number)" : nil)
                    }
                }
                try await group.waitForAll()
            }
        }
        for number in stride(from: 2, through: questions, by: 2) {
            let id = "Q-" + String(format: "%04d", number)
            _ = try await processor.execute(.question(.accept(id: id, title: "Aangenomen \(number): buurthuis", description: nil, expectedVersion: nil)),
                                            actor: actor, issuer: .staff, requestID: "accept-\(number)")
        }
        return (log, directory)
    }

    /// What the replay must equal: the log folded record by record on one thread.
    static func sequentialFold(_ log: EventLog, upTo last: UInt64) throws -> (state: DomainState, positions: [String: [UInt64]], head: UInt64) {
        var state = DomainState()
        var positions: [String: [UInt64]] = [:]
        var head: UInt64 = 0
        try log.scan(from: 1) { record throws(EventLogError) -> Bool in
            guard record.position <= last else { return false }
            for entity in record.entityIDs { positions[entity, default: []].append(record.position) }
            if let event = DomainEvent(type: record.type, data: try record.data()) { state.apply(event) }
            head = record.position
            return true
        }
        return (state, positions, head)
    }

    @Test func replayEqualsASequentialFoldWholeAndCutMidChunk() async throws {
        let (log, directory) = try await Self.makeLog(questions: 3_000)
        defer {
            log.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let head = log.head.position
        #expect(head > UInt64(2 * ParallelReplay.chunkRecordsMax))
        for last in [head, UInt64(ParallelReplay.chunkRecordsMax) + 17, 1] {
            let replayed = try DomainProcessor.replay(log: log, upTo: last == head ? nil : .position(last))
            let expected = try Self.sequentialFold(log, upTo: last)
            #expect(replayed.head == expected.head)
            #expect(replayed.state == expected.state, "replay up to \(last)")
            #expect(replayed.entityPositions == expected.positions, "positions up to \(last)")
        }
        // Retried requests get their first reply back: one remembered per request id in the log.
        let whole = try DomainProcessor.replay(log: log, upTo: nil)
        #expect(whole.results.count == 1_000 + 1_500)
        #expect(whole.results.first { $0.0 == "accept-2" }?.1.status == "open")
    }

    @Test func indexBuiltOnTwoThreadsEqualsTheSequentialOne() async throws {
        let (log, directory) = try await Self.makeLog(questions: 600)
        defer {
            log.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let state = try DomainProcessor.replay(log: log, upTo: nil).state
        let analyzer = TextAnalyzer(taxonomy: DomainProcessorTests.leiden)
        let sequential = MatchingIndex(analyzer: analyzer, state: state)
        let parallel = ParallelIndexBuild.index(analyzer: analyzer, state: state)
        #expect(parallel.analyses == sequential.analyses)
        #expect(parallel.analyses.count == 600)
        let overview = OverviewProjection(state: state)
        #expect(ReadModels(state: state, matching: parallel, overview: overview).digestHex
            == ReadModels(state: state, matching: sequential, overview: overview).digestHex)
        for id in ["Q-0001", "Q-0300", "Q-0600"] {
            #expect(parallel.questionText.ordinal(id) == sequential.questionText.ordinal(id))
        }
    }
}

extension ParallelReplayTests {
    /// Analyses made in the background of an earlier state (a snapshot's) are reused only where a
    /// question's text is still the same: the index equals one built from scratch.
    @Test func indexFromEarlierAnalysesEqualsOneBuiltFromScratch() async throws {
        let (log, directory) = try await Self.makeLog(questions: 400)
        defer {
            log.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let analyzer = TextAnalyzer(taxonomy: DomainProcessorTests.leiden)
        // Before the accepts that retitle every second question, and after them.
        let earlier = try DomainProcessor.replay(log: log, upTo: .position(400)).state
        let final = try DomainProcessor.replay(log: log, upTo: nil).state
        #expect(earlier.questions["Q-0002"]?.title != final.questions["Q-0002"]?.title)
        let scratch = MatchingIndex(analyzer: analyzer, state: final)
        let background = TextAnalysisInBackground(questions: earlier.questions, analyzer: analyzer)
        let reused = ParallelIndexBuild.index(analyzer: analyzer, state: final, earlier: background, questionsUnchanged: false) { [:] }
        #expect(reused.analyses == scratch.analyses)
        #expect(reused.questionText.ordinal("Q-0400") == scratch.questionText.ordinal("Q-0400"))
        // With nothing changed since, the earlier analyses are taken as they are; the offers' come from
        // the closure (none in this log: every question of the state is still checked).
        let unchanged = ParallelIndexBuild.index(
            analyzer: analyzer, state: final, earlier: TextAnalysisInBackground(questions: final.questions, analyzer: analyzer),
            questionsUnchanged: true) { [:] }
        #expect(unchanged.analyses == scratch.analyses)
        // A thread helping with the analysis changes nothing.
        let helped = TextAnalysisInBackground(questions: earlier.questions, analyzer: analyzer)
        helped.help()
        #expect(ParallelIndexBuild.index(analyzer: analyzer, state: final, earlier: helped, questionsUnchanged: false) { [:] }.analyses
            == scratch.analyses)
    }
}

/// The hand-over between the replay's reader and its folder.
@Suite struct ChunkQueueTests {
    @Test func deliversEveryChunkInOrderThenTheEnd() throws {
        let queue = ChunkQueue<Int>(chunksMax: 2)
        let producer = Thread {
            for chunk in 0..<50 { queue.put([chunk, chunk]) }
            queue.finish(.success(()))
        }
        producer.start()
        var taken: [Int] = []
        while let chunk = try queue.take() { taken += chunk }
        #expect(taken == (0..<50).flatMap { [$0, $0] })
    }

    @Test func aProducerFailureArrivesAfterTheChunksBeforeIt() throws {
        let queue = ChunkQueue<Int>(chunksMax: 4)
        queue.put([1])
        queue.put([2])
        queue.finish(.failure(EventLogError(.damaged, "record 3 is damaged")))
        #expect(try queue.take() == [1])
        #expect(try queue.take() == [2])
        #expect(throws: EventLogError.self) { try queue.take() }
    }
}

/// Background snapshots: taken when the interval's events are committed and nothing is in flight, and
/// each equal to the log up to its position.
@Suite struct BackgroundSnapshotTests {
    @Test func aSnapshotIsSavedEveryIntervalAndEqualsTheLogUpToIt() async throws {
        let directory = NSTemporaryDirectory() + "lmds-snapshots-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog.open(EventLogConfiguration(directory: directory))
        defer { log.close() }
        let lines = LockedLines()
        let processor = DomainProcessor(
            log: log, taxonomy: DomainProcessorTests.leiden, policy: .default, weights: MatchingWeights(), clock: SystemClock(),
            eventIDs: RandomEventIDSource(), snapshotDirectory: directory, snapshotEventsInterval: 40, report: { lines.append($0) })
        try await processor.rebuild()
        let actor = EventActor(uid: 0, userName: "test", role: "admin")
        for number in 1...100 {
            _ = try await processor.execute(DomainProcessorTests.submit(number), actor: actor, issuer: .staff, requestID: "r-\(number)")
        }
        // Saves run in the background, one at a time: the first at 40; the second at 80, or later when the
        // first was still being written then. Wait for the last one started to be reported.
        await processor.waitForBackgroundSnapshot()
        #expect((1...2).contains(lines.all.count), "\(lines.all)")
        #expect(lines.all.allSatisfy { $0.hasPrefix("snapshot saved at position") })
        let snapshot = try SnapshotFile.decode(try #require(try SnapshotFile.read(directory: directory)))
        #expect((40..<100).contains(snapshot.position))
        let replayed = try DomainProcessor.replay(log: log, upTo: .position(snapshot.position))
        #expect(snapshot.state == replayed.state)
        #expect(snapshot.entityPositions == replayed.entityPositions)
        #expect(snapshot.results.map(\.0) == (1...Int(snapshot.position)).map { "r-\($0)" })
        #expect(snapshot.hash == (try log.record(at: snapshot.position))?.hash)
        // The stop saves the rest; a new processor loads it and replays nothing.
        #expect(await processor.saveSnapshot()?.hasPrefix("snapshot saved at position 100") == true)
        let restarted = DomainProcessor(
            log: log, taxonomy: DomainProcessorTests.leiden, policy: .default, weights: MatchingWeights(), clock: SystemClock(),
            eventIDs: RandomEventIDSource(), snapshotDirectory: directory)
        let summary = try await restarted.rebuild()
        #expect(summary.snapshotPosition == 100 && summary.eventsReplayed == 0)
        #expect(await restarted.state == (await processor.state))
        #expect(await restarted.rememberedResult("r-100") == (await processor.rememberedResult("r-100")))
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
