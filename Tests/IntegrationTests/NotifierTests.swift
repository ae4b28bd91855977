import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// lmds-notify through real processes: lmdsd, lmds-notify, msmtp as the sendmail command, and a local SMTP
/// server (aiosmtpd, Tests/IntegrationTests/smtp-sink.py) that writes each message it receives to a directory.
@Suite(.serialized) struct NotifierTests {
    /// A running receiver (the SMTP sink, or with `webhook-sink.py` the webhook receiver) and what it received.
    final class SMTPSink {
        let process = Process()
        let directory: String
        let port: Int

        init(_ workspace: Workspace, script: String = "smtp-sink.py", arguments: [String] = []) throws {
            directory = workspace.path + "/" + script
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", Binaries.repositoryRoot + "/Tests/IntegrationTests/" + script, directory] + arguments
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw TestFailure("smtp-sink.py ended before telling its port") }
                line += chunk
            }
            guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw TestFailure("smtp-sink.py printed no port")
            }
            self.port = port
        }

        /// The messages received so far, in order, waiting (at most 15 s) until there are `count`.
        func messages(count: Int) -> [Mail] {
            files(".eml", count: count).compactMap { try? Mail(String(contentsOfFile: $0, encoding: .utf8)) }
        }

        /// The paths of the files ending in `suffix` written so far, in order, waiting (at most 15 s) for `count`.
        func files(_ suffix: String, count: Int) -> [String] {
            var files: [String] = []
            for _ in 0..<300 {
                files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
                if files.count >= count { break }
                usleep(50_000)
            }
            return files.map { directory + "/" + $0 }
        }

        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A received message: its headers by name and its body.
    struct Mail {
        let headers: [String: String]
        let body: String

        init(_ text: String) {
            let parts = text.components(separatedBy: "\n\n")
            var headers: [String: String] = [:]
            for line in parts[0].split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            self.headers = headers
            body = parts.dropFirst().joined(separator: "\n\n")
        }
    }

    /// A running lmds-notify.
    static func startNotifier(_ workspace: Workspace) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.directory + "/lmds-notify")
        process.arguments = ["--socket", workspace.socketPath, "--config", workspace.path + "/config.json", "--state-dir", workspace.path + "/notify"]
        process.standardError = FileHandle(forWritingAtPath: workspace.write("notify-\(UInt16.random(in: 0...UInt16.max)).log", ""))
        try process.run()
        return process
    }

    static func config(port: Int, alice: String = #"{"email": "alice@leiden.nl"}"#, webhooks: String = "[]") -> String {
        let sendmail = #"["/usr/bin/msmtp", "--host=127.0.0.1", "--port=\#(port)", "--auth=off", "--tls=off", "--from=lmds@leiden.nl", "-t"]"#
        return #"{"reminders": {"intakeWaitingDays": \#(ReminderTests.shortDays), "consentWaitingDays": false, "expiryWarningDays": false}, "#
            + #""roles": {"users": {"alice": "coordinator"}}, "#
            + #""notifications": {"email": {"sendmail": \#(sendmail), "from": "lmds@leiden.nl"}, "webhooks": \#(webhooks)}, "#
            + #""timeZone": "UTC", "people": {"alice": \#(alice)}}"#
    }

    /// A reminder falls due and reaches its coordinator, and the requester who opted in hears that the question
    /// was accepted: each message parsed (recipient, Dutch subject and body, a Message-ID from the reminder or
    /// event and the recipient), each delivery recorded once as NotificationDelivered. lmds-notify killed and
    /// started again sends nothing new; started with its state gone, it sends the same messages again with the
    /// same Message-IDs and the log records nothing twice.
    @Test func remindersAndStatusMessagesReachAnSMTPServer() throws {
        let workspace = Workspace()
        let sink = try SMTPSink(workspace)
        let daemon = try DaemonProcess(workspace: workspace, config: Self.config(port: sink.port))
        var notifier = try Self.startNotifier(workspace)
        defer { if notifier.isRunning { kill(notifier.processIdentifier, SIGKILL); notifier.waitUntilExit() } }
        var question = CollaborationTests.question.objectValue!
        question["requester"] = ["kind": "resident", "name": "Zoë Jansen", "email": "zoe@example.nl", "notify": true]
        _ = try daemon.call("question.submit", .object(question))
        _ = try ReminderTests.waitForReminders(daemon, count: 1)
        let reminderMail = sink.messages(count: 1)
        #expect(reminderMail.count == 1)
        let reminder = try #require(reminderMail.first)
        #expect(reminder.headers["X-Envelope-To"] == "alice@leiden.nl" && reminder.headers["To"] == "alice@leiden.nl")
        #expect(reminder.headers["Subject"] == "Herinnering A-0001: vraag Q-0001 wacht op intake")
        #expect(reminder.headers["Message-ID"] == "<lmds.A-0001.alice@leiden.nl>" && reminder.headers["From"] == "lmds@leiden.nl")
        #expect(reminder.body.hasPrefix("Beste alice,") && reminder.body.contains("staat sinds") && reminder.body.contains("in de intake"), "\(reminder.body)")

        _ = try daemon.call("question.accept", ["id": "Q-0001"])
        let mail = sink.messages(count: 2)
        let status = try #require(mail.count == 2 ? mail[1] : nil)
        let accepted = try #require(try daemon.call("events.read", ["from": 1, "limit": 100])["events"]?.arrayValue?.first { $0["type"] == "QuestionAccepted" })
        let position = try #require(accepted["position"]?.integerValue)
        #expect(status.headers["To"] == "zoe@example.nl" && status.headers["Message-ID"] == "<lmds.e\(position).C-0001@leiden.nl>")
        #expect(status.headers["Subject"] == "Uw vraag Q-0001 is aangenomen" && status.body.hasPrefix("Beste Zoë Jansen,"), "\(status.body)")
        #expect(try Self.deliveries(daemon, count: 2) == 2)
        // The notifier saves what it finished after the daemon answered its record: killed before that, it
        // would rightly send the message again (at least once); this part is about a restart after the save.
        #expect(Self.savedPosition(workspace, atLeast: position) >= position)

        kill(notifier.processIdentifier, SIGKILL)
        notifier.waitUntilExit()
        notifier = try Self.startNotifier(workspace)
        usleep(1_500_000)
        #expect(sink.messages(count: 2).count == 2, "a restart sends nothing it had sent")
        kill(notifier.processIdentifier, SIGKILL)
        notifier.waitUntilExit()
        try FileManager.default.removeItem(atPath: workspace.path + "/notify/state.json")
        notifier = try Self.startNotifier(workspace)
        let again = sink.messages(count: 4)
        #expect(again.count == 4 && again[2].headers["Message-ID"] == reminder.headers["Message-ID"] && again[3].headers["Message-ID"] == status.headers["Message-ID"])
        usleep(1_000_000)
        #expect(try Self.deliveries(daemon, count: 2) == 2, "the same message and attempt is recorded once")
        #expect(daemon.stop() == 0)
    }

    /// A user with a `daily 00:00` digest (UTC) gets the reminders raised while lmds-notify was down in one
    /// message, recorded for each reminder; a reminder raised after today's digest waits for tomorrow's.
    @Test func aDailyDigestListsTheWaitingReminders() throws {
        let workspace = Workspace()
        let sink = try SMTPSink(workspace)
        let daemon = try DaemonProcess(workspace: workspace, config: Self.config(port: sink.port, alice: #"{"email": "alice@leiden.nl", "digest": "daily 00:00"}"#))
        for title in ["Vraag één", "Vraag twee"] { try ReminderTests.submit(daemon, title) }
        _ = try ReminderTests.waitForReminders(daemon, count: 2)
        let notifier = try Self.startNotifier(workspace)
        defer { kill(notifier.processIdentifier, SIGKILL); notifier.waitUntilExit() }
        let digest = try #require(sink.messages(count: 1).first)
        let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        #expect(digest.headers["Message-ID"] == "<lmds.digest-\(today).alice@leiden.nl>" && digest.headers["Subject"] == "Uw herinneringen van \(today) (2)")
        #expect(digest.body.contains("- A-0001: vraag Q-0001 wacht op intake") && digest.body.contains("- A-0002: vraag Q-0002 wacht op intake"), "\(digest.body)")
        #expect(try Self.deliveries(daemon, count: 2) == 2)
        try ReminderTests.submit(daemon, "Vraag drie")
        _ = try ReminderTests.waitForReminders(daemon, count: 3)
        usleep(1_500_000)
        #expect(sink.messages(count: 1).count == 1, "one digest a day")
        #expect(daemon.stop() == 0)
    }

    /// A webhook listing a reminder rule and an event type receives each as a signed POST (the receiver checks
    /// the HMAC-SHA256 with the secret); the first POST, answered 500, is retried; every attempt is recorded
    /// (channel webhook), the failed one as NotificationFailed.
    @Test func webhooksAreSignedRetriedAndRecorded() throws {
        let workspace = Workspace()
        let secret = "een lang geheim van de stad Leiden"
        let smtp = try SMTPSink(workspace)
        let receiver = try SMTPSink(workspace, script: "webhook-sink.py", arguments: [secret])
        let webhooks = #"[{"url": "http://127.0.0.1:\#(receiver.port)/lmds", "events": ["intake-waiting", "QuestionAccepted"], "secret": "\#(secret)"}]"#
        let daemon = try DaemonProcess(workspace: workspace, config: Self.config(port: smtp.port, webhooks: webhooks))
        let notifier = try Self.startNotifier(workspace)
        defer { kill(notifier.processIdentifier, SIGKILL); notifier.waitUntilExit() }
        try ReminderTests.submit(daemon, "Vraag met een webhook")
        _ = try ReminderTests.waitForReminders(daemon, count: 1)
        _ = try daemon.call("question.accept", ["id": "Q-0001"])
        let posts = try receiver.files(".json", count: 3).map { try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: $0)))) }
        #expect(posts.count == 3 && posts.allSatisfy { $0["valid"] == true }, "\(posts)")
        #expect(posts.map { $0["message"] } == ["lmds.webhook0.A-0001", "lmds.webhook0.A-0001", .string(posts.last?["message"]?.stringValue ?? "")])
        #expect(posts.map { $0["event"]?["type"] } == ["ReminderRaised", "ReminderRaised", "QuestionAccepted"])
        #expect(posts.map { $0["answered"] } == [500, 204, 204])
        var events: [JSONValue] = []
        func recorded(_ type: String) -> [JSONValue] { events.filter { $0["type"] == .string(type) && $0["data"]?["channel"] == "webhook" } }
        for _ in 0..<100 where recorded("NotificationDelivered").count < 2 {
            usleep(50_000)
            events = try daemon.call("events.read", ["from": 1, "limit": 1000])["events"]?.arrayValue ?? []
        }
        #expect(recorded("NotificationFailed").count == 1 && recorded("NotificationDelivered").count == 2, "\(events)")
        #expect(daemon.stop() == 0)
    }

    /// NotificationDelivered events in the log, waiting (at most 5 s) until there are `count`.
    /// The position lmds-notify's `state.json` says it finished, polled until it reaches `position` (at most 5 s).
    static func savedPosition(_ workspace: Workspace, atLeast position: Int64) -> Int64 {
        var saved: Int64 = 0
        for _ in 0..<100 {
            if let data = FileManager.default.contents(atPath: workspace.path + "/notify/state.json"),
               let json = try? JSONParser.parse(Array(data)), let found = json["position"]?.integerValue {
                saved = found
                if saved >= position { break }
            }
            usleep(50_000)
        }
        return saved
    }

    static func deliveries(_ daemon: DaemonProcess, count: Int) throws -> Int {
        var found = 0
        for _ in 0..<100 {
            let events = try daemon.call("events.read", ["from": 1, "limit": 1000])["events"]?.arrayValue ?? []
            found = events.filter { $0["type"] == "NotificationDelivered" }.count
            if found >= count { break }
            usleep(50_000)
        }
        return found
    }
}
