import LMDSJSON

/// The config file's notification keys, `notifications` (how e-mail and webhooks are sent) and `people`
/// (user name → e-mail address and digest, for coordinators and educators). `lmdsd` checks them and
/// otherwise leaves them alone (addresses never enter the log); `lmds-notify`, which reads the same file,
/// delivers with them. Here, not in the daemon, so that both read them the same way.
///
/// ```json
/// {"notifications": {"email": {"sendmail": ["/usr/sbin/sendmail", "-t", "-oi"], "from": "lmds@leiden.nl",
///   "digest": "immediate"}, "webhooks": [{"url": "https://...", "events": ["ReminderRaised"], "secret": "..."}]},
///  "people": {"alice": {"email": "alice@leiden.nl", "digest": "daily 08:00"}}}
/// ```
public struct NotificationConfig: Sendable, Hashable {
    /// When a recipient's messages go out: one per reminder, or one digest a day at a local time.
    public enum Digest: Sendable, Hashable {
        case immediate
        /// Minutes after local midnight (`daily 08:00` is 480).
        case daily(minuteOfDay: Int)

        /// `immediate` or `daily HH:MM` (24-hour clock); nil for anything else.
        public init?(text: String) {
            if text == "immediate" {
                self = .immediate
                return
            }
            let parts = text.split(separator: " ")
            guard parts.count == 2, parts[0] == "daily" else { return nil }
            let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false)
            guard clock.count == 2, clock.allSatisfy({ $0.count == 2 }), let hour = Int(clock[0]), let minute = Int(clock[1]),
                (0..<24).contains(hour), (0..<60).contains(minute)
            else { return nil }
            self = .daily(minuteOfDay: hour * 60 + minute)
        }
    }

    /// How e-mail is sent: the sendmail command (the message on its standard input), the sender, the
    /// digest for recipients who choose none.
    public struct Email: Sendable, Hashable {
        public var sendmail: [String]
        public var from: String?
        public var digest: Digest
    }

    /// An HTTP POST of each matching event or reminder, signed with `secret` (HMAC-SHA256).
    public struct Webhook: Sendable, Hashable {
        public var url: String
        /// Event types or reminder rules it receives.
        public var events: [String]
        public var secret: String
    }

    /// A user's address and digest.
    public struct Person: Sendable, Hashable {
        public var email: String?
        public var digest: Digest?
    }

    public var email = Email(sendmail: ["/usr/sbin/sendmail", "-t", "-oi"], from: nil, digest: .immediate)
    public var webhooks: [Webhook] = []
    /// By user name.
    public var people: [String: Person] = [:]

    /// Webhooks at most: each delivery is one POST per webhook, retried.
    public static let webhooksMax = 32
    /// People at most: the table is read at start and kept in memory (a few hundred bytes each).
    public static let peopleMax = 10_000
    /// Bounds on one address, URL, secret, command and event list: each bounds what the notifier keeps and
    /// sends per entry.
    static let addressBytesMax = 254
    static let urlBytesMax = 2_000
    static let secretBytesMin = 16
    static let secretBytesMax = 1_024
    static let argumentsMax = 32
    static let webhookEventsMax = 100

    /// Nothing configured: e-mail through `/usr/sbin/sendmail -t -oi`, immediate; no webhooks, no people.
    public init() {}

    /// Reads the two keys of a config object; either may be absent (nil).
    /// - Throws: `NotificationConfigError` naming the key (`notifications.email.digest`, `people.alice.email`).
    public init(notifications: JSONValue?, people: JSONValue?) throws(NotificationConfigError) {
        if let notifications {
            let members = try Self.object(notifications, "notifications", keys: ["email", "webhooks"])
            if let email = members["email"] { self.email = try Self.email(email) }
            if let webhooks = members["webhooks"] { self.webhooks = try Self.webhooks(webhooks) }
        }
        if let people { self.people = try Self.people(people) }
    }

    static func email(_ value: JSONValue) throws(NotificationConfigError) -> Email {
        let members = try object(value, "notifications.email", keys: ["sendmail", "from", "digest"])
        var email = NotificationConfig().email
        if let sendmail = members["sendmail"] {
            guard let arguments = sendmail.arrayValue?.compactMap(\.stringValue), arguments.count == sendmail.arrayValue?.count,
                !arguments.isEmpty, arguments.count <= argumentsMax, arguments[0].hasPrefix("/"), arguments.allSatisfy({ !$0.isEmpty })
            else {
                throw NotificationConfigError("notifications.email.sendmail must be a command as an array of strings, an absolute path first (at most \(argumentsMax))")
            }
            email.sendmail = arguments
        }
        if let from = members["from"] { email.from = try address(from, "notifications.email.from") }
        if let digest = members["digest"] { email.digest = try self.digest(digest, "notifications.email.digest") }
        return email
    }

    static func webhooks(_ value: JSONValue) throws(NotificationConfigError) -> [Webhook] {
        guard let entries = value.arrayValue, entries.count <= webhooksMax else {
            throw NotificationConfigError("notifications.webhooks must be an array of at most \(webhooksMax) webhooks")
        }
        var webhooks: [Webhook] = []
        for (index, entry) in entries.enumerated() {
            let field = "notifications.webhooks[\(index)]"
            let members = try object(entry, field, keys: ["url", "events", "secret"])
            guard let url = members["url"]?.stringValue, url.hasPrefix("https://") || url.hasPrefix("http://"), url.utf8.count <= urlBytesMax else {
                throw NotificationConfigError("\(field).url must be an http or https URL of at most \(urlBytesMax) bytes")
            }
            guard let list = members["events"]?.arrayValue, !list.isEmpty, list.count <= webhookEventsMax,
                case let events = list.compactMap(\.stringValue), events.count == list.count, events.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 64 })
            else {
                throw NotificationConfigError("\(field).events must list 1 to \(webhookEventsMax) event types or reminder rules")
            }
            guard let secret = members["secret"]?.stringValue, (secretBytesMin...secretBytesMax).contains(secret.utf8.count) else {
                throw NotificationConfigError("\(field).secret must be a string of \(secretBytesMin) to \(secretBytesMax) bytes")
            }
            webhooks.append(Webhook(url: url, events: events, secret: secret))
        }
        return webhooks
    }

    static func people(_ value: JSONValue) throws(NotificationConfigError) -> [String: Person] {
        guard case .object(let table) = value, table.count <= peopleMax else {
            throw NotificationConfigError("people must map at most \(peopleMax) user names to {email, digest}")
        }
        var people: [String: Person] = [:]
        for (name, entry) in table {
            let members = try object(entry, "people.\(name)", keys: ["email", "digest"])
            people[name] = Person(email: try members["email"].map { value throws(NotificationConfigError) in try address(value, "people.\(name).email") },
                                  digest: try members["digest"].map { value throws(NotificationConfigError) in try digest(value, "people.\(name).digest") })
        }
        return people
    }

    /// The members of an object that holds only `keys`.
    static func object(_ value: JSONValue, _ field: String, keys: [String]) throws(NotificationConfigError) -> [String: JSONValue] {
        guard case .object(let members) = value else { throw NotificationConfigError("\(field) must be an object (\(keys.joined(separator: ", ")))") }
        for key in members.keys.sorted() where !keys.contains(key) {
            throw NotificationConfigError("\(field).\(key): unknown key (\(keys.joined(separator: ", ")))")
        }
        return members
    }

    static func address(_ value: JSONValue, _ field: String) throws(NotificationConfigError) -> String {
        guard let text = value.stringValue, text.utf8.count <= addressBytesMax, text.split(separator: "@").count == 2,
            !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" })
        else { throw NotificationConfigError("\(field) must be an e-mail address such as coordinatie@leiden.nl") }
        return text
    }

    static func digest(_ value: JSONValue, _ field: String) throws(NotificationConfigError) -> Digest {
        guard let digest = value.stringValue.flatMap(Digest.init(text:)) else {
            throw NotificationConfigError("\(field) must be \"immediate\" or \"daily HH:MM\" (such as \"daily 08:00\")")
        }
        return digest
    }
}

/// A notification key of the config that cannot be used, naming it.
public struct NotificationConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
