import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// The daemon's side of notifications through the real socket: `notification.record` appends
/// NotificationDelivered or NotificationFailed (a retry with the same requestId appends nothing), and the
/// `notifier` role may read reminders, events and addresses and record deliveries, nothing else.
@Suite struct NotificationTests {
    static let config = ReminderTests.config(intakeDays: ReminderTests.shortDays, extra: #", "people": {"alice": {"email": "alice@leiden.nl"}}"#)
        .replacingOccurrences(of: #""nobody": "coordinator""#, with: #""nobody": "notifier""#)

    /// A delivery of a reminder is recorded once whatever the retries, lists in the reminder's history, and a
    /// failure needs its reason; bad params name the field and append nothing.
    @Test func deliveriesAreRecordedOnce() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: Self.config)
        try ReminderTests.submit(daemon, "Eenzaamheid in de Stevenshof")
        #expect(try ReminderTests.waitForReminders(daemon, count: 1).count == 1)
        let params: JSONValue = ["reminder": "A-0001", "channel": "email", "message": "<A-0001.3f2a@lmds.leiden.nl>", "attempt": 1,
                                 "outcome": "delivered", "requestId": "notify-A-0001-3f2a-1"]
        let first = try daemon.call("notification.record", params)
        #expect(first["outcome"] == "delivered" && first["position"]?.integerValue != nil)
        #expect(try daemon.call("notification.record", params) == first, "a retry returns the first result")
        let failed = try daemon.call("notification.record", ["event": 1, "channel": "webhook", "message": "d-1", "attempt": 2, "outcome": "failed",
                                                             "reason": "HTTP 503"])
        #expect(failed["outcome"] == "failed")
        let history = try daemon.call("history.get", ["id": "A-0001"])["events"]?.arrayValue ?? []
        #expect(history.filter { $0["type"] == "NotificationDelivered" }.count == 1)
        let head = try daemon.call("system.status")["position"]
        let client = try daemon.client()
        let cases: [(JSONValue, Int64, String)] = [
            (["reminder": "A-0001", "channel": "sms", "message": "m", "attempt": 1, "outcome": "delivered"], RPCErrorCode.validation, "channel"),
            (["reminder": "A-0001", "channel": "email", "message": "m", "attempt": 1, "outcome": "failed"], RPCErrorCode.invalidParams, "reason"),
            (["channel": "email", "message": "m", "attempt": 1, "outcome": "delivered"], RPCErrorCode.invalidParams, "reminder"),
            (["reminder": "Q-0001", "channel": "email", "message": "m", "attempt": 1, "outcome": "delivered"], RPCErrorCode.validation, "reminder"),
            (["reminder": "A-0001", "channel": "email", "message": "m", "attempt": 0, "outcome": "delivered"], RPCErrorCode.invalidParams, "attempt"),
        ]
        for (params, code, field) in cases {
            guard case .failure(let error) = try client.call("notification.record", params) else {
                Issue.record("\(params) was accepted")
                continue
            }
            #expect(error.code == code && error.data?["field"]?.stringValue == field, "\(params): \(error)")
        }
        #expect(try daemon.call("system.status")["position"] == head)
        try SnapshotTests.replayCheck(workspace)
        #expect(daemon.stop() == 0)
    }

    /// A requester's opt-in at submission (`requester.notify`) is kept with the question (question.get, the
    /// log) and needs an e-mail address; a non-boolean is refused by field.
    @Test func requesterOptsInAtSubmission() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        var params = CollaborationTests.question.objectValue!
        var requester = params["requester"]!.objectValue!
        requester["notify"] = true
        params["requester"] = .object(requester)
        _ = try daemon.call("question.submit", .object(params))
        #expect(try daemon.call("question.get", ["id": "Q-0001"])["requester"]?["notify"] == true)
        let events = try daemon.call("events.read", ["from": 1])["events"]?.arrayValue ?? []
        #expect(events.first?["data"]?["requester"]?["notify"] == true && events.first?["data"]?["requester"]?["email"] == nil)
        let client = try daemon.client()
        for (value, code, field) in [(JSONValue.string("yes"), RPCErrorCode.invalidParams, "requester.notify")] {
            requester["notify"] = value
            params["requester"] = .object(requester)
            guard case .failure(let error) = try client.call("question.submit", .object(params)) else { Issue.record("accepted"); continue }
            #expect(error.code == code && error.data?["field"]?.stringValue == field, "\(error)")
        }
        requester["notify"] = true
        requester["email"] = nil
        params["requester"] = .object(requester)
        guard case .failure(let error) = try client.call("question.submit", .object(params)) else {
            Issue.record("an opt-in without an e-mail address was accepted")
            return
        }
        #expect(error.code == RPCErrorCode.validation && error.data?["field"]?.stringValue == "requester.notify", "\(error)")
        #expect(daemon.stop() == 0)
    }

    /// A user with the notifier role reads every reminder, the events and a requester's address, records a
    /// delivery, and is refused everything else (a list of questions, a domain write).
    @Test(.enabled(if: AuthorizationTests.canSwitchUser, "needs root and setpriv"))
    func theNotifierRoleReadsWhatItDeliversAndNothingElse() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: Self.config)
        try ReminderTests.submit(daemon, "Eenzaamheid in de Stevenshof")
        #expect(try ReminderTests.waitForReminders(daemon, count: 1).count == 1)
        AuthorizationTests.openSocket(workspace)
        func call(_ method: String, _ params: String) throws -> ProcessResult {
            try AuthorizationTests.runAsNobody(["call", method, params, "--json", "--socket", workspace.socketPath])
        }
        let reminders = try call("reminder.list", "{}")
        #expect(reminders.status == 0 && reminders.stdout.contains("A-0001"), "\(reminders.stdout) \(reminders.stderr)")
        #expect(try call("events.read", #"{"from": 1}"#).status == 0)
        let person = try call("person.get", #"{"id": "C-0001"}"#)
        #expect(person.status == 0 && person.stdout.contains("anouk@example.nl"), "\(person.stdout) \(person.stderr)")
        let recorded = try call("notification.record", #"{"reminder": "A-0001", "channel": "email", "message": "m-1", "attempt": 1, "outcome": "delivered"}"#)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        for (method, params) in [("question.list", "{}"), ("question.accept", #"{"id": "Q-0001"}"#), ("report.get", #"{"name": "overview"}"#)] {
            let refused = try call(method, params)
            #expect(refused.status == 1 && refused.stderr.contains("role notifier may not call"), "\(method): \(refused.stderr)")
        }
        #expect(daemon.stop() == 0)
    }
}
