import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// Reminders through the real daemon and CLI: raised by `lmdsd (system)` on its timer once a rule's
/// threshold passes (thresholds of seconds in the config, as the expiry tests do), listed per person,
/// acknowledged, resolved by the answering event, reported; a changed threshold affects only later ones.
@Suite struct ReminderTests {
    /// About 1.7 seconds.
    static let shortDays = 0.00002

    static func config(intakeDays: Double, extra: String = "") -> String {
        #"{"reminders": {"intakeWaitingDays": \#(intakeDays), "consentWaitingDays": false, "expiryWarningDays": false}"#
            + #", "roles": {"users": {"alice": "coordinator", "nobody": "coordinator"}}\#(extra)}"#
    }

    static func submit(_ daemon: DaemonProcess, _ title: String) throws {
        var params = CollaborationTests.question.objectValue!
        params["title"] = .string(title)
        _ = try daemon.call("question.submit", .object(params))
    }

    /// Waits (at most 10 s) until `reminder.list {status: all}` lists `count` reminders, and returns them.
    static func waitForReminders(_ daemon: DaemonProcess, count: Int) throws -> [JSONValue] {
        var reminders: [JSONValue] = []
        for _ in 0..<200 {
            reminders = try daemon.call("reminder.list", ["status": "all"])["reminders"]?.arrayValue ?? []
            if reminders.count >= count { break }
            usleep(50_000)
        }
        return reminders
    }

