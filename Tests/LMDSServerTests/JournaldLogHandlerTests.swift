import Foundation
import LMDSServer
import Logging
import NIOConcurrencyHelpers
import Testing

/// The daemon's lines go through swift-log and come out as journald lines: one per message, with the
/// priority prefix, below the threshold dropped, newlines folded so a message cannot forge an entry.
@Suite struct JournaldLogHandlerTests {
    /// A sink that keeps the lines written to it.
    final class Lines: Sendable {
        let lines = NIOLockedValueBox<[String]>([])
        var sink: @Sendable (String) -> Void { { line in self.lines.withLockedValue { $0.append(line) } } }
        var all: [String] { lines.withLockedValue { $0 } }
    }

    /// `DaemonLog` writes each level with its journald prefix and drops what is below its threshold.
    @Test func daemonLogWritesJournaldPrefixesAtItsThreshold() {
        let captured = Lines()
        let log = DaemonLog(threshold: .info, sink: captured.sink)
        log.debug("not shown")
        log.info("lmdsd ready")
        log.warning("no Dutch word list")
        log.error("cannot open the log:\nforged <3>entry")
        #expect(captured.all == ["<6>lmdsd ready\n", "<4>no Dutch word list\n", "<3>cannot open the log: forged <3>entry\n"])
    }

    /// Any `Logger` with the handler (as the libraries' loggers get after `bootstrap`) writes the same lines,
    /// with its metadata after the message, sorted by key, and swift-log's other levels at their priorities.
    @Test func libraryLoggersWriteTheSameLines() {
        let captured = Lines()
        var logger = Logger(label: "nio") { label in JournaldLogHandler(label: label, sink: captured.sink) }
        logger.logLevel = .trace
        logger[metadataKey: "connection"] = "7"
        logger.notice("accepting", metadata: ["socket": "/run/lmds/lmds.sock"])
        logger.critical("stopping")
        logger.trace("detail")
        #expect(captured.all == ["<5>accepting connection=7 socket=/run/lmds/lmds.sock\n", "<2>stopping connection=7\n", "<7>detail connection=7\n"])
    }
}
