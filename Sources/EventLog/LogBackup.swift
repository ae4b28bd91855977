import CLMDB
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

// Hot backup: a compacted copy, verified.
extension LogCore {
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
