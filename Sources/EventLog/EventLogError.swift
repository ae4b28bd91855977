/// Everything that can go wrong with the event log, as one error type with a stable code.
///
/// The daemon maps `code` to a JSON-RPC error in one place; `message` is written for the operator
/// who reads it in the journal or on a terminal.
public struct EventLogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; stable across versions so that callers can switch on it.
    public enum Code: String, Sendable, Hashable {
        /// Another process holds the data directory for writing.
        case dataDirectoryLocked
        /// The data directory is unusable: permissions, not a directory, or cannot be created.
        case dataDirectoryUnusable
        /// The files were written by a newer lmds; this version must not touch them.
        case formatTooNew
        /// The files are damaged or are not an lmds log; nothing was repaired.
        case damaged
        /// The disk (or the configured maximum map size) has no room for the append; nothing was written.
        case storageFull
        /// Too many appends are waiting; the caller should retry later.
        case overloaded
        /// The append is larger than the log accepts in one command.
        case tooLarge
        /// The log was closed, or was opened read-only.
        case notWritable
        /// A position or record that does not exist.
        case notFound
        /// The append expected to follow another head position than the log's: nothing was written.
        case conflict
        /// The target of a backup is unusable.
        case backupFailed
        /// A commit or sync of the log failed on the disk (EIO, or LMDB's MDB_PANIC): the write was not
        /// stored, and the log refuses every later write until it is opened again (a restart of the daemon).
        case syncFailed
        /// LMDB reported an error not covered above.
        case storageError
    }

    /// What went wrong.
    public let code: Code
    /// A sentence for the operator.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
