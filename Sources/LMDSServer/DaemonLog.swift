#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The daemon's log lines: one line each on stderr, prefixed with the journald level (`<6>` info,
/// `<4>` warning, `<3>` error) so that systemd files them at the right priority. stderr is unbuffered,
/// so no line is lost on SIGTERM. Injected wherever the daemon logs; the domain never logs.
///
/// Every line goes through swift-log, the ecosystem's logging API: this is a `Logger` with the daemon's
/// vocabulary of four levels, and `JournaldLogHandler` writes the lines. `lmdsd` bootstraps swift-log with
/// the same handler (`JournaldLogHandler.bootstrap`), so the libraries' own logs (SwiftNIO and others)
/// reach journald the same way and at the same threshold.
public struct DaemonLog: Sendable {
    /// Severity, ordered.
    public enum Level: String, Sendable, Comparable, CaseIterable {
        /// From least to most severe: journald priorities 7, 6, 4 and 3.
        case debug, info, warning, error

        /// The swift-log level of the same severity.
        var loggerLevel: Logger.Level {
            switch self {
            case .debug: return .debug
            case .info: return .info
            case .warning: return .warning
            case .error: return .error
            }
        }

        var rank: Int { Level.allCases.firstIndex(of: self)! }

        /// Orders levels by severity, from debug (lowest) to error (highest).
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    /// Lines below this level are dropped.
    public let threshold: Level
    /// The swift-log logger every line goes through.
    public let logger: Logger

    /// A log writing to `sink` through a `JournaldLogHandler`; the default sink is stderr.
    public init(threshold: Level, sink: (@Sendable (String) -> Void)? = nil) {
        self.threshold = threshold
        var logger = Logger(label: "lmdsd") { label in JournaldLogHandler(label: label, sink: sink ?? JournaldLogHandler.standardError) }
        logger.logLevel = threshold.loggerLevel
        self.logger = logger
    }

    /// Writes `message` as one line at `level`, unless below the threshold; newlines become spaces.
    public func log(_ level: Level, _ message: String) {
        logger.log(level: level.loggerLevel, "\(message)")
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

/// A swift-log handler that writes each message as one line with journald's priority prefix (`<3>` for
/// error ... `<7>` for debug and trace), its metadata after it as `key=value`, newlines folded to spaces so
/// a message cannot forge a second journal entry.
public struct JournaldLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let sink: @Sendable (String) -> Void

    /// Writes a line to stderr (fd 2) with one `write`: unbuffered, so nothing is lost on SIGTERM.
    public static let standardError: @Sendable (String) -> Void = { line in
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    public init(label: String, sink: @escaping @Sendable (String) -> Void = JournaldLogHandler.standardError) {
        self.sink = sink
    }

    /// Sends every `Logger` of the process (the libraries' too) through this handler at `level`.
    public static func bootstrap(level: DaemonLog.Level) {
        LoggingSystem.bootstrap { label in
            var handler = JournaldLogHandler(label: label)
            handler.logLevel = level.loggerLevel
            return handler
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// journald's priority for `level` (syslog's numbering).
    static func prefix(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: return "<7>"
        case .info: return "<6>"
        case .notice: return "<5>"
        case .warning: return "<4>"
        case .error: return "<3>"
        case .critical: return "<2>"
        }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = merged.keys.sorted().map { " \($0)=\(merged[$0]!)" }.joined()
        sink(Self.prefix(event.level) + (event.message.description + fields).replacingNewlines + "\n")
    }
}

extension String {
    /// One log line per message: embedded newlines would otherwise forge journald entries.
    var replacingNewlines: String {
        String(self.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
