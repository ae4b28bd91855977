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

/// Handing appends to the log, counting them in flight, and what a failed one does.
extension DomainProcessor {
    /// The actor recorded for what the daemon does by itself (expiries).
    public static let daemonActor = EventActor(uid: UInt32(getuid()), userName: "lmdsd", role: "system")

    /// Appends an event that is not a domain command (such as `BackupTaken`) in the same order as commands.
    public func appendSystemEvent(_ event: ProposedEvent) async throws(EventLogError) -> [EventRecord] {
        if needsRebuild { try await rebuildWhenIdle() }
        let expected = expectedHead
        expectedHead += 1
        let records = try await appendTracked([event], AppendOptions(expectedPosition: expected))
        index(records)
        if appendsInFlight == 0 { saveSnapshotIfDue() }
        return records
    }

    /// How long expiries pause after their append failed.
    static let expiryRetryMs: Int64 = 30_000

    /// Hands events to the log and waits for the commit, counting appends in flight. A failure means the
    /// state holds events the log does not: the state is rebuilt before the next command, unless the
    /// failed append was decided before a rebuild that already happened.
    func appendTracked(_ events: [ProposedEvent], _ options: AppendOptions) async throws(EventLogError) -> [EventRecord] {
        let decidedIn = generation
        let commit = beginAppend(events, options)
        return try await finishAppend(commit, decidedIn: decidedIn)
    }

    /// Hands events to the log without waiting, counting the append in flight. Called on this actor, so
    /// appends reach the log's queue in the order they were decided. Every call is followed by
    /// `finishAppend`.
    func beginAppend(_ events: [ProposedEvent], _ options: AppendOptions) -> PendingCommit {
        appendsInFlight += 1
        let commit = PendingCommit()
        log.append(events, options: options) { result in commit.complete(result) }
        return commit
    }

    /// Waits for an append begun by `beginAppend` (decided in rebuild `decidedIn`) to commit.
    func finishAppend(_ commit: PendingCommit, decidedIn: Int) async throws(EventLogError) -> [EventRecord] {
        defer {
            appendsInFlight -= 1
            let woken = commitWaiters
            commitWaiters = []
            for waiter in woken { waiter.resume() }
            if appendsInFlight == 0 { resumeIdleWaiters() }
        }
        do throws(EventLogError) {
            return try await commit.value()
        } catch {
            if decidedIn == generation { needsRebuild = true }
            if error.code == .storageFull { storageFull = (log.freeBytes(), clock.nowMs()) }
            // Rebuild as soon as nothing is in flight, so that reads stop showing what was not written.
            if needsRebuild && appendsInFlight == 1 { _ = try? await rebuild() }
            throw error
        }
    }

    /// Refuses a write at once while the storage is known to be full (see `storageFull`), or for good once
    /// a commit or sync of the log failed (`EventLog.writeFault`): deciding it would only cost a rebuild.
    func refuseWhileStorageIsFull() throws(EventLogError) {
        if let fault = log.writeFault { throw fault }
        guard let full = storageFull else { return }
        var freed = false
        if let before = full.freeBytes, let now = log.freeBytes() { freed = now >= before + Self.storageFullHeadroomBytes }
        if freed || clock.nowMs() - full.atMs >= Self.storageFullRetryMs {
            storageFull = nil
            return
        }
        throw EventLogError(.storageFull, "the disk holding the log is full; writes resume once space is freed, without a restart")
    }

    /// Wakes the callers of `rebuildWhenIdle`, who look again whether anything is in flight.
    func resumeIdleWaiters() {
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// Rebuilds once every append in flight has been answered: a rebuild that read the log while an earlier
    /// append was still committing would lose that append from the state (and its reply).
    func rebuildWhenIdle() async throws(EventLogError) {
        while appendsInFlight > 0 || rebuilding {
            await withCheckedContinuation { idleWaiters.append($0) }
        }
        guard needsRebuild else { return }
        try await rebuild()
    }

    func index(_ records: [EventRecord]) {
        for record in records {
            for entity in record.entityIDs { entityPositions[entity, default: []].append(record.position) }
        }
    }

    /// The positions of every committed event in `id`'s history (the entity and what is linked to it), in
    /// log order; `nil` when the id names nothing.
    public func historyPositions(of id: String) -> [UInt64]? {
        let scope = state.historyScope(of: id)
        var positions = Set<UInt64>()
        for entity in scope { positions.formUnion(entityPositions[entity] ?? []) }
        guard !positions.isEmpty else { return nil }
        return positions.sorted()
    }


    func remember(_ requestID: String, _ result: WriteResult) {
        if results.updateValue(result, forKey: requestID) == nil { resultOrder.append(requestID) }
        if resultOrder.count - resultOrderStart > Self.requestIDsRememberedMax {
            results.removeValue(forKey: resultOrder[resultOrderStart])
            resultOrderStart += 1
            if resultOrderStart > 4096 {
                resultOrder.removeFirst(resultOrderStart)
                resultOrderStart = 0
            }
        }
    }

}
