import LMDSCalendar
import LMDSJSON

/// One message to send: what it is about, to whom, and its text's template and values.
public struct PlannedMessage: Sendable, Hashable {
    /// Who receives it: a configured user (address from `people`) or a requester's contact (address from
    /// the personal table through `person.get`, at delivery).
    public enum Recipient: Sendable, Hashable {
        case user(String)
        case contact(String)

        /// The name used in its `Message-ID`.
        var key: String {
            switch self {
            case .user(let name): return name
            case .contact(let id): return id
            }
        }
    }

    /// A reminder (`A-0001`) or, for a requester's status message, the event's log position.
    public enum Subject: Sendable, Hashable {
        case reminder(String)
        case event(position: Int64)

        var key: String {
            switch self {
            case .reminder(let id): return id
            case .event(let position): return "e\(position)"
            }
        }
    }

    public let subject: Subject
    public let recipient: Recipient
    public let template: String
    /// Template values except `recipient`, added at delivery (the name to greet).
    public let values: [String: String]

    /// Stable for the same subject and recipient, whatever the attempt or run: a redelivery after a crash is
    /// recognisably the same message. Only letters, digits, `.`, `-` and `_` before the `@`.
    public func messageID(domain: String) -> String {
        "lmds.\(subject.key).\(Self.safe(recipient.key))@\(domain)"
    }

    static func safe(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
    }
}

/// Which messages an event asks for (pure: the event, the directory and what the notifier learnt):
/// `ReminderRaised` one per recipient user with an address, and one to a requester recipient who opted in
/// (template `requester-reminder`: no inbox talk); a requester who opted in one when their question is
/// accepted, referred, matched, started or completed.
public enum MessagePlanner {
    /// The requester's status events and the section of the `status` template each selects.
    static let statusEvents = ["QuestionAccepted": "accepted", "QuestionReferred": "referred", "QuestionMatched": "matched",
                               "MatchStarted": "started", "QuestionCompleted": "completed"]

    public static func messages(for envelope: JSONValue, directory: NotifierDirectory, state: NotifierState) -> [PlannedMessage] {
        guard let type = envelope["type"]?.stringValue, let position = envelope["position"]?.integerValue else { return [] }
        let data = envelope["data"] ?? [:]
        if type == "ReminderRaised" { return reminderMessages(data, directory: directory, state: state) }
        guard let section = statusEvents[type], let id = data["id"]?.stringValue else { return [] }
        let question = type == "MatchStarted" ? state.matches[id] : id
        guard let question, let contact = state.requesters[question] else { return [] }
        var values = ["question": question, section: "yes"]
        if let startedOn = data["startedOn"]?.stringValue { values["date"] = startedOn }
        return [PlannedMessage(subject: .event(position: position), recipient: .contact(contact), template: "status", values: values)]
    }

    static func reminderMessages(_ data: JSONValue, directory: NotifierDirectory, state: NotifierState) -> [PlannedMessage] {
        guard let id = data["id"]?.stringValue, let rule = data["rule"]?.stringValue, let entity = data["entity"]?.stringValue else { return [] }
        var users: [String] = []
        for recipient in data["recipients"]?.arrayValue ?? [] {
            for user in directory.users(for: recipient) where !users.contains(user) && directory.address(of: user) != nil { users.append(user) }
        }
        let values = ["id": id, "rule": rule, rule: "yes", "entity": entity, "deadline": time(data["deadline"]), "due": time(data["dueAt"])]
        let optedIn = Set(state.requesters.values)
        let contacts = (data["recipients"]?.arrayValue ?? []).compactMap { $0["role"] == "requester" ? $0["contact"]?.stringValue : nil }
            .filter(optedIn.contains)
        return users.map { PlannedMessage(subject: .reminder(id), recipient: .user($0), template: "reminder", values: values) }
            + contacts.map { PlannedMessage(subject: .reminder(id), recipient: .contact($0), template: "requester-reminder", values: values) }
    }

    /// A log time (ms) as `2027-02-08 14:05 UTC`.
    static func time(_ value: JSONValue?) -> String {
        guard let milliseconds = value?.integerValue else { return "?" }
        let (days, rest) = CivilCalendar.floorDivide(milliseconds, 86_400_000)
        let minutes = Int(rest / 60_000)
        return "\(isoDate(CivilCalendar.civil(daysSinceEpoch: Int(days)))) \(two(minutes / 60)):\(two(minutes % 60)) UTC"
    }

    /// `2027-02-08`.
    static func isoDate(_ date: (year: Int, month: Int, day: Int)) -> String { "\(date.year)-\(two(date.month))-\(two(date.day))" }

    static func two(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }
}
