import CLMDB

/// What a walk over every table of the LMDB file read.
public struct PageWalkReport: Sendable, Hashable {
    /// Entries read, in every table (the free list and the table of tables included).
    public let entries: UInt64
    /// A value folded from the first and last byte of every key and value, so that the walk really reads them.
    public let fold: UInt8
}

// The page walk: every entry of every table read once, through LMDB's own cursors.
extension LogCore {
    /// Reads every entry of every table (LMDB's free list, its table of tables, `events`, `meta` and
    /// `personal`) with a cursor, touching the first and last byte of each key and value, in one read
    /// transaction. LMDB trusts its page headers: a damaged one can make it read outside a page and the
    /// process die of a signal, so the daemon runs this walk in a child process before it opens the file
    /// itself (`lmdsd check-pages`) and does not serve a file whose walk died. A damaged page LMDB notices is
    /// an error here.
    func walkEveryTable() throws(EventLogError) -> PageWalkReport {
        try withReadTransaction { txn throws(EventLogError) -> PageWalkReport in
            // FREE_DBI (0) and MAIN_DBI (1) are LMDB's own trees.
            var tables: [(MDB_dbi, String)] = [(0, "the free list"), (1, "the table of tables"), (storage.eventsTable, "events"), (storage.metaTable, "meta")]
            if storage.personalTable != 0 { tables.append((storage.personalTable, "personal")) }
            var entries: UInt64 = 0
            var fold: UInt8 = 0
            for (table, name) in tables {
                var cursor: OpaquePointer?
                try storage.check(mdb_cursor_open(txn, table, &cursor), "opening a cursor on \(name)")
                defer { mdb_cursor_close(cursor) }
                var key = MDB_val()
                var value = MDB_val()
                var status = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
                while status == 0 {
                    for part in [bytes(of: key), bytes(of: value)] where !part.isEmpty {
                        fold ^= part[0] ^ part[part.count - 1]
                    }
                    entries += 1
                    status = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
                }
                if status != MDB_NOTFOUND { throw LMDBEnvironment.error(status, "walking the pages of \(name)") }
            }
            return PageWalkReport(entries: entries, fold: fold)
        }
    }
}
