import Foundation
import LMDSJSON
import LMDSProtocol

/// The notifier's loop: follows the log through `events.subscribe` from the position after the one its
/// state directory holds, plans each event's messages, delivers them through sendmail, records each attempt
/// with `notification.record`, and saves its state after each delivered batch. A connection that drops ends
/// the run with an error (systemd starts it again; it resumes from its state).
public final class Notifier {
    let socketPath: String
    let directory: NotifierDirectory
    let stateDirectory: String
    let templates: NotifyTemplates
    let sendmail: Sendmail
    /// Posts webhooks (lmds-notify hands it AsyncHTTPClient); nil: webhooks are not sent.
    let postWebhook: Webhooks.Poster?
    /// Where progress and failures are written (standard error: the journal).
    let log: (String) -> Void
    var state: NotifierState
    var client: RPCClient?

    /// Attempts per message; each failed one is recorded, then the next waits `retryDelaySeconds` times
    /// the attempt number (1 s, 2 s): a dead MTA delays the stream by 3 s per message at most.
    public static let attemptsMax = 3
    static let retryDelaySeconds: UInt32 = 1
    /// Events after which the state is saved even when none of them was delivered, so that a restart does
    /// not read the whole log again (each save costs two fsyncs).
    static let eventsPerSaveMax: Int64 = 500
    /// How long the loop waits for an event before it looks whether a daily digest fell due.
    static let idleCheckMs: Int32 = 20_000

    public init(socketPath: String, directory: NotifierDirectory, stateDirectory: String, templates: NotifyTemplates = .embedded,
                postWebhook: Webhooks.Poster? = nil, log: @escaping (String) -> Void) throws(NotifyError) {
        self.postWebhook = postWebhook
        self.socketPath = socketPath
        self.directory = directory
        self.stateDirectory = stateDirectory
        self.templates = templates
        self.sendmail = Sendmail(command: directory.notifications.email.sendmail)
        self.log = log
        self.state = try NotifierState.load(directory: stateDirectory)
    }

    /// Runs until the connection ends.
    /// - Throws: `NotifyError` when the daemon cannot be reached, refuses the subscription or goes away, or
    ///   the state cannot be saved.
    public func run() throws(NotifyError) {
        let client: RPCClient
        do {
            client = try RPCClient(socketPath: socketPath)
            if case .failure(let error) = try client.call("events.subscribe", ["from": .integer(state.position + 1)]) {
                throw NotifyError("events.subscribe: \(error.message)")
            }
        } catch let error as NotifyError {
            throw error
        } catch {
            throw NotifyError("\(error)")
        }
        self.client = client
        log("following the log from position \(state.position + 1)")
        var unsaved: Int64 = 0
        while true {
            // Idle (nothing read and waiting): digests that fell due go out, then wait for the next event.
            if !client.hasBufferedMessage {
                if sendDueDigests(nowMs: Self.nowMs()) { try state.save(directory: stateDirectory) }
                var ready = pollfd(fd: client.descriptor, events: Int16(POLLIN), revents: 0)
                if poll(&ready, 1, Self.idleCheckMs) == 0 { continue }
            }
            let notification: JSONValue
            do {
                notification = try client.nextNotification()
            } catch {
                try state.save(directory: stateDirectory)
                throw NotifyError("the daemon went away: \(error)")
            }
            guard notification["method"] == "events.event", let envelope = notification["params"]?["event"],
                let position = envelope["position"]?.integerValue
            else { continue }
            let delivered = handle(envelope)
            state.position = position
            unsaved += 1
            if delivered || unsaved >= Self.eventsPerSaveMax {
                try state.save(directory: stateDirectory)
                unsaved = 0
            }
        }
    }

    /// Learns from the event and delivers its messages (or keeps a reminder for a daily digest); true when it
    /// had any.
    func handle(_ envelope: JSONValue) -> Bool {
        state.learn(envelope)
        let messages = MessagePlanner.messages(for: envelope, directory: directory, state: state)
        for message in messages {
            if case .user(let user) = message.recipient, case .daily = directory.digest(of: user) {
                state.digests[user, default: []].append(message.values)
            } else {
                deliver(message)
            }
        }
        let webhooks = postWebhook == nil ? [] : Webhooks.targets(of: envelope, in: directory.notifications.webhooks)
        for index in webhooks { post(envelope, to: index) }
        return !messages.isEmpty || !webhooks.isEmpty
    }

