import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// The coordinator's desk through the real daemon, CLI and LMDB file: owners, the desk, the workload
/// report and notes whose text stays out of the log.
@Suite struct DeskTests {
    /// alice coordinates, bob teaches at Hogeschool Leiden, nobody views; root (the tests) is admin.
    static let config = #"{"roles": {"users": {"alice": "coordinator", "bob": "educator", "nobody": "viewer", "root": "admin"}}, "institutions": {"users": {"bob": "hogeschool-leiden"}}}"#

    static func cli(_ workspace: Workspace, _ arguments: [String]) throws -> ProcessResult {
        try run(Binaries.cli, arguments + ["--socket", workspace.socketPath])
    }

    static func position(_ daemon: DaemonProcess) throws -> Int64? { try daemon.call("system.status")["position"]?.integerValue }

    static func error(_ daemon: DaemonProcess, _ method: String, _ params: JSONValue) throws -> RPCError? {
        guard case .failure(let error) = try daemon.client().call(method, params) else { return nil }
        return error
    }

    /// Owners through the CLI and the socket: assign, list by owner and unowned, refusals that name the
    /// field and append nothing, a retry with the same requestId, release; the same after a restart.
    @Test func ownersThroughCLIAndSocket() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace, config: Self.config)
        for index in 1...3 { _ = try daemon.call("question.submit", QuestionTests.submitParams(index)) }
        let assigned = try Self.cli(workspace, ["assign", "Q-0001", "alice"])
        #expect(assigned.status == 0 && assigned.stdout.contains("Q-0001 is now owned by alice"), "\(assigned.stderr)")
        let again = try daemon.call("question.assign", ["id": "Q-0002", "owner": "root", "requestId": "own-2", "expectedVersion": 1])
        #expect(again["owner"] == "root" && again["version"] == 2)
        #expect(try daemon.call("question.assign", ["id": "Q-0002", "owner": "root", "requestId": "own-2", "expectedVersion": 1]) == again)
        #expect(try daemon.call("question.get", ["id": "Q-0001"])["owner"] == "alice")
        let mine = try Self.cli(workspace, ["questions", "--owner", "alice"])
        #expect(mine.stdout.contains("Q-0001") && !mine.stdout.contains("Q-0002") && !mine.stdout.contains("Q-0003"), "\(mine.stdout)")
        #expect(try daemon.call("question.list", ["owner": "none"])["questions"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["Q-0003"])
        #expect(try Self.cli(workspace, ["questions", "--unowned"]).stdout.contains("Q-0003"))

        let head = try Self.position(daemon)
        let educator = try Self.error(daemon, "question.assign", ["id": "Q-0003", "owner": "bob"])
        #expect(educator?.code == RPCErrorCode.validation && educator?.data?["field"] == "owner" && educator?.message.contains("educator") == true)
        #expect(try Self.error(daemon, "question.assign", ["id": "Q-0003", "owner": "eve"])?.data?["field"] == "owner")
        #expect(try Self.error(daemon, "question.assign", ["id": "Q-0003"])?.code == RPCErrorCode.invalidParams)
        #expect(try Self.error(daemon, "question.assign", ["id": "O-0001", "owner": "alice"])?.data?["field"] == "id")
        #expect(try Self.error(daemon, "question.assign", ["id": "Q-0001", "owner": "alice"])?.code == RPCErrorCode.conflict)
        let cliRefusal = try Self.cli(workspace, ["assign", "Q-0003", "bob"])
        #expect(cliRefusal.status == 1 && cliRefusal.stderr.contains("OWNER"), "\(cliRefusal.stderr)")
        #expect(try Self.position(daemon) == head, "refusals append nothing")

        let released = try Self.cli(workspace, ["assign", "Q-0001", "--none"])
        #expect(released.status == 0 && released.stdout.contains("Q-0001 released"), "\(released.stderr)")
        #expect(try daemon.call("history.get", ["id": "Q-0001"])["events"]?.arrayValue?.last?["summary"] == "Q-0001 released by alice")
        #expect(daemon.stop() == 0)
        daemon = try DaemonProcess(workspace: workspace, config: Self.config)
        #expect(try daemon.call("question.get", ["id": "Q-0002"])["owner"] == "root")
        #expect(try daemon.call("question.get", ["id": "Q-0001"])["owner"] == .null)
        let check = try run(Binaries.daemon, ["replay", "--check", "--data-dir", workspace.dataDirectory, "--socket", workspace.socketPath])
        #expect(check.status == 0, "replay --check covers the owners: \(check.stdout) \(check.stderr)")
    }

    /// The desk: an admin's own (owned intake and the unowned), another user's with --for, refusals for an
    /// unknown user; `asOf` gives the desk as it was; the workload report in every format.
    @Test func deskAndWorkload() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: Self.config)
        for index in 1...3 { _ = try daemon.call("question.submit", QuestionTests.submitParams(index)) }
        _ = try daemon.call("question.accept", ["id": "Q-0001"])
        _ = try daemon.call("question.assign", ["id": "Q-0001", "owner": "alice"])
        let before = try #require(try Self.position(daemon))
        _ = try daemon.call("question.assign", ["id": "Q-0002", "owner": "alice"])

        let own = try daemon.call("desk.get")
        #expect(own["for"] == "root" && own["total"] == 1, "root owns nothing; Q-0003 is unowned intake: \(own)")
        let alice = try daemon.call("desk.get", ["for": "alice"])
        let kinds = alice["kinds"]?.arrayValue ?? []
        #expect(kinds.map { $0["kind"]?.stringValue } == ["intake", "unproposed", "consent", "notStarted", "overdue", "followUp"])
        #expect(kinds[0]["items"]?.arrayValue?.compactMap { $0["entity"]?.stringValue } == ["Q-0002", "Q-0003"])
        #expect(kinds[1]["items"]?.arrayValue?.first?["entity"] == "Q-0001")
        #expect(kinds[1]["items"]?.arrayValue?.first?["since"]?.stringValue?.hasSuffix("Z") == true)
        let then = try daemon.call("desk.get", ["for": "alice", "asOf": .integer(before)])
        #expect(then["kinds"]?.arrayValue?.first?["items"]?.arrayValue?.compactMap { $0["entity"]?.stringValue } == ["Q-0002", "Q-0003"])
        #expect(then["total"] == 3)
        #expect(try Self.error(daemon, "desk.get", ["for": "eve"])?.data?["field"] == "for")

        let printed = try Self.cli(workspace, ["desk", "--for", "alice"])
        #expect(printed.status == 0 && printed.stdout.contains("In intake (2)") && printed.stdout.contains("Open, no proposal (1)"), "\(printed.stdout) \(printed.stderr)")
        for format in ["text", "json", "csv", "markdown", "html"] {
            let report = try daemon.call("report.get", ["name": "workload", "format": .string(format)])
            #expect(report["name"] == "workload", "\(format)")
        }
        let tables = try daemon.call("report.get", ["name": "workload"])["report"]?["tables"]?.arrayValue ?? []
        let rows = (tables.first?["rows"]?.arrayValue ?? []).compactMap(\.arrayValue)
        #expect(rows.first?[0] == "alice" && rows.first?[6] == 2 && rows.last?[0] == "(unowned)", "\(rows)")
        #expect(try Self.cli(workspace, ["report", "workload"]).stdout.contains("alice"))
    }

    /// Notes: the text goes to the personal table (never into the log), the hash into NoteAdded; note.list,
    /// history and `lmds show` show it; erasing removes the text and the chain still verifies.
    @Test func notesStayOutOfTheLog() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: Self.config)
        _ = try daemon.call("question.submit", QuestionTests.submitParams(1))
        let text = "Gebeld met de bewonersgroep; ze willen pas na de zomer starten. Jeroen Bakker belt terug."
        let added = try Self.cli(workspace, ["note", "Q-0001", text])
        #expect(added.status == 0 && added.stdout.contains("note N-0001 added to Q-0001"), "\(added.stderr)")
        let second = try JSONParser.parse(try Self.cli(workspace, ["note", "Q-0001", "Tweede notitie: Jeroen", "--json"]).stdout)
        // The SHA-256 of the text's UTF-8 bytes, as sha256sum computes it.
        let expectedHash = try run("/bin/sh", ["-c", "printf '%s' 'Tweede notitie: Jeroen' | sha256sum"]).stdout.prefix(64)
        #expect(second["sha256"]?.stringValue == String(expectedHash) && second["id"] == "N-0002")
        let events = try daemon.call("events.read", ["from": 1, "limit": 100])
        let logText = JSONWriter.canonicalString(events)
        #expect(!logText.contains("Jeroen") && logText.contains(String(expectedHash)) && logText.contains("NoteAdded"))
        let listed = try daemon.call("note.list", ["entity": "Q-0001"])["notes"]?.arrayValue ?? []
        #expect(listed.count == 2 && listed[0]["text"]?.stringValue == text && listed[0]["author"] == "root")
        let history = try daemon.call("history.get", ["id": "Q-0001"])["events"]?.arrayValue ?? []
        #expect(history.count == 3 && history[1]["type"] == "NoteAdded" && history[1]["text"]?.stringValue == text)
        let shown = try Self.cli(workspace, ["show", "Q-0001"])
        #expect(shown.stdout.contains("Jeroen Bakker belt terug") && shown.stdout.contains("N-0001"), "\(shown.stdout)")
        #expect(try Self.cli(workspace, ["history", "Q-0001"]).stdout.contains("Jeroen Bakker"))
        #expect(try Self.error(daemon, "note.add", ["entity": "Q-0009", "text": "x"])?.code == RPCErrorCode.notFound)

        let erase = try Self.cli(workspace, ["erase", "N-0001", "--reason", "verzoek van de bewoner"])
        #expect(erase.status == 0, "\(erase.stderr)")
        let after = try daemon.call("note.list", ["entity": "Q-0001"])["notes"]?.arrayValue ?? []
        #expect(after.first?["text"] == .null && after.first?["erased"] == true)
        #expect(try Self.error(daemon, "note.erase", ["id": "N-0001", "reason": "nog eens"])?.code == RPCErrorCode.conflict)
        #expect(try daemon.call("audit.verify")["intact"] == true)
    }

    /// Viewers read no notes and no desk: note.list and desk.get are forbidden, and history.get leaves the
    /// note events out; `lmds show` prints the entity without notes.
    @Test(.enabled(if: AuthorizationTests.canSwitchUser, "needs root and setpriv"))
    func viewersSeeNoNotes() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: Self.config)
        AuthorizationTests.openSocket(workspace)
        _ = try daemon.call("question.submit", QuestionTests.submitParams(1))
        _ = try daemon.call("note.add", ["entity": "Q-0001", "text": "Intern: Jeroen belt terug"])
        let socket = ["--socket", workspace.socketPath]
        let history = try AuthorizationTests.runAsNobody(["history", "Q-0001", "--json"] + socket)
        #expect(history.status == 0 && !history.stdout.contains("NoteAdded") && !history.stdout.contains("Jeroen"), "\(history.stdout) \(history.stderr)")
        let notes = try AuthorizationTests.runAsNobody(["notes", "Q-0001"] + socket)
        #expect(notes.status == 1 && notes.stderr.contains("Forbidden"), "\(notes.stderr)")
        #expect(try AuthorizationTests.runAsNobody(["desk"] + socket).status == 1)
        let shown = try AuthorizationTests.runAsNobody(["show", "Q-0001"] + socket)
        #expect(shown.status == 0 && !shown.stdout.contains("Jeroen"), "\(shown.stdout) \(shown.stderr)")
    }
}
