import Foundation
import LMDSJSON
import LMDSNotify
import LMDSProtocol
import Testing

/// lmds-notify's pure parts: which messages an event asks for, their stable ids, the Dutch templates, the
/// e-mail text, and the state it keeps.
@Suite struct NotifyTests {
    static let directory: NotifierDirectory = {
        let people: JSONValue = ["alice": ["email": "alice@leiden.nl"], "bob": ["email": "bob@hsleiden.nl"], "carol": ["email": "carol@leiden.nl"]]
        let notifications = try! NotificationConfig(notifications: nil, people: people)
        return NotifierDirectory(notifications: notifications, roles: ["alice": "coordinator", "carol": "coordinator", "bob": "educator", "dave": "coordinator"],
                                 institutions: ["bob": "hogeschool-leiden"])
    }()

    static func envelope(_ position: Int64, _ type: String, _ data: JSONValue) -> JSONValue {
        ["position": .integer(position), "type": .string(type), "data": data]
    }

    static let raised = envelope(7, "ReminderRaised", [
        "id": "A-0001", "rule": "milestone-overdue", "entity": "M-0001", "deadline": 1_802_044_800_000, "dueAt": 1_802_044_800_000,
        "recipients": [["role": "coordinator"], ["role": "educator", "institution": "hogeschool-leiden"], ["role": "user", "user": "alice"]],
    ])

    /// A reminder goes to every user its recipients stand for who has an address (dave has none), once each,
    /// with a Message-ID made of the reminder and the user only.
    @Test func aReminderGoesToEachRecipientWithAnAddress() {
        let messages = MessagePlanner.messages(for: Self.raised, directory: Self.directory, state: NotifierState())
        #expect(messages.map(\.recipient) == [.user("alice"), .user("carol"), .user("bob")])
        #expect(messages.first?.messageID(domain: "leiden.nl") == "lmds.A-0001.alice@leiden.nl")
        #expect(messages.first?.values["deadline"] == "2027-02-08 00:00 UTC")
    }

    /// A requester who opted in gets a message when the question is accepted and when its match starts;
    /// one who did not gets none; after `person.erase` none either.
    @Test func requestersOnlyWhenOptedInAndNotAfterErasure() {
        var state = NotifierState()
        state.learn(Self.envelope(1, "QuestionSubmitted", ["id": "Q-0001", "requester": ["kind": "resident", "contact": "C-0001", "notify": true]]))
        state.learn(Self.envelope(2, "QuestionSubmitted", ["id": "Q-0002", "requester": ["kind": "resident", "contact": "C-0002"]]))
        state.learn(Self.envelope(3, "MatchAgreed", ["id": "M-0001", "question": "Q-0001"]))
        let accepted = MessagePlanner.messages(for: Self.envelope(4, "QuestionAccepted", ["id": "Q-0001"]), directory: Self.directory, state: state)
        #expect(accepted.map(\.recipient) == [.contact("C-0001")] && accepted.first?.values["accepted"] == "yes")
        #expect(accepted.first?.messageID(domain: "leiden.nl") == "lmds.e4.C-0001@leiden.nl")
        #expect(MessagePlanner.messages(for: Self.envelope(5, "QuestionAccepted", ["id": "Q-0002"]), directory: Self.directory, state: state).isEmpty)
        let started = MessagePlanner.messages(for: Self.envelope(6, "MatchStarted", ["id": "M-0001", "startedOn": "2027-02-08"]),
                                              directory: Self.directory, state: state)
        #expect(started.first?.values["started"] == "yes" && started.first?.values["question"] == "Q-0001")
        state.learn(Self.envelope(7, "PersonalDataErased", ["contact": "C-0001"]))
        #expect(MessagePlanner.messages(for: Self.envelope(8, "QuestionCompleted", ["id": "Q-0001"]), directory: Self.directory, state: state).isEmpty)
    }

