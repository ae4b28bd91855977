import CLMDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A readers-writer lock over the process's LMDB transactions. LMDB allows `mdb_env_set_mapsize` only
/// while no transaction is active in the process, so every read transaction holds the shared side and
/// a map resize (or a reopen after a panic) holds the exclusive side.
final class TransactionGate: @unchecked Sendable {
    private var lock = pthread_rwlock_t()

    init() {
        let status = pthread_rwlock_init(&lock, nil)
        precondition(status == 0, "pthread_rwlock_init failed: \(status)")
    }

    deinit { pthread_rwlock_destroy(&lock) }

    func withShared<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_rdlock(&lock)
        defer { pthread_rwlock_unlock(&lock) }
        return try body()
    }

    func withExclusive<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_wrlock(&lock)
        defer { pthread_rwlock_unlock(&lock) }
        return try body()
    }
}

/// The LMDB environment with the log's two tables. Not thread-safe by itself: `EventLog` confines
/// write transactions to its writer thread and brackets read transactions with the `TransactionGate`.
final class LMDBEnvironment: @unchecked Sendable {
    /// Handle of the LMDB environment.
    private(set) var environment: OpaquePointer?
    /// Table `events`: big-endian UInt64 position -> encoded record.
    private(set) var eventsTable: MDB_dbi = 0
    /// Table `meta`: `format` and `head`.
    private(set) var metaTable: MDB_dbi = 0
    /// Table `personal`: mutable data kept out of the immutable log (names, contact details); 0 when a
    /// read-only opener finds a log written before the table existed.
    private(set) var personalTable: MDB_dbi = 0
    let directory: String
    let readOnly: Bool
    private(set) var mapBytes: Int

    /// The format this version writes into `meta/format`.
    static let logFormat: UInt32 = 1
    /// Tables per environment at most; room for later tables (personal data, indexes).
    static let tablesMax: UInt32 = 8

    init(directory: String, readOnly: Bool, mapBytes: Int, readersMax: UInt32) throws(EventLogError) {
        self.directory = directory
        self.readOnly = readOnly
        self.mapBytes = mapBytes
        try open(readersMax: readersMax)
    }

    deinit { close() }

