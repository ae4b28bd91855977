import CLMDB
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How to open a log.
public struct EventLogConfiguration: Sendable {
    /// The data directory; created (mode 0700) when missing and the log is writable.
    public var directory: String
    /// Open for reading only: no lock on the directory, no writer thread. Offline replay and
    /// verification use this while the daemon may be running.
    public var readOnly: Bool
    /// The map size a new log starts with. Small, so that a fresh data directory costs little address space.
    public var mapBytesInitial: Int
    /// The map never grows beyond this; appends past it fail with `storageFull`.
    public var mapBytesMax: Int
    /// Group-commit limits.
    public var commitLimits: GroupCommitLimits
    /// Events one append (one command) may carry at most; keeps a single transaction bounded.
    public var appendEventsMax: Int
    /// LMDB reader slots: concurrent read transactions at most (one per in-flight read).
    public var readersMax: UInt32
    /// Called after every committed transaction, in position order, just before its appenders are
    /// completed (on the log's completion thread, or the writer's for a small batch). Must be quick: it
    /// delays those appenders. It gets a summary, not the records: the appenders have those.
    public var commitObserver: (@Sendable (CommitSummary) -> Void)?
    /// The identity a writer gives the log when the log has none yet: when it creates the log, or at the
    /// first writable open of a log made before logs had identities. The creator brings the randomness
    /// (the default draws from the system's generator); `lmdsd import` passes the exported log's.
    public var identityForNewLog: LogIdentity

    public init(
        directory: String, readOnly: Bool = false, mapBytesInitial: Int = 64 << 20, mapBytesMax: Int = 64 << 30,
        commitLimits: GroupCommitLimits = GroupCommitLimits(), appendEventsMax: Int = 10_000, readersMax: UInt32 = 512,
        commitObserver: (@Sendable (CommitSummary) -> Void)? = nil, identityForNewLog: LogIdentity = .random()
    ) {
        self.directory = directory
        self.readOnly = readOnly
        self.mapBytesInitial = mapBytesInitial
        self.mapBytesMax = mapBytesMax
        self.commitLimits = commitLimits
        self.appendEventsMax = appendEventsMax
        self.readersMax = readersMax
        self.commitObserver = commitObserver
        self.identityForNewLog = identityForNewLog
    }
}

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

/// The last committed record's position and hash (position 0 and the genesis hash for an empty log).
public struct LogHead: Sendable, Hashable {
    /// The last committed position (0: no records yet).
    public let position: UInt64
    /// That record's hash, which the next record chains to.
    public let hash: [UInt8]

    public init(position: UInt64, hash: [UInt8]) {
        self.position = position
        self.hash = hash
    }
}

/// The result of walking the hash chain.
public struct VerificationReport: Sendable, Hashable {
    /// Records checked.
    public let recordsChecked: UInt64
    /// The head as recorded in the meta table.
    public let head: LogHead
    /// The first position whose record is missing, malformed or does not hash to its successor's link.
    public let firstBadPosition: UInt64?
    /// What is wrong at `firstBadPosition`.
    public let problem: String?

    /// Whether the chain is intact from position 1 to the head.
    public var isIntact: Bool { firstBadPosition == nil && problem == nil }
}

/// What a hot backup produced.
public struct BackupReport: Sendable, Hashable {
    /// Where the copy was written.
    public let directory: String
    /// The head of the copy: every record up to here is in it.
    public let head: LogHead
    /// The copy's size on disk.
    public let bytes: Int
    /// The copy's own chain verification.
    public let verification: VerificationReport
}

/// The log's state and its writer thread. The writer thread holds it strongly, so it lives until the
/// writer has stopped even when the `EventLog` handle is released first.
final class LogCore: @unchecked Sendable {
    typealias Completion = @Sendable (Result<[EventRecord], EventLogError>) -> Void

    /// One command's events, sealed at their positions in the chain when they were queued, so that the
    /// writer thread only copies bytes into LMDB between its commits.
    struct PendingAppend {
        /// Each record's stored bytes.
        var sealedBytes: [[UInt8]]
        /// The records as the appender gets them back, in the same order.
        var records: [EventRecord]
        /// The head the first record was sealed after, and the head after the last: the writer checks the
        /// chain per append with these rather than reading every record (made on another core).
        var chainStart: LogHead
        var chainEnd: LogHead
        let options: AppendOptions
        let completion: Completion

