import Domain
import Foundation
import LMDSJSON
import LMDSProtocol
import Matching

#if canImport(Glibc)
import Glibc
#endif

/// Limits on the daemon as a whole; each bounds memory or file descriptors one peer can take.
public enum ServerLimits {
    /// Open client connections at most; one more is answered with `unavailable` and closed.
    /// Each costs a file descriptor and up to `lineBytesMax` of buffer.
    public static let connectionsMaxDefault = 1024
    /// Requests waiting per connection before the daemon stops reading from it (back-pressure).
    public static let pendingLinesPerConnectionMax = 64
    /// A subscriber whose socket stays full this long is cut off; its buffer is bounded by NIO's
    /// write-buffer high-water mark meanwhile.
    public static let subscriberStallMsMax: Int64 = 10_000
    /// How often the daemon looks for proposals whose consent time ran out. A check costs one pass over
    /// the pending proposals; an expiry is appended at most this long after it fell due.
    public static let expiryCheckIntervalMs: Int64 = 1_000
    /// Events sent per pump of a subscription before yielding the event loop.
    public static let subscriptionChunkEventsMax = 256
    /// Subscriptions per connection at most.
    public static let subscriptionsPerConnectionMax = 16
    /// On SIGTERM, how long requests in flight may take to finish before the log closes regardless.
    public static let shutdownDrainMsMax: Int64 = 10_000
    /// `events.read` returns at most this many events per call.
    public static let readEventsMax: Int64 = 1000
}

/// What the config file may set. Everything is optional; the daemon runs without a file.
///
/// ```json
/// {"roles": {"users": {"alice": "coordinator"}, "groups": {"lmds-viewers": "viewer"}},
///  "lineBytesMax": 1048576, "connectionsMax": 1024, "subscriberStallMsMax": 10000}
/// ```
public struct DaemonConfig: Sendable, Hashable {
    /// Role per user name.
    public var userRoles: [String: Role] = [:]
    /// Role per group name; a user in several groups gets the highest.
    public var groupRoles: [String: Role] = [:]
    /// Bytes in one request line at most (1 KiB to 64 MiB); a longer line is refused.
    public var lineBytesMax: Int = ProtocolLimits.lineBytesMaxDefault
    /// Open client connections at most (1 to 65536); one more is refused with `unavailable`.
    public var connectionsMax: Int = ServerLimits.connectionsMaxDefault
    /// The institution (a taxonomy id) each educator user acts for.
    public var userInstitutions: [String: String] = [:]
    /// The institution each group's educators act for.
    public var groupInstitutions: [String: String] = [:]
    /// The taxonomy file (a city's neighbourhoods, institutions, themes...); nil: the built-in Leiden one.
    public var taxonomyPath: String?
    /// How long a subscriber's socket may stay full before it is cut off.
    public var subscriberStallMsMax: Int64 = ServerLimits.subscriberStallMsMax
    /// The programme's rules: days to consent to a proposal, months until an outcome's follow-up check.
    public var policy = DomainPolicy.default
    /// How much each reason counts in match suggestions and plans (`matchingWeights`: factor → weight ≥ 0).
    public var matchingWeights = MatchingWeights()
    /// The programme's time zone (`timeZone`, an IANA name): the times people read in reports are shown in
    /// it, to the minute. The protocol's times stay UTC.
    public var timeZone = DaemonConfig.defaultTimeZone
    /// How `lmds-notify` delivers, and to whom (`notifications`, `people`): checked here, used only by the
    /// notifier (addresses never enter the log).
    public var notifications = NotificationConfig()

    /// The time zone when the config names none: Leiden's.
    public static let defaultTimeZone = TimeZone(identifier: "Europe/Amsterdam") ?? TimeZone(secondsFromGMT: 3600)!

    /// The defaults, used when there is no config file: no roles granted, default limits.
    public init() {}

