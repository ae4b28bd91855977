import CLMDB
import Foundation

// Reads: records, scans and the personal table, each in its own short read transaction.
extension LogCore {
    /// Runs `body` inside a read transaction; concurrent with appends.
    func withReadTransaction<T>(_ body: (OpaquePointer?) throws(EventLogError) -> T) throws(EventLogError) -> T {
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

    /// The record at `position`, or `nil` when there is none; checked against its own hash (`damaged` if not).
    func record(at position: UInt64) throws(EventLogError) -> EventRecord? {
        try withReadTransaction { txn throws(EventLogError) -> EventRecord? in
            try withPositionKey(position) { key throws(EventLogError) -> EventRecord? in
                var value = MDB_val()
                let status = mdb_get(txn, storage.eventsTable, &key, &value)
                if status == MDB_NOTFOUND { return nil }
                try storage.check(status, "reading position \(position)")
                return try RecordCodec.decodeChecked(bytes(of: value), position: position)
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

    /// Calls `body` with each record from `position` on, in order, until it returns `false` or the
    /// log ends. Records appended while scanning may or may not be seen. Each record is checked against
    /// its own hash first (`RecordCodec.decodeChecked`): a damaged one stops the scan with `damaged`.
    func scan(from position: UInt64, _ body: (EventRecord) throws(EventLogError) -> Bool) throws(EventLogError) {
        try scanRaw(from: position) { current, raw throws(EventLogError) -> Bool in
            try body(try RecordCodec.decodeChecked(raw, position: current))
        }
    }

    /// Like `scan`, checking every record against the hash chain first: positions gapless from `position`,
    /// each record's stored link equal to the hash of the one before (the genesis hash before position 1)
    /// and its own hash equal to SHA-256 over that link and its bytes. A record that fails is never handed
    /// to `body`: a flipped bit on the disk stops the scan with `damaged`, naming the position.
    func scanVerified(from position: UInt64, _ body: (EventRecord) throws(EventLogError) -> Bool) throws(EventLogError) {
        let start = max(position, 1)
        var previousHash = RecordCodec.genesisHash
        if start > 1 {
            guard let before = try record(at: start - 1) else {
                throw EventLogError(.damaged, "position \(start - 1) is missing: the records after it cannot be checked")
            }
            previousHash = before.hash
        }
        var expected = start
        try scanRaw(from: start) { current, raw throws(EventLogError) -> Bool in
            guard current == expected else {
                throw EventLogError(.damaged, "position \(expected) is missing (the next record is \(current))")
            }
            guard RecordCodec.verifyHash(raw, previousHash: previousHash) else {
                throw EventLogError(.damaged, "the record at position \(current) does not match its hash or its predecessor's: the log file is damaged")
            }
            let record: EventRecord
            do throws(EventLogError) {
                record = try RecordCodec.decode(raw)
            } catch {
                throw EventLogError(.damaged, "the record at position \(current) is malformed: \(error.message)")
            }
            guard record.position == current else {
                throw EventLogError(.damaged, "the record at key \(current) says it is position \(record.position)")
            }
            previousHash = record.hash
            expected += 1
            return try body(record)
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

    /// The value stored under `key` in the personal table, or `nil`.
    func personalValue(_ key: String) throws(EventLogError) -> [UInt8]? {
        guard storage.personalTable != 0 else { return nil }
        return try withReadTransaction { txn throws(EventLogError) -> [UInt8]? in
            value(key, in: storage.personalTable, txn: txn)
        }
    }
}

/// Key decoding, named apart from the `position` properties it would otherwise shadow.
enum CLMDBPosition {
    static func of(_ key: MDB_val) -> UInt64? { position(of: key) }
}
