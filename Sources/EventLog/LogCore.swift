import CLMDB
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The log's core: its state, opening (format, identity, head), closing and the meta table. Appends are in
// LogWriter.swift, reads and scans in LogReads.swift, verification in LogVerify.swift, backup in LogBackup.swift.

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

    // The state below is internal rather than private only because the writer, reads, verify and backup
    // (extensions in their own files) use it; nothing outside LogCore touches it.
    let configuration: EventLogConfiguration
    let storage: LMDBEnvironment
    let gate = TransactionGate()
    /// Holds the directory lock while the log is writable; guarded by `condition`.
    private var lockFileDescriptor: Int32?

    /// Guards `batcher`, `currentHead`, `queuedHead`, `writeFault` and `writerStopped`.
    let condition = SpinningCondition()
    var batcher: GroupCommitBatcher<PendingAppend>
    var currentHead: LogHead
    /// The head once every queued append is committed: where the next append is sealed. Equals
    /// `currentHead` when nothing is waiting or being written.
    var queuedHead: LogHead
    /// Appends sealed again after a failed transaction; guarded by `condition`.
    var rechainedAppendCount = 0
    /// Why appends are refused since a commit or sync failed (see LogFault.swift); guarded by `condition`.
    var writeFault: EventLogError?
    /// A status the next write transaction fails with instead of committing (0: none); set only by tests.
    let injectedTransactionFailure = Atomic<Int32>(0)
    var writerStopped = false
    /// Completes appenders after their commit, off the writer thread, in commit order. Set once, in `init`,
    /// before the writer starts; none when read-only.
    var completions: CompletionThread?
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

    // MARK: Meta table

    func putHead(_ head: LogHead, txn: OpaquePointer?) -> Int32 {
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

    func getMeta(_ name: String, txn: OpaquePointer?) -> [UInt8]? {
        value(name, in: storage.metaTable, txn: txn)
    }

    /// The bytes stored under the string `key` in `table` (the meta or the personal table), read in `txn`;
    /// nil when there are none.
    func value(_ key: String, in table: MDB_dbi, txn: OpaquePointer?) -> [UInt8]? {
        var keyBytes = Array(key.utf8)
        return keyBytes.withUnsafeMutableBytes { keyRaw -> [UInt8]? in
            var mdbKey = MDB_val(mv_size: keyRaw.count, mv_data: keyRaw.baseAddress)
            var value = MDB_val()
            guard mdb_get(txn, table, &mdbKey, &value) == 0 else { return nil }
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
}
