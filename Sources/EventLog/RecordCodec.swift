import Crypto
import LMDSJSON

/// The binary layout of a stored record, version 1, and the hash chain over it.
///
/// Layout (all integers big-endian; `str16` is a UInt16 length then UTF-8 bytes, `str8` likewise):
/// ```
/// u8 recordFormat(=1) | u64 position | 16 eventID | u16 schemaVersion | i64 timeMs
/// | u32 actorUID | str16 userName | str8 role | u8 hasRequestID [str16 requestID]
/// | u16 entityCount (str16 entity)* | str16 type | u32 dataLength data
/// | 32 previousHash | 32 hash
/// ```
/// The canonical bytes are everything before `previousHash`; `hash = SHA-256(previousHash ‖ canonical)`.
/// A binary envelope decodes an order of magnitude faster than JSON, which keeps a full replay cheap.
public enum RecordCodec {
    /// The record layout this version writes and reads.
    public static let recordFormat: UInt8 = 1
    /// Size of a SHA-256 digest.
    public static let hashBytes = 32
    /// The hash that stands before position 1.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    // Limits on envelope fields; each costs bytes in every record and in every replay.
    /// Bytes in an event type name at most (`QuestionSubmitted` is 17).
    public static let typeBytesMax = 128
    /// Bytes in the actor's user name at most (POSIX names are far shorter).
    public static let userNameBytesMax = 255
    /// Bytes in the actor's role at most.
    public static let roleBytesMax = 64
    /// Bytes in a client's idempotency key at most.
    public static let requestIDBytesMax = 200
    /// Bytes in one entity id at most (`Q-0001` is 6).
    public static let entityIDBytesMax = 200
    /// Entity ids per event at most; history queries index each one.
    public static let entityCountMax = 256

    /// Checks that an event fits the envelope's limits before it is queued.
    public static func validate(_ event: ProposedEvent) throws(EventLogError) {
        func check(_ text: String, _ limit: Int, _ name: String) throws(EventLogError) {
            guard text.utf8.count <= limit else {
                throw EventLogError(.tooLarge, "\(name) is longer than \(limit) bytes")
            }
        }
        try check(event.type, typeBytesMax, "event type")
        guard !event.type.isEmpty else { throw EventLogError(.tooLarge, "event type is empty") }
        try check(event.actor.userName, userNameBytesMax, "actor user name")
        try check(event.actor.role, roleBytesMax, "actor role")
        if let requestID = event.requestID { try check(requestID, requestIDBytesMax, "request id") }
        guard event.entityIDs.count <= entityCountMax else {
            throw EventLogError(.tooLarge, "more than \(entityCountMax) entity ids")
        }
        for entity in event.entityIDs { try check(entity, entityIDBytesMax, "entity id") }
        guard case .object = event.data else { throw EventLogError(.tooLarge, "event data must be a JSON object") }
    }

    /// An event encoded up to its position and hashes: the expensive part (JSON serialisation, layout),
    /// done by the appending caller outside any lock.
    /// It does not keep the event: sealing is given it again.
    public struct PreparedRecord: Sendable {
        /// Canonical bytes with a zero position at `positionOffset`.
        let canonical: [UInt8]
        let dataBytes: [UInt8]

        /// Bytes this record will take in the log.
        public var storedByteCount: Int { canonical.count + 2 * RecordCodec.hashBytes }
    }

    /// Where the position sits in the canonical bytes (after the format byte).
    static let positionOffset = 1

    /// Encodes `event` at `position` after `previousHash`, returning the stored bytes and the record.
    public static func encode(
        _ event: ProposedEvent, position: UInt64, previousHash: [UInt8]
    ) -> (bytes: [UInt8], record: EventRecord) {
        seal(prepare(event), of: event, position: position, previousHash: previousHash)
    }

    /// Lays out everything but the position and the hashes.
    public static func prepare(_ event: ProposedEvent) -> PreparedRecord {
        let position: UInt64 = 0
        let dataBytes = JSONWriter.canonicalBytes(event.data)
        var bytes: [UInt8] = []
        // The exact size, so that the bytes are laid out in one allocation.
        let fixedBytes = 1 + 8 + 16 + 2 + 8 + 4 + 2 + 1 + 1 + 2 + 2 + 4
        let textBytes = event.actor.userName.utf8.count + event.actor.role.utf8.count + event.type.utf8.count
            + (event.requestID.map { 2 + $0.utf8.count } ?? 0) + event.entityIDs.reduce(0) { $0 + 2 + $1.utf8.count }
        bytes.reserveCapacity(fixedBytes + textBytes + dataBytes.count)
        bytes.append(recordFormat)
        appendInteger(position, to: &bytes)
        bytes.append(contentsOf: event.eventID.bytes)
        appendInteger(event.schemaVersion, to: &bytes)
        appendInteger(event.timeMs, to: &bytes)
        appendInteger(event.actor.uid, to: &bytes)
        appendString16(event.actor.userName, to: &bytes)
        var role = event.actor.role
        role.withUTF8 { role in
            bytes.append(UInt8(role.count))
            bytes.append(contentsOf: role)
        }
        if let requestID = event.requestID {
            bytes.append(1)
            appendString16(requestID, to: &bytes)
        } else {
            bytes.append(0)
        }
        appendInteger(UInt16(event.entityIDs.count), to: &bytes)
        for entity in event.entityIDs { appendString16(entity, to: &bytes) }
        appendString16(event.type, to: &bytes)
        appendInteger(UInt32(dataBytes.count), to: &bytes)
        bytes.append(contentsOf: dataBytes)
        return PreparedRecord(canonical: bytes, dataBytes: dataBytes)
    }

