import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// Storage faults (issue 24): records damaged on the disk, a log rolled back behind its snapshot, and the
/// restore drill (a backup plus an export's tail), through the real daemon and tools.
@Suite struct StorageFaultTests {
    static let titles = ["Zwerfafval langs de Rijn", "Hotel voor wilde bijen in de Merenwijk", "Ontmoeten in de Stevenshof"]

    /// Submits one question per title; returns the replies.
    static func submit(_ daemon: DaemonProcess, _ titles: [String]) throws -> [JSONValue] {
        try titles.map { title in
            try daemon.call("question.submit", [
                "title": .string(title), "description": "Bewoners vragen om hulp.", "requester": ["kind": "resident"],
                "neighbourhood": "Merenwijk",
            ])
        }
    }

    /// Flips the lowest bit of the first byte of `text` in the stopped daemon's `data.mdb`.
    static func flip(_ text: String, in workspace: Workspace) throws {
        let file = workspace.dataDirectory + "/data.mdb"
        var bytes = try #require(FileManager.default.contents(atPath: file))
        let found = try #require(bytes.range(of: Data(text.utf8)), "\(text) is stored as written")
        bytes[found.lowerBound] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: file))
    }

    /// Before the fix, a record damaged behind the snapshot (so start-up, which replays only the events after
    /// the snapshot, did not read it) was served by `events.read` and `history.get` as if it were intact
    /// ("vilde bijen"). Now every record read is checked against its own hash: those reads are refused with
    /// -32005 `damaged` naming the position, the entity is served from the snapshot as written, and
    /// `audit.verify` names the position too.
    @Test func aRecordDamagedBehindTheSnapshotIsNeverServed() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace)
        let replies = try Self.submit(daemon, Self.titles)
        let damagedID = try #require(replies[1]["id"])
        #expect(daemon.stop() == 0)
        #expect(FileManager.default.fileExists(atPath: workspace.dataDirectory + "/snapshot.lmds"))
        try Self.flip("wilde bijen", in: workspace)

        daemon = try DaemonProcess(workspace: workspace)
        #expect(try daemon.call("question.get", ["id": damagedID])["title"] == .string(Self.titles[1]))
        for (method, params) in [("events.read", ["from": 2, "limit": 1] as JSONValue), ("history.get", ["id": damagedID])] {
            guard case .failure(let refused) = try daemon.client().call(method, params) else {
                Issue.record("\(method) served the damaged record")
                continue
            }
            #expect(refused.code == -32005 && refused.data?["cause"] == "damaged", "\(method): \(refused)")
            #expect(refused.data?["reason"]?.stringValue?.contains("position 2") == true, "\(method): \(refused)")
        }
        let intact = try daemon.call("events.read", ["from": 3, "limit": 1])["events"]?.arrayValue?.first?["data"]?["title"]
        #expect(intact == .string(Self.titles[2]))
        let verify = try daemon.call("audit.verify")
        #expect(verify["intact"] == false && verify["firstBadPosition"] == 2, "\(verify)")
        #expect(daemon.stop() == 0)
    }

    /// Before the fix, one bit flipped in the header of the events table's leaf page (its lower bound, so that
    /// LMDB counts keys that are not there) made LMDB read past the end of the file, and the daemon died of
    /// SIGBUS at start-up (and `lmdsd replay` on the same file too). Now the daemon, `lmdsd replay` and
    /// `lmdsd import --continue` first have a child process read every page; the child dies instead, and they
    /// refuse with one line.
    @Test func aDamagedPageHeaderStopsStartUpWithAMessageNotASignal() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try Self.submit(daemon, Self.titles)
        #expect(daemon.stop() == 0)
        try FileManager.default.removeItem(atPath: workspace.dataDirectory + "/snapshot.lmds")
        let file = workspace.dataDirectory + "/data.mdb"
        var bytes = try #require(FileManager.default.contents(atPath: file))
        let found = try #require(bytes.range(of: Data("wilde bijen".utf8)))
        let page = found.lowerBound / 4096 * 4096
        bytes[page + 12] ^= 0x10  // mp_lower: the page's key count
        try bytes.write(to: URL(fileURLWithPath: file))
        let refused = try run(Binaries.daemon, ["--data-dir", workspace.dataDirectory, "--socket", workspace.socketPath])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("data.mdb is damaged: reading its pages killed the check process (signal"), "\(refused.stderr)")
        #expect(refused.stderr.contains("restore the data directory from a backup"), "\(refused.stderr)")
        // The offline replay reads the same file: it refuses in the same words instead of dying.
        let replayed = try run(Binaries.daemon, ["replay", "--data-dir", workspace.dataDirectory, "--report", "overview"])
        #expect(replayed.status == 1 && replayed.stderr.contains("killed the check process"), "\(replayed.stderr)")
    }

    /// Before the fix, a log that lost its last records (here: an older copy of the same log put in its place,
    /// as LMDB falling back to its older meta page would leave it) was served silently when the snapshot beside
    /// it was further along: the snapshot was ignored as "of another log". Now the daemon refuses to start,
    /// naming both positions; removing the snapshot is the documented way to accept the shorter log.
    @Test func aLogBehindItsOwnSnapshotIsRefused() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace)
        _ = try Self.submit(daemon, Array(Self.titles.prefix(2)))
        let older = Workspace()
        _ = try daemon.call("admin.backup", ["path": .string(older.dataDirectory)])
        _ = try Self.submit(daemon, [Self.titles[2]])
        #expect(daemon.stop() == 0)
        let file = workspace.dataDirectory + "/data.mdb"
        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.copyItem(atPath: older.dataDirectory + "/data.mdb", toPath: file)

        let refused = try run(Binaries.daemon, ["--data-dir", workspace.dataDirectory, "--socket", workspace.socketPath])
        #expect(refused.status == 1, "\(refused.stderr)")
        // The backup appended its BackupTaken (position 3) after copying the log at position 2.
        #expect(refused.stderr.contains("the log ends at position 2, but its snapshot was taken at position 4"), "\(refused.stderr)")
        #expect(refused.stderr.contains("restore the data directory from a backup"), "\(refused.stderr)")

        try FileManager.default.removeItem(atPath: workspace.dataDirectory + "/snapshot.lmds")
        daemon = try DaemonProcess(workspace: workspace)
        #expect(try daemon.call("system.status")["position"] == 2)
        #expect(daemon.stop() == 0)
    }

    /// The restore drill: a backup, more writes, an export of the events after the backup (or of the whole
    /// log), the data directory lost; the backup copied back and `lmdsd import --continue` with the export
    /// give the same head hash, a verified chain and every write once. An export that leaves a gap after the
    /// backup's head, or of another log, is refused and appends nothing.
    @Test func importContinueAppendsAnExportToARestoredBackup() throws {
        let live = Workspace()
        let daemon = try DaemonProcess(workspace: live)
        _ = try Self.submit(daemon, Array(Self.titles.prefix(2)))
        let copies = Workspace()
        let backup = try daemon.call("admin.backup", ["path": .string(copies.path + "/backup")])
        let base = try #require(backup["position"]?.integerValue)
        _ = try Self.submit(daemon, Array(Self.titles.suffix(2)))
        let head = try daemon.call("system.status")
        let appended = try #require(head["position"]?.integerValue) - base
        func export(_ name: String, from: Int64) throws -> String {
            let file = copies.path + "/" + name
            let done = try run(Binaries.cli, ["export", "--from", String(from), "--output", file, "--socket", live.socketPath])
            #expect(done.status == 0, "\(done.stderr)")
            return file
        }
        let (tail, whole, gap) = (try export("tail", from: base + 1), try export("whole", from: 1), try export("gap", from: base + 2))
        #expect(daemon.stop() == 0)

        for (file, matched) in [(tail, 0), (whole, base)] {
            let restored = Workspace()
            try FileManager.default.copyItem(atPath: copies.path + "/backup", toPath: restored.dataDirectory)
            let done = try run(Binaries.daemon, ["import", "--continue", "--data-dir", restored.dataDirectory, file])
            #expect(done.status == 0, "\(done.stderr)")
            #expect(done.stdout.contains("(head \(base)): \(matched) exported events matched its records, \(appended) appended"), "\(done.stdout)")
            let server = try DaemonProcess(workspace: restored)
            let status = try server.call("system.status")
            #expect(status["position"] == head["position"] && status["headHash"] == head["headHash"])
            #expect(try server.call("audit.verify")["intact"] == true)
            #expect(try server.call("question.get", ["id": "Q-0004"])["title"] == .string(Self.titles[2]))
            #expect(server.stop() == 0)
        }

        let restored = Workspace()
        try FileManager.default.copyItem(atPath: copies.path + "/backup", toPath: restored.dataDirectory)
        let gapped = try run(Binaries.daemon, ["import", "--continue", "--data-dir", restored.dataDirectory, gap])
        #expect(gapped.status == 1 && gapped.stderr.contains("the export starts at position \(base + 2)"), "\(gapped.stderr)")
        let other = Workspace()
        let stranger = try DaemonProcess(workspace: other)
        _ = try Self.submit(stranger, Self.titles)
        let foreign = other.path + "/foreign"
        #expect(try run(Binaries.cli, ["export", "--output", foreign, "--socket", other.socketPath]).status == 0)
        #expect(stranger.stop() == 0)
        let refused = try run(Binaries.daemon, ["import", "--continue", "--data-dir", restored.dataDirectory, foreign])
        #expect(refused.status == 1 && refused.stderr.contains("is an export of log"), "\(refused.stderr)")
        let server = try DaemonProcess(workspace: restored)
        #expect(try server.call("system.status")["position"] == .integer(base))
        #expect(server.stop() == 0)
    }
}
