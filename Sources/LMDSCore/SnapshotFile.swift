import Crypto
import Domain
import LMDSJSON

#if canImport(Glibc)
import Glibc
#endif

/// The read models as of one log position: what a replay of the log up to there produces, so that
/// start-up can load it and replay only the events after it.
struct ReadModelSnapshot: Sendable {
    /// The log position it reflects, and that record's hash: a snapshot is used only with the log whose
    /// record at `position` has this hash.
    var position: UInt64
    var hash: [UInt8]
    /// The identity of the log it was taken of (`LogIdentity.bytes`; empty for a log without one).
    var identity: [UInt8]
    var headTimeMs: Int64
    var state: DomainState
    var entityPositions: [String: [UInt64]]
    /// Remembered request ids and their replies, oldest first.
    var results: [(String, WriteResult)]
}

/// Why a snapshot file was not used; start-up then replays the whole log.
struct SnapshotFileError: Error, CustomStringConvertible {
    let reason: String
    /// The snapshot belongs to this log (same identity) but is further along than the log's head: the log
    /// lost records that were acknowledged (a damaged file, or LMDB falling back to its older meta page).
    /// Start-up refuses to serve such a log instead of ignoring the snapshot.
    var logIsBehind = false
    var description: String { reason }
}

/// The snapshot file in the data directory: `snapshot.lmds`, mode 0600, replaced atomically (written to a
/// temporary file, synced, renamed, the directory synced), so a crash leaves the old one or the new one.
///
/// Layout: `LMDSSNAP`, the format version (UInt32 LE: the file layout and `StateSnapshot.formatVersion`
/// together), the body's length (UInt64 LE), the body, and the SHA-256 of the body. The body holds the
/// position, the hash of its record, the log's identity, the time of its record, the state (`StateSnapshot`), each entity's event positions
/// and the remembered replies (canonical JSON). A file of another version, with a wrong checksum or cut
/// short is reported and ignored, never repaired: the log is the truth and a replay rebuilds it all.
public enum SnapshotFile {
    static let fileName = "snapshot.lmds"
    static let magic = Array("LMDSSNAP".utf8)
    /// Layout 2 (2_000) added the log's identity after the hash.
    static var formatVersion: UInt32 { 2_000 + StateSnapshot.formatVersion }
    static let headerBytes = 8 + 4 + 8

    static func path(in directory: String) -> String { directory + "/" + fileName }

    /// The snapshot's bytes: header, body and checksum.
    static func encode(_ snapshot: ReadModelSnapshot) -> [UInt8] {
        var body = SnapshotWriter(capacity: 64 << 20)
        body.uint64(snapshot.position)
        body.raw(snapshot.hash)
        body.raw(snapshot.identity)
        body.int64(snapshot.headTimeMs)
        StateSnapshot.encode(snapshot.state, into: &body)
        body.count(snapshot.entityPositions.count)
        for (entity, positions) in snapshot.entityPositions {
            body.string(entity)
            body.count(positions.count)
            for position in positions { body.uint64(position) }
        }
        body.count(snapshot.results.count)
        for (requestID, result) in snapshot.results {
            body.string(requestID)
            body.raw(JSONWriter.canonicalBytes(result.json))
        }
        var file = SnapshotWriter(capacity: body.bytes.count + headerBytes + 32)
        for byte in magic { file.byte(byte) }
        withUnsafeBytes(of: formatVersion.littleEndian) { for byte in $0 { file.byte(byte) } }
        file.uint64(UInt64(body.bytes.count))
        var bytes = file.bytes
        bytes.append(contentsOf: body.bytes)
        bytes.append(contentsOf: SHA256.hash(data: body.bytes))
        return bytes
    }

    /// Reads a snapshot from its bytes.
    static func decode(_ bytes: SnapshotBytes) throws(SnapshotFileError) -> ReadModelSnapshot {
        let head = try decodeState(bytes)
        let rest = try decodeRest(head)
        return ReadModelSnapshot(
            position: head.position, hash: head.hash, identity: head.identity, headTimeMs: head.headTimeMs, state: head.state,
            entityPositions: rest.entityPositions, results: rest.results)
    }

    /// The first part of a snapshot: checked whole (header and checksum), then read up to the state, so
    /// that work on the state (the matching index) can start while `decodeRest` reads the remainder.
    struct StatePart {
        var position: UInt64
        var hash: [UInt8]
        var identity: [UInt8]
        var headTimeMs: Int64
        var state: DomainState
        fileprivate var bytes: SnapshotBytes
        fileprivate var restOffset: Int
    }

