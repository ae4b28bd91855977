import Foundation
import LMDSCalendar
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
    /// The programme's time zone (`timeZone`, as lmdsd's; Europe/Amsterdam when unset): the clock of `daily HH:MM`.
    public var timeZone: TimeZone

    public init(notifications: NotificationConfig = NotificationConfig(), roles: [String: String] = [:], institutions: [String: String] = [:],
                timeZone: TimeZone = Self.defaultTimeZone) {
        self.notifications = notifications
        self.roles = roles
        self.institutions = institutions
        self.timeZone = timeZone
    }

    public static let defaultTimeZone = TimeZone(identifier: "Europe/Amsterdam") ?? TimeZone(secondsFromGMT: 3600)!

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
                      roles: Self.names(json["roles"]?["users"]), institutions: Self.names(json["institutions"]?["users"]),
                      timeZone: json["timeZone"]?.stringValue.flatMap(TimeZone.init(identifier:)) ?? Self.defaultTimeZone)
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

    /// A user's digest: their own (`people`), else `notifications.email.digest`.
    public func digest(of user: String) -> NotificationConfig.Digest { notifications.people[user]?.digest ?? notifications.email.digest }

    /// The local date and minute of the day of a moment (ms) in the programme's time zone.
    public func localDayAndMinute(_ milliseconds: Int64) -> (day: String, minute: Int) {
        let offsetMs = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(milliseconds) / 1000))) * 1000
        let (days, rest) = CivilCalendar.floorDivide(milliseconds + offsetMs, 86_400_000)
        let date = CivilCalendar.civil(daysSinceEpoch: Int(days))
        return (MessagePlanner.isoDate(date), Int(rest / 60_000))
    }

    /// Whether `user`'s daily digest is due at `nowMs`: their time of day has come and none went out today.
    public func digestIsDue(for user: String, lastDay: String?, nowMs: Int64) -> Bool {
        guard case .daily(let minuteOfDay) = digest(of: user) else { return true }
        let local = localDayAndMinute(nowMs)
        return local.minute >= minuteOfDay && lastDay != local.day
    }
}
