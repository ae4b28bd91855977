import Dispatch
import Domain
import EventLog
import LMDSJSON
import Matching
import Reports
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Rebuilding the read models from the log and the snapshot, and saving snapshots.
extension DomainProcessor {
    /// How a rebuild went, for the daemon's log.
    public struct RebuildSummary: Sendable {
        /// The head the read models reflect.
        public var head: UInt64
        /// The snapshot's position when one was loaded; events after it were replayed.
        public var snapshotPosition: UInt64?
        /// Why the snapshot file was not used, when there was one.
        public var snapshotProblem: String?
        public var eventsReplayed: UInt64
        public var loadMs: Int64
        public var replayMs: Int64
        public var indexMs: Int64

        public var description: String {
            var text = snapshotPosition.map { "snapshot at position \($0) loaded in \(loadMs) ms, " } ?? ""
            if let snapshotProblem { text += "snapshot not used (\(snapshotProblem)), " }
            return text + "\(eventsReplayed) events replayed in \(replayMs) ms, matching index and overview built in \(indexMs) ms"
        }
    }

    /// Rebuilds the read models from the log: from the snapshot (when there is one for this log) and the
    /// events after it, or from the whole log.
    @discardableResult
    public func rebuild(usingSnapshot: Bool = true) async throws(EventLogError) -> RebuildSummary {
        rebuilding = true
        defer {
            rebuilding = false
            if appendsInFlight == 0 { resumeIdleWaiters() }
        }
        let startMs = clock.nowMs()
        var summary = RebuildSummary(head: 0, eventsReplayed: 0, loadMs: 0, replayMs: 0, indexMs: 0)
        let loaded = try loadStart(usingSnapshot: usingSnapshot)
        summary.snapshotProblem = loaded.problem
        let loadedMs = clock.nowMs()
        // After a snapshot, `replay` holds the tail's positions and replies only; the snapshot's are merged below.
        var replay = try Self.replay(log: log, upTo: nil, continuing: loaded.start)
        let replayedMs = clock.nowMs()
        // The matching index and the overview are built from the final state on other threads while the
        // rest of the snapshot (positions, replies) is read here.
        let indexing = IndexBuildInBackground(
            analyzer: analyzer, state: replay.state, earlier: loaded.analysis,
            questionsUnchanged: loaded.snapshot != nil && replay.head == loaded.start.head)
        let builtOverview = OverviewProjection(state: replay.state)
        indexing.analyseOffers()
        if let snapshot = loaded.snapshot {
            do throws(SnapshotFileError) {
                try Self.merge(SnapshotFile.decodeRest(snapshot), into: &replay)
                summary.snapshotPosition = snapshot.position
                lastSnapshotPosition = snapshot.position
            } catch {
                await Self.finished(indexing.group)
                var fallback = try await rebuild(usingSnapshot: false)
                fallback.snapshotProblem = error.reason
                return fallback
            }
        }
        // This thread's own part is done: it helps analyse what is left before waiting.
        loaded.analysis?.help()
        await Self.finished(indexing.group)
        install(replay, matching: indexing.index, overview: builtOverview)
        summary.head = replay.head
        summary.eventsReplayed = replay.head - loaded.start.head
        summary.loadMs = loadedMs - startMs
        summary.replayMs = replayedMs - loadedMs
        summary.indexMs = clock.nowMs() - replayedMs
        return summary
    }

    /// Where a rebuild starts: the snapshot's state when there is a usable one (its questions' texts already
    /// being analysed on another thread), else an empty state; and why a snapshot file was not used.
    /// - Throws: `damaged` when the snapshot shows that the log lost acknowledged records.
    private func loadStart(usingSnapshot: Bool) throws(EventLogError) -> (start: Replay, snapshot: SnapshotFile.StatePart?, analysis: TextAnalysisInBackground?, problem: String?) {
        guard usingSnapshot else { return (Replay(), nil, nil, nil) }
        let analyzer = self.analyzer
        // The questions' texts are analysed on another thread from the moment the snapshot's questions
        // are read (the analysis is most of the index's cost), while the rest is read here.
        var analysis: TextAnalysisInBackground?
        switch loadSnapshot(afterQuestions: { questions in analysis = TextAnalysisInBackground(questions: questions, analyzer: analyzer) }) {
        case .success(let part?):
            return (Replay(state: part.state, head: part.position, headTimeMs: part.headTimeMs), part, analysis, nil)
        case .success(nil):
            return (Replay(), nil, nil, nil)
        case .failure(let problem):
            if problem.logIsBehind { throw EventLogError(.damaged, problem.reason) }
            return (Replay(), nil, nil, problem.reason)
        }
    }