    /// POSTs the envelope to webhook `index`, signed, up to `Webhooks.attemptsMax` times with a doubling
    /// wait, each attempt recorded (`message` `lmds.webhookINDEX.SUBJECT`, stable like a Message-ID).
    func post(_ envelope: JSONValue, to index: Int) {
        guard let postWebhook, let position = envelope["position"]?.integerValue else { return }
        let webhook = directory.notifications.webhooks[index]
        let reminder = envelope["type"] == "ReminderRaised" ? envelope["data"]?["id"]?.stringValue : nil
        let subject: PlannedMessage.Subject = reminder.map { .reminder($0) } ?? .event(position: position)
        let message = "lmds.webhook\(index).\(subject.key)"
        let body = Webhooks.body(envelope)
        let headers = [("Content-Type", "application/json"), (Webhooks.signatureHeader, Webhooks.signature(body, secret: webhook.secret)),
                       ("X-Lmds-Message", message)]
        for attempt in 1...Webhooks.attemptsMax {
            let failure = postWebhook(webhook.url, body, headers)
            record(subject: subject, channel: "webhook", messageID: message, requestKey: message, attempt: attempt, failure: failure)
            guard let failure else {
                log("posted \(message) (attempt \(attempt))")
                return
            }
            log("attempt \(attempt) of \(message) failed: \(failure)")
            if attempt < Webhooks.attemptsMax { sleep(Webhooks.retryDelaySeconds << UInt32(attempt - 1)) }
        }
    }

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Sends each user's digest that fell due (one message listing their waiting reminders, at most one a
    /// day, `Message-ID` `lmds.digest-DAY.USER@DOMAIN`) and records it for each reminder in it; true when any
    /// went out.
    func sendDueDigests(nowMs: Int64) -> Bool {
        var sent = false
        for user in state.digests.keys.sorted() where directory.digestIsDue(for: user, lastDay: state.lastDigestDay[user], nowMs: nowMs) {
            let items = state.digests[user] ?? []
            let day = directory.localDayAndMinute(nowMs).day
            if let address = directory.address(of: user), !items.isEmpty {
                let context: [String: Any] = ["recipient": user, "day": day, "count": "\(items.count)", "items": items]
                let (subject, body) = templates.render("digest", context)
                let messageID = "lmds.digest-\(day).\(PlannedMessage.safe(user))@\(domain)"
                let message = EmailMessage(from: from, to: address, subject: subject, body: body, messageID: messageID, date: Self.rfc5322Date(Date()))
                send(message) { attempt, failure in
                    for reminder in items.compactMap({ $0["id"] }) {
                        record(subject: .reminder(reminder), messageID: messageID, requestKey: "\(messageID):\(reminder)", attempt: attempt, failure: failure)
                    }
                }
            }
            state.digests.removeValue(forKey: user)
            state.lastDigestDay[user] = day
            sent = true
        }
        return sent
    }

    /// The sender, and the domain of the `Message-ID`s (the sender's).
    var from: String { directory.notifications.email.from ?? "lmds@localhost" }
    var domain: String { String(from.split(separator: "@").last ?? "localhost") }

    /// Renders, sends (retrying) and records one message; a recipient without an address (or erased) gets none.
    func deliver(_ planned: PlannedMessage) {
        guard let (address, name) = addressAndName(planned.recipient) else { return }
        var values: [String: Any] = planned.values
        values["recipient"] = name
        let (subject, body) = templates.render(planned.template, values)
        let messageID = planned.messageID(domain: domain)
        let message = EmailMessage(from: from, to: address, subject: subject, body: body, messageID: messageID, date: Self.rfc5322Date(Date()))
        send(message) { attempt, failure in
            record(subject: planned.subject, messageID: messageID, requestKey: messageID, attempt: attempt, failure: failure)
        }
    }

    /// Hands `message` to sendmail, up to `attemptsMax` times, reporting each attempt to `recordAttempt`.
    func send(_ message: EmailMessage, recordAttempt: (Int, String?) -> Void) {
        let messageID = message.messageID
        for attempt in 1...Self.attemptsMax {
            let failure = sendmail.send(message)
            recordAttempt(attempt, failure)
            guard failure != nil else {
                log("delivered <\(messageID)> (attempt \(attempt))")
                return
            }
            log("attempt \(attempt) of <\(messageID)> failed: \(failure ?? "")")
            if attempt < Self.attemptsMax { sleep(Self.retryDelaySeconds * UInt32(attempt)) }
        }
    }

    /// A user's address from `people`; a contact's from `person.get`, unless erased or without one.
    func addressAndName(_ recipient: PlannedMessage.Recipient) -> (String, String)? {
        switch recipient {
        case .user(let name):
            return directory.address(of: name).map { ($0, name) }
        case .contact(let id):
            guard case .success(let person)? = try? client?.call("person.get", ["id": .string(id)]), person["erased"] == false,
                let email = person["email"]?.stringValue
            else { return nil }
            return (email, person["name"]?.stringValue ?? "meneer, mevrouw")
        }
    }

    /// `notification.record` with a `requestId` from the message (`requestKey`: the Message-ID, and for a
    /// digest the reminder too) and the attempt: recording it again after a crash appends nothing.
    func record(subject: PlannedMessage.Subject, channel: String = "email", messageID: String, requestKey: String, attempt: Int, failure: String?) {
        var params: [String: JSONValue] = [
            "channel": .string(channel), "message": .string(messageID), "attempt": .integer(Int64(attempt)),
            "outcome": failure == nil ? "delivered" : "failed", "requestId": .string("notify:\(requestKey):\(attempt)"),
        ]
        switch subject {
        case .reminder(let id): params["reminder"] = .string(id)
        case .event(let position): params["event"] = .integer(position)
        }
        if let failure { params["reason"] = .string(failure) }
        do {
            if case .failure(let error)? = try client?.call("notification.record", .object(params)) {
                log("notification.record for <\(messageID)> refused: \(error.message)")
            }
        } catch {
            log("notification.record for <\(messageID)>: \(error)")
        }
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