        var storedByteCount: Int { sealedBytes.reduce(0) { $0 + $1.count } }
    }

    let configuration: EventLogConfiguration
    private let storage: LMDBEnvironment
    private let gate = TransactionGate()
    /// Holds the directory lock while the log is writable; guarded by `condition`.
    private var lockFileDescriptor: Int32?

    /// Guards `batcher`, `currentHead`, `queuedHead` and `writerStopped`.
    private let condition = SpinningCondition()
    private var batcher: GroupCommitBatcher<PendingAppend>
    private var currentHead: LogHead
    /// The head once every queued append is committed: where the next append is sealed. Equals
    /// `currentHead` when nothing is waiting or being written.
    private var queuedHead: LogHead
    /// Appends sealed again after a failed transaction; guarded by `condition`.
    private var rechainedAppendCount = 0
    private var writerStopped = false
    /// Completes appenders after their commit, off the writer thread, in commit order. Set once, in `init`,
    /// before the writer starts; none when read-only.
    private var completions: CompletionThread?
    private var writerThread: Thread?
    /// The log's identity from the meta table; nil only for a read-only open of a log that no writer has
    /// opened since logs got identities.
    private(set) var identity: LogIdentity?

    init(_ configuration: EventLogConfiguration) throws(EventLogError) {
        precondition(configuration.mapBytesInitial > 0 && configuration.mapBytesMax >= configuration.mapBytesInitial,
            "map sizes must be positive and the maximum at least the initial size")
        precondition(configuration.appendEventsMax > 0, "appendEventsMax must be positive")
        self.configuration = configuration
        let directory = configuration.directory
        if configuration.readOnly {
            try DataDirectory.checkExisting(directory)
            lockFileDescriptor = nil
        } else {
            try DataDirectory.prepare(directory)
            lockFileDescriptor = try DataDirectory.lock(directory)
        }
        do {
            storage = try LMDBEnvironment(
                directory: directory, readOnly: configuration.readOnly, mapBytes: configuration.mapBytesInitial,
                readersMax: configuration.readersMax)
            batcher = GroupCommitBatcher(limits: GroupCommitBatcher<PendingAppend>.Limits(
                queueRequestsMax: configuration.commitLimits.queueRequestsMax,
                batchEventsMax: configuration.commitLimits.batchEventsMax,
                batchBytesMax: configuration.commitLimits.batchBytesMax))
            currentHead = LogHead(position: 0, hash: RecordCodec.genesisHash)
            queuedHead = currentHead
            if !configuration.readOnly { try initialiseMeta() }
            (currentHead, identity) = try readAndCheckHead()
            queuedHead = currentHead
        } catch {
            if let lockFileDescriptor { Glibc.close(lockFileDescriptor) }
            throw error
        }
        if !configuration.readOnly {
            completions = CompletionThread(name: "lmds-log-completions")
            let thread = Thread { self.writerLoop() }
            thread.name = "lmds-log-writer"
            writerThread = thread
            thread.start()
        }
    }

    deinit {
        storage.close()
        if let lockFileDescriptor { Glibc.close(lockFileDescriptor) }
    }

    /// The last committed position and hash.
    var head: LogHead {
        condition.lock()
        defer { condition.unlock() }
        return currentHead
    }

    /// Appends sealed again after a failed transaction, since the log was opened (tests check that the
    /// path ran).
    var rechainedAppends: Int {
        condition.lock()
        defer { condition.unlock() }
        return rechainedAppendCount
    }

    /// The current size of LMDB's map; grows on demand up to `mapBytesMax`.
    var mapBytes: Int {
        gate.withShared { storage.mapBytes }
    }

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

    /// Stops accepting appends, commits everything already accepted, and stops the writer thread.
    /// Reads keep working until the log is released. Safe to call more than once.
    func close() {
        condition.lock()
        if writerThread == nil || writerStopped {
            if let lockFileDescriptor { Glibc.close(lockFileDescriptor) }
            lockFileDescriptor = nil
            condition.unlock()
            return
        }
        if batcher.close() == .wakeWriter { condition.signal() }
        while !writerStopped { condition.wait() }
        completions?.stop()
        if let lockFileDescriptor { Glibc.close(lockFileDescriptor) }
        lockFileDescriptor = nil
        condition.unlock()
    }

