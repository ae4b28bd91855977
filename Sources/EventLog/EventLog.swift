import CLMDB
import Foundation
import Synchronization

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
    /// Called once, with the `syncFailed` error, when a commit or sync first fails and the log stops taking
    /// writes (on the log's writer or completion thread, before the failed appenders are answered); the
    /// daemon writes its one error line for the journal here.
    public var faultObserver: (@Sendable (EventLogError) -> Void)?
    /// The identity a writer gives the log when the log has none yet: when it creates the log, or at the
    /// first writable open of a log made before logs had identities. The creator brings the randomness
    /// (the default draws from the system's generator); `lmdsd import` passes the exported log's.
    public var identityForNewLog: LogIdentity

    public init(
        directory: String, readOnly: Bool = false, mapBytesInitial: Int = 64 << 20, mapBytesMax: Int = 64 << 30,
        commitLimits: GroupCommitLimits = GroupCommitLimits(), appendEventsMax: Int = 10_000, readersMax: UInt32 = 512,
        commitObserver: (@Sendable (CommitSummary) -> Void)? = nil, identityForNewLog: LogIdentity = .random(),
        faultObserver: (@Sendable (EventLogError) -> Void)? = nil
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
        self.faultObserver = faultObserver
    }
}

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

    /// Why the log refuses every write, once a commit or sync failed on the disk (`syncFailed`, with the
    /// failure and its time in the message); nil while writes are taken. Cleared only by opening the log again.
    public var writeFault: EventLogError? { core.fault }

    /// Makes the next write transaction fail with LMDB status `status` (EIO, MDB_PANIC) instead of
    /// committing; nothing of it is written. For tests of the failure paths.
    func failNextTransaction(status: Int32) {
        core.injectedTransactionFailure.store(status, ordering: .relaxed)
    }

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

    /// Like `scan`, checking each record against the hash chain before handing it over; a record that does
    /// not match (a flipped bit, a torn page) stops the scan with `damaged` naming its position. Start-up,
    /// rebuilds and `asOf` replays read the log this way, so a damaged record is never served.
    public func scanVerified(from position: UInt64, _ body: (EventRecord) throws(EventLogError) -> Bool) throws(EventLogError) {
        try core.scanVerified(from: position, body)
    }

    /// Like `scan`, with the stored bytes instead of a decoded record (for verification and benchmarks).
    public func scanRaw(from position: UInt64, _ body: (UInt64, UnsafeRawBufferPointer) throws(EventLogError) -> Bool) throws(EventLogError) {
        try core.scanRaw(from: position, body)
    }

    /// Walks the whole chain: positions gapless from 1, each record well-formed, each hash linking to the
    /// one before, and the head in the meta table matching the last record.
    public func verify() throws(EventLogError) -> VerificationReport { try core.verify() }

    /// Reads every entry of every table of the LMDB file once (see `LogCore.walkEveryTable`): run in a
    /// child process before serving, so that a page damaged in a way LMDB does not check kills the child,
    /// not the daemon.
    public func walkEveryTable() throws(EventLogError) -> PageWalkReport { try core.walkEveryTable() }

    /// Copies the log, compacted, into `directory` (which must not exist or be empty) while appends go on,
    /// then opens the copy and verifies its chain. Blocking: call it off any event loop.
    public func backup(to directory: String) throws(EventLogError) -> BackupReport { try core.backup(to: directory) }
}