    /// A question left in intake past `intakeWaitingDays` gets one reminder, appended by the daemon as
    /// ReminderRaised; the inbox lists it for a coordinator, not for a user without a role; `lmds inbox ack`
    /// acknowledges it; accepting the question resolves it in the same append; no second reminder is raised;
    /// `report.get reminders` counts it in every format; a replay of the log gives the same read models.
    @Test func raisedListedAcknowledgedResolvedAndReported() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: Self.config(intakeDays: Self.shortDays))
        try Self.submit(daemon, "Eenzaamheid in het Bos- en Gasthuisdistrict")
        let reminders = try Self.waitForReminders(daemon, count: 1)
        #expect(reminders.count == 1)
        let reminder = try #require(reminders.first)
        #expect(reminder["id"] == "A-0001" && reminder["rule"] == "intake-waiting" && reminder["entity"] == "Q-0001" && reminder["status"] == "open")
        #expect(reminder["recipients"] == [["role": "coordinator"]])
        #expect(reminder["dueAt"]?.stringValue?.hasSuffix("Z") == true)
        // The state shows the reminder as soon as it is decided; the history lists it once it is committed.
        var history: [JSONValue] = []
        for _ in 0..<200 {
            history = try daemon.call("history.get", ["id": "Q-0001"])["events"]?.arrayValue ?? []
            if history.last?["type"] == "ReminderRaised" { break }
            usleep(20_000)
        }
        #expect(history.last?["type"] == "ReminderRaised" && history.last?["actor"]?["role"] == "system")
        #expect(history.last?["summary"] == "A-0001 raised: intake-waiting for Q-0001, to coordinator")

        let inbox = try CollaborationTests.cli(workspace, ["inbox", "--for", "alice"])
        #expect(inbox.status == 0 && inbox.stdout.contains("A-0001") && inbox.stdout.contains("intake-waiting"), "\(inbox.stdout) \(inbox.stderr)")
        #expect(try CollaborationTests.cli(workspace, ["inbox", "--for", "carol"]).stdout.contains("no open reminders"))
        let ack = try CollaborationTests.cli(workspace, ["inbox", "ack", "A-0001"])
        #expect(ack.status == 0 && ack.stdout.contains("A-0001 acknowledged"), "\(ack.stdout) \(ack.stderr)")
        #expect(try daemon.call("reminder.list")["total"] == 0)
        #expect(try daemon.call("reminder.list", ["status": "acknowledged"])["total"] == 1)

        _ = try daemon.call("question.accept", ["id": "Q-0001"])
        let resolved = try daemon.call("reminder.list", ["status": "resolved"])["reminders"]?.arrayValue?.first
        #expect(resolved?["resolvedBy"] == "QuestionAccepted" && resolved?["acknowledgedBy"] != .null)
        let own = try daemon.call("history.get", ["id": "A-0001"])["events"]?.arrayValue?.compactMap { $0["summary"]?.stringValue }
        #expect(own?.dropFirst() == ["A-0001 acknowledged by \(NSUserName())", "A-0001 resolved by QuestionAccepted"], "\(own ?? [])")
        let all = try CollaborationTests.cli(workspace, ["inbox", "--all"])
        #expect(all.stdout.contains("A-0001") && all.stdout.contains("resolved"), "\(all.stdout)")
        usleep(2_500_000)
        #expect(try daemon.call("reminder.list", ["status": "all"])["total"] == 1, "at most once per rule, entity and deadline")

        let report = try daemon.call("report.get", ["name": "reminders"])["report"]
        let figures = report?["figures"]?.arrayValue ?? []
        #expect(figures.first { $0["label"] == "raised" }?["value"] == 1 && figures.first { $0["label"] == "resolved" }?["value"] == 1)
        for format in ["text", "csv", "markdown", "html"] {
            let content = try daemon.call("report.get", ["name": "reminders", "format": .string(format)])["content"]?.stringValue ?? ""
            #expect(content.contains("intake-waiting"), "\(format): \(content)")
        }
        let text = try CollaborationTests.cli(workspace, ["report", "reminders"])
        #expect(text.status == 0 && text.stdout.contains("intake-waiting"))
        try SnapshotTests.replayCheck(workspace)
        #expect(daemon.stop() == 0)
    }

    /// Issue 11 and 13 wired in: an owned question's reminders are for its owner (the inbox of another
    /// coordinator stays empty); a milestone moved into the past is overdue at once (`milestoneOverdueDays` 0)
    /// and resolved by its completion; a stalled check-in raises `match-stalled`, resolved by a later check-in
    /// that is not stalled; a replay gives the same read models.
    @Test func ownersMilestonesAndStalledMatches() throws {
        let workspace = Workspace()
        let rules = #""intakeWaitingDays": false, "consentWaitingDays": false, "expiryWarningDays": false, "notStartedDays": false"#
        let config = #"{"reminders": {\#(rules), "milestoneOverdueDays": 0, "matchStalledDays": \#(Self.shortDays)}"#
            + #", "roles": {"users": {"alice": "coordinator", "nobody": "coordinator"}}}"#
        let daemon = try DaemonProcess(workspace: workspace, config: config)
        try ProgressTests.startedMatch(daemon)
        _ = try daemon.call("question.assign", ["id": "Q-0001", "owner": "alice"])
        _ = try daemon.call("milestone.revise", ["match": "M-0001", "milestone": 1, "due": "2026-01-05"])
        let overdue = try #require(try Self.waitForReminders(daemon, count: 1).first)
        #expect(overdue["rule"] == "milestone-overdue" && overdue["entity"] == "M-0001" && overdue["deadline"]?.stringValue?.hasPrefix("2026-01-05T00:00:00") == true, "\(overdue)")
        #expect(overdue["recipients"] == [["role": "user", "user": "alice"], ["role": "educator", "institution": "hogeschool-leiden"]])
        _ = try daemon.call("checkin.record", ["match": "M-0001", "health": "stalled"])
        let stalled = try Self.waitForReminders(daemon, count: 2)
        #expect(stalled.map { $0["rule"] } == ["milestone-overdue", "match-stalled"], "\(stalled)")

        let inbox = try CollaborationTests.cli(workspace, ["inbox", "--for", "alice"])
        #expect(inbox.stdout.contains("milestone-overdue") && inbox.stdout.contains("match-stalled"), "\(inbox.stdout) \(inbox.stderr)")
        #expect(try CollaborationTests.cli(workspace, ["inbox", "--for", "nobody"]).stdout.contains("no open reminders"))

        _ = try daemon.call("milestone.complete", ["match": "M-0001", "milestone": 1])
        _ = try daemon.call("checkin.record", ["match": "M-0001", "health": "on-track"])
        let resolved = try daemon.call("reminder.list", ["status": "resolved"])["reminders"]?.arrayValue ?? []
        #expect(resolved.map { $0["resolvedBy"] } == ["MilestoneCompleted", "CheckInRecorded"], "\(resolved)")
        try SnapshotTests.replayCheck(workspace)
        #expect(daemon.stop() == 0)
    }

    /// A threshold raised in the config leaves the reminder already raised as it was and raises no new one
    /// for a question that has not waited the new threshold; lowered again, only the later question gets one.
    @Test func aChangedThresholdAffectsOnlyLaterReminders() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace, config: Self.config(intakeDays: Self.shortDays))
        try Self.submit(daemon, "Vraag 1")
        let first = try #require(try Self.waitForReminders(daemon, count: 1).first)
        #expect(daemon.stop() == 0)
        daemon = try DaemonProcess(workspace: workspace, config: Self.config(intakeDays: 7))
        try Self.submit(daemon, "Vraag 2")
        usleep(2_500_000)
        let unchanged = try daemon.call("reminder.list", ["status": "all"])["reminders"]?.arrayValue ?? []
        #expect(unchanged == [first], "the reminder raised before the change is the same and no new one was raised")
        #expect(daemon.stop() == 0)
        daemon = try DaemonProcess(workspace: workspace, config: Self.config(intakeDays: Self.shortDays))
        let reminders = try Self.waitForReminders(daemon, count: 2)
        #expect(reminders.map { $0["entity"] } == ["Q-0001", "Q-0002"])
        usleep(1_500_000)
        #expect(try daemon.call("reminder.list", ["status": "all"])["total"] == 2)
        #expect(daemon.stop() == 0)
    }

    /// Bad params are refused with the field named and append nothing; an unknown reminder is not found;
    /// a non-admin may not list another person's reminders; a config with an unknown rule is refused.
    @Test func refusalsNameTheField() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: Self.config(intakeDays: 7))
        let client = try daemon.client()
        let cases: [(String, JSONValue, Int64, String?)] = [
            ("reminder.list", ["status": "done"], RPCErrorCode.validation, "status"),
            ("reminder.list", ["rule": "late"], RPCErrorCode.validation, "rule"),
            ("reminder.list", ["for": 7], RPCErrorCode.invalidParams, "for"),
            ("reminder.acknowledge", ["id": "Q-0001"], RPCErrorCode.validation, "id"),
            ("reminder.acknowledge", [:], RPCErrorCode.invalidParams, "id"),
            ("reminder.acknowledge", ["id": "A-0042"], RPCErrorCode.notFound, nil),
        ]
        for (method, params, code, field) in cases {
            guard case .failure(let error) = try client.call(method, params) else {
                Issue.record("\(method) \(params) was accepted")
                continue
            }
            #expect(error.code == code, "\(method) \(params): \(error)")
            if let field { #expect(error.data?["field"]?.stringValue == field, "\(method) \(params): \(error)") }
        }
        #expect(try daemon.call("system.status")["position"] == 0)
        if AuthorizationTests.canSwitchUser {
            AuthorizationTests.openSocket(workspace)
            let own = try AuthorizationTests.runAsNobody(["inbox", "--socket", workspace.socketPath])
            #expect(own.status == 0 && own.stdout.contains("reminders for nobody"), "\(own.stdout) \(own.stderr)")
            let other = try AuthorizationTests.runAsNobody(["inbox", "--for", "alice", "--socket", workspace.socketPath])
            #expect(other.status == 1 && other.stderr.contains("only an admin"), "\(other.stdout) \(other.stderr)")
        }
        #expect(daemon.stop() == 0)
        let refused = try run(Binaries.daemon, ["--data-dir", workspace.dataDirectory, "--socket", workspace.socketPath,
                                                "--config", workspace.write("bad.json", #"{"reminders": {"lateDays": 3}}"#)])
        #expect(refused.status != 0 && refused.stderr.contains("reminders.lateDays: unknown key"), "\(refused.stderr)")
    }
}