    /// The snapshot's entity positions and remembered replies, followed by the tail's that `replay` holds.
    private static func merge(_ rest: (entityPositions: [String: [UInt64]], results: [(String, WriteResult)]), into replay: inout Replay) {
        var positions = rest.entityPositions
        for (entity, tail) in replay.entityPositions { positions[entity, default: []].append(contentsOf: tail) }
        replay.entityPositions = positions
        replay.results = rest.results + replay.results
    }

    /// Makes the rebuilt read models the current ones, with the remembered replies and positions.
    private func install(_ replay: Replay, matching: MatchingIndex, overview: OverviewProjection) {
        models = ReadModels(state: replay.state, matching: matching, overview: overview)
        replyCache.removeAll()
        entityPositions = replay.entityPositions
        results = [:]
        resultOrder = []
        resultOrderStart = 0
        for (requestID, result) in replay.results { remember(requestID, result) }
        expectedHead = replay.head
        needsRebuild = false
        generation += 1
    }

    /// Waits for the work in `group`, which runs on Dispatch's threads, without blocking the actor's thread
    /// (the notification resumes the rebuild as soon as the work is done: start-up takes no longer).
    private static func finished(_ group: DispatchGroup) async {
        await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }
    }

    /// The snapshot in the data directory, if there is one and it belongs to this log: the log holds its
    /// position with the same hash (a snapshot of another log, or of a log since restored from an older
    /// backup, is not used). A snapshot of this log (same identity) taken further along than the log's
    /// head is a failure with `logIsBehind`: the log lost records it had acknowledged.
    func loadSnapshot(afterQuestions: ([String: Question]) -> Void) -> Result<SnapshotFile.StatePart?, SnapshotFileError> {
        guard let snapshotDirectory else { return .success(nil) }
        do throws(SnapshotFileError) {
            guard let bytes = try SnapshotFile.read(directory: snapshotDirectory) else { return .success(nil) }
            let snapshot = try SnapshotFile.decodeState(bytes, afterQuestions: afterQuestions)
            let head = log.head
            if snapshot.position > head.position, let identity = log.identity, snapshot.identity == identity.bytes {
                throw SnapshotFileError(
                    reason: "the log ends at position \(head.position), but its snapshot was taken at position \(snapshot.position): "
                        + "acknowledged records are missing from the log file (damaged, or rolled back to LMDB's older meta page); "
                        + "restore the data directory from a backup, or remove \(SnapshotFile.path(in: snapshotDirectory)) to serve the shorter log",
                    logIsBehind: true)
            }
            let record: EventRecord?
            do {
                record = try log.record(at: snapshot.position)
            } catch {
                throw SnapshotFileError(reason: "its position \(snapshot.position) cannot be read: \(error)")
            }
            guard snapshot.position == 0 || record?.hash == snapshot.hash else {
                throw SnapshotFileError(reason: "it was taken of another log (position \(snapshot.position) differs)")
            }
            return .success(snapshot)
        } catch {
            return .failure(error)
        }
    }

    /// The read models as of the log's head, when nothing is in flight (so that they are exactly the
    /// log's up to there); nil otherwise.
    func captureSnapshot() -> ReadModelSnapshot? {
        let head = log.head
        guard appendsInFlight == 0, !needsRebuild, head.position == expectedHead else { return nil }
        let ordered = resultOrder[resultOrderStart...].compactMap { id in results[id].map { (id, $0) } }
        let headTimeMs = head.position == 0 ? 0 : ((try? log.record(at: head.position))??.timeMs ?? 0)
        return ReadModelSnapshot(
            position: head.position, hash: head.hash, identity: log.identity?.bytes ?? [], headTimeMs: headTimeMs, state: state,
            entityPositions: entityPositions,
            results: ordered)
    }

    /// Saves a snapshot in the background when `CoreLimits.snapshotEventsInterval` events were committed
    /// since the last one and nothing is in flight. The copies of the state it takes share storage until
    /// the next write, which then copies the tables it changes once.
    func saveSnapshotIfDue() {
        guard let snapshotDirectory, snapshotSave == nil, expectedHead >= lastSnapshotPosition + snapshotEventsInterval,
              let snapshot = captureSnapshot() else { return }
        lastSnapshotPosition = snapshot.position
        let report = self.report
        let clock = self.clock
        snapshotSave = Task.detached(priority: .background) { [weak self] in
            report(Self.save(snapshot, directory: snapshotDirectory, clock: clock))
            await self?.snapshotSaved()
        }
    }

    func snapshotSaved() { snapshotSave = nil }

    /// Returns once the background snapshot being saved, if any, is written.
    public func waitForBackgroundSnapshot() async { await snapshotSave?.value }

    /// Writes a snapshot; returns a line for the log saying what was written or why not.
    private static func save(_ snapshot: ReadModelSnapshot, directory: String, clock: any Clock) -> String {
        let startedMs = clock.nowMs()
        let bytes = SnapshotFile.encode(snapshot)
        do throws(SnapshotFileError) {
            try SnapshotFile.write(bytes, directory: directory)
        } catch {
            return "snapshot at position \(snapshot.position) not saved: \(error)"
        }
        let elapsedMs = clock.nowMs() - startedMs
        return "snapshot saved at position \(snapshot.position): \(bytes.count / 1_000_000) MB in \(elapsedMs) ms"
    }

    /// Saves a snapshot of the read models now (at shutdown, after the last write was answered), after any
    /// background save; returns a line for the log, or nil when there is nothing new to save.
    public func saveSnapshot() async -> String? {
        await snapshotSave?.value
        // A write may be answered (early, from the log's writer) before this actor took its commit in and
        // remembered its request id: the snapshot waits for that, or a retry after the restart would run again.
        while appendsInFlight > 0 { await withCheckedContinuation { idleWaiters.append($0) } }
        guard let snapshotDirectory, expectedHead != lastSnapshotPosition, let snapshot = captureSnapshot() else { return nil }
        lastSnapshotPosition = snapshot.position
        let clock = self.clock
        return await Task.detached { Self.save(snapshot, directory: snapshotDirectory, clock: clock) }.value
    }

}