    /// Places a prepared record of `event` at `position` after `previousHash`: its stored bytes and the record.
    public static func seal(
        _ prepared: PreparedRecord, of event: ProposedEvent, position: UInt64, previousHash: [UInt8]
    ) -> (bytes: [UInt8], record: EventRecord) {
        precondition(position >= 1, "positions start at 1")
        precondition(previousHash.count == hashBytes, "previous hash must be 32 bytes")
        var hash: [UInt8] = []
        let bytes = [UInt8](unsafeUninitializedCapacity: prepared.storedByteCount) { buffer, initialized in
            let destination = UnsafeMutableRawBufferPointer(buffer)
            prepared.canonical.withUnsafeBytes { destination.copyMemory(from: $0) }
            hash = place(destination, position: position, previousHash: previousHash)
            initialized = prepared.storedByteCount
        }
        let record = EventRecord(
            position: position, eventID: event.eventID, type: event.type, schemaVersion: event.schemaVersion,
            timeMs: event.timeMs, actor: event.actor, requestID: event.requestID, entityIDs: event.entityIDs,
            dataBytes: prepared.dataBytes, previousHash: previousHash, hash: hash)
        return (bytes, record)
    }

    /// Moves a sealed record to another place in the chain: rewrites the position and both hashes in its
    /// stored `bytes` and returns `record` as it now stands. The log uses it when an earlier transaction
    /// failed and the appends queued behind it close the gap.
    public static func reseal(_ bytes: inout [UInt8], of record: EventRecord, position: UInt64, previousHash: [UInt8]) -> EventRecord {
        precondition(position >= 1, "positions start at 1")
        precondition(previousHash.count == hashBytes, "previous hash must be 32 bytes")
        precondition(bytes.count > 2 * hashBytes + positionOffset + 8, "sealed bytes hold a header and two hashes")
        let hash = bytes.withUnsafeMutableBytes { place($0, position: position, previousHash: previousHash) }
        return EventRecord(
            position: position, eventID: record.eventID, type: record.type, schemaVersion: record.schemaVersion,
            timeMs: record.timeMs, actor: record.actor, requestID: record.requestID, entityIDs: record.entityIDs,
            dataBytes: record.dataBytes, previousHash: previousHash, hash: hash)
    }

