import Foundation
import LMDSCommandLine
import LMDSJSON
import LMDSProtocol
import Testing

/// Errors and replies that say what to do (issue 17), through the real daemon's socket: ids of the wrong
/// kind, filters that take labels and suggest near misses, refused transitions that name the allowed ones,
/// places left on offers, and warnings for a start outside the period and an early follow-up check.
@Suite struct GuidanceTests {
    /// The error a call gets; records an issue when it was answered.
    static func error(_ client: RPCClient, _ method: String, _ params: JSONValue) throws -> RPCError? {
        guard case .failure(let error) = try client.call(method, params) else {
            Issue.record("\(method) \(params) was accepted")
            return nil
        }
        return error
    }

    static func position(_ daemon: DaemonProcess) throws -> Int64? { try daemon.call("system.status")["position"]?.integerValue }

    /// An id of another kind is a -32004 naming what it is and what was expected, on every id-taking param;
    /// a well-formed id of the right kind that names nothing stays "not found"; nothing is appended.
    @Test func idsOfTheWrongKindSayWhatTheyAre() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon)
        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001"])
        let head = try Self.position(daemon)
        let client = try daemon.client()
        let cases: [(String, JSONValue, String, String, String)] = [
            ("proposal.accept", ["id": "Q-0001", "side": "requester"], "id", "question", "proposal"),
            ("match.start", ["id": "P-0001", "students": 3], "id", "proposal", "match"),
            ("question.accept", ["id": "O-0001"], "id", "offer", "question"),
            ("proposal.create", ["question": "O-0002", "offer": "O-0001"], "question", "offer", "question"),
            ("proposal.create", ["question": "Q-0002", "offer": "Q-0001"], "offer", "question", "offer"),
            ("question.get", ["id": "P-0001"], "id", "proposal", "question"),
            ("offer.get", ["id": "Q-0001"], "id", "question", "offer"),
            ("match.suggest", ["question": "O-0001"], "question", "offer", "question"),
            ("outcome.record", ["match": "P-0001", "summary": "x"], "match", "proposal", "match"),
            ("followup.record", ["outcome": "M-0001", "used": "yes"], "outcome", "match", "outcome"),
            ("proposal.list", ["offer": "Q-0001"], "offer", "question", "offer"),
            ("person.get", ["id": "Q-0001"], "id", "question", "contact"),
        ]
        for (method, params, field, kind, expected) in cases {
            let error = try Self.error(client, method, params)
            #expect(error?.code == RPCErrorCode.validation, "\(method) \(params): \(String(describing: error))")
            #expect(error?.data?["field"]?.stringValue == field && error?.data?["kind"]?.stringValue == kind, "\(method): \(String(describing: error))")
            #expect(error?.data?["expected"]?.stringValue == expected, "\(method): \(String(describing: error))")
        }
        let accept = try Self.error(client, "proposal.accept", ["id": "Q-0001", "side": "requester"])
        #expect(accept?.message.contains("Q-0001 is a question, not a proposal (proposals are P-…)") == true)
        #expect(accept?.data?["expectedPrefix"] == "P-")
        #expect(try Self.error(client, "proposal.accept", ["id": "P-0099", "side": "requester"])?.code == RPCErrorCode.notFound)
        #expect(try Self.position(daemon) == head)
        #expect(daemon.stop() == 0)
    }

    /// List filters and writes take ids or labels, folded; unknown names are refused with the known values
    /// and a did-you-mean; a period no offer uses is refused, for lists and for a plan.
    @Test func filtersTakeLabelsAndSuggestNearMisses() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon)
        let client = try daemon.client()
        for filter: JSONValue in [["theme": "Eenzaamheid"], ["theme": "EENZAAMHEID"], ["theme": "loneliness"], ["level": "HBO"],
                                  ["neighbourhood": "stevenshof"], ["discipline": "Sociologie"]] {
            #expect(try daemon.call("question.list", filter)["total"] == 2, "\(filter)")
        }
        #expect(try daemon.call("offer.list", ["kind": "Minor", "institution": "hogeschool leiden", "level": "HBO"])["total"] == 1)
        #expect(try daemon.call("question.list", ["theme": "Jeugd en jongeren"])["total"] == 0)

        let theme = try Self.error(client, "question.list", ["theme": "jeugd"])
        #expect(theme?.code == RPCErrorCode.validation && theme?.data?["field"] == "theme")
        #expect(theme?.data?["suggestion"] == "Jeugd en jongeren" && theme?.data?["value"] == "jeugd")
        #expect(theme?.message.contains("\"jeugd\" is not a theme; did you mean \"Jeugd en jongeren\"?") == true, "\(String(describing: theme))")
        #expect(theme?.data?["known"]?.arrayValue?.contains("youth (Jeugd en jongeren)") == true)
        let wijk = try Self.error(client, "match.list", ["neighbourhood": "Merenwijk Centrum"])
        #expect(wijk?.data?["suggestion"] == "Merenwijk-Centrum")
        let level = try Self.error(client, "offer.list", ["level": "phd"])
        #expect(level?.data?["known"] == ["mbo", "hbo", "wo-bachelor", "wo-master"] && level?.data?["suggestion"] == nil)
        for (method, params) in [("question.list", ["period": "2026/2027 S2"] as JSONValue), ("offer.list", ["period": "2026/2027 S2"]),
                                 ("match.plan", ["period": "2026/2027 S2"])] {
            let period = try Self.error(client, method, params)
            #expect(period?.code == RPCErrorCode.validation && period?.data?["field"] == "period", "\(method): \(String(describing: period))")
            #expect(period?.data?["suggestion"] == "2026-2027 S2", "\(method): \(String(describing: period))")
            #expect(period?.data?["known"] == ["2026-2027 S2", "2027-2028 S1"], "\(method): \(String(describing: period))")
        }
        #expect(try daemon.call("match.plan", ["period": "2026-2027 S2"])["pairs"]?.arrayValue?.isEmpty == false)
        // A name the validation accepts (folded, trimmed) is one the filter selects by: never an empty answer.
        let spaced = try daemon.call("offer.list", ["period": " 2026-2027 s2 "])["offers"]?.arrayValue ?? []
        #expect(spaced.count == 1 && spaced.first?["id"] == "O-0001", "\(spaced)")

        // Writes take labels too, and store ids.
        var question = CollaborationTests.question.objectValue!
        question["themes"] = ["Jeugd en jongeren"]
        question["levels"] = ["HBO"]
        question["neighbourhood"] = "merenwijk-centrum"
        let submitted = try daemon.call("question.submit", .object(question))
        let stored = try daemon.call("question.get", ["id": submitted["id"] ?? .null])
        #expect(stored["themes"] == ["youth"] && stored["levels"] == ["hbo"])
        // An import's dry run names the near miss of each refused row.
        question["neighbourhood"] = "Merenwijk Centrum"
        let dryRun = try daemon.call("import.questions", ["rows": [.object(question)], "dryRun": true])
        let refused = dryRun["errors"]?.arrayValue?.first
        #expect(refused?["field"] == "neighbourhood" && refused?["suggestion"] == "Merenwijk-Centrum", "\(dryRun)")
        #expect(daemon.stop() == 0)
    }

    /// A command in the wrong state gets -32002 with the state and the verbs it allows, in data and in words.
    @Test func refusedTransitionsNameTheAllowedOnes() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon)
        let client = try daemon.client()
        let reject = try Self.error(client, "question.reject", ["id": "Q-0001", "reason": "Dubbel"])
        #expect(reject?.code == RPCErrorCode.conflict && reject?.data?["state"] == "open")
        #expect(reject?.data?["allowed"] == ["revise", "refer", "withdraw"])
        #expect(reject?.message.contains("Q-0001 is open: it cannot be rejected; it can be revised, referred or withdrawn") == true,
                "\(String(describing: reject))")
        _ = try daemon.call("offer.close", ["id": "O-0002"])
        let revise = try Self.error(client, "offer.revise", ["id": "O-0002", "title": "Nieuw"])
        #expect(revise?.data?["state"] == "closed" && revise?.data?["allowed"] == [])
        #expect(daemon.stop() == 0)
    }

    /// Offers show the places left and the proposals waiting, in `offer.get` and `offer.list`, kept up to
    /// date when a proposal or match changes (the reply cache drops the offer's rendering).
    @Test func offersShowPlacesLeftAndProposalsPending() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon)
        func offer(_ id: String) throws -> (Int64?, Int64?) {
            let json = try daemon.call("offer.get", ["id": .string(id)])
            return (json["placesLeft"]?.integerValue, json["proposalsPending"]?.integerValue)
        }
        #expect(try offer("O-0001") == (1, 0))
        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001"])
        _ = try daemon.call("proposal.create", ["question": "Q-0002", "offer": "O-0002"])
        #expect(try offer("O-0001") == (1, 1))
        #expect(try offer("O-0002") == (1, 1))
        _ = try daemon.call("proposal.withdraw", ["id": "P-0002", "reason": "Vergissing"])
        #expect(try offer("O-0002") == (1, 0), "the withdrawal names only the proposal; the offer's cached rendering must go too")
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "requester"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "education"])
        #expect(try offer("O-0001") == (0, 0))
        let rows = try daemon.call("offer.list")["offers"]?.arrayValue ?? []
        #expect(rows.map { $0["placesLeft"] } == [0, 1] && rows.map { $0["proposalsPending"] } == [0, 0])
        _ = try daemon.call("match.cancel", ["id": "M-0001", "reason": "Team viel uit"])
        #expect(try offer("O-0001") == (1, 0))
        #expect(daemon.stop() == 0)
    }

    /// A start outside the offer's period is refused without `force`; with it, accepted with a warning that
    /// a retry gets again, also after a restart; an early follow-up check is accepted with a warning.
    @Test func startsOutsideThePeriodAndEarlyFollowUpsWarn() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon)
        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "requester"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "education"])
        let head = try Self.position(daemon)
        // Without startedOn the daemon's date (today) is taken: months before the period of 2027-02-01.
        let early = try Self.error(try daemon.client(), "match.start", ["id": "M-0001", "students": 4])
        #expect(early?.code == RPCErrorCode.validation && early?.data?["field"] == "startedOn", "\(String(describing: early))")
        #expect(early?.message.contains("before the period of O-0001") == true, "\(String(describing: early))")
        let late = try Self.error(try daemon.client(), "match.start", ["id": "M-0001", "students": 4, "startedOn": "2027-07-01"])
        #expect(late?.message.contains("1 day after the period of O-0001") == true, "\(String(describing: late))")
        #expect(try Self.position(daemon) == head)

        let forced: JSONValue = ["id": "M-0001", "students": 4, "startedOn": "2027-01-25", "force": true, "requestId": "start-1"]
        let started = try daemon.call("match.start", forced)
        #expect(started["status"] == "started")
        let warning = try #require(started["warnings"]?.arrayValue?.first)
        #expect(warning["field"] == "startedOn")
        #expect(warning["reason"]?.stringValue?.hasPrefix("2027-01-25 is 7 days before the period of O-0001") == true, "\(warning)")
        #expect(try daemon.call("match.start", forced) == started, "a retry gets the same reply, warnings included")
        #expect(daemon.stop() == 0)
        daemon = try DaemonProcess(workspace: workspace)
        #expect(try daemon.call("match.start", forced) == started, "the reply rebuilt from the log after a restart carries the warning too")

        let outcome = try daemon.call("outcome.record", ["match": "M-0001", "summary": "Een buurtkamer."])
        let followUp = try daemon.call("followup.record", ["outcome": outcome["id"] ?? .null, "used": "yes"])
        let earlyCheck = try #require(followUp["warnings"]?.arrayValue?.first)
        #expect(earlyCheck["field"] == "date")
        #expect(earlyCheck["reason"]?.stringValue?.contains("days before it is due (\(outcome["followUpDue"]?.stringValue ?? "?"))") == true, "\(earlyCheck)")
        let recorded = try daemon.call("outcome.get", ["id": outcome["id"] ?? .null])
        #expect(recorded["followUp"]?["used"] == "yes")
        #expect(daemon.stop() == 0)
    }
}
