import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// The whole pipeline through the real daemon, the real CLI and a real LMDB file: proposals and
/// consent, matches, outcomes with deliverables, follow-up questions and checks, expiry, history, restart.
@Suite struct CollaborationTests {
    static let question: JSONValue = [
        "title": "Eenzaamheid onder ouderen in de Stevenshof", "description": "Ouderen rond het winkelcentrum zien elkaar weinig; wat helpt?",
        "requester": ["kind": "group", "organisation": "Bewonersvereniging Stevenshof", "name": "Anouk de Vriës", "email": "anouk@example.nl"],
        "neighbourhood": "Stevenshof", "themes": ["loneliness"], "disciplines": ["sociology"], "levels": ["hbo"],
    ]

    /// Submits and accepts `count` questions and publishes a capacity-1 offer of Hogeschool Leiden and one of Universiteit Leiden.
    static func seed(_ daemon: DaemonProcess, questions count: Int = 2) throws {
        for index in 1...count {
            var params = question.objectValue!
            params["title"] = .string("Vraag \(index): eenzaamheid in de Stevenshof")
            // A requester each: one e-mail address for all would make them one contact (contacts are people).
            var requester = params["requester"]?.objectValue ?? [:]
            requester["email"] = index == 1 ? "anouk@example.nl" : .string("anouk\(index)@example.nl")
            params["requester"] = .object(requester)
            _ = try daemon.call("question.submit", .object(params))
            _ = try daemon.call("question.accept", ["id": .string(String(format: "Q-%04d", index))])
        }
        var offer = OfferTests.publish.objectValue!
        offer["capacity"] = 1
        _ = try daemon.call("offer.publish", .object(offer))
        offer["institution"] = "Universiteit Leiden"
        offer["level"] = "wo-master"
        offer["title"] = "Masterproject Sociologie"
        offer["period"] = ["from": "2027-09-01", "to": "2028-01-31", "label": "2027-2028 S1"]
        _ = try daemon.call("offer.publish", .object(offer))
    }

    static func cli(_ workspace: Workspace, _ arguments: [String]) throws -> ProcessResult {
        try run(Binaries.cli, arguments + ["--socket", workspace.socketPath])
    }

