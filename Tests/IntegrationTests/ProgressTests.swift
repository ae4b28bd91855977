import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// Milestones, check-ins and blind feedback through the real daemon, the real CLI and a real LMDB file.
@Suite struct ProgressTests {
    static let template: JSONValue = [
        ["title": "Kick-off", "dayOffset": 0], ["title": "Interviews klaar", "dayOffset": 28], ["title": "Eindpresentatie", "dayOffset": 120],
    ]

    static let allFours: JSONValue = ["satisfaction": 4, "usefulness": 4, "learning": 4, "collaboration": 4, "again": 4]

    /// An open question Q-0001, an offer O-0001 of Hogeschool Leiden with the milestone template, both consents
    /// (M-0001 agreed) and the start on 2027-02-08.
    static func startedMatch(_ daemon: DaemonProcess) throws {
        var question = CollaborationTests.question.objectValue!
        question["neighbourhood"] = "Bos- en Gasthuisdistrict"
        _ = try daemon.call("question.submit", .object(question))
        _ = try daemon.call("question.accept", ["id": "Q-0001"])
        var offer = OfferTests.publish.objectValue!
        offer["milestones"] = template
        _ = try daemon.call("offer.publish", .object(offer))
        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "requester"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "education"])
        _ = try daemon.call("match.start", ["id": "M-0001", "students": 4, "startedOn": "2027-02-08"])
    }

    /// The offer's template becomes the match's milestones when it starts; the CLI completes, revises and plans
    /// them and records a check-in; statuses follow `asOf`; `match.list` filters on health; notes stay out of the
    /// log and can be erased; all of it survives a restart and `replay --check`.
    @Test func milestonesAndCheckInsThroughCLI() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace)
        try Self.startedMatch(daemon)
        #expect(try daemon.call("offer.get", ["id": "O-0001"])["milestones"] == Self.template)
        let revise = try CollaborationTests.cli(workspace, ["offer", "revise", "O-0001", "--milestone", "Start|0", "--milestone", "Eind|90"])
        #expect(revise.status == 0, "\(revise.stderr)")
        #expect(try daemon.call("offer.get", ["id": "O-0001"])["milestones"] == [["title": "Start", "dayOffset": 0], ["title": "Eind", "dayOffset": 90]])
        #expect(try CollaborationTests.cli(workspace, ["offer", "revise", "O-0001", "--no-milestones"]).status == 0)
        #expect(try daemon.call("offer.get", ["id": "O-0001"])["milestones"] == nil)
        let planned = try daemon.call("match.get", ["id": "M-0001", "asOf": "2027-03-05T12:00:00Z"])
        #expect(planned["milestones"]?.arrayValue?.map { $0["due"] } == ["2027-02-08", "2027-03-08", "2027-06-08"])
        #expect(planned["milestones"]?.arrayValue?.map { $0["status"] } == ["overdue", "due", "upcoming"])

        let done = try CollaborationTests.cli(workspace, ["milestone", "done", "M-0001", "1", "--note", "Aftrap met Anouk de Vriës"])
        #expect(done.status == 0 && done.stdout.contains("milestone 1 of M-0001 completed"), "\(done.stderr)")
        let again = try CollaborationTests.cli(workspace, ["milestone", "done", "M-0001", "1"])
        #expect(again.status == 1 && again.stderr.contains("was completed"))
        #expect(try CollaborationTests.cli(workspace, ["milestone", "revise", "M-0001", "2", "--due", "2027-03-15"]).status == 0)
        let refusedPlan = try CollaborationTests.cli(workspace, ["milestone", "plan", "M-0001", "--item", "Nieuw|2027-04-01"])
        #expect(refusedPlan.status == 1 && refusedPlan.stderr.contains("completed milestone 1"))
        let checkIn = try CollaborationTests.cli(workspace, ["checkin", "M-0001", "--health", "at-risk", "--note", "Interviews lopen achter"])
        #expect(checkIn.status == 0 && checkIn.stdout.contains("check-in on M-0001 recorded: at-risk"), "\(checkIn.stderr)")

        let shown = try CollaborationTests.cli(workspace, ["milestones", "M-0001"])
        #expect(shown.stdout.contains("health: at-risk") && shown.stdout.contains("Interviews klaar") && shown.stdout.contains("2027-03-15"))
        #expect(shown.stdout.contains("completed") && shown.stdout.contains("Aftrap met Anouk de Vriës"), "\(shown.stdout)")
        #expect(try daemon.call("match.list", ["health": "at-risk"])["total"] == 1)
        #expect(try daemon.call("match.list", ["health": "stalled"])["total"] == 0)
        let badHealth = try daemon.client().call("match.list", ["health": "fine"])
        #expect((try? badHealth.get()) == nil)

        // The note's text is in the personal table only; the log holds its SHA-256.
        let events = JSONWriter.canonicalString(try daemon.call("events.read", ["from": 1, "limit": 100]))
        #expect(!events.contains("Anouk de Vri") && !events.contains("lopen achter") && events.contains("MilestonesPlanned"))
        let erase = try CollaborationTests.cli(workspace, ["erase", "T-0001"])
        #expect(erase.status == 0 && erase.stdout.contains("text T-0001 erased"), "\(erase.stderr)")
        let afterErase = try daemon.call("match.get", ["id": "M-0001"])
        #expect(afterErase["milestones"]?[0]?["note"] == "erased" && afterErase["checkIns"]?[0]?["note"] == "Interviews lopen achter")

        #expect(daemon.stop() == 0)
        daemon = try DaemonProcess(workspace: workspace)
        #expect(try daemon.call("match.get", ["id": "M-0001"]) == afterErase)
        let check = try run(Binaries.daemon, ["replay", "--check", "--data-dir", workspace.dataDirectory, "--socket", workspace.socketPath])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
    }

    /// Feedback is checked against the configured questions; both sides' answers and comments reach the admin,
    /// and the CLI shows them; a second submission of a side is refused.
    @Test func feedbackThroughCLI() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"feedbackWindowDays": 10}"#)
        try Self.startedMatch(daemon)
        let early = try CollaborationTests.cli(workspace, ["feedback", "submit", "M-0001", "--side", "requester", "--moment", "end", "--answer", "satisfaction=4"])
        #expect(early.status == 1 && early.stderr.contains("follows its outcome"), "\(early.stderr)")
        _ = try daemon.call("outcome.record", ["match": "M-0001", "summary": "Advies over ontmoeten in de wijk."])
        let missing = try daemon.client().call("feedback.submit", ["match": "M-0001", "side": "requester", "moment": "end", "answers": ["satisfaction": 4]])
        guard case .failure(let error) = missing else { throw TestFailure("an incomplete answer set was accepted") }
        #expect(error.data?["field"] == "answers.usefulness")
        let submit = try CollaborationTests.cli(workspace, [
            "feedback", "submit", "M-0001", "--side", "requester", "--moment", "end", "--answer", "satisfaction=5", "--answer", "usefulness=4",
            "--answer", "learning=4", "--answer", "collaboration=5", "--answer", "again=5", "--comment", "Heel bruikbaar, dank aan Anouk",
        ])
        #expect(submit.status == 0 && submit.stdout.contains("feedback of the requester side on M-0001"), "\(submit.stderr)")
        _ = try daemon.call("feedback.submit", ["match": "M-0001", "side": "education", "moment": "end", "answers": Self.allFours])
        let twice = try daemon.client().call("feedback.submit", ["match": "M-0001", "side": "education", "moment": "end", "answers": Self.allFours])
        #expect((try? twice.get()) == nil)
        let feedback = try daemon.call("feedback.get", ["match": "M-0001"])
        #expect(feedback["windowDays"] == 10 && feedback["moments"]?[0]?["revealed"] == true)
        #expect(feedback["moments"]?[0]?["sides"]?[0]?["comment"] == "Heel bruikbaar, dank aan Anouk")
        let shown = try CollaborationTests.cli(workspace, ["feedback", "M-0001"])
        #expect(shown.stdout.contains("end: shown") && shown.stdout.contains("comment: Heel bruikbaar"), "\(shown.stdout)")
        // report.get feedback in every format; the overview gains the response rates.
        for format in ["json", "text", "csv", "markdown", "html"] {
            let report = try daemon.call("report.get", ["name": "feedback", "format": .string(format)])
            #expect(report["format"] == .string(format))
        }
        let figures = try daemon.call("report.get", ["name": "feedback"])["report"]?["figures"]?.arrayValue ?? []
        #expect(figures.contains { $0["label"] == "response rate at the end, education" && $0["value"]?.doubleValue == 1 })
        let text = try CollaborationTests.cli(workspace, ["report", "feedback"])
        #expect(text.status == 0 && text.stdout.contains("Response rates") && text.stdout.contains("satisfaction"), "\(text.stdout) \(text.stderr)")
        let overview = try daemon.call("report.get", ["name": "overview"])["report"]?["figures"]?.arrayValue ?? []
        #expect(overview.contains { $0["label"] == "feedback response rate at the end, requester" })
    }

    /// Blind: while the education side has not answered, a coordinator sees that the requester answered, not what,
    /// and why; once both sides have answered, the coordinator sees the answers. An educator of the offer's
    /// institution sees the education side's own answers at once.
    @Test(.enabled(if: AuthorizationTests.canSwitchUser, "needs root and setpriv"))
    func feedbackIsBlindUntilBothSidesAnswered() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"roles": {"users": {"nobody": "coordinator"}}}"#)
        AuthorizationTests.openSocket(workspace)
        try Self.startedMatch(daemon)
        _ = try daemon.call("outcome.record", ["match": "M-0001", "summary": "Advies over ontmoeten in de wijk."])
        _ = try daemon.call("feedback.submit", ["match": "M-0001", "side": "requester", "moment": "end", "answers": Self.allFours, "comment": "Geheim"])
        func asCoordinator() throws -> JSONValue {
            let result = try AuthorizationTests.runAsNobody(["call", "feedback.get", #"{"match": "M-0001"}"#, "--json", "--socket", workspace.socketPath])
            return try JSONParser.parse(Array(result.stdout.utf8))
        }
        let blind = try asCoordinator()
        let requester = blind["moments"]?[0]?["sides"]?[0]
        #expect(requester?["submitted"] == true && requester?["access"] == "submittedOnly")
        #expect(requester?["answers"] == nil && requester?["comment"] == nil)
        #expect(blind["moments"]?[0]?["hidden"]?.stringValue?.contains("waiting for education") == true)
        #expect(try daemon.call("feedback.get", ["match": "M-0001"])["moments"]?[0]?["sides"]?[0]?["answers"] == Self.allFours)
        _ = try daemon.call("feedback.submit", ["match": "M-0001", "side": "education", "moment": "end", "answers": Self.allFours])
        let shown = try asCoordinator()
        #expect(shown["moments"]?[0]?["sides"]?[0]?["answers"] == Self.allFours && shown["moments"]?[0]?["hidden"] == .null)
    }

    /// Viewers read shown answers but no comments, and see that a note exists, not its text.
    @Test(.enabled(if: AuthorizationTests.canSwitchUser, "needs root and setpriv"))
    func viewersReadNoCommentsOrNotes() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"roles": {"users": {"nobody": "viewer"}}}"#)
        AuthorizationTests.openSocket(workspace)
        try Self.startedMatch(daemon)
        _ = try daemon.call("checkin.record", ["match": "M-0001", "health": "on-track", "note": "Gesprek met Anouk"])
        _ = try daemon.call("outcome.record", ["match": "M-0001", "summary": "Advies over ontmoeten in de wijk."])
        for side in ["requester", "education"] {
            _ = try daemon.call("feedback.submit", ["match": "M-0001", "side": .string(side), "moment": "end", "answers": Self.allFours, "comment": "Geheim"])
        }
        func asViewer(_ method: String, _ params: String) throws -> JSONValue {
            let result = try AuthorizationTests.runAsNobody(["call", method, params, "--json", "--socket", workspace.socketPath])
            return try JSONParser.parse(Array(result.stdout.utf8))
        }
        let feedback = try asViewer("feedback.get", #"{"match": "M-0001"}"#)
        let requester = feedback["moments"]?[0]?["sides"]?[0]
        #expect(requester?["access"] == "answers" && requester?["answers"] == Self.allFours && requester?["comment"] == nil)
        let match = try asViewer("match.get", #"{"id": "M-0001"}"#)
        #expect(match["checkIns"]?[0]?["note"] == "hidden" && match["health"] == "on-track")
    }
}

extension JSONValue {
    /// The element at `index` of an array, nil for anything else or out of range.
    fileprivate subscript(index: Int) -> JSONValue? {
        guard let elements = arrayValue, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