    /// Checks the whole file and reads its position, hash, time and state.
    static func decodeState(_ storage: SnapshotBytes, afterQuestions: ([String: Question]) -> Void = { _ in }) throws(SnapshotFileError) -> StatePart {
        let bytes = storage.buffer
        guard bytes.count >= headerBytes + 32, bytes[0..<8].elementsEqual(magic) else {
            throw SnapshotFileError(reason: "not an lmds snapshot")
        }
        var version: UInt32 = 0
        for index in (8..<12).reversed() { version = version << 8 | UInt32(bytes[index]) }
        guard version == formatVersion else {
            throw SnapshotFileError(reason: "snapshot format \(version), this lmdsd reads \(formatVersion)")
        }
        var header = SnapshotReader(storage: storage, offset: 12)
        guard let bodyBytes = try? header.uint64(), bodyBytes == UInt64(bytes.count - headerBytes - 32) else {
            throw SnapshotFileError(reason: "the snapshot is cut short or too long")
        }
        let body = UnsafeRawBufferPointer(rebasing: bytes[headerBytes..<bytes.count - 32])
        guard SHA256.hash(data: body).elementsEqual(bytes[(bytes.count - 32)...]) else {
            throw SnapshotFileError(reason: "the snapshot's checksum does not match its contents")
        }
        do throws(SnapshotDecodingError) {
            var reader = SnapshotReader(storage: storage, offset: headerBytes)
            let position = try reader.uint64()
            let hash = Array(try reader.raw())
            let identity = Array(try reader.raw())
            let headTimeMs = try reader.int64()
            let state = try StateSnapshot.decode(from: &reader, afterQuestions: afterQuestions)
            return StatePart(position: position, hash: hash, identity: identity, headTimeMs: headTimeMs, state: state, bytes: storage, restOffset: reader.offset)
        } catch {
            throw SnapshotFileError(reason: "the snapshot cannot be read: \(error)")
        }
    }

    /// The rest of a snapshot: each entity's event positions and the remembered replies.
    static func decodeRest(_ part: StatePart) throws(SnapshotFileError) -> (entityPositions: [String: [UInt64]], results: [(String, WriteResult)]) {
        let bytes = part.bytes.buffer
        do throws(SnapshotDecodingError) {
            var reader = SnapshotReader(storage: part.bytes, offset: part.restOffset)
            let entityCount = try reader.count()
            var entityPositions: [String: [UInt64]] = [:]
            entityPositions.reserveCapacity(entityCount)
            for _ in 0..<entityCount {
                let entity = try reader.string()
                let count = try reader.count()
                var positions: [UInt64] = []
                positions.reserveCapacity(count)
                for _ in 0..<count { positions.append(try reader.uint64()) }
                entityPositions[entity] = positions
            }
            let resultCount = try reader.count()
            var results: [(String, WriteResult)] = []
            results.reserveCapacity(resultCount)
            for _ in 0..<resultCount {
                let requestID = try reader.string()
                let start = reader.offset
                guard let json = try? JSONParser.parse(Array(try reader.raw())), let result = WriteResult(json: json) else {
                    throw SnapshotDecodingError(offset: start, reason: "a remembered reply that is not JSON")
                }
                results.append((requestID, result))
            }
            guard reader.offset == bytes.count - 32 else { throw SnapshotDecodingError(offset: reader.offset, reason: "bytes after the body") }
            return (entityPositions, results)
        } catch {
            throw SnapshotFileError(reason: "the snapshot cannot be read: \(error)")
        }
    }

    /// Removes the temporary file of a save that never finished (the daemon died while writing it); only
    /// at start-up, before any save of this daemon can be under way.
    public static func removeUnfinished(directory: String) {
        unlink(path(in: directory) + ".tmp")
    }

    /// Writes `bytes` as the directory's snapshot, replacing the previous one atomically.
    static func write(_ bytes: [UInt8], directory: String) throws(SnapshotFileError) {
        let final = path(in: directory)
        let temporary = final + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SnapshotFileError(reason: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        var failure: String?
        bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let result = Glibc.write(descriptor, raw.baseAddress! + written, raw.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = "cannot write \(temporary): \(String(cString: strerror(errno)))"
                    return
                }
                written += result
            }
        }
        if failure == nil && fsync(descriptor) != 0 { failure = "cannot sync \(temporary): \(String(cString: strerror(errno)))" }
        close(descriptor)
        if let failure {
            unlink(temporary)
            throw SnapshotFileError(reason: failure)
        }
        guard rename(temporary, final) == 0 else {
            let reason = "cannot rename \(temporary): \(String(cString: strerror(errno)))"
            unlink(temporary)
            throw SnapshotFileError(reason: reason)
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// The directory's snapshot file's bytes, mapped read-only (reading them costs no copy and no zeroed
    /// pages; they are unmapped when the last reader is done); nil when there is none.
    static func read(directory: String) throws(SnapshotFileError) -> SnapshotBytes? {
        let file = path(in: directory)
        let descriptor = open(file, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw SnapshotFileError(reason: "cannot open \(file): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw SnapshotFileError(reason: "cannot stat \(file)") }
        let size = Int(status.st_size)
        guard size > 0 else { return SnapshotBytes(copying: []) }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, descriptor, 0), mapped != MAP_FAILED else {
            throw SnapshotFileError(reason: "cannot map \(file): \(String(cString: strerror(errno)))")
        }
        return SnapshotBytes(owning: UnsafeRawBufferPointer(start: mapped, count: size)) { buffer in
            munmap(UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count)
        }
    }
}
