import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// Learning from the coordinators through the real daemon: a choice made for one run of a course is named
/// in the next run's suggestion, and is taught again by the log after a restart.
@Suite struct LearningIntegrationTests {
    /// Q-0002 (Merenwijk, autumn) is matched with O-0001, Hogeschool Leiden's Social Work placement in the
    /// autumn; a new question in the same words for the spring gets O-0002, the same course in the spring,
    /// with "chosen for 1 similar question before (as O-0001, an earlier run of this course)" and its
    /// history above the neutral 0.5, the same after the daemon restarts on its log.
    @Test func aChoiceCarriesOverToTheNextRun() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace)
        try MatchingIntegrationTests.load(daemon, questions: 2)
        _ = try daemon.call("proposal.create", ["question": "Q-0002", "offer": "O-0001"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "requester"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "education"])
        var question = try JSONParser.parse(try MatchingIntegrationTests.lines("questions.jsonl")[1])
        if case .object(var members) = question {
            members["window"] = ["from": "2027-02-01", "to": "2027-06-30"]
            members["requestId"] = "learning-q-3"
            question = .object(members)
        }
        _ = try daemon.call("question.submit", question)
        _ = try daemon.call("question.accept", ["id": "Q-0003"])
        func history() throws -> JSONValue? {
            let result = try daemon.call("match.suggest", ["question": "Q-0003", "limit": 10])
            let suggestion = (result["suggestions"]?.arrayValue ?? []).first { $0["id"] == "O-0002" }
            return (suggestion?["reasons"]?.arrayValue ?? []).first { $0["factor"] == "history" }
        }
        let before = try #require(try history())
        #expect(before["detail"]?.stringValue == "chosen for 1 similar question before (as O-0001, an earlier run of this course)", "\(before)")
        #expect((before["value"]?.doubleValue ?? 0) > 0.5)
        #expect(daemon.stop() == 0)
        daemon = try DaemonProcess(workspace: workspace)
        #expect(try history() == before, "the log teaches the same after a restart")
        #expect(daemon.stop() == 0)
    }
}