    /// A consent reminder naming the requester's contact reaches the requester only if they opted in, with
    /// the requester's own text (no inbox), and not after the contact's erasure.
    @Test func aRequesterRecipientOnlyWhenOptedIn() {
        let consent = Self.envelope(9, "ReminderRaised", [
            "id": "A-0002", "rule": "consent-waiting", "entity": "P-0001", "deadline": 0, "dueAt": 0,
            "recipients": [["role": "requester", "contact": "C-0001"], ["role": "requester", "contact": "C-0002"]],
        ])
        var state = NotifierState()
        state.learn(Self.envelope(1, "QuestionSubmitted", ["id": "Q-0001", "requester": ["kind": "resident", "contact": "C-0001", "notify": true]]))
        let messages = MessagePlanner.messages(for: consent, directory: Self.directory, state: state)
        #expect(messages.map(\.recipient) == [.contact("C-0001")] && messages.first?.template == "requester-reminder")
        #expect(messages.first?.messageID(domain: "leiden.nl") == "lmds.A-0002.C-0001@leiden.nl")
        var values: [String: Any] = messages.first?.values ?? [:]
        values["recipient"] = "Zoë"
        let (subject, body) = NotifyTemplates.embedded.render("requester-reminder", values)
        #expect(subject == "Er ligt een voorstel klaar voor uw vraag" && body.contains("wacht nog op uw instemming") && !body.contains("lmds inbox"))
        state.learn(Self.envelope(10, "PersonalDataErased", ["contact": "C-0001"]))
        #expect(MessagePlanner.messages(for: consent, directory: Self.directory, state: state).isEmpty)
    }

    /// The templates render Dutch text: the subject on the first line, then the body, values unescaped.
    @Test func templatesRenderDutch() throws {
        let message = try #require(MessagePlanner.messages(for: Self.raised, directory: Self.directory, state: NotifierState()).first)
        var values: [String: Any] = message.values
        values["recipient"] = "Anouk & Zoë"
        let (subject, body) = NotifyTemplates.embedded.render("reminder", values)
        #expect(subject == "Herinnering A-0001: mijlpaal van match M-0001 is verlopen")
        #expect(body.hasPrefix("Beste Anouk & Zoë,") && body.contains("moest op 2027-02-08 00:00 UTC klaar zijn"), "\(body)")
        let status = NotifyTemplates.embedded.render("status", ["question": "Q-0001", "accepted": "yes", "recipient": "Anna"])
        #expect(status.subject == "Uw vraag Q-0001 is aangenomen" && status.body.contains("heeft uw vraag Q-0001 aangenomen"))
    }

    /// A `daily 08:00` digest is due from 08:00 local time (Europe/Amsterdam: 07:00 UTC in winter), once a
    /// local day; `immediate` is always due.
    @Test func dailyDigestsFallDueOnceADayAtTheirTime() throws {
        let people: JSONValue = ["alice": ["email": "alice@leiden.nl", "digest": "daily 08:00"], "bob": ["email": "bob@leiden.nl"]]
        let directory = NotifierDirectory(notifications: try NotificationConfig(notifications: nil, people: people))
        let morning: Int64 = 1_796_626_800_000  // 2026-12-07T07:00:00Z, 08:00 in Leiden
        #expect(directory.localDayAndMinute(morning) == (day: "2026-12-07", minute: 480))
        #expect(!directory.digestIsDue(for: "alice", lastDay: nil, nowMs: morning - 60_000))
        #expect(directory.digestIsDue(for: "alice", lastDay: nil, nowMs: morning))
        #expect(directory.digestIsDue(for: "alice", lastDay: "2026-12-06", nowMs: morning + 3_600_000))
        #expect(!directory.digestIsDue(for: "alice", lastDay: "2026-12-07", nowMs: morning + 3_600_000), "one a day")
        #expect(directory.digestIsDue(for: "bob", lastDay: "2026-12-07", nowMs: morning - 60_000), "immediate")
    }