    /// Parses a config file's JSON text.
    /// - Throws: `ConfigError` naming the key and what is wrong.
    public init(json text: [UInt8]) throws(ConfigError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw ConfigError("the config is not valid JSON: \(error)")
        }
        guard case .object(let members) = value else { throw ConfigError("the config must be a JSON object") }
        for (key, member) in members { try read(key, member) }
        do {
            notifications = try NotificationConfig(notifications: members["notifications"], people: members["people"])
        } catch {
            throw ConfigError(error.message)
        }
        shareUsersWithPolicy()
    }

    /// Reads one top-level key of the config file.
    /// - Throws: `ConfigError` naming the key and what is wrong, or that the key is unknown.
    private mutating func read(_ key: String, _ member: JSONValue) throws(ConfigError) {
        switch key {
        case "roles":
            try readRoles(member)
        case "lineBytesMax":
            guard let bytes = member.integerValue, bytes >= 1024, bytes <= 64 << 20 else {
                throw ConfigError("lineBytesMax must be an integer from 1024 to 67108864")
            }
            lineBytesMax = Int(bytes)
        case "connectionsMax":
            guard let count = member.integerValue, count >= 1, count <= 65_536 else {
                throw ConfigError("connectionsMax must be an integer from 1 to 65536")
            }
            connectionsMax = Int(count)
        case "institutions":
            try readInstitutions(member)
        case "taxonomy":
            guard let path = member.stringValue, !path.isEmpty else { throw ConfigError("taxonomy must be a file path") }
            taxonomyPath = path
        case "subscriberStallMsMax":
            guard let milliseconds = member.integerValue, milliseconds >= 100, milliseconds <= 3_600_000 else {
                throw ConfigError("subscriberStallMsMax must be an integer from 100 to 3600000")
            }
            subscriberStallMsMax = milliseconds
        case "proposalExpiryDays":
            guard let days = member.doubleValue, days > 0, days <= 365 else {
                throw ConfigError("proposalExpiryDays must be a number of days above 0 and at most 365 (fractions allowed)")
            }
            policy.proposalExpiryDays = days
        case "followUpMonths":
            guard let months = member.integerValue, months >= 1, months <= 60, member.doubleValue == Double(months) else {
                throw ConfigError("followUpMonths must be a whole number of months from 1 to 60")
            }
            policy.followUpMonths = Int(months)
        case "matchingWeights":
            try readMatchingWeights(member)
        case "followUpGraceDays":
            guard let days = member.integerValue, days >= 0, days <= 365, member.doubleValue == Double(days) else {
                throw ConfigError("followUpGraceDays must be a whole number of days from 0 to 365")
            }
            policy.followUpGraceDays = Int(days)
        case "timeZone":
            timeZone = try Self.timeZone(member)
        case "feedback":
            try Self.readFeedback(member, into: &policy.feedback)
        case "feedbackWindowDays":
            guard let days = member.integerValue, days >= 1, days <= 365, member.doubleValue == Double(days) else {
                throw ConfigError("feedbackWindowDays must be a whole number of days from 1 to 365")
            }
            policy.feedback.windowDays = Int(days)
        case "reminders":
            policy.reminders = try Self.reminderPolicy(member)
        case "notifications", "people":
            break  // Read together below.
        default:
            throw ConfigError(
                "\(key): unknown key (roles, institutions, lineBytesMax, connectionsMax, subscriberStallMsMax, taxonomy, proposalExpiryDays, followUpMonths, followUpGraceDays, matchingWeights, timeZone, feedback, feedbackWindowDays, reminders, notifications, people)")
        }
    }

    /// `roles`: a role per user name and per group name.
    private mutating func readRoles(_ member: JSONValue) throws(ConfigError) {
        guard case .object(let roles) = member else { throw ConfigError("roles must be an object with users and groups") }
        for (kind, entries) in roles {
            guard kind == "users" || kind == "groups" else { throw ConfigError("roles.\(kind): unknown key (users, groups)") }
            guard case .object(let table) = entries else { throw ConfigError("roles.\(kind) must map names to roles") }
            for (name, roleValue) in table {
                guard let text = roleValue.stringValue, let role = Role(rawValue: text) else {
                    throw ConfigError("roles.\(kind).\(name): role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                if kind == "users" { userRoles[name] = role } else { groupRoles[name] = role }
            }
        }
    }

    /// `institutions`: an institution id per user name and per group name (checked against the taxonomy later).
    private mutating func readInstitutions(_ member: JSONValue) throws(ConfigError) {
        guard case .object(let tables) = member else { throw ConfigError("institutions must be an object with users and groups") }
        for (kind, entries) in tables {
            guard kind == "users" || kind == "groups" else { throw ConfigError("institutions.\(kind): unknown key (users, groups)") }
            guard case .object(let table) = entries else { throw ConfigError("institutions.\(kind) must map names to institution ids") }
            for (name, value) in table {
                guard let institution = value.stringValue, !institution.isEmpty else {
                    throw ConfigError("institutions.\(kind).\(name): expected an institution id from the taxonomy")
                }
                if kind == "users" { userInstitutions[name] = institution } else { groupInstitutions[name] = institution }
            }
        }
    }

    /// `matchingWeights`: a weight from 0 to 1 per factor; the factors not named keep their defaults.
    private mutating func readMatchingWeights(_ member: JSONValue) throws(ConfigError) {
        guard case .object(let weights) = member else { throw ConfigError("matchingWeights must map factors to weights") }
        for (factor, value) in weights {
            guard MatchingWeights.factors.contains(factor) else {
                throw ConfigError("matchingWeights.\(factor): unknown factor (\(MatchingWeights.factors.joined(separator: ", ")))")
            }
            // The same scale as the defaults, so that a partial table does not swamp the rest.
            guard let weight = value.doubleValue, weight >= 0, weight <= 1 else {
                throw ConfigError("matchingWeights.\(factor) must be a number from 0 to 1")
            }
            matchingWeights[factor] = weight
        }
        guard matchingWeights.isUsable else { throw ConfigError("matchingWeights: at least one weight must be above 0") }
    }

    /// Gives the domain the configured users with their roles and institutions (owners of questions, desks).
    mutating func shareUsersWithPolicy() {
        policy.users = Dictionary(uniqueKeysWithValues: userRoles.map { name, role in
            (name, ConfiguredUser(role: role.rawValue, institution: userInstitutions[name]))
        })
    }

    /// The IANA time zone `value` names (`Europe/Amsterdam`, `UTC`).
    /// - Throws: `ConfigError` when it is not a string naming one.
    static func timeZone(_ value: JSONValue) throws(ConfigError) -> TimeZone {
        guard let name = value.stringValue else {
            throw ConfigError("timeZone must be a string: an IANA time zone name such as \"Europe/Amsterdam\"")
        }
        // Only names of the tz database: Foundation also reads abbreviations ("CEST") and offsets ("GMT+1").
        guard TimeZone.knownTimeZoneIdentifiers.contains(name) || name == "UTC", let zone = TimeZone(identifier: name) else {
            throw ConfigError("timeZone: \"\(name)\" is not an IANA time zone name; use one such as \"Europe/Amsterdam\" or \"UTC\"")
        }
        return zone
    }

    /// Checks that every institution in `institutions` is one of the taxonomy's, and stores its id (the
    /// config may name it by label), since offers are compared by id.
    /// - Throws: `ConfigError` naming the entry.
    public mutating func resolveInstitutions(in taxonomy: Taxonomy) throws(ConfigError) {
        func resolve(_ table: [String: String], _ kind: String) throws(ConfigError) -> [String: String] {
            var resolved: [String: String] = [:]
            for (name, reference) in table.sorted(by: { $0.key < $1.key }) {
                guard let institution = taxonomy.institution(reference) else {
                    throw ConfigError("institutions.\(kind).\(name): \"\(reference)\" is not an institution of \(taxonomy.cityLabel)")
                }
                resolved[name] = institution.id
            }
            return resolved
        }
        userInstitutions = try resolve(userInstitutions, "users")
        groupInstitutions = try resolve(groupInstitutions, "groups")
        shareUsersWithPolicy()
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(ConfigError) -> DaemonConfig {
        let bytes = try readSmallFile(path, what: "config file")
        do {
            return try DaemonConfig(json: bytes)
        } catch {
            throw ConfigError("\(path): \(error.message)")
        }
    }
}

/// Config and taxonomy files are small; this bounds what a wrong path can make the daemon read.
let configFileBytesMax = 4 << 20

/// The bytes of a small file, refusing one larger than `configFileBytesMax`.
func readSmallFile(_ path: String, what: String) throws(ConfigError) -> [UInt8] {
    switch SmallFile.read(path, bytesMax: configFileBytesMax) {
    case .success(let bytes): return bytes
    case .failure(.unreadable(let reason)): throw ConfigError("cannot read \(what) \(path): \(reason)")
    case .failure(.tooLarge): throw ConfigError("\(what) \(path) is larger than 4 MiB")
    }
}

/// Loads the city taxonomy: the file at `path`, or the shipped Leiden taxonomy when `path` is nil.
/// - Throws: `ConfigError` naming the file and the JSON path of the problem.
public func loadTaxonomy(path: String?) throws(ConfigError) -> Taxonomy {
    let bytes: [UInt8]
    let source: String
    if let path {
        bytes = try readSmallFile(path, what: "taxonomy file")
        source = path
    } else {
        guard let text = Taxonomy.embedded["leiden"] else { throw ConfigError("no taxonomy is built in; pass --taxonomy FILE") }
        bytes = Array(text.utf8)
        source = "the built-in Leiden taxonomy"
    }
    do {
        let json = try JSONParser.parse(bytes, depthMax: 16)
        return try Taxonomy(json: json)
    } catch let error as JSONParseError {
        throw ConfigError("\(source) is not valid JSON: \(error)")
    } catch let error as TaxonomyError {
        throw ConfigError("\(source): \(error)")
    } catch {
        throw ConfigError("\(source): \(error)")
    }
}

/// A config file the daemon refuses to start with.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, naming the file or key.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
