import CLMDB
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One committed write transaction, as `EventLogConfiguration.commitObserver` sees it.
public struct CommitSummary: Sendable, Hashable {
    /// The first and last positions the transaction appended.
    public let positions: ClosedRange<UInt64>
    /// The appends (commands) it held.
    public let appendCount: Int

    /// The events it appended.
    public var eventCount: Int { Int(positions.upperBound - positions.lowerBound + 1) }

    public init(positions: ClosedRange<UInt64>, appendCount: Int) {
        self.positions = positions
        self.appendCount = appendCount
    }
}

/// A write to the personal table, made in the same transaction as the events it goes with.
public struct SideWrite: Sendable, Hashable {
    /// Put bytes under the key, or delete the key.
    public enum Operation: Sendable, Hashable {
        case put([UInt8])
        case delete
    }

    /// The key (at most 511 bytes, LMDB's limit).
    public let key: String
    public let operation: Operation

    public init(key: String, operation: Operation) {
        precondition(!key.isEmpty && key.utf8.count <= 511, "personal keys are 1 to 511 bytes")
        self.key = key
        self.operation = operation
    }

    var isDelete: Bool { operation == .delete }

    var byteCount: Int {
        if case .put(let bytes) = operation { return key.utf8.count + bytes.count }
        return key.utf8.count
    }
}

/// What an append needs besides its events.
public struct AppendOptions: Sendable, Hashable {
    /// The head position the events must follow; when the log has moved on (an earlier append failed or
    /// another writer came first), the append is refused with `conflict` and nothing is written. Lets a
    /// caller pipeline decisions made on state that includes appends not yet committed.
    public var expectedPosition: UInt64?
    /// Writes to the personal table committed atomically with the events.
    public var sideWrites: [SideWrite]

    public init(expectedPosition: UInt64? = nil, sideWrites: [SideWrite] = []) {
        self.expectedPosition = expectedPosition
        self.sideWrites = sideWrites
    }
}

/// Group-commit limits; see `GroupCommitBatcher.Limits`.
public typealias GroupCommitLimits = GroupCommitBatcher<Int>.Limits

// The writer: appends (encoded and sealed on the caller's thread), the writer thread's group commits, map growth.
extension LogCore {
    /// Appends one command's events atomically and returns them as committed records.
    ///
    /// Returns only after the write transaction that holds them has committed durably.
    /// - Throws: `EventLogError`: `.overloaded` when the queue is full, `.storageFull` when the disk or the
    ///   maximum map size leaves no room (nothing is written), `.tooLarge` for oversized envelopes.
    func append(_ events: [ProposedEvent], options: AppendOptions = AppendOptions()) async throws -> [EventRecord] {
        // Every path through `append(_:options:completion:)` calls its completion exactly once (the tests
        // run them all), so the unchecked continuation is safe and spares an allocation per append.
        try await withUnsafeThrowingContinuation { continuation in
            append(events, options: options) { result in continuation.resume(with: result) }
        }
    }