    /// The digest lists each waiting reminder with the same Dutch phrase as the reminder's own subject.
    @Test func digestListsTheReminders() throws {
        let message = try #require(MessagePlanner.messages(for: Self.raised, directory: Self.directory, state: NotifierState()).first)
        let second = ["id": "A-0002", "rule": "intake-waiting", "intake-waiting": "yes", "entity": "Q-0003", "due": "2026-12-07 06:00 UTC"]
        let context: [String: Any] = ["recipient": "alice", "day": "2026-12-07", "count": "2", "items": [message.values, second]]
        let (subject, body) = NotifyTemplates.embedded.render("digest", context)
        #expect(subject == "Uw herinneringen van 2026-12-07 (2)")
        #expect(body.contains("- A-0001: mijlpaal van match M-0001 is verlopen (sinds 2027-02-08 00:00 UTC)\n"), "\(body)")
        #expect(body.contains("- A-0002: vraag Q-0003 wacht op intake (sinds 2026-12-07 06:00 UTC)\n"), "\(body)")
    }

    /// The compiled-in templates are the files in Sources/LMDSNotify/Templates (run scripts/embed-notify).
    @Test func embeddedTemplatesMatchTheFiles() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/LMDSNotify/Templates")
        for name in NotifyTemplates.templateNames {
            let file = try String(contentsOf: directory.appendingPathComponent(name + ".mustache"), encoding: .utf8)
            #expect(NotifyTemplates.embeddedFiles[name + ".mustache"] == file, "run scripts/embed-notify")
        }
    }

    /// The e-mail: headers first, a Message-ID in angle brackets, a non-ASCII subject as RFC 2047, and no line
    /// break from a value can add a header.
    @Test func emailText() {
        let message = EmailMessage(from: "lmds@leiden.nl", to: "zoe@example.nl\nBcc: eve@example.nl", subject: "Vraag van Zoë", body: "Dag",
                                   messageID: "lmds.A-0001.alice@leiden.nl", date: "Mon, 07 Dec 2026 16:05:00 +0000")
        let lines = message.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.contains("Message-ID: <lmds.A-0001.alice@leiden.nl>") && lines.contains("To: zoe@example.nl Bcc: eve@example.nl"))
        #expect(lines.contains("Subject: =?UTF-8?B?\(Data("Vraag van Zoë".utf8).base64EncodedString())?="))
        #expect(message.text.hasSuffix("\n\nDag\n"))
    }

    /// A webhook gets the events whose type it lists and the reminders whose rule it lists; the signature is
    /// HMAC-SHA256 in hex (RFC 4231's second test case).
    @Test func webhookTargetsAndSignature() throws {
        let config = try NotificationConfig(notifications: ["webhooks": [
            ["url": "https://chat.example.nl/a", "events": ["QuestionAccepted"], "secret": "0123456789abcdef"],
            ["url": "https://chat.example.nl/b", "events": ["milestone-overdue"], "secret": "0123456789abcdef"],
        ]], people: nil)
        #expect(Webhooks.targets(of: Self.raised, in: config.webhooks) == [1])
        #expect(Webhooks.targets(of: Self.envelope(3, "QuestionAccepted", ["id": "Q-0001"]), in: config.webhooks) == [0])
        #expect(Webhooks.targets(of: Self.envelope(4, "QuestionRejected", ["id": "Q-0001"]), in: config.webhooks).isEmpty)
        #expect(Webhooks.signature(Array("what do ya want for nothing?".utf8), secret: "Jefe")
            == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// The state survives a save and a load; a directory without one starts at position 0.
    @Test func stateRoundTrips() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect(try NotifierState.load(directory: directory) == NotifierState())
        var state = NotifierState()
        state.position = 42
        state.learn(Self.envelope(1, "QuestionSubmitted", ["id": "Q-0001", "requester": ["kind": "resident", "contact": "C-0001", "notify": true]]))
        try state.save(directory: directory)
        #expect(try NotifierState.load(directory: directory) == state)
    }
}
