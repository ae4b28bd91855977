import Foundation
import LMDSCommandLine
import LMDSJSON
import LMDSProtocol
import Testing

/// Questions through the real daemon, the real CLI and a real LMDB file.
@Suite struct QuestionTests {
    static func submitParams(_ index: Int, requestID: String? = nil, neighbourhood: String = "Stevenshof") -> JSONValue {
        var params: [String: JSONValue] = [
            "title": .string("Vraag \(index): eenzaamheid en ontmoeting in de \(neighbourhood)"),
            "description": "Ouderen voelen zich alleen. Kan een café-achtige ontmoetingsplek helpen?",
            "requester": ["kind": "group", "organisation": "Bewonersvereniging", "name": .string("Anouk de Vrieë \(index)"),
                          "email": .string("anouk\(index)@example.nl"), "phone": .string("06123456\(70 + index)")],
            "neighbourhood": .string(neighbourhood), "themes": ["loneliness"], "levels": ["hbo"],
        ]
        if let requestID { params["requestId"] = .string(requestID) }
        return .object(params)
    }

    /// The lifecycle through the socket: submit, retry with the same requestId, version conflict, accept,
    /// list, get with contact details, erase, and a restart that replays to the same answers.
    @Test func lifecycleSurvivesRestart() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace)
        let first = try daemon.call("question.submit", Self.submitParams(1, requestID: "intake-1"))
        #expect(first == ["id": "Q-0001", "position": 1, "status": "submitted", "version": 1,
                          "organisation": ["id": "G-0001", "name": "Bewonersvereniging", "registered": true]])
        #expect(try daemon.call("question.submit", Self.submitParams(1, requestID: "intake-1")) == first)
        #expect(try daemon.call("system.status")["position"] == 1)
        let stale = try daemon.client().call("question.accept", ["id": "Q-0001", "expectedVersion": 2])
        guard case .failure(let error) = stale else { Issue.record("expected a conflict"); return }
        #expect(error.code == RPCErrorCode.conflict)
        #expect(try daemon.call("question.accept", ["id": "Q-0001", "expectedVersion": 1])["status"] == "open")
        let listed = try daemon.call("question.list", ["text": "CAFE stevenshof"])
        #expect(listed["total"] == 1)
        let full = try daemon.call("question.get", ["id": "Q-0001"])
        #expect(full["requester"]?["name"] == "Anouk de Vrieë 1")
        #expect(full["description"]?.stringValue?.contains("café") == true)
        #expect(daemon.stop() == 0)

        daemon = try DaemonProcess(workspace: workspace)
        #expect(try daemon.call("question.get", ["id": "Q-0001"]) == full)
        #expect(try daemon.call("question.submit", Self.submitParams(1, requestID: "intake-1")) == first)
        #expect(try daemon.call("person.erase", ["id": "C-0001"])["status"] == "erased")
        #expect(try daemon.call("question.get", ["id": "Q-0001"])["requester"]?["name"] == "erased")
        #expect(try daemon.call("question.get", ["id": "Q-0001", "asOf": 1])["status"] == "submitted")
        #expect(try daemon.call("audit.verify")["intact"] == true)
    }

    /// `history.get` returns every event of a question and its contact in log order with summaries;
    /// `lmds history` prints the timeline; `asOf` cuts it; an unknown id is not found.
    @Test func historyIsATimeline() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try daemon.call("question.submit", Self.submitParams(1))
        _ = try daemon.call("question.submit", Self.submitParams(2))
        _ = try daemon.call("question.accept", ["id": "Q-0001", "title": "Ontmoeting in de Stevenshof"])
        _ = try daemon.call("question.accept", ["id": "Q-0002"])
        _ = try daemon.call("person.erase", ["id": "C-0001"])
        let history = try daemon.call("history.get", ["id": "Q-0001"])
        let events = history["events"]?.arrayValue ?? []
        #expect(events.map { $0["position"] } == [1, 3, 5])
        #expect(events.map { $0["type"] } == ["QuestionSubmitted", "QuestionAccepted", "PersonalDataErased"])
        #expect(events[1]["summary"] == "Q-0001 accepted after intake, re-articulated as: Ontmoeting in de Stevenshof")
        #expect(try daemon.call("history.get", ["id": "Q-0001", "asOf": 3])["events"]?.arrayValue?.count == 2)
        guard case .failure(let error) = try daemon.client().call("history.get", ["id": "Q-0099"]) else {
            Issue.record("history of an unknown id")
            return
        }
        #expect(error.code == RPCErrorCode.notFound)
        let timeline = try run(Binaries.cli, ["history", "Q-0001", "--socket", workspace.socketPath])
        #expect(timeline.stdout.contains("history of Q-0001: 3 events"))
        #expect(timeline.stdout.contains("personal data of C-0001 erased"))
        // After a restart the index is rebuilt from the log.
        #expect(daemon.stop() == 0)
        let restarted = try DaemonProcess(workspace: workspace)
        #expect(try restarted.call("history.get", ["id": "Q-0001"]) == history)
    }

    /// Names, e-mail addresses and phone numbers never appear in the log's events.
    @Test func personalDataNeverEntersTheLog() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        for index in 1...3 { _ = try daemon.call("question.submit", Self.submitParams(index)) }
        _ = try daemon.call("person.erase", ["id": "C-0002"])
        let events = try daemon.call("events.read", ["from": 1, "limit": 100])["events"]?.arrayValue ?? []
        #expect(events.count == 4)
        let text = events.map { JSONWriter.canonicalString($0) }.joined()
        #expect(!text.contains("Anouk") && !text.contains("example.nl") && !text.contains("0612345678"))
        #expect(text.contains("C-0001") && text.contains("PersonalDataErased"))
    }

    /// 16 clients submitting at once get distinct, gapless ids; the log holds each command exactly once.
    @Test func concurrentSubmitsGetGaplessIds() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let ids = LockedPaths()
        let socketPath = workspace.socketPath
        let group = DispatchGroup()
        for client in 0..<16 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                guard let connection = try? RPCClient(socketPath: socketPath, receiveTimeoutMs: 20_000) else { return }
                for index in 0..<10 {
                    switch Result(catching: { try connection.call("question.submit", Self.submitParams(client * 100 + index)) }) {
                    case .success(.success(let result)): ids.append(result["id"]?.stringValue ?? "?")
                    case .success(.failure(let error)): ids.append("error: \(error)")
                    case .failure(let error): ids.append("failure: \(error)")
                    }
                }
            }
        }
        group.wait()
        let expected = (1...160).map { String(format: "Q-%04d", $0) }
        #expect(ids.all.sorted() == expected)
        #expect(try daemon.call("system.status")["position"] == 160)
        #expect(try daemon.call("question.list", ["limit": 500])["total"] == 160)
    }

    /// The same requestId sent by 8 clients at once is executed once: all get the same question.
    @Test func simultaneousRetriesExecuteOnce() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let ids = LockedPaths()
        let socketPath = workspace.socketPath
        let group = DispatchGroup()
        for _ in 0..<8 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                guard let client = try? RPCClient(socketPath: socketPath, receiveTimeoutMs: 20_000),
                    case .success(let result)? = try? client.call("question.submit", Self.submitParams(7, requestID: "same-intake"))
                else { return }
                ids.append(result["id"]?.stringValue ?? "?")
            }
        }
        group.wait()
        #expect(ids.all == Array(repeating: "Q-0001", count: 8))
        #expect(try daemon.call("system.status")["position"] == 1)
    }

    /// Paging goes on after the cursor even when the cursor's question no longer matches the filter.
    @Test func cursorSurvivesAChangedQuestion() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        for index in 1...3 { _ = try daemon.call("question.submit", Self.submitParams(index)) }
        let first = try daemon.call("question.list", ["status": "submitted", "limit": 2])
        #expect(first["questions"]?.arrayValue?.map { $0["id"] } == ["Q-0001", "Q-0002"])
        #expect(first["next"] == "Q-0002")
        _ = try daemon.call("question.accept", ["id": "Q-0002"])
        let second = try daemon.call("question.list", ["status": "submitted", "limit": 2, "cursor": "Q-0002"])
        #expect(second["questions"]?.arrayValue?.map { $0["id"] } == ["Q-0003"])
        #expect(second["next"] == .null)
    }

    /// Refusals append nothing: unknown neighbourhood, unknown param, wrong type, unknown id, forbidden role.
    @Test func refusalsAppendNothing() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let client = try daemon.client()
        let cases: [(String, JSONValue, Int64, String?)] = [
            ("question.submit", Self.submitParams(1, neighbourhood: "Atlantis"), RPCErrorCode.validation, "neighbourhood"),
            ("question.submit", ["title": 5], RPCErrorCode.invalidParams, "title"),
            ("question.accept", ["id": "Q-0001", "colour": "blue"], RPCErrorCode.invalidParams, "colour"),
            ("question.accept", ["id": "Q-0404"], RPCErrorCode.notFound, nil),
            ("person.erase", ["id": "C-0001"], RPCErrorCode.notFound, nil),
            ("question.list", ["status": "pending"], RPCErrorCode.validation, "status"),
            ("question.get", ["id": "Q-0001", "asOf": "last tuesday"], RPCErrorCode.invalidParams, "asOf"),
        ]
        for (method, params, code, field) in cases {
            guard case .failure(let error) = try client.call(method, params) else {
                Issue.record("\(method) \(params) was accepted")
                continue
            }
            #expect(error.code == code, "\(method): \(error)")
            if let field { #expect(error.data?["field"]?.stringValue == field, "\(method): \(error)") }
        }
        #expect(try daemon.call("system.status")["position"] == 0)
    }

    /// The CLI: submit with flags, list as a table, show, erase; exit 1 with the daemon's message on a conflict.
    @Test func cliDrivesTheLifecycle() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        func lmds(_ arguments: [String]) throws -> ProcessResult { try run(Binaries.cli, arguments + ["--socket", workspace.socketPath]) }
        let submitted = try lmds(["question", "submit", "--title", "Hittestress in de Merenwijk", "--description", "Welke straten worden te heet?",
                                  "--neighbourhood", "merenwijk", "--requester-kind", "municipality", "--organisation", "Gemeente Leiden",
                                  "--theme", "climate-adaptation", "--level", "wo-master", "--from", "2027-02-01", "--to", "2027-06-30"])
        #expect(submitted.status == 0, "\(submitted.stderr)")
        #expect(submitted.stdout == "Q-0001 submitted (version 1, log position 1); waiting for intake (lmds question accept Q-0001)"
                + "; organisation G-0001 registered (lmds show G-0001)\n")
        #expect(try lmds(["question", "accept", "Q-0001"]).stdout.contains("Q-0001 accepted after intake (version 2, log position 2); open for proposals"))
        let again = try lmds(["question", "accept", "Q-0001"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("Q-0001 is open: it cannot be accepted"))
        let list = try lmds(["questions", "--neighbourhood", "Merenwijk"])
        #expect(list.stdout.contains("Hittestress in de Merenwijk"))
        let show = try lmds(["show", "Q-0001"])
        #expect(show.stdout.contains("window:        2027-02-01 to 2027-06-30"))
        // `lmds question get` is the name scripts use (the bench times it): the same page as `lmds show`.
        #expect(try lmds(["question", "get", "Q-0001"]).stdout == show.stdout)
        let wrongKind = try lmds(["question", "get", "O-0001"])
        #expect(wrongKind.status != 0 && wrongKind.stderr.contains("not a question id"))
        _ = daemon
    }
}

