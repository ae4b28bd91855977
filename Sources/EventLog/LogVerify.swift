import CLMDB
import Foundation

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

// Verification: the whole hash chain walked up to the recorded head.
extension LogCore {
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
}
