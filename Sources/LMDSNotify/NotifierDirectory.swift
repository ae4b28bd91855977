import LMDSJSON
import LMDSProtocol

/// Who is who, from the config file lmdsd reads: the users' roles (`roles.users`), the educators'
/// institutions (`institutions.users`) and the addresses and digests (`notifications`, `people`). Addresses
/// stay here and in the personal table; they never enter the log.
public struct NotifierDirectory: Sendable {
    public var notifications: NotificationConfig
    /// Role per user name (`roles.users`).
    public var roles: [String: String]
    /// Institution per educator user name (`institutions.users`).
    public var institutions: [String: String]

    public init(notifications: NotificationConfig = NotificationConfig(), roles: [String: String] = [:], institutions: [String: String] = [:]) {
        self.notifications = notifications
        self.roles = roles
        self.institutions = institutions
    }

    /// The config file's bound, as lmdsd's.
    static let configBytesMax = 16 << 20

    /// Reads the config file at `path` (the keys lmds-notify needs; lmdsd checks the rest).
    /// - Throws: `NotifyError` naming the file or the key.
    public init(configFile path: String) throws(NotifyError) {
        let bytes: [UInt8]
        switch SmallFile.read(path, bytesMax: Self.configBytesMax) {
        case .success(let read): bytes = read
        case .failure(.unreadable(let reason)): throw NotifyError("\(path): \(reason)")
        case .failure(.tooLarge): throw NotifyError("\(path): larger than \(Self.configBytesMax) bytes")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw NotifyError("\(path): \(error)")
        }
        do {
            self.init(notifications: try NotificationConfig(notifications: json["notifications"], people: json["people"]),
                      roles: Self.names(json["roles"]?["users"]), institutions: Self.names(json["institutions"]?["users"]))
        } catch {
            throw NotifyError("\(path): \(error)")
        }
    }

    static func names(_ table: JSONValue?) -> [String: String] {
        guard case .object(let members)? = table else { return [:] }
        return members.compactMapValues(\.stringValue)
    }

    /// The user names a reminder's recipient (its JSON in `ReminderRaised`) stands for: a named user, every
    /// coordinator, an institution's educators. A requester gets status messages only (`MessagePlanner`).
    public func users(for recipient: JSONValue) -> [String] {
        switch recipient["role"]?.stringValue {
        case "user": return recipient["user"]?.stringValue.map { [$0] } ?? []
        case "coordinator": return roles.filter { $0.value == "coordinator" }.map(\.key).sorted()
        case "educator":
            let institution = recipient["institution"]?.stringValue
            return roles.filter { $0.value == "educator" && institutions[$0.key] == institution }.map(\.key).sorted()
        default: return []
        }
    }

    /// A user's e-mail address, when `people` gives one.
    public func address(of user: String) -> String? { notifications.people[user]?.email }
}