    /// Appends one command's events atomically and calls `completion` exactly once: after the commit, on
    /// the writer thread or the log's completion thread, or at once when the append is refused. The
    /// completion must be quick (hop to another executor for real work).
    func append(_ events: [ProposedEvent], options: AppendOptions = AppendOptions(), completion: @escaping @Sendable (Result<[EventRecord], EventLogError>) -> Void) {
        guard !events.isEmpty else {
            completion(.success([]))
            return
        }
        guard events.count <= configuration.appendEventsMax else {
            completion(.failure(EventLogError(.tooLarge, "an append of \(events.count) events exceeds the limit of \(configuration.appendEventsMax)")))
            return
        }
        if configuration.readOnly {
            completion(.failure(EventLogError(.notWritable, "the log was opened read-only")))
            return
        }
        var prepared: [RecordCodec.PreparedRecord] = []
        prepared.reserveCapacity(events.count)
        for index in events.indices {
            do {
                try RecordCodec.validate(events[index])
            } catch {
                completion(.failure(error))
                return
            }
            // Encoding happens here, on the caller's thread, in parallel with other callers and with the commit.
            prepared.append(RecordCodec.prepare(events[index]))
        }
        let byteCount = prepared.reduce(0) { $0 + $1.storedByteCount } + options.sideWrites.reduce(0) { $0 + $1.byteCount }
        var sealedBytes: [[UInt8]] = []
        var records: [EventRecord] = []
        sealedBytes.reserveCapacity(events.count)
        records.reserveCapacity(events.count)
        condition.lock()
        if let fault = writeFault {
            condition.unlock()
            completion(.failure(fault))
            return
        }
        if let expected = options.expectedPosition, expected != queuedHead.position {
            let error = Self.conflict(expected: expected, head: queuedHead.position)
            condition.unlock()
            completion(.failure(error))
            return
        }
        // Sealing (the position and the SHA-256 link) happens here too, in queue order under the lock, so
        // that the chain is settled before the writer takes the batch: the writer's transaction, during which
        // every appender waits, only copies bytes. A failed transaction re-chains the queue (`rechainWaiting`).
        let start = queuedHead
        var head = start
        for index in prepared.indices {
            let (bytes, sealed) = RecordCodec.seal(prepared[index], of: events[index], position: head.position + 1, previousHash: head.hash)
            sealedBytes.append(bytes)
            head = LogHead(position: sealed.position, hash: sealed.hash)
            records.append(sealed)
        }
        let pending = PendingAppend(
            sealedBytes: sealedBytes, records: records, chainStart: start, chainEnd: head, options: options, completion: completion)
        let action = batcher.enqueue(pending, eventCount: events.count, byteCount: byteCount)
        switch action {
        case .wakeWriter:
            queuedHead = head
            condition.signal()
        case .nothing:
            queuedHead = head
        case .rejectOverloaded, .rejectClosed:
            break
        }
        condition.unlock()
        switch action {
        case .wakeWriter, .nothing: return
        case .rejectOverloaded:
            completion(.failure(EventLogError(.overloaded, "the log's write queue is full (\(configuration.commitLimits.queueRequestsMax) appends waiting); retry shortly")))
        case .rejectClosed:
            completion(.failure(EventLogError(.notWritable, "the log is closing")))
        }
    }

    /// Batches of at most this many appends are completed on the writer thread itself rather than handed
    /// to the completion thread: a lone append is answered without waking another thread (about a tenth
    /// of its latency here), while a big batch's completions still overlap the next transaction.
    static let inlineCompletionsMax = 4