    /// Propose, consent from both sides through the CLI (match agreed atomically, offer full), start,
    /// record an outcome with a follow-up question, record the follow-up check, close; the history of the
    /// question tells it all, in log order; everything survives a restart (replay) and the chain verifies.
    @Test func pipelineThroughCLI() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace)
        try Self.seed(daemon)
        let propose = try Self.cli(workspace, ["propose", "Q-0001", "O-0001", "--note", "Past bij de wijkaanpak"])
        #expect(propose.status == 0 && propose.stdout.contains("P-0001 proposed"), "\(propose.stderr)")
        #expect(try Self.cli(workspace, ["accept", "P-0001", "--side", "requester"]).stdout.contains("P-0001: the requester agreed"))
        let second = try Self.cli(workspace, ["accept", "P-0001", "--side", "education"])
        #expect(second.stdout.contains("P-0001 accepted") && second.stdout.contains("match M-0001"), "\(second.stdout) \(second.stderr)")
        #expect(try daemon.call("offer.get", ["id": "O-0001"])["status"] == "full")
        #expect(try daemon.call("question.get", ["id": "Q-0001"])["status"] == "matched")
        // A full offer takes no proposal: a conflict that names the state, and nothing is appended.
        let head = try #require(try daemon.call("system.status")["position"]?.integerValue)
        let full = try Self.cli(workspace, ["propose", "Q-0002", "O-0001"])
        #expect(full.status == 1 && full.stderr.contains("full"))
        #expect(try daemon.call("system.status")["position"]?.integerValue == head)

        #expect(try Self.cli(workspace, ["start", "M-0001", "--students", "4", "--started-on", "2027-02-08"]).stdout.contains("M-0001 started"))
        let record = try Self.cli(workspace, [
            "outcome", "record", "M-0001", "--summary", "Het team sprak veertig bewoners; advies: een buurtkamer bij het winkelcentrum.",
            "--deliverable", "report|Eindrapport Ontmoeten in de Stevenshof|https://example.nl/rapport.pdf|public",
            "--deliverable", "dataset|Interviewtranscripten||internal",
            "--deliverable", "video|Portretten van bewoners|https://example.nl/video|embargo|2099-01-01",
            "--students", "4", "--hours", "560", "--competence", "interviewen", "--rating-requester", "5", "--rating-education", "4",
            "--impact", "De bewonersvereniging opent een buurtkamer.",
            "--follow-up", "Een buurtkamer in de Stevenshof|Hoe richten bewoners een buurtkamer in die ook jongeren trekt?",
        ])
        #expect(record.status == 0 && record.stdout.contains("R-0001 recorded") && record.stdout.contains("Q-0003"), "\(record.stderr)")
        #expect(try daemon.call("question.get", ["id": "Q-0001"])["status"] == "completed")
        #expect(try daemon.call("offer.get", ["id": "O-0001"])["status"] == "published", "a delivered match frees the place")
        let followUp = try daemon.call("question.get", ["id": "Q-0003"])
        #expect(followUp["followUpOf"] == "R-0001" && followUp["status"] == "submitted")
        #expect(followUp["requester"]?["contact"] == "C-0001", "the follow-up question keeps its requester")

        let due = try daemon.call("outcome.get", ["id": "R-0001"])["followUpDue"]?.stringValue ?? ""
        #expect(try daemon.call("followup.list")["total"] == 0, "not due yet")
        let listed = try Self.cli(workspace, ["followups", "--on", due])
        #expect(listed.stdout.contains("R-0001") && listed.stdout.contains("due"))
        #expect(try Self.cli(workspace, ["followup", "record", "R-0001", "--used", "partly", "--note", "De buurtkamer is er, jongeren komen nog niet"]).status == 0)
        #expect(try daemon.call("followup.list", ["status": "done"])["total"] == 1)
        #expect(try Self.cli(workspace, ["match", "close", "M-0001"]).stdout.contains("M-0001 closed"))

        let history = try daemon.call("history.get", ["id": "Q-0001"])["events"]?.arrayValue ?? []
        let types = history.compactMap { $0["type"]?.stringValue }
        #expect(types == ["QuestionSubmitted", "QuestionAccepted", "ProposalCreated", "ProposalConsented", "ProposalConsented", "ProposalAccepted",
                          "MatchAgreed", "QuestionMatched", "MatchStarted", "OutcomeRecorded", "MatchDelivered", "QuestionCompleted",
                          "QuestionSubmitted", "FollowUpRecorded", "MatchClosed"], "\(types)")
        let positions = history.compactMap { $0["position"]?.integerValue }
        #expect(positions == positions.sorted())
        let timeline = try Self.cli(workspace, ["history", "Q-0001"])
        #expect(timeline.stdout.contains("P-0001 accepted by both sides: match M-0001 agreed"))

        // Restart: the read models are rebuilt from the log alone.
        let before = try daemon.call("outcome.get", ["id": "R-0001"])
        #expect(daemon.stop() == 0)
        daemon = try DaemonProcess(workspace: workspace)
        #expect(try daemon.call("outcome.get", ["id": "R-0001"]) == before)
        #expect(try daemon.call("match.get", ["id": "M-0001"])["status"] == "closed")
        #expect(try daemon.call("audit.verify")["intact"] == true)
        #expect(daemon.stop() == 0)
    }

    /// A decline ends the proposal; a proposal left without both consents expires on the daemon's own
    /// (config `proposalExpiryDays`), appended by the daemon as ProposalExpired; a retry with the same
    /// requestId appends nothing; the lists filter.
    @Test func declineExpiryAndLists() throws {
        let workspace = Workspace()
        // 0.00003 days is about 2.6 seconds.
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"proposalExpiryDays": 0.00003}"#)
        try Self.seed(daemon, questions: 3)
        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001", "requestId": "p-1"])
        #expect(try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001", "requestId": "p-1"])["id"] == "P-0001")
        _ = try daemon.call("proposal.create", ["question": "Q-0002", "offer": "O-0002"])
        let decline = try Self.cli(workspace, ["decline", "P-0002", "--side", "education", "--reason", "Het masterproject start pas in september"])
        #expect(decline.stdout.contains("P-0002 declined"))
        var status: JSONValue?
        for _ in 0..<100 {
            status = try daemon.call("proposal.get", ["id": "P-0001"])["status"]
            if status == "expired" { break }
            usleep(100_000)
        }
        #expect(status == "expired")
        // The state shows the expiry as soon as it is decided; the history lists it once it is committed.
        var events: [JSONValue] = []
        for _ in 0..<100 {
            events = try daemon.call("history.get", ["id": "P-0001"])["events"]?.arrayValue ?? []
            if events.count >= 2 { break }
            usleep(20_000)
        }
        #expect(events.last?["type"] == "ProposalExpired" && events.last?["actor"]?["role"] == "system")
        #expect(events.count == 2, "the retry appended nothing; the expiry once")
        guard case .failure(let error) = try daemon.client().call("proposal.accept", ["id": "P-0001", "side": "requester"]) else {
            Issue.record("an expired proposal was accepted")
            return
        }
        #expect(error.code == RPCErrorCode.conflict && error.message.contains("expired"))
        #expect(try daemon.call("proposal.list", ["status": "declined"])["total"] == 1)
        #expect(try daemon.call("proposal.list", ["institution": "Universiteit Leiden"])["total"] == 1)
        #expect(try daemon.call("proposal.list", ["text": "masterproject"])["total"] == 1)
        // A declined proposal does not tie a question to an institution; a pending one does.
        #expect(try daemon.call("question.list", ["institution": "universiteit-leiden"])["total"] == 0)
        _ = try daemon.call("proposal.create", ["question": "Q-0003", "offer": "O-0002"])
        #expect(try daemon.call("question.list", ["institution": "universiteit-leiden"])["total"] == 1)
        #expect(try daemon.call("question.list", ["period": "2027-2028 S1"])["total"] == 1)
        let table = try Self.cli(workspace, ["proposals", "--status", "expired"])
        #expect(table.stdout.contains("P-0001") && !table.stdout.contains("P-0002"))
        #expect(daemon.stop() == 0)
    }

    /// Bad input is refused with the field named and appends nothing.
    @Test func refusalsNameTheField() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try Self.seed(daemon)
        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001"])
        let head = try #require(try daemon.call("system.status")["position"]?.integerValue)
        let client = try daemon.client()
        let cases: [(String, JSONValue, Int64, String)] = [
            ("proposal.accept", ["id": "P-0001", "side": "city"], RPCErrorCode.validation, "side"),
            ("proposal.accept", ["id": "P-0001"], RPCErrorCode.invalidParams, "side"),
            ("proposal.create", ["question": "Q-0001"], RPCErrorCode.invalidParams, "offer"),
            ("match.start", ["id": "M-0001", "students": 0], RPCErrorCode.invalidParams, "students"),
            ("outcome.record", ["match": "M-0001"], RPCErrorCode.invalidParams, "summary"),
            ("outcome.record", ["match": "M-0001", "summary": "x", "deliverables": [["kind": "report"]]], RPCErrorCode.invalidParams, "deliverables[0].title"),
            ("outcome.record", ["match": "M-0001", "summary": "x", "ratings": ["requester": 9]], RPCErrorCode.validation, "ratings.requester"),
            ("outcome.record", ["match": "M-0001", "summary": "x", "followUps": [["title": "t"]]], RPCErrorCode.invalidParams, "followUps[0].description"),
            ("followup.record", ["outcome": "R-0001", "used": "maybe"], RPCErrorCode.validation, "used"),
            ("followup.list", ["on": "morgen"], RPCErrorCode.validation, "on"),
        ]
        for (method, params, code, field) in cases {
            guard case .failure(let error) = try client.call(method, params) else {
                Issue.record("\(method) \(params) was accepted")
                continue
            }
            #expect(error.code == code, "\(method) \(params): \(error)")
            #expect(error.data?["field"]?.stringValue == field, "\(method) \(params): \(error)")
        }
        guard case .failure(let missing) = try client.call("match.start", ["id": "M-0009", "students": 3]) else {
            Issue.record("an unknown match was started")
            return
        }
        #expect(missing.code == RPCErrorCode.notFound)
        #expect(try daemon.call("system.status")["position"]?.integerValue == head)
        #expect(daemon.stop() == 0)
    }

    /// A viewer sees only public deliverables and those whose embargo has ended; staff see all, and an
    /// educator consents for the education side of their own institution only.
    @Test(.enabled(if: AuthorizationTests.canSwitchUser, "needs root and setpriv"))
    func visibilityAndEducatorConsent() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(
            workspace: workspace, config: #"{"roles": {"users": {"nobody": "educator"}}, "institutions": {"users": {"nobody": "universiteit-leiden"}}}"#)
        AuthorizationTests.openSocket(workspace)
        try Self.seed(daemon)
        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001"])
        _ = try daemon.call("proposal.create", ["question": "Q-0002", "offer": "O-0002"])
        func asNobody(_ method: String, _ params: JSONValue) throws -> ProcessResult {
            try AuthorizationTests.runAsNobody(["call", method, JSONWriter.canonicalString(params), "--json", "--socket", workspace.socketPath])
        }
        #expect(try asNobody("proposal.accept", ["id": "P-0002", "side": "education"]).status == 0)
        let requesterSide = try asNobody("proposal.accept", ["id": "P-0002", "side": "requester"])
        #expect(requesterSide.status == 1 && requesterSide.stderr.contains("Forbidden"))
        let otherInstitution = try asNobody("proposal.accept", ["id": "P-0001", "side": "education"])
        #expect(otherInstitution.status == 1 && otherInstitution.stderr.contains("Forbidden"))

        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "requester"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "education"])
        _ = try daemon.call("match.start", ["id": "M-0001", "students": 3, "startedOn": "2027-02-08"])
        _ = try daemon.call("outcome.record", [
            "match": "M-0001", "summary": "Advies aan de bewonersvereniging.",
            "deliverables": [
                ["kind": "report", "title": "Openbaar rapport", "visibility": "public"],
                ["kind": "dataset", "title": "Interne data", "visibility": "internal"],
                ["kind": "video", "title": "Nog onder embargo", "visibility": "embargo", "embargoUntil": "2099-01-01"],
                ["kind": "advice", "title": "Embargo voorbij", "visibility": "embargo", "embargoUntil": "2020-01-01"],
            ],
        ])
        #expect(try daemon.call("outcome.get", ["id": "R-0001"])["deliverables"]?.arrayValue?.count == 4)
        #expect(daemon.stop() == 0)
        let viewerDaemon = try DaemonProcess(workspace: workspace, config: #"{"roles": {"users": {"nobody": "viewer"}}}"#)
        AuthorizationTests.openSocket(workspace)
        let seen = try asNobody("outcome.get", ["id": "R-0001"])
        let outcome = try JSONParser.parse(seen.stdout)
        let titles = (outcome["deliverables"]?.arrayValue ?? []).compactMap { $0["title"]?.stringValue }
        #expect(titles == ["Openbaar rapport", "Embargo voorbij"])
        #expect(outcome["withheld"] == 2)
        #expect(viewerDaemon.stop() == 0)
    }
}