    /// Closes the log for good: stops the writer, releases the directory, closes LMDB.
    func shutdown() {
        close()
        gate.withExclusive { storage.close() }
    }

    // MARK: Writer

    private func writerLoop() {
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
            case .failure(let failure) where failure.status == MDB_PANIC:
                // LMDB marks the environment unusable after a failed meta write (a full disk can do this).
                // What was committed is intact on disk: reopen, and report this batch as failed.
                do throws(EventLogError) {
                    try gate.withExclusive { () throws(EventLogError) in try storage.reopen(readersMax: configuration.readersMax) }
                } catch {
                    return .failure(error)
                }
                return .failure(EventLogError(.storageFull, "the write failed and the log was reopened: \(failure.error.message)"))
            case .failure(let failure) where failure.status == EIO:
                // LMDB reports a short write (what a full disk gives) as EIO: tell the two apart by the space left.
                let free = DataDirectory.freeBytes(configuration.directory)
                let needed = batch.reduce(0) { $0 + $1.storedByteCount }
                if let free, free < max(1 << 20, 4 * needed) {
                    return .failure(EventLogError(.storageFull,
                        "the disk holding \(configuration.directory) is full (\(free) bytes free); nothing was written"))
                }
                return .failure(failure.error)
            case .failure(let failure):
                return .failure(failure.error)
            }
        }
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

    /// The value stored under `key` in the personal table, or `nil`.
    func personalValue(_ key: String) throws(EventLogError) -> [UInt8]? {
        guard storage.personalTable != 0 else { return nil }
        return try withReadTransaction { txn throws(EventLogError) -> [UInt8]? in
            var keyBytes = Array(key.utf8)
            return keyBytes.withUnsafeMutableBytes { keyRaw -> [UInt8]? in
                var mdbKey = MDB_val(mv_size: keyRaw.count, mv_data: keyRaw.baseAddress)
                var value = MDB_val()
                guard mdb_get(txn, storage.personalTable, &mdbKey, &value) == 0 else { return nil }
                return Array(bytes(of: value))
            }
        }
    }

    private func putHead(_ head: LogHead, txn: OpaquePointer?) -> Int32 {
        var bytes: [UInt8] = []
        RecordCodec.appendInteger(head.position, to: &bytes)
        bytes.append(contentsOf: head.hash)
        return putMeta("head", bytes, txn: txn)
    }

    private func putMeta(_ name: String, _ bytes: [UInt8], txn: OpaquePointer?) -> Int32 {
        var keyBytes = Array(name.utf8)
        var valueBytes = bytes
        return keyBytes.withUnsafeMutableBytes { keyRaw in
            valueBytes.withUnsafeMutableBytes { valueRaw in
                var key = MDB_val(mv_size: keyRaw.count, mv_data: keyRaw.baseAddress)
                var value = MDB_val(mv_size: valueRaw.count, mv_data: valueRaw.baseAddress)
                return mdb_put(txn, storage.metaTable, &key, &value, 0)
            }
        }
    }

    private func getMeta(_ name: String, txn: OpaquePointer?) -> [UInt8]? {
        var keyBytes = Array(name.utf8)
        return keyBytes.withUnsafeMutableBytes { keyRaw -> [UInt8]? in
            var key = MDB_val(mv_size: keyRaw.count, mv_data: keyRaw.baseAddress)
            var value = MDB_val()
            guard mdb_get(txn, storage.metaTable, &key, &value) == 0 else { return nil }
            return Array(bytes(of: value))
        }
    }

    /// The meta key of the log's identity (`LogIdentity`, 16 bytes).
    static let identityKey = "identity"

    /// Writes the format marker and the identity into a new log, and an identity into an older log that has
    /// none; refuses a log of a newer format. One write transaction, committed only when something was missing.
    private func initialiseMeta() throws(EventLogError) {
        var txn: OpaquePointer?
        try storage.check(mdb_txn_begin(storage.environment, nil, 0, &txn), "beginning a write transaction")
        let storedFormat = getMeta("format", txn: txn)
        let hasIdentity = getMeta(Self.identityKey, txn: txn) != nil
        if let storedFormat {
            do throws(EventLogError) {
                try Self.checkFormat(storedFormat, directory: configuration.directory)
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
        }
        guard storedFormat == nil || !hasIdentity else {
            mdb_txn_abort(txn)
            return
        }
        var status: Int32 = 0
        if storedFormat == nil {
            var formatBytes: [UInt8] = []
            RecordCodec.appendInteger(LMDBEnvironment.logFormat, to: &formatBytes)
            status = putMeta("format", formatBytes, txn: txn)
        }
        if status == 0 && !hasIdentity { status = putMeta(Self.identityKey, configuration.identityForNewLog.bytes, txn: txn) }
        if status != 0 {
            mdb_txn_abort(txn)
            try storage.check(status, "writing the log format and identity")
        }
        status = mdb_txn_commit(txn)
        try storage.check(status, "writing the log format and identity")
    }

    static func checkFormat(_ stored: [UInt8], directory: String) throws(EventLogError) {
        guard stored.count == 4 else { throw EventLogError(.damaged, "\(directory): the log's format marker is damaged") }
        let format = stored.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self)) }
        guard format <= LMDBEnvironment.logFormat else {
            throw EventLogError(.formatTooNew, "\(directory) holds a log of format \(format); this lmds reads format \(LMDBEnvironment.logFormat) and older. Use a newer lmds.")
        }
    }

    /// Reads the head from the meta table and checks it against the last record; reads the identity too.
    private func readAndCheckHead() throws(EventLogError) -> (LogHead, LogIdentity?) {
        try withReadTransaction { txn throws(EventLogError) -> (LogHead, LogIdentity?) in
            if let format = getMeta("format", txn: txn) {
                try Self.checkFormat(format, directory: configuration.directory)
            }
            var identity: LogIdentity?
            if let stored = getMeta(Self.identityKey, txn: txn) {
                guard let parsed = LogIdentity(bytes: stored) else { throw EventLogError(.damaged, "the log's identity is damaged") }
                identity = parsed
            }
            return (try readHead(txn), identity)
        }
    }

    /// The head from the meta table, checked against the last record, in the read transaction `txn`.
    private func readHead(_ txn: OpaquePointer?) throws(EventLogError) -> LogHead {
        var lastPosition: UInt64 = 0
        var cursor: OpaquePointer?
        try storage.check(mdb_cursor_open(txn, storage.eventsTable, &cursor), "opening a cursor")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        let status = mdb_cursor_get(cursor, &key, &value, MDB_LAST)
        if status == 0 {
            guard let last = position(of: key) else { throw EventLogError(.damaged, "a record key is not a position") }
            lastPosition = last
        } else if status != MDB_NOTFOUND {
            throw LMDBEnvironment.error(status, "reading the last record")
        }
        guard let stored = getMeta("head", txn: txn) else {
            guard lastPosition == 0 else { throw EventLogError(.damaged, "the log has records but no head") }
            return LogHead(position: 0, hash: RecordCodec.genesisHash)
        }
        guard stored.count == 8 + RecordCodec.hashBytes else { throw EventLogError(.damaged, "the log head is damaged") }
        let headPosition = stored.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headPosition == lastPosition else {
            throw EventLogError(.damaged, "the log head says position \(headPosition) but the last record is \(lastPosition)")
        }
        return LogHead(position: headPosition, hash: Array(stored[8...]))
    }

    // MARK: Reads

    /// Runs `body` inside a read transaction; concurrent with appends.
    private func withReadTransaction<T>(_ body: (OpaquePointer?) throws(EventLogError) -> T) throws(EventLogError) -> T {
        while true {
            let outcome: Result<T, EventLogError>? = gate.withShared {
                var txn: OpaquePointer?
                let status = mdb_txn_begin(storage.environment, nil, UInt32(MDB_RDONLY), &txn)
                if status == MDB_MAP_RESIZED { return nil }
                guard status == 0 else { return .failure(LMDBEnvironment.error(status, "beginning a read transaction")) }
                defer { mdb_txn_abort(txn) }
                return Result { () throws(EventLogError) -> T in try body(txn) }
            }
            if let outcome { return try outcome.get() }
            gate.withExclusive { storage.adoptMapSizeOfFile() }
        }
    }

    /// The record at `position`, or `nil` when there is none.
    func record(at position: UInt64) throws(EventLogError) -> EventRecord? {
        try withReadTransaction { txn throws(EventLogError) -> EventRecord? in
            try withPositionKey(position) { key throws(EventLogError) -> EventRecord? in
                var value = MDB_val()
                let status = mdb_get(txn, storage.eventsTable, &key, &value)
                if status == MDB_NOTFOUND { return nil }
                try storage.check(status, "reading position \(position)")
                return try RecordCodec.decode(bytes(of: value))
            }
        }
    }

    /// Up to `limit` records from `position` on, in order.
    func records(from position: UInt64, limit: Int) throws(EventLogError) -> [EventRecord] {
        precondition(limit >= 0, "limit must not be negative")
        var records: [EventRecord] = []
        try scan(from: position) { record in
            records.append(record)
            return records.count < limit
        }
        return records
    }

    /// Records scanned per read transaction; between chunks the map may grow and old pages may be reused.
    static let scanChunkRecordsMax = 65_536
    /// Batches of at most this many appends are completed on the writer thread itself rather than handed
    /// to the completion thread: a lone append is answered without waking another thread (about a tenth
    /// of its latency here), while a big batch's completions still overlap the next transaction.
    static let inlineCompletionsMax = 4

    /// Calls `body` with each record from `position` on, in order, until it returns `false` or the
    /// log ends. Records appended while scanning may or may not be seen.
    func scan(from position: UInt64, _ body: (EventRecord) throws(EventLogError) -> Bool) throws(EventLogError) {
        try scanRaw(from: position) { _, raw throws(EventLogError) -> Bool in
            try body(try RecordCodec.decode(raw))
        }
    }

    /// Like `scan`, with the stored bytes instead of a decoded record (for verification and benchmarks).
    func scanRaw(from position: UInt64, _ body: (UInt64, UnsafeRawBufferPointer) throws(EventLogError) -> Bool) throws(EventLogError) {
        var next = max(position, 1)
        var finished = false
        while !finished {
            var seen = 0
            try withReadTransaction { txn throws(EventLogError) in
                var cursor: OpaquePointer?
                try storage.check(mdb_cursor_open(txn, storage.eventsTable, &cursor), "opening a cursor")
                defer { mdb_cursor_close(cursor) }
                var key = MDB_val()
                var value = MDB_val()
                var status = withPositionKey(next) { start in
                    key = start
                    return mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE)
                }
                while status == 0 {
                    guard let current = CLMDBPosition.of(key) else { throw EventLogError(.damaged, "a record key is not a position") }
                    guard try body(current, bytes(of: value)) else {
                        finished = true
                        return
                    }
                    next = current + 1
                    seen += 1
                    if seen >= Self.scanChunkRecordsMax { return }
                    status = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
                }
                if status != MDB_NOTFOUND { throw LMDBEnvironment.error(status, "scanning") }
                finished = true
            }
        }
    }

    /// Walks the whole chain up to the head as it was when called: positions gapless from 1, each record
    /// well-formed, each hash linking to the one before, and the recorded head matching its record.
    func verify() throws(EventLogError) -> VerificationReport {
        guard let recordedHead = try readAndCheckHeadAllowingDamage() else {
            return VerificationReport(
                recordsChecked: 0, head: LogHead(position: 0, hash: RecordCodec.genesisHash), firstBadPosition: 1,
                problem: "the log head in the meta table is missing or damaged")
        }
        var expected: UInt64 = 1
        var previousHash = RecordCodec.genesisHash
        var firstBad: UInt64?
        var problem: String?
        // Appends go on while verifying: check exactly the records up to the head read first.
        try scanRaw(from: 1) { position, raw throws(EventLogError) -> Bool in
            if position > recordedHead.position { return false }
            if position != expected {
                firstBad = expected
                problem = "position \(expected) is missing (next record is \(position))"
                return false
            }
            guard RecordCodec.verifyHash(raw, previousHash: previousHash) else {
                firstBad = position
                problem = "the hash of position \(position) does not match its contents or its predecessor"
                return false
            }
            do throws(EventLogError) {
                let record = try RecordCodec.decode(raw)
                guard record.position == position else {
                    firstBad = position
                    problem = "record at key \(position) says it is position \(record.position)"
                    return false
                }
                previousHash = record.hash
            } catch {
                firstBad = position
                problem = "position \(position) is malformed: \(error.message)"
                return false
            }
            expected += 1
            return true
        }
        let checked = expected - 1
        if firstBad == nil {
            if recordedHead.position != checked || recordedHead.hash != previousHash {
                firstBad = checked + 1
                problem = "the recorded head (position \(recordedHead.position)) does not match the last record (\(checked))"
            }
        }
        return VerificationReport(recordsChecked: checked, head: recordedHead, firstBadPosition: firstBad, problem: problem)
    }

    /// The recorded head: the genesis head for a log with no records and no head yet, `nil` when the
    /// head is missing or malformed although records exist. Read in one transaction.
    private func readAndCheckHeadAllowingDamage() throws(EventLogError) -> LogHead? {
        try withReadTransaction { txn throws(EventLogError) -> LogHead? in
            guard let stored = getMeta("head", txn: txn), stored.count == 8 + RecordCodec.hashBytes else {
                let hasRecords = withPositionKey(1) { key -> Bool in
                    var value = MDB_val()
                    return mdb_get(txn, storage.eventsTable, &key, &value) == 0
                }
                return hasRecords ? nil : LogHead(position: 0, hash: RecordCodec.genesisHash)
            }
            let headPosition = stored.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)) }
            return LogHead(position: headPosition, hash: Array(stored[8...]))
        }
    }

    // MARK: Backup

    /// Copies the log, compacted, into `directory` (which must not exist or be empty) while appends go on,
    /// then opens the copy and verifies its chain. Blocking: call it off any event loop.
    func backup(to directory: String) throws(EventLogError) -> BackupReport {
        do throws(EventLogError) {
            try DataDirectory.prepareEmpty(directory)
        } catch {
            throw EventLogError(.backupFailed, error.message)
        }
        let status = gate.withShared { mdb_env_copy2(storage.environment, directory, UInt32(MDB_CP_COMPACT)) }
        if status != 0 {
            throw EventLogError(.backupFailed, "copying the log to \(directory): \(LMDBEnvironment.describe(status))")
        }
        // LMDB creates the copy with 0666 less the umask; it holds the personal table, so it gets the live file's mode.
        guard chmod(directory + "/data.mdb", 0o600) == 0 else {
            throw EventLogError(.backupFailed, "setting the mode of \(directory)/data.mdb to 0600: errno \(errno)")
        }
        let copy = try LogCore(EventLogConfiguration(directory: directory, readOnly: true))
        let verification = try copy.verify()
        var info = stat()
        let size = stat(directory + "/data.mdb", &info) == 0 ? Int(info.st_size) : 0
        return BackupReport(directory: directory, head: copy.head, bytes: size, verification: verification)
    }
}

