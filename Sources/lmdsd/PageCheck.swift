import ArgumentParser
import EventLog
import Foundation
import LMDSServer

#if canImport(Glibc)
import Glibc
#endif

/// The check of the LMDB file's pages that `lmdsd` runs in a child process before it opens the file itself.
///
/// LMDB trusts the headers of its pages: a flipped bit there (a page's key count, its bounds, a child page
/// number) can make it read outside the page, and the process then dies of SIGSEGV or SIGBUS instead of
/// reporting an error. A child walks every entry of every table first (`lmdsd check-pages`); when it dies, or
/// its walk fails, the daemon refuses to serve the file with one line saying so, and the admin restores a
/// backup (Protocol/README.md section 18.4). When the child cannot even open the file, the daemon goes on to
/// open it itself and reports why in its own words (a directory's mode, a newer format, not a log). It costs
/// one read of the whole file at start-up.
enum PageCheck {
    /// The child's exit status when it opened the file but its walk failed (LMDB reported a damaged page).
    static let walkFailedStatus: Int32 = 3

    /// Why the log in `dataDirectory` must not be opened, or nil when its pages were all read (or there is no
    /// log yet); `refusal` says what the caller then does not do.
    static func problem(dataDirectory: String, refusal: String = "the daemon does not serve it") -> String? {
        let file = dataDirectory + "/data.mdb"
        guard access(file, F_OK) == 0 else { return nil }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["check-pages", "--data-dir", dataDirectory]
        var environment = ProcessInfo.processInfo.environment
        // A child that dies needs no backtrace: the parent says what happened.
        environment["SWIFT_BACKTRACE"] = "enable=no"
        for name in ["NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { environment.removeValue(forKey: name) }
        child.environment = environment
        let errors = Pipe()
        child.standardError = errors
        child.standardOutput = FileHandle.nullDevice
        do {
            try child.run()
        } catch {
            return "cannot start the check of \(file): \(error)"
        }
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        if child.terminationReason == .uncaughtSignal {
            return "\(file) is damaged: reading its pages killed the check process (signal \(child.terminationStatus)); "
                + "\(refusal): restore the data directory from a backup"
        }
        guard child.terminationStatus == walkFailedStatus else { return nil }
        let reason = said.split(separator: "\n").last.map(String.init) ?? "exit status \(child.terminationStatus)"
        return "\(file) is damaged: its pages do not read back (\(reason)); \(refusal): restore the data directory from a backup"
    }

    /// `lmdsd check-pages`: the child's side. Not shown in the help; the daemon runs it.
    struct Command: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-pages",
            abstract: "Read every entry of every table of a data directory's LMDB file once (the daemon runs it before serving).",
            shouldDisplay: false)

        @Option(help: "The data directory.") var dataDir: String

        func run() throws {
            let log: EventLog
            do {
                log = try EventLog.open(EventLogConfiguration(directory: dataDir, readOnly: true))
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
            defer { log.close() }
            do {
                let report = try log.walkEveryTable()
                print("\(report.entries) entries read")
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(PageCheck.walkFailedStatus)
            }
        }
    }
}