/// Offers through the real daemon and CLI, with educator rights checked for a real other user.
@Suite struct OfferTests {
    static let publish: JSONValue = [
        "title": "Minor Sociale Innovatie in de Wijk", "description": "Studenten werken aan vraagstukken uit Leidse wijken.",
        "institution": "Hogeschool Leiden", "programme": "Social Work", "level": "hbo", "kind": "minor",
        "themes": ["loneliness"], "period": ["from": "2027-02-01", "to": "2027-06-30", "label": "2026-2027 S2"], "capacity": 3,
        "contact": ["name": "Jeroen Bakker", "email": "j.bakker@example.nl"],
    ]

    /// Publish, list by period label, revise, close; a closed offer refuses changes; the CLI shows it.
    @Test func lifecycleThroughSocketAndCLI() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        #expect(try daemon.call("offer.publish", Self.publish) == ["id": "O-0001", "position": 1, "status": "published", "version": 1])
        #expect(try daemon.call("offer.list", ["period": "2026-2027 s2"])["total"] == 1)
        #expect(try daemon.call("offer.list", ["period": "2027-03-15"])["total"] == 1)
        #expect(try daemon.call("offer.list", ["period": "2027-08-01"])["total"] == 0)
        #expect(try daemon.call("offer.revise", ["id": "O-0001", "capacity": 4])["version"] == 2)
        #expect(try daemon.call("offer.close", ["id": "O-0001"])["status"] == "closed")
        guard case .failure(let error) = try daemon.client().call("offer.revise", ["id": "O-0001", "capacity": 5]) else {
            Issue.record("a closed offer was revised")
            return
        }
        #expect(error.code == RPCErrorCode.conflict)
        let show = try run(Binaries.cli, ["show", "O-0001", "--socket", workspace.socketPath])
        #expect(show.stdout.contains("Hogeschool Leiden, Social Work, hbo"))
        #expect(try run(Binaries.cli, ["offer", "get", "O-0001", "--socket", workspace.socketPath]).stdout == show.stdout)
        #expect(show.stdout.contains("Jeroen Bakker"))
        let list = try run(Binaries.cli, ["offers", "--institution", "hogeschool-leiden", "--socket", workspace.socketPath])
        #expect(list.stdout.contains("Minor Sociale Innovatie in de Wijk"))
    }

    /// An educator (the user `nobody`, granted educator for Hogeschool Leiden in the config) may publish for
    /// that institution only, and may not take in questions.
    @Test(.enabled(if: AuthorizationTests.canSwitchUser, "needs root and setpriv"))
    func educatorRightsFollowTheConfig() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"roles": {"users": {"nobody": "educator"}}, "institutions": {"users": {"nobody": "hogeschool-leiden"}}}"#)
        AuthorizationTests.openSocket(workspace)
        func asNobody(_ method: String, _ params: JSONValue) throws -> ProcessResult {
            try AuthorizationTests.runAsNobody(["call", method, JSONWriter.canonicalString(params), "--json", "--socket", workspace.socketPath])
        }
        let own = try asNobody("offer.publish", Self.publish)
        #expect(own.status == 0, "\(own.stderr)")
        var other = Self.publish.objectValue ?? [:]
        other["institution"] = "Universiteit Leiden"
        other["level"] = "wo-master"
        let foreign = try asNobody("offer.publish", .object(other))
        #expect(foreign.status == 1)
        #expect(foreign.stderr.contains("code -32003"))
        let question = try asNobody("question.submit", QuestionTests.submitParams(1))
        #expect(question.stderr.contains("Forbidden: role educator may not call question.submit"))
        let event = try daemon.call("events.read", ["from": 1])["events"]?.arrayValue?.first
        #expect(event?["actor"]?["role"] == "educator")
        #expect(event?["actor"]?["uid"] == 65534)
        #expect(try daemon.call("system.status")["position"] == 1)
    }
}
