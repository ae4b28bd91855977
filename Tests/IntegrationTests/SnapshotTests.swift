import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// The start-up snapshot through the real daemon: saved on stop, loaded on start when it belongs to the
/// log, the events after it replayed; a foreign or damaged snapshot is ignored and the log replayed.
/// `lmdsd replay --check` (a full replay of the log file) is the oracle for every state.
@Suite struct SnapshotTests {
    static func snapshotPath(_ workspace: Workspace) -> String { workspace.dataDirectory + "/snapshot.lmds" }

    static func digest(_ daemon: DaemonProcess) throws -> JSONValue {
        try daemon.call("system.status", ["digest": true])["readModels"]?["digest"] ?? .null
    }

    static func replayCheck(_ workspace: Workspace) throws {
        let check = try run(Binaries.daemon, ["replay", "--check", "--data-dir", workspace.dataDirectory, "--socket", workspace.socketPath])
        #expect(check.status == 0 && check.stdout.contains("same"), "\(check.stdout) \(check.stderr)")
    }

    /// A stop saves the snapshot (mode 0600); the next start loads it and replays nothing; read models,
    /// history, remembered replies and the matcher answer as before; after more writes and a SIGKILL the
    /// next start loads the same snapshot and replays only the events after it.
    @Test func aRestartLoadsTheSnapshotAndACrashReplaysOnlyTheTail() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace)
        try ReportTests.seed(daemon)
        let retried = try daemon.call("question.submit", QuestionTests.submitParams(7, requestID: "intake-7"))
        _ = try daemon.call("person.erase", ["id": "C-0001"])
        let head = try daemon.call("system.status")["position"]?.integerValue ?? 0
        let digest = try Self.digest(daemon)
        let history = try daemon.call("history.get", ["id": "Q-0001"])
        let suggestion = try daemon.call("match.suggest", ["question": "Q-0002"])
        #expect(daemon.stop() == 0)
        #expect(daemon.stderr.contains("snapshot saved at position \(head)"), "\(daemon.stderr)")
        var status = stat()
        #expect(stat(Self.snapshotPath(workspace), &status) == 0 && status.st_mode & 0o777 == 0o600)

        daemon = try DaemonProcess(workspace: workspace)
        #expect(daemon.stderr.contains("snapshot at position \(head) loaded"), "\(daemon.stderr)")
        #expect(daemon.stderr.contains(" 0 events replayed"))
        #expect(try Self.digest(daemon) == digest)
        #expect(try daemon.call("history.get", ["id": "Q-0001"]) == history)
        #expect(try daemon.call("match.suggest", ["question": "Q-0002"]) == suggestion)
        #expect(try daemon.call("question.submit", QuestionTests.submitParams(7, requestID: "intake-7")) == retried)
        #expect(try daemon.call("system.status")["position"]?.integerValue == head)
        try Self.replayCheck(workspace)

        // Three more writes, then a crash: no new snapshot; the next start replays the three.
        let accepted = try daemon.call("question.submit", QuestionTests.submitParams(8))["id"] ?? .null
        _ = try daemon.call("question.accept", ["id": accepted, "title": "Ontmoeten in de Bos- en Gasthuisdistrict"])
        let afterCrash = try daemon.call("question.submit", QuestionTests.submitParams(9, requestID: "intake-9"))
        daemon.stop(signal: SIGKILL)
        // As if the daemon had died while saving a snapshot: the start removes the unfinished file.
        _ = FileManager.default.createFile(atPath: Self.snapshotPath(workspace) + ".tmp", contents: Data(repeating: 7, count: 4096))
        daemon = try DaemonProcess(workspace: workspace)
        #expect(!FileManager.default.fileExists(atPath: Self.snapshotPath(workspace) + ".tmp"))
        #expect(daemon.stderr.contains("snapshot at position \(head) loaded"), "\(daemon.stderr)")
        #expect(daemon.stderr.contains(" 3 events replayed"), "\(daemon.stderr)")
        #expect(try daemon.call("question.get", ["id": accepted])["title"] == "Ontmoeten in de Bos- en Gasthuisdistrict")
        #expect(try daemon.call("question.submit", QuestionTests.submitParams(9, requestID: "intake-9")) == afterCrash)
        #expect(try daemon.call("question.submit", QuestionTests.submitParams(7, requestID: "intake-7")) == retried)
        #expect(try daemon.call("history.get", ["id": accepted])["events"]?.arrayValue?.count == 2)
        try Self.replayCheck(workspace)
        #expect(daemon.stop() == 0)
    }

    /// A snapshot taken of another log, and a snapshot with a flipped byte, are reported and ignored:
    /// the daemon replays its whole log and serves exactly its read models.
    @Test func aForeignOrDamagedSnapshotIsIgnored() throws {
        let other = Workspace()
        var daemon = try DaemonProcess(workspace: other)
        try CollaborationTests.seed(daemon)
        #expect(daemon.stop() == 0)

        let workspace = Workspace()
        daemon = try DaemonProcess(workspace: workspace)
        try ReportTests.seed(daemon)
        let digest = try Self.digest(daemon)
        #expect(daemon.stop() == 0)
        try FileManager.default.removeItem(atPath: Self.snapshotPath(workspace))
        try FileManager.default.copyItem(atPath: Self.snapshotPath(other), toPath: Self.snapshotPath(workspace))
        daemon = try DaemonProcess(workspace: workspace)
        #expect(daemon.stderr.contains("snapshot not used (it was taken of another log"), "\(daemon.stderr)")
        #expect(try Self.digest(daemon) == digest)
        try Self.replayCheck(workspace)
        _ = try daemon.call("question.submit", QuestionTests.submitParams(5))
        #expect(daemon.stop() == 0)

        // The stop replaced the foreign snapshot with this log's; now damage it.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: Self.snapshotPath(workspace)))
        bytes[bytes.count / 2] ^= 0x5A
        try bytes.write(to: URL(fileURLWithPath: Self.snapshotPath(workspace)))
        daemon = try DaemonProcess(workspace: workspace)
        #expect(daemon.stderr.contains("snapshot not used (the snapshot's checksum does not match its contents)"), "\(daemon.stderr)")
        try Self.replayCheck(workspace)
        #expect(daemon.stop() == 0)
    }
}