    private func open(readersMax: UInt32) throws(EventLogError) {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "creating the LMDB environment")
        environment = env
        try check(mdb_env_set_maxdbs(env, Self.tablesMax), "setting the table count")
        try check(mdb_env_set_maxreaders(env, readersMax), "setting the reader count")
        try check(mdb_env_set_mapsize(env, mapBytes), "setting the map size")
        var flags = UInt32(MDB_NOTLS)
        if readOnly { flags |= UInt32(MDB_RDONLY) }
        let status = mdb_env_open(env, directory, flags, 0o600)
        if status != 0 {
            mdb_env_close(env)
            environment = nil
            switch status {
            case MDB_INVALID, MDB_CORRUPTED:
                throw EventLogError(.damaged, "\(directory) does not hold a readable LMDB log (\(Self.describe(status)))")
            case MDB_VERSION_MISMATCH:
                throw EventLogError(.formatTooNew, "\(directory) was written by an incompatible LMDB version")
            case ENOENT:
                throw EventLogError(.dataDirectoryUnusable, "\(directory) holds no log (no data.mdb)")
            case EACCES:
                throw EventLogError(.dataDirectoryUnusable, "no permission to open the log in \(directory)")
            default:
                throw EventLogError(.storageError, "opening the log in \(directory): \(Self.describe(status))")
            }
        }
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        mapBytes = info.me_mapsize
        try openTables()
    }

    private func openTables() throws(EventLogError) {
        var txn: OpaquePointer?
        let txnFlags: UInt32 = readOnly ? UInt32(MDB_RDONLY) : 0
        try check(mdb_txn_begin(environment, nil, txnFlags, &txn), "beginning the first transaction")
        let createFlag: UInt32 = readOnly ? 0 : UInt32(MDB_CREATE)
        var events: MDB_dbi = 0
        var meta: MDB_dbi = 0
        var personal: MDB_dbi = 0
        var status = mdb_dbi_open(txn, "events", createFlag, &events)
        if status == 0 { status = mdb_dbi_open(txn, "meta", createFlag, &meta) }
        if status == 0 {
            let personalStatus = mdb_dbi_open(txn, "personal", createFlag, &personal)
            if personalStatus == MDB_NOTFOUND && readOnly {
                personal = 0
            } else {
                status = personalStatus
            }
        }
        if status != 0 {
            mdb_txn_abort(txn)
            if status == MDB_NOTFOUND {
                throw EventLogError(.damaged, "\(directory) is an LMDB file but not an lmds log (no events table)")
            }
            if status == MDB_INCOMPATIBLE {
                throw EventLogError(.damaged, "\(directory) is an LMDB file but not an lmds log")
            }
            throw EventLogError(.storageError, "opening the log's tables: \(Self.describe(status))")
        }
        status = mdb_txn_commit(txn)
        try check(status, "opening the log's tables")
        eventsTable = events
        metaTable = meta
        personalTable = personal
    }

    /// Closes and reopens the environment: the way back after LMDB reports a fatal error (MDB_PANIC),
    /// for example after the disk filled up while writing the meta page. Caller holds the gate exclusively.
    func reopen(readersMax: UInt32) throws(EventLogError) {
        close()
        try open(readersMax: readersMax)
    }

    func close() {
        if let environment {
            mdb_env_close(environment)
            self.environment = nil
        }
    }

    /// Grows the map to `newMapBytes`. Caller holds the gate exclusively and has no open write transaction.
    func setMapBytes(_ newMapBytes: Int) throws(EventLogError) {
        precondition(newMapBytes > 0, "map size must be positive")
        try check(mdb_env_set_mapsize(environment, newMapBytes), "growing the map")
        var info = MDB_envinfo()
        mdb_env_info(environment, &info)
        mapBytes = info.me_mapsize
    }

    /// Re-reads the map size after another process grew it (MDB_MAP_RESIZED). Caller holds the gate exclusively.
    func adoptMapSizeOfFile() {
        mdb_env_set_mapsize(environment, 0)
        var info = MDB_envinfo()
        mdb_env_info(environment, &info)
        mapBytes = info.me_mapsize
    }

    func check(_ status: Int32, _ doing: String) throws(EventLogError) {
        guard status != 0 else { return }
        throw Self.error(status, doing)
    }

    static func error(_ status: Int32, _ doing: String) -> EventLogError {
        switch status {
        case ENOSPC, EDQUOT:
            return EventLogError(.storageFull, "\(doing): the disk is full (\(describe(status)))")
        case MDB_MAP_FULL:
            return EventLogError(.storageFull, "\(doing): the log reached its configured maximum size")
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID:
            return EventLogError(.damaged, "\(doing): \(describe(status))")
        case EACCES, EROFS:
            return EventLogError(.notWritable, "\(doing): \(describe(status))")
        default:
            return EventLogError(.storageError, "\(doing): \(describe(status))")
        }
    }

    static func describe(_ status: Int32) -> String {
        guard let text = mdb_strerror(status) else { return "error \(status)" }
        return String(cString: text)
    }
}

/// A big-endian UInt64 as an 8-byte key, so that LMDB's byte order is position order (MDB_APPEND works).
func withPositionKey<T, E: Error>(_ position: UInt64, _ body: (inout MDB_val) throws(E) -> T) throws(E) -> T {
    var bigEndian = position.bigEndian
    let outcome: Result<T, E> = withUnsafeMutableBytes(of: &bigEndian) { raw in
        var key = MDB_val(mv_size: 8, mv_data: raw.baseAddress)
        return Result { () throws(E) -> T in try body(&key) }
    }
    return try outcome.get()
}

/// Reads a position key back.
func position(of key: MDB_val) -> UInt64? {
    guard key.mv_size == 8, let data = key.mv_data else { return nil }
    var value: UInt64 = 0
    withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(start: data, count: 8)) }
    return UInt64(bigEndian: value)
}

/// The bytes a value points at, valid until the transaction ends.
func bytes(of value: MDB_val) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
}