    /// Writes `position` into stored bytes whose canonical part is in place, then the previous hash and
    /// the new hash after it; returns the new hash.
    private static func place(_ destination: UnsafeMutableRawBufferPointer, position: UInt64, previousHash: [UInt8]) -> [UInt8] {
        let canonicalCount = destination.count - 2 * hashBytes
        withUnsafeBytes(of: position.bigEndian) { raw in
            for index in 0..<8 { destination[positionOffset + index] = raw[index] }
        }
        let hash = chainHash(previousHash: previousHash, canonical: UnsafeRawBufferPointer(rebasing: destination[0..<canonicalCount]))
        previousHash.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: destination[canonicalCount..<canonicalCount + hashBytes]).copyMemory(from: $0) }
        hash.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: destination[(canonicalCount + hashBytes)...]).copyMemory(from: $0) }
        return hash
    }

    /// SHA-256 over the previous hash and the canonical bytes.
    public static func chainHash(previousHash: [UInt8], canonical: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        previousHash.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: canonical)
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }

    /// Decodes stored bytes. Does not check the hash (see `verifyHash`).
    /// - Throws: `EventLogError.damaged` for truncated or malformed bytes, `.formatTooNew` for a newer layout.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(EventLogError) -> EventRecord {
        var reader = ByteReader(bytes: bytes)
        guard let format = reader.readByte() else { throw EventLogError(.damaged, "empty record") }
        guard format == recordFormat else {
            if format > recordFormat {
                throw EventLogError(.formatTooNew, "record format \(format) is newer than this lmds (\(recordFormat))")
            }
            throw EventLogError(.damaged, "unknown record format \(format)")
        }
        guard let position = reader.readInteger(UInt64.self),
            let idBytes = reader.readBytes(16),
            let schemaVersion = reader.readInteger(UInt16.self),
            let timeMs = reader.readInteger(Int64.self),
            let uid = reader.readInteger(UInt32.self),
            let userName = reader.readString16(),
            let roleLength = reader.readByte(),
            let role = reader.readString(count: Int(roleLength)),
            let hasRequestID = reader.readByte()
        else { throw EventLogError(.damaged, "truncated record header") }
        var requestID: String?
        if hasRequestID == 1 {
            guard let value = reader.readString16() else { throw EventLogError(.damaged, "truncated request id") }
            requestID = value
        }
        guard let entityCount = reader.readInteger(UInt16.self) else { throw EventLogError(.damaged, "truncated record") }
        var entityIDs: [String] = []
        entityIDs.reserveCapacity(Int(entityCount))
        for _ in 0..<entityCount {
            guard let entity = reader.readString16() else { throw EventLogError(.damaged, "truncated entity id") }
            entityIDs.append(entity)
        }
        guard let type = reader.readString16(),
            let dataLength = reader.readInteger(UInt32.self),
            let dataBytes = reader.readBytes(Int(dataLength)),
            let previousHash = reader.readBytes(hashBytes),
            let hash = reader.readBytes(hashBytes),
            reader.isAtEnd
        else { throw EventLogError(.damaged, "truncated or overlong record at position \(position)") }
        return EventRecord(
            position: position, eventID: EventID(bytes: idBytes), type: type, schemaVersion: schemaVersion,
            timeMs: timeMs, actor: EventActor(uid: uid, userName: userName, role: role), requestID: requestID,
            entityIDs: entityIDs, dataBytes: dataBytes, previousHash: previousHash, hash: hash)
    }

    /// Decodes stored bytes after checking them against themselves: the stored hash must be SHA-256 over the
    /// stored previous hash and the canonical bytes, and the record must say it is the `position` it was
    /// stored under. Any flipped bit inside one record is found here without reading its predecessor, so
    /// single reads (`events.read`, histories) never hand out a damaged record; the links between records
    /// are checked by `verifyHash` (start-up, `audit.verify`).
    /// - Throws: `EventLogError.damaged` naming the position, `.formatTooNew` for a newer layout.
    public static func decodeChecked(_ bytes: UnsafeRawBufferPointer, position: UInt64) throws(EventLogError) -> EventRecord {
        let damaged = "the record at position \(position) does not match its hash: the log file is damaged"
        guard bytes.count > 2 * hashBytes else { throw EventLogError(.damaged, damaged) }
        let canonicalEnd = bytes.count - 2 * hashBytes
        let storedPrevious = Array(bytes[canonicalEnd..<(canonicalEnd + hashBytes)])
        guard verifyHash(bytes, previousHash: storedPrevious) else { throw EventLogError(.damaged, damaged) }
        let record: EventRecord
        do throws(EventLogError) {
            record = try decode(bytes)
        } catch where error.code == .damaged {
            throw EventLogError(.damaged, "the record at position \(position) is malformed: \(error.message)")
        }
        guard record.position == position else {
            throw EventLogError(.damaged, "the record at key \(position) says it is position \(record.position): the log file is damaged")
        }
        return record
    }

    /// Whether the stored hash matches the bytes and the given previous hash.
    public static func verifyHash(_ bytes: UnsafeRawBufferPointer, previousHash: [UInt8]) -> Bool {
        guard bytes.count > 2 * hashBytes else { return false }
        let canonicalEnd = bytes.count - 2 * hashBytes
        let storedPrevious = Array(bytes[canonicalEnd..<(canonicalEnd + hashBytes)])
        let storedHash = Array(bytes[(canonicalEnd + hashBytes)...])
        guard storedPrevious == previousHash else { return false }
        return chainHash(previousHash: previousHash, canonical: UnsafeRawBufferPointer(rebasing: bytes[0..<canonicalEnd])) == storedHash
    }

    static func appendInteger<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    static func appendString16(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            precondition(utf8.count <= Int(UInt16.max), "string too long for the envelope")
            appendInteger(UInt16(utf8.count), to: &bytes)
            bytes.append(contentsOf: utf8)
        }
    }
}

/// A bounds-checked cursor over stored bytes; every read returns `nil` past the end.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    var isAtEnd: Bool { offset == bytes.count }

    mutating func readByte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readInteger<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard bytes.count - offset >= size else { return nil }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)]))
        }
        offset += size
        return T(bigEndian: value)
    }

    mutating func readBytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, bytes.count - offset >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func readString(count: Int) -> String? {
        guard count >= 0, bytes.count - offset >= count else { return nil }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        guard let text = UTF8Text.string(validating: slice) else { return nil }
        offset += count
        return text
    }

    mutating func readString16() -> String? {
        guard let count = readInteger(UInt16.self) else { return nil }
        return readString(count: Int(count))
    }
}
