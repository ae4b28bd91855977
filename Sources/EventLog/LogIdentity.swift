import LMDSJSON

/// The identity of one log: 128 random bits drawn when the log is created, kept in its meta table.
///
/// A backup (a copy of the LMDB file), an export and the log `lmdsd import` rebuilds from it carry the
/// same identity, so two data directories with the same identity hold the same history (one may be
/// further along than the other). Two logs created apart never share one. `lmdsd replay --check` and a
/// report's receipt name a log by it.
public struct LogIdentity: Sendable, Hashable, CustomStringConvertible {
    /// Bytes in an identity: 128 bits make a collision between logs ever created negligible.
    public static let byteCount = 16

    /// The identity's bytes, as stored in the meta table.
    public let bytes: [UInt8]

    /// An identity of exactly `byteCount` bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// Parses the 32 lower-case hexadecimal characters `description` gives; nil for anything else.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// A new identity drawn from `generator`: the creator of a log brings the randomness.
    public static func random(using generator: inout some RandomNumberGenerator) -> LogIdentity {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount)
        for _ in 0..<(byteCount / 8) {
            let word: UInt64 = generator.next()
            withUnsafeBytes(of: word.bigEndian) { bytes.append(contentsOf: $0) }
        }
        return LogIdentity(bytes: bytes)!
    }

    /// A new identity from the system's generator.
    public static func random() -> LogIdentity {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// 32 lower-case hexadecimal characters, as `system.status` reports it as `logId`.
    public var description: String { Hex.encode(bytes) }
}