/// The matching index of a rebuilt state, built on Dispatch's threads while the rebuild reads the rest of the
/// snapshot. With the snapshot's questions analysed in the background (`earlier`), the index also needs the
/// offers' analyses, which the rebuilding thread makes (`analyseOffers`) and hands over.
final class IndexBuildInBackground: Sendable {
    /// Done when the index is built.
    let group = DispatchGroup()
    private let built = ResultSlots<MatchingIndex>(count: 1)
    private let offers = ResultSlots<[String: TextAnalyzer.Analysis]>(count: 1)
    private let offersAnalysed = DispatchGroup()
    private let analyzer: TextAnalyzer
    private let state: DomainState
    private let usesEarlierAnalysis: Bool

    init(analyzer: TextAnalyzer, state: DomainState, earlier: TextAnalysisInBackground?, questionsUnchanged: Bool) {
        self.analyzer = analyzer
        self.state = state
        self.usesEarlierAnalysis = earlier != nil
        offersAnalysed.enter()
        let (built, offers, offersAnalysed) = (self.built, self.offers, self.offersAnalysed)
        DispatchQueue.global().async(group: group) {
            let index = earlier.map { earlier in
                ParallelIndexBuild.index(analyzer: analyzer, state: state, earlier: earlier, questionsUnchanged: questionsUnchanged) {
                    offersAnalysed.wait()
                    return offers.get(0)
                }
            } ?? ParallelIndexBuild.index(analyzer: analyzer, state: state)
            built.set(0, index)
        }
    }

    /// Analyses the offers' texts (when the index waits for them) on the calling thread and hands them over.
    func analyseOffers() {
        var cache = TextAnalyzer.WordCache()
        offers.set(0, !usesEarlierAnalysis ? [:] : Dictionary(
            uniqueKeysWithValues: state.offers.values.map { ($0.id, analyzer.analyze(MatchingIndex.indexedText($0), cache: &cache)) }))
        offersAnalysed.leave()
    }

    /// The index, once `group` is done.
    var index: MatchingIndex { built.get(0) }
}
