import EventLog

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's time source, injected so that tests and replays control it.
public protocol Clock: Sendable {
    /// UTC milliseconds since 1970.
    func nowMs() -> Int64
}

/// The real clock.
public struct SystemClock: Clock {
    public init() {}

    /// The wall-clock time (CLOCK_REALTIME) in UTC milliseconds since 1970.
    public func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// Where event ids come from, injected so that tests and simulations are deterministic.
public protocol EventIDSource: Sendable {
    /// A new id, different from every id returned before.
    func nextEventID() -> EventID
}

/// Random version-4 UUIDs from the system's generator.
public struct RandomEventIDSource: EventIDSource {
    public init() {}

    /// A fresh random version-4 UUID.
    public func nextEventID() -> EventID {
        // Two draws of 8 bytes from the system's generator (one `getrandom` each), not sixteen of 1.
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: generator.next() as UInt64, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: generator.next() as UInt64, toByteOffset: 8, as: UInt64.self)
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return EventID(bytes: bytes)
    }
}

/// The core's limits, each with its cost.
public enum CoreLimits {
    /// Rendered `question.get` / `offer.get` results kept for repeated reads of the current state. Each
    /// costs about the size of its reply (1-2 KiB); when full, the cache starts empty again.
    public static let replyCacheEntriesMax = 20_000
    /// Events committed between background snapshots of the read models: bounds what start-up replays
    /// after a crash. A snapshot of a 1,000,000-event state costs about a second of one core and a
    /// write of its size (about 100 MB); the next write after it copies the tables it changes once.
    public static let snapshotEventsInterval: UInt64 = 100_000
    /// Words whose stem and concepts the live matching index remembers (`TextAnalyzer.WordCache`): a
    /// submission's words are mostly words seen before. Each entry holds a word, its stem and the concepts
    /// the stem names; when full, the cache starts empty again, so its memory stays bounded.
    public static let analysisWordsCachedMax = 200_000
    /// Words the event loops' cache of analyses made before a command reaches the processor holds at most
    /// (`DomainProcessor.prepareAnalyses`); a word with its stem and concepts takes about 200 bytes.
    public static let preparedWordsCachedMax = 50_000
}
