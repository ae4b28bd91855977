#if canImport(Glibc)
import Glibc
#endif

/// The daemon's log lines: one line each on stderr, prefixed with the journald level (`<6>` info,
/// `<4>` warning, `<3>` error) so that systemd files them at the right priority. stderr is unbuffered,
/// so no line is lost on SIGTERM. Injected wherever the daemon logs; the domain never logs.
public struct DaemonLog: Sendable {
    /// Severity, ordered.
    public enum Level: String, Sendable, Comparable, CaseIterable {
        /// From least to most severe: journald priorities 7, 6, 4 and 3.
        case debug, info, warning, error

        var prefix: String {
            switch self {
            case .debug: return "<7>"
            case .info: return "<6>"
            case .warning: return "<4>"
            case .error: return "<3>"
            }
        }

        var rank: Int { Level.allCases.firstIndex(of: self)! }

        /// Orders levels by severity, from debug (lowest) to error (highest).
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    /// Lines below this level are dropped.
    public let threshold: Level
    private let sink: @Sendable (String) -> Void

    /// A log writing to `sink`; the default sink is stderr.
    public init(threshold: Level, sink: (@Sendable (String) -> Void)? = nil) {
        self.threshold = threshold
        self.sink = sink ?? { line in
            let bytes = Array(line.utf8)
            _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
    }

    /// Writes `message` as one line at `level`, unless below the threshold; newlines become spaces.
    public func log(_ level: Level, _ message: String) {
        guard level >= threshold else { return }
        sink(level.prefix + message.replacingNewlines + "\n")
    }

    /// Logs `message` at debug level.
    public func debug(_ message: String) { log(.debug, message) }
    /// Logs `message` at info level.
    public func info(_ message: String) { log(.info, message) }
    /// Logs `message` at warning level.
    public func warning(_ message: String) { log(.warning, message) }
    /// Logs `message` at error level.
    public func error(_ message: String) { log(.error, message) }
}

extension String {
    /// One log line per message: embedded newlines would otherwise forge journald entries.
    var replacingNewlines: String {
        String(self.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