/// Key decoding, named apart from the `position` properties it would otherwise shadow.
enum CLMDBPosition {
    static func of(_ key: MDB_val) -> UInt64? { position(of: key) }
}

/// The append-only event log: durable, group-committed, hash-chained, on LMDB.
///
/// One writer thread owns every write transaction. `append` returns only after the transaction holding
/// its events has committed with LMDB's synchronous durability, so an acknowledged event survives a crash.
/// Appenders encode and seal (position, SHA-256 link) their own records as they queue them, so that the
/// writer's transaction, which every queued appender waits for, only copies bytes into LMDB.
/// Reads run concurrently on the caller's thread, each in its own short read transaction.
public final class EventLog: Sendable {
    private let core: LogCore

    /// Opens (or creates) the log in `configuration.directory`.
    /// - Throws: `EventLogError` with `.dataDirectoryLocked` when another process writes there,
    ///   `.formatTooNew` or `.damaged` when the files cannot be trusted; nothing is ever repaired silently.
    public static func open(_ configuration: EventLogConfiguration) throws(EventLogError) -> EventLog {
        EventLog(core: try LogCore(configuration))
    }

    private init(core: LogCore) {
        self.core = core
    }

    deinit { core.shutdown() }

    /// How the log was opened.
    public var configuration: EventLogConfiguration { core.configuration }

