import CLMDB
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A failed sync poisons the log for writing: after a failed fsync the kernel may already have dropped the
// pages it could not write ("fsyncgate"), so a later commit that succeeds can sit on top of data that never
// reached the disk. The log therefore stores nothing more until the daemon is restarted on a checked disk;
// reads go on. A full disk is not such a failure: nothing was written, and writes resume once space is freed.

extension LogCore {
    /// The error that poisons the log (`syncFailed`) after a transaction failed with an I/O error (EIO, from
    /// a write or an fsync of the commit; `panicked` false) or LMDB marked the environment unusable (MDB_PANIC;
    /// `panicked` true), at `atMs`; `detail` is LMDB's own account. Never used for a full disk.
    static func syncFailure(panicked: Bool, detail: String, atMs: Int64) -> EventLogError {
        let what = panicked
            ? "a commit of the log failed and LMDB marked it unusable (MDB_PANIC)"
            : "a write or sync of the log failed: the disk reported an I/O error (EIO)"
        return EventLogError(.syncFailed,
            "\(what) at \(UTCTime.iso8601(milliseconds: atMs)) (\(detail)); the disk may have lost what it was given, so "
            + "this daemon stores no more writes: check the disk, then restart the daemon")
    }

    /// The time now in milliseconds since 1970, for the fault's sentence (the log has no injected clock).
    static func nowMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Records `fault` as the reason every later append is refused (the first fault stays), and removes
    /// every waiting append, which was sealed on top of the failed batch: they are refused with the fault.
    /// Returns them, and whether this fault is the first (the one to report). Called with `condition` held.
    func poison(_ fault: EventLogError) -> (refused: [(PendingAppend, EventLogError)], first: Bool) {
        let first = writeFault == nil
        if first { writeFault = fault }
        let refused = batcher.rewriteWaiting { _ in false }
        queuedHead = currentHead
        let reason = writeFault ?? fault
        return (refused.map { ($0, reason) }, first)
    }

    /// The fault that stopped writes, if any.
    var fault: EventLogError? {
        condition.lock()
        defer { condition.unlock() }
        return writeFault
    }

    /// Takes the status a test asked the next transaction to fail with (0: none).
    func takeInjectedFailure() -> Int32 {
        injectedTransactionFailure.exchange(0, ordering: .relaxed)
    }
}