    func writerLoop() {
        // The completions of the last transaction, handed out once the next batch is taken: the writer
        // takes the lock once per transaction, to record the new head and take the next batch together.
        var finished: (work: () -> Void, inline: Bool)?
        condition.lock()
        while true {
            var batch = batcher.takeBatch()
            if batch.isEmpty, let complete = finished {
                // Nothing waits: complete the last batch's callers (who may append at once), then look again.
                condition.unlock()
                completions?.complete(inlineWhenIdle: complete.inline, complete.work)
                finished = nil
                condition.lock()
                batch = batcher.takeBatch()
            }
            while batch.isEmpty {
                if batcher.isClosed {
                    writerStopped = true
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                condition.wait()
                batch = batcher.takeBatch()
            }
            let head = currentHead
            condition.unlock()
            if let complete = finished {
                completions?.complete(inlineWhenIdle: complete.inline, complete.work)
                finished = nil
            }
            let taken = batch
            let outcome = commit(taken, after: head)
            condition.lock()
            switch outcome {
            case .success(let newHead):
                currentHead = newHead
                // Completing the callers overlaps with the next transaction: the writer goes straight on.
                // The completion thread keeps batches (and the observer's view) in position order.
                let observer = configuration.commitObserver
                let summary = CommitSummary(positions: head.position + 1...newHead.position, appendCount: taken.count)
                let complete: @Sendable () -> Void = {
                    if let observer { observer(summary) }
                    // By index: the appends are read in place, not copied (a reference count per field).
                    for index in taken.indices { taken[index].completion(.success(taken[index].records)) }
                }
                finished = (complete, taken.count <= Self.inlineCompletionsMax)
            case .failure(let error) where error.code == .syncFailed:
                // The disk failed us: nothing more is written (LogFault.swift); the waiting appends are refused.
                let (refused, first) = poison(error)
                let observer = first ? configuration.faultObserver : nil
                finished = ({
                    observer?(error)
                    for pending in taken { pending.completion(.failure(error)) }
                    for (pending, fault) in refused { pending.completion(.failure(fault)) }
                }, false)
            case .failure(let error):
                // The appends queued behind this batch were chained to it: chain them to the last
                // committed record instead, refusing those that expected the failed batch's head.
                let refused = rechainWaiting()
                finished = ({
                    for pending in taken { pending.completion(.failure(error)) }
                    for (pending, conflict) in refused { pending.completion(.failure(conflict)) }
                }, false)
            }
        }
    }

    /// Seals every waiting append again, in queue order, from the last committed record; refuses (and
    /// removes) those whose expected position no longer holds. Called with `condition` held, after a
    /// failed transaction.
    private func rechainWaiting() -> [(PendingAppend, EventLogError)] {
        var head = currentHead
        var conflicts: [EventLogError] = []
        let dropped = batcher.rewriteWaiting { pending in
            if let expected = pending.options.expectedPosition, expected != head.position {
                conflicts.append(Self.conflict(expected: expected, head: head.position))
                return false
            }
            pending.chainStart = head
            for index in pending.records.indices {
                let record = RecordCodec.reseal(
                    &pending.sealedBytes[index], of: pending.records[index], position: head.position + 1, previousHash: head.hash)
                pending.records[index] = record
                head = LogHead(position: record.position, hash: record.hash)
            }
            pending.chainEnd = head
            rechainedAppendCount += 1
            return true
        }
        queuedHead = head
        return Array(zip(dropped, conflicts))
    }

    /// The refusal of an append whose expected head is not the one it would follow.
    static func conflict(expected: UInt64, head: UInt64) -> EventLogError {
        EventLogError(.conflict, "the log moved on: this append expected to follow position \(expected), the head is \(head)")
    }

    /// A failed write transaction: LMDB's status and the error to report.
    struct TransactionFailure: Error {
        let status: Int32
        let error: EventLogError
    }

    /// Writes a batch in one transaction, growing the map and retrying on MDB_MAP_FULL.
    private func commit(_ batch: [PendingAppend], after head: LogHead) -> Result<LogHead, EventLogError> {
        while true {
            switch writeTransaction(batch, after: head) {
            case .success(let committed):
                return .success(committed)
            case .failure(let failure) where failure.status == MDB_MAP_FULL:
                let current = gate.withShared { storage.mapBytes }
                guard current < configuration.mapBytesMax else { return .failure(failure.error) }
                let grown = min(configuration.mapBytesMax, max(current * 2, current + (64 << 20)))
                do throws(EventLogError) {
                    try gate.withExclusive { () throws(EventLogError) in try storage.setMapBytes(grown) }
                } catch {
                    return .failure(error)
                }
            case .failure(let failure) where failure.status == MDB_PANIC || failure.status == EIO:
                // LMDB reports a short write (what a full disk gives) as EIO, and marks the environment
                // unusable (MDB_PANIC, or EIO from a failed meta write) when that write was the meta page's:
                // tell a full disk from a failing one by the space left. Either way what was committed is
                // intact on disk: reopen, as LMDB refuses every transaction, reads too, in an environment
                // it marked unusable. A failing disk poisons the log (LogFault.swift).
                if let full = diskFull(for: batch) {
                    guard failure.status == MDB_PANIC else { return .failure(full) }
                    return .failure(reopenStorage() ?? full)
                }
                let reopenFailure = reopenStorage().map { "; reopening it failed too: \($0.message)" } ?? ""
                return .failure(Self.syncFailure(
                    panicked: failure.status == MDB_PANIC, detail: failure.error.message + reopenFailure, atMs: Self.nowMs()))
            case .failure(let failure):
                return .failure(failure.error)
            }
        }
    }

    /// Closes and reopens LMDB, the way back after it marked the environment unusable; the error if that failed.
    private func reopenStorage() -> EventLogError? {
        do throws(EventLogError) {
            try gate.withExclusive { () throws(EventLogError) in try storage.reopen(readersMax: configuration.readersMax) }
            return nil
        } catch {
            return error
        }
    }

    /// The `storageFull` error when the disk holding the log has too little room left for `batch`.
    private func diskFull(for batch: [PendingAppend]) -> EventLogError? {
        let free = DataDirectory.freeBytes(configuration.directory)
        let needed = batch.reduce(0) { $0 + $1.storedByteCount }
        guard let free, free < max(1 << 20, 4 * needed) else { return nil }
        return EventLogError(.storageFull, "the disk holding \(configuration.directory) is full (\(free) bytes free); nothing was written")
    }

    /// One transaction for the batch: the sealed records, their side writes in the personal table, and
    /// the new head. All or nothing.
    private func writeTransaction(_ batch: [PendingAppend], after head: LogHead) -> Result<LogHead, TransactionFailure> {
        func failure(_ status: Int32, _ doing: String) -> Result<LogHead, TransactionFailure> {
            .failure(TransactionFailure(status: status, error: LMDBEnvironment.error(status, doing)))
        }
        var txn: OpaquePointer?
        var status = mdb_txn_begin(storage.environment, nil, 0, &txn)
        guard status == 0 else { return failure(status, "beginning a write transaction") }
        // One cursor for the whole batch: MDB_APPEND through it skips the descent from the root per record.
        var cursor: OpaquePointer?
        status = mdb_cursor_open(txn, storage.eventsTable, &cursor)
        guard status == 0 else {
            mdb_txn_abort(txn)
            return failure(status, "opening a cursor")
        }
        // Indexing rather than iterating: the batch's appends (and their records) are read in place, never
        // copied, so the writer adds no reference counting to lines other cores wrote.
        var chain = head
        for index in batch.indices {
            precondition(batch[index].chainStart == chain, "queued appends are sealed in order on the committed head")
            precondition(batch[index].chainEnd.position == chain.position + UInt64(batch[index].sealedBytes.count),
                "an append's records are consecutive")
            var position = chain.position
            for recordIndex in batch[index].sealedBytes.indices {
                position += 1
                status = withPositionKey(position) { key in
                    batch[index].sealedBytes[recordIndex].withUnsafeBytes { raw in
                        var value = MDB_val(mv_size: raw.count, mv_data: UnsafeMutableRawPointer(mutating: raw.baseAddress))
                        return mdb_cursor_put(cursor, &key, &value, UInt32(MDB_APPEND))
                    }
                }
                guard status == 0 else {
                    mdb_cursor_close(cursor)
                    mdb_txn_abort(txn)
                    return failure(status, "appending position \(position)")
                }
            }
            for write in batch[index].options.sideWrites {
                status = applySideWrite(write, txn: txn)
                guard status == 0 || (status == MDB_NOTFOUND && write.isDelete) else {
                    mdb_cursor_close(cursor)
                    mdb_txn_abort(txn)
                    return failure(status, "writing the personal table")
                }
            }
            chain = batch[index].chainEnd
        }
        mdb_cursor_close(cursor)
        let newHead = chain
        status = putHead(newHead, txn: txn)
        guard status == 0 else {
            mdb_txn_abort(txn)
            return failure(status, "writing the log head")
        }
        let injected = takeInjectedFailure()
        guard injected == 0 else {
            mdb_txn_abort(txn)
            return failure(injected, "committing")
        }
        status = mdb_txn_commit(txn)
        guard status == 0 else { return failure(status, "committing") }
        return .success(newHead)
    }

    private func applySideWrite(_ write: SideWrite, txn: OpaquePointer?) -> Int32 {
        var keyBytes = Array(write.key.utf8)
        return keyBytes.withUnsafeMutableBytes { keyRaw in
            var key = MDB_val(mv_size: keyRaw.count, mv_data: keyRaw.baseAddress)
            switch write.operation {
            case .put(var bytes):
                return bytes.withUnsafeMutableBytes { valueRaw in
                    var value = MDB_val(mv_size: valueRaw.count, mv_data: valueRaw.baseAddress)
                    return mdb_put(txn, storage.personalTable, &key, &value, 0)
                }
            case .delete:
                return mdb_del(txn, storage.personalTable, &key, nil)
            }
        }
    }
}