    /// The last committed position and hash.
    public var head: LogHead { core.head }

    /// The log's identity (`LogIdentity`); nil only for a read-only open of a log that no writer has opened
    /// since logs got identities (every writable open gives a log without one its identity).
    public var identity: LogIdentity? { core.identity }

    /// The bytes free on the filesystem holding the log, for callers that pause writes on a full disk;
    /// nil when it cannot be read.
    public func freeBytes() -> Int? { DataDirectory.freeBytes(core.configuration.directory) }

    /// The current size of LMDB's map; grows on demand up to `mapBytesMax`.
    public var mapBytes: Int { core.mapBytes }

    /// Appends sealed again after a failed transaction since the log was opened (for tests).
    var rechainedAppends: Int { core.rechainedAppends }

    /// Appends one command's events atomically and returns them as committed records.
    ///
    /// Returns only after the write transaction that holds them has committed durably.
    /// - Throws: `EventLogError`: `.overloaded` when the queue is full, `.storageFull` when the disk or the
    ///   maximum map size leaves no room (nothing is written), `.tooLarge` for oversized envelopes.
    public func append(_ events: [ProposedEvent], options: AppendOptions = AppendOptions()) async throws -> [EventRecord] {
        try await core.append(events, options: options)
    }

    /// Appends one command's events atomically and calls `completion` exactly once: after the commit, on
    /// the writer thread or the log's completion thread, or at once when the append is refused. The
    /// completion must be quick (hop to another executor for real work).
    public func append(
        _ events: [ProposedEvent], options: AppendOptions = AppendOptions(),
        completion: @escaping @Sendable (Result<[EventRecord], EventLogError>) -> Void
    ) {
        core.append(events, options: options, completion: completion)
    }

