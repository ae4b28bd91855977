import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// What an auditor relies on, through the real binaries: `lmdsd replay --check` knows which log a daemon
/// serves, and every report states the log, position and head hash it was built from, so that a copy of the
/// log rebuilds it byte for byte.
@Suite struct AuditTests {
    /// `lmdsd replay --check` of DIR against the daemon at `socket`.
    static func check(_ directory: String, _ socket: String) throws -> ProcessResult {
        try run(Binaries.daemon, ["replay", "--check", "--data-dir", directory, "--socket", socket])
    }

    /// The daemon's log identity, from `system.status`.
    static func logID(_ daemon: DaemonProcess) throws -> String {
        try daemon.call("system.status")["logId"]?.stringValue ?? ""
    }

    /// A daemon that serves another, empty log does not pass for the file's: the identities differ, and
    /// both are named (before identities, a replay "up to position 0" passed).
    @Test func replayCheckRefusesAnotherEmptyDaemon() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try ReportTests.seed(daemon)
        let other = Workspace()
        let empty = try DaemonProcess(workspace: other)
        let ours = try Self.logID(daemon)
        let theirs = try Self.logID(empty)
        #expect(ours.count == 32 && ours.allSatisfy { "0123456789abcdef".contains($0) } && ours != theirs)
        let check = try Self.check(workspace.dataDirectory, other.socketPath)
        #expect(check.status == 1, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("DIFFERENT") && check.stdout.contains(ours) && check.stdout.contains(theirs))
        #expect(daemon.stop() == 0 && empty.stop() == 0)
    }

    /// A daemon that serves another log of the same length does not pass either.
    @Test func replayCheckRefusesAnotherLogOfTheSameLength() throws {
        let first = Workspace()
        let second = Workspace()
        let daemon = try DaemonProcess(workspace: first)
        let twin = try DaemonProcess(workspace: second)
        try ReportTests.seed(daemon)
        try ReportTests.seed(twin)
        let (ours, theirs) = (try daemon.call("system.status"), try twin.call("system.status"))
        #expect(ours["position"] == theirs["position"])
        let check = try Self.check(first.dataDirectory, second.socketPath)
        #expect(check.status == 1, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains(ours["logId"]?.stringValue ?? "?") && check.stdout.contains(theirs["logId"]?.stringValue ?? "?"))
        #expect(daemon.stop() == 0 && twin.stop() == 0)
    }

    /// A backup is the same log: a daemon serving it passes the check of the original file (which is one
    /// event longer: `BackupTaken`). The backup's file does not pass against the original daemon (it ends
    /// before the daemon's position), nor does the original once the two have taken different events.
    @Test func replayCheckKnowsABackupOfTheSameLog() throws {
        let original = Workspace()
        let daemon = try DaemonProcess(workspace: original)
        try ReportTests.seed(daemon)
        let copy = Workspace()
        let backup = try daemon.call("admin.backup", ["path": .string(copy.dataDirectory)])
        let restored = try DaemonProcess(workspace: copy)
        let (restoredID, originalID) = (try Self.logID(restored), try Self.logID(daemon))
        #expect(restoredID == originalID)
        #expect(try restored.call("system.status")["headHash"] == backup["hash"])

        let passes = try Self.check(original.dataDirectory, copy.socketPath)
        #expect(passes.status == 0, "\(passes.stdout) \(passes.stderr)")
        #expect(passes.stdout.contains("same"))

        let shorter = try Self.check(copy.dataDirectory, original.socketPath)
        #expect(shorter.status == 1 && shorter.stdout.contains("ends at position"), "\(shorter.stdout) \(shorter.stderr)")

        _ = try restored.call("question.withdraw", ["id": "Q-0002", "reason": "opgelost"])
        let (restoredHead, originalHead) = (try restored.call("system.status")["position"], try daemon.call("system.status")["position"])
        #expect(restoredHead == originalHead)
        let diverged = try Self.check(original.dataDirectory, copy.socketPath)
        #expect(diverged.status == 1 && diverged.stdout.contains("the histories differ"), "\(diverged.stdout) \(diverged.stderr)")
        #expect(daemon.stop() == 0 && restored.stop() == 0)
    }

    /// `lmdsd replay --report NAME --as-of N` on a backup and on a log imported from an export prints, byte
    /// for byte, what `report.get` with `asOf: N` gives on the live daemon, in every format, receipt included;
    /// the receipt names the daemon's log, the position, and the hash of the record there.
    @Test func replayedReportsMatchTheLiveDaemonByteForByte() throws {
        let live = Workspace()
        let daemon = try DaemonProcess(workspace: live)
        try ReportTests.seed(daemon)
        _ = try daemon.call("question.withdraw", ["id": "Q-0002", "reason": "opgelost"])
        let position: Int64 = 9
        let hashThere = try daemon.call("events.read", ["from": .integer(position), "limit": 1])["events"]?.arrayValue?.first?["hash"]
        let copies = Workspace()
        _ = try daemon.call("admin.backup", ["path": .string(copies.path + "/backup")])
        let export = copies.path + "/export.ndjson"
        #expect(try run(Binaries.cli, ["export", "--output", export, "--socket", live.socketPath]).status == 0)
        let imported = try run(Binaries.daemon, ["import", "--data-dir", copies.path + "/imported", export])
        #expect(imported.status == 0, "\(imported.stderr)")
        let logID = try Self.logID(daemon)
        for name in ["overview", "neighbourhoods", "outcomes"] {
            for format in ["text", "json", "csv", "markdown", "html"] {
                let reply = try daemon.call("report.get", ["name": .string(name), "format": .string(format), "asOf": .integer(position)])
                #expect(reply["receipt"] == ["logId": .string(logID), "position": .integer(position), "headHash": hashThere ?? .null])
                let expected = format == "json"
                    ? JSONWriter.canonicalString(reply["report"] ?? .null) + "\n" : reply["content"]?.stringValue ?? ""
                #expect(expected.contains(hashThere?.stringValue ?? "?") && expected.contains(logID), "\(name) \(format) states its receipt")
                for copy in ["backup", "imported"] {
                    let replayed = try run(Binaries.daemon, [
                        "replay", "--data-dir", copies.path + "/" + copy, "--report", name, "--as-of", String(position), "--format", format,
                    ])
                    #expect(replayed.status == 0, "\(replayed.stderr)")
                    #expect(replayed.stdout == expected, "\(name) \(format) from the \(copy)")
                }
            }
        }
        #expect(daemon.stop() == 0)
    }

    /// Reports for people: labels rather than ids, the report's time in the config's time zone, the empty
    /// wijken left out unless `all`, deliverable URIs as links in HTML; `system.status` names the time zone.
    @Test func reportsShowLabelsLocalTimeAndOnlyWijkenWithQuestions() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"timeZone": "America/New_York"}"#)
        try ReportTests.seed(daemon)
        let status = try daemon.call("system.status")
        #expect(status["timeZone"] == "America/New_York")
        func content(_ params: JSONValue) throws -> String { try daemon.call("report.get", params)["content"]?.stringValue ?? "" }
        let wijken = try content(["name": "neighbourhoods", "format": "text"])
        #expect(wijken.contains("Stevenshof") && !wijken.contains("stevenshof") && !wijken.contains("Pieterswijk"), "\(wijken)")
        #expect(wijken.contains(" America/New_York)"))
        let everyWijk = try content(["name": "neighbourhoods", "format": "text", "all": true])
        #expect(everyWijk.contains("Pieterswijk"))
        let csv = try content(["name": "neighbourhoods", "format": "csv"])
        #expect(csv.contains("district,district id,wijk,wijk id,questions") && csv.contains(",stevenshof,"))
        let html = try content(["name": "outcomes", "format": "html"])
        #expect(html.contains("<a href=\"https://example.nl/rapport.pdf\">") && html.contains("<html lang=\"en\">") && html.contains("lang=\"nl\""))
        guard case .failure(let refused) = try daemon.client().call("report.get", ["name": "neighbourhoods", "all": "yes"]) else {
            Issue.record("all: \"yes\" was accepted")
            return
        }
        #expect(refused.data?["field"] == "all")
        #expect(daemon.stop() == 0)
        let bad = Workspace()
        let refusedStart = try run(Binaries.daemon, [
            "--data-dir", bad.dataDirectory, "--socket", bad.socketPath, "--config", bad.write("config.json", #"{"timeZone": "Amsterdam"}"#),
        ])
        #expect(refusedStart.status == 1 && refusedStart.stderr.contains("timeZone: \"Amsterdam\" is not an IANA time zone name"))
    }
}
