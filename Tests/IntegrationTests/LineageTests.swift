import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// Merging and splitting questions through the real daemon, CLI and LMDB file.
@Suite struct LineageTests {
    static func cli(_ workspace: Workspace, _ arguments: [String]) throws -> ProcessResult {
        try run(Binaries.cli, arguments + ["--socket", workspace.socketPath])
    }

    /// A duplicate proposed to an offer is merged through the CLI: it is merged (final) with mergedInto, its
    /// proposal withdrawn in the same append, and the survivor's history lists it; a question split through
    /// the CLI makes open parts with splitFrom and the requester; refusals name the field and append nothing;
    /// reports count them once; all of it the same after a restart (a retried merge gets its first reply), and
    /// `replay --check` agrees.
    @Test func mergeAndSplitThroughCLI() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon, questions: 3)
        _ = try daemon.call("proposal.create", ["question": "Q-0002", "offer": "O-0001"])
        let merged = try Self.cli(workspace, ["question", "merge", "Q-0002", "--into", "Q-0001", "--reason", "Dubbel ingediend door dezelfde bewonersgroep"])
        #expect(merged.status == 0 && merged.stdout.contains("Q-0002 merged into Q-0001"), "\(merged.stdout) \(merged.stderr)")
        let duplicate = try daemon.call("question.get", ["id": "Q-0002"])
        #expect(duplicate["status"] == "merged" && duplicate["mergedInto"] == "Q-0001")
        #expect(try daemon.call("proposal.get", ["id": "P-0001"])["status"] == "withdrawn")
        #expect(try daemon.call("question.get", ["id": "Q-0001"])["mergedFrom"] == ["Q-0002"])
        let history = try daemon.call("history.get", ["id": "Q-0001"])["events"]?.arrayValue ?? []
        #expect(history.contains { $0["type"] == "QuestionMerged" && $0["summary"]?.stringValue?.contains("Q-0002 merged into Q-0001") == true })

        let split = try Self.cli(workspace, ["question", "split", "Q-0003", "--part", "Ontmoeting|Een wekelijks café in het wijkcentrum",
                                             "--part", "Vervoer|Vrijwilligers rijden ouderen naar het café", "--reason", "Twee projecten in één vraag"])
        #expect(split.status == 0 && split.stdout.contains("Q-0003 split into Q-0004 and Q-0005"), "\(split.stdout) \(split.stderr)")
        let part = try daemon.call("question.get", ["id": "Q-0005"])
        #expect(part["status"] == "open" && part["splitFrom"] == "Q-0003" && part["requester"]?["name"] == "Anouk de Vriës")
        #expect(part["description"] == "Vrijwilligers rijden ouderen naar het café")
        #expect(try daemon.call("question.get", ["id": "Q-0003"])["parts"] == ["Q-0004", "Q-0005"])

        let head = try daemon.call("system.status")["position"]
        guard case .failure(let again) = try daemon.client().call("question.merge", ["into": "Q-0001", "from": ["Q-0002"], "reason": "nog eens"]) else {
            Issue.record("merging a merged question again must be refused")
            return
        }
        #expect(again.code == RPCErrorCode.conflict && again.data?["state"] == "merged")
        guard case .failure(let onePart) = try daemon.client().call("question.split", ["id": "Q-0001", "parts": [["title": "Een", "description": "x"]], "reason": "r"]) else {
            Issue.record("a split into one part must be refused")
            return
        }
        #expect(onePart.data?["field"] == "parts")
        guard case .failure(let badPart) = try daemon.client().call("question.split", ["id": "Q-0001", "parts": [["title": "Een", "description": "x"], ["title": 3, "description": "y"]], "reason": "r"]) else {
            Issue.record("a part with a wrong type must be refused")
            return
        }
        #expect(badPart.code == RPCErrorCode.invalidParams && badPart.data?["field"] == "parts[1].title")
        #expect(try daemon.call("system.status")["position"] == head, "refusals append nothing")

        let overview = try daemon.call("report.get", ["name": "overview"])["report"]
        #expect(overview?["figures"]?.arrayValue?.first?["value"] == 3, "Q-0001 (with Q-0002 merged into it), Q-0004 and Q-0005 (the parts of Q-0003)")
        #expect(overview?["description"]?.stringValue?.contains("count once") == true)
        let retried: JSONValue = ["into": "Q-0001", "from": ["Q-0004"], "reason": "Zelfde project", "requestId": "merge-4"]
        let first = try daemon.call("question.merge", retried)
        #expect(daemon.stop() == 0)
        daemon = try DaemonProcess(workspace: workspace)
        #expect(try daemon.call("question.get", ["id": "Q-0002"])["mergedInto"] == "Q-0001")
        #expect(try daemon.call("question.merge", retried) == first, "a retry after a restart gets the first reply, rebuilt from the log")
        let check = try run(Binaries.daemon, ["replay", "--check", "--data-dir", workspace.dataDirectory, "--socket", workspace.socketPath])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
    }
}