    /// The value stored under `key` in the personal table (mutable data kept out of the immutable log,
    /// such as names and contact details), or `nil` when there is none or it was erased.
    public func personalValue(_ key: String) throws(EventLogError) -> [UInt8]? {
        try core.personalValue(key)
    }

    /// Stops accepting appends, commits everything already accepted, and stops the writer thread.
    /// Reads keep working until the log is released. Safe to call more than once.
    public func close() { core.close() }

    /// The record at `position`, or `nil` when there is none.
    public func record(at position: UInt64) throws(EventLogError) -> EventRecord? {
        try core.record(at: position)
    }

    /// Up to `limit` records from `position` on, in order.
    public func records(from position: UInt64, limit: Int) throws(EventLogError) -> [EventRecord] {
        try core.records(from: position, limit: limit)
    }

    /// Records scanned per read transaction; between chunks the map may grow.
    public static var scanChunkRecordsMax: Int { LogCore.scanChunkRecordsMax }

    /// Calls `body` with each record from `position` on, in order, until it returns `false` or the
    /// log ends. Records appended while scanning may or may not be seen.
    public func scan(from position: UInt64, _ body: (EventRecord) throws(EventLogError) -> Bool) throws(EventLogError) {
        try core.scan(from: position, body)
    }

    /// Like `scan`, with the stored bytes instead of a decoded record (for verification and benchmarks).
    public func scanRaw(from position: UInt64, _ body: (UInt64, UnsafeRawBufferPointer) throws(EventLogError) -> Bool) throws(EventLogError) {
        try core.scanRaw(from: position, body)
    }

    /// Walks the whole chain: positions gapless from 1, each record well-formed, each hash linking to the
    /// one before, and the head in the meta table matching the last record.
    public func verify() throws(EventLogError) -> VerificationReport { try core.verify() }

    /// Copies the log, compacted, into `directory` (which must not exist or be empty) while appends go on,
    /// then opens the copy and verifies its chain. Blocking: call it off any event loop.
    public func backup(to directory: String) throws(EventLogError) -> BackupReport { try core.backup(to: directory) }
}
