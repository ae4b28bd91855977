import LMDSJSON

/// How a notification went out.
public enum NotificationChannel: String, Sendable, Hashable, CaseIterable {
    case email, webhook
}

/// What a notification was about: a reminder, or an event of the log (by position).
public enum NotificationSubject: Sendable, Hashable {
    case reminder(String)
    case event(position: Int64)

    var json: [String: JSONValue] {
        switch self {
        case .reminder(let id): return ["reminder": .string(id), "event": .null]
        case .event(let position): return ["reminder": .null, "event": .integer(position)]
        }
    }

    init?(_ data: JSONValue) {
        if let id = data["reminder"]?.stringValue {
            self = .reminder(id)
        } else if let position = data["event"]?.integerValue {
            self = .event(position: position)
        } else {
            return nil
        }
    }
}

/// One attempt to deliver a message, as `lmds-notify` reports it: never an address or a name. `message`
/// is the message's stable key (its `Message-ID`, or the webhook delivery's id), the same for every attempt
/// and every redelivery after a crash.
public struct NotificationAttempt: Sendable, Hashable {
    public let subject: NotificationSubject
    public let channel: NotificationChannel
    public let message: String
    /// 1 for the first attempt.
    public let attempt: Int
    /// Why it failed (a status or exit code, never an address); nil when delivered.
    public let failure: String?

    public init(subject: NotificationSubject, channel: NotificationChannel, message: String, attempt: Int, failure: String?) {
        self.subject = subject
        self.channel = channel
        self.message = message
        self.attempt = attempt
        self.failure = failure
    }

    var json: JSONValue {
        var members = subject.json
        members["channel"] = .string(channel.rawValue)
        members["message"] = .string(message)
        members["attempt"] = .integer(Int64(attempt))
        if let failure { members["reason"] = .string(failure) }
        return .object(members)
    }

    init?(json data: JSONValue, failed: Bool) {
        guard let subject = NotificationSubject(data), let channel = data["channel"]?.stringValue.flatMap(NotificationChannel.init(rawValue:)),
            let message = data["message"]?.stringValue, let attempt = data["attempt"]?.integerValue
        else { return nil }
        let failure = data["reason"]?.stringValue
        guard failed == (failure != nil) else { return nil }
        self.init(subject: subject, channel: channel, message: message, attempt: Int(attempt), failure: failure)
    }
}

/// Deliveries the notifier records (`NotificationDecider`).
public enum NotificationCommand: Sendable, Hashable {
    case record(NotificationAttempt)
}

/// Delivery facts, past tense.
public enum NotificationEvent: Sendable, Hashable {
    case notificationDelivered(NotificationAttempt)
    case notificationFailed(NotificationAttempt)

    public var type: String {
        switch self {
        case .notificationDelivered: return "NotificationDelivered"
        case .notificationFailed: return "NotificationFailed"
        }
    }

    /// The reminder it delivered, so that the reminder's history lists its deliveries; none for an event.
    public var entityIDs: [String] {
        switch self {
        case .notificationDelivered(let attempt), .notificationFailed(let attempt):
            if case .reminder(let id) = attempt.subject { return [id] }
            return []
        }
    }

    public var data: JSONValue {
        switch self {
        case .notificationDelivered(let attempt), .notificationFailed(let attempt): return attempt.json
        }
    }

    public init?(type: String, data: JSONValue) {
        switch type {
        case "NotificationDelivered":
            guard let attempt = NotificationAttempt(json: data, failed: false) else { return nil }
            self = .notificationDelivered(attempt)
        case "NotificationFailed":
            guard let attempt = NotificationAttempt(json: data, failed: true) else { return nil }
            self = .notificationFailed(attempt)
        default:
            return nil
        }
    }
}

/// The deliveries' read model, one stored property of `DomainState`: how many messages were delivered and
/// how many attempts failed, per reminder (the report and the notifier's crash check read it).
public struct NotificationState: Sendable, Hashable {
    /// The messages delivered at least once, by reminder.
    public private(set) var deliveredByReminder: [String: Set<String>] = [:]
    public private(set) var deliveredCount = 0
    public private(set) var failedCount = 0

    public init() {}

    mutating func apply(_ event: NotificationEvent) {
        switch event {
        case .notificationDelivered(let attempt):
            deliveredCount += 1
            if case .reminder(let id) = attempt.subject { deliveredByReminder[id, default: []].insert(attempt.message) }
        case .notificationFailed:
            failedCount += 1
        }
    }

    /// The state as canonical JSON: the snapshot's and the digest's form.
    public var json: JSONValue {
        [
            "delivered": .integer(Int64(deliveredCount)), "failed": .integer(Int64(failedCount)),
            "byReminder": .object(deliveredByReminder.mapValues { .array($0.sorted().map { .string($0) }) }),
        ]
    }

    /// The state `json` describes; nil when it does not fit.
    public init?(json: JSONValue) {
        guard let delivered = json["delivered"]?.integerValue, let failed = json["failed"]?.integerValue,
            case .object(let table)? = json["byReminder"]
        else { return nil }
        deliveredCount = Int(delivered)
        failedCount = Int(failed)
        for (id, messages) in table { deliveredByReminder[id] = Set((messages.arrayValue ?? []).compactMap(\.stringValue)) }
    }

    /// Whether nothing was recorded.
    public var isEmpty: Bool { deliveredCount == 0 && failedCount == 0 }
}

/// Limits on recorded deliveries.
public enum NotificationLimits {
    /// A message key (a `Message-ID` is at most 998 bytes by RFC 5322; ours are about 60).
    public static let messageBytesMax = 200
    public static let reasonBytesMax = 500
    /// Attempts of one message at most: the notifier gives up (and records the failure) before this.
    public static let attemptsMax = 1_000
}
