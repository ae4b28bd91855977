import Domain
import LMDSCore
import EventLog
import LMDSJSON
import LMDSProtocol
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// `reminder.list` and `reminder.acknowledge`: each person sees and acknowledges their own reminders
/// (those for their role, institution or name); admins anyone's.
extension Dispatcher {
    /// The reminder methods in the route table.
    static let reminderRoutes: [Route] = [
        .write("reminder.acknowledge", Dispatcher.decodeReminderAcknowledge),
        .answer("reminder.list", Dispatcher.answerReminderList),
    ]

    /// `reminder.acknowledge`: the params as a command.
    func decodeReminderAcknowledge(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let caller = context.caller
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        return .reminder(.acknowledge(id: id, by: caller.userName))
    }

    /// `reminder.list`.
    func answerReminderList(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let caller = context.caller
        let filter = try ReminderFilter(&params, caller: caller, users: users)
        try params.rejectUnknown()
        let processor = self.processor
        return eventLoop.makeFutureWithTask {
            let (state, _) = await processor.stateForReplies()
            return filter.page(state.reminders)
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// A reminder as `reminder.list` shows it: times as UTC ISO text.
    static func reminderJSON(_ reminder: Reminder) -> JSONValue {
        var members = reminder.json.objectValue ?? [:]
        for key in ["deadline", "dueAt", "raisedAt", "acknowledgedAt", "resolvedAt"] {
            if let milliseconds = members[key]?.integerValue { members[key] = .string(UTCTime.iso8601(milliseconds: milliseconds)) }
        }
        return .object(members)
    }
}

/// `reminder.list`'s filters: whose (`for`, default the caller), which status (default open) and rule.
struct ReminderFilter {
    /// The user whose reminders are listed; nil: every reminder (an admin without `for`).
    let user: (name: String, role: Role?, institution: String?)?
    /// nil: every status (`all`).
    let status: ReminderStatus?
    let rule: ReminderRule?
    let limit: Int
    let cursor: String?

    init(_ params: inout Params, caller: Caller, users: Authorizer) throws(RPCError) {
        let statusText = try params.listStatus(among: ReminderStatus.allCases.map(\.rawValue) + ["all"]) ?? "open"
        status = ReminderStatus(rawValue: statusText)
        rule = try params.string("rule", bytesMax: 32).map { text throws(RPCError) in
            guard let rule = ReminderRule(rawValue: text) else {
                throw RPCError.validation(field: "rule", "one of \(ReminderRule.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return rule
        }
        (limit, cursor) = try params.listPage()
        // Admins, and the notifier that delivers them, see everyone's.
        let seesEveryone = caller.role == .admin || caller.role == .notifier
        guard let name = try params.string("for", bytesMax: 64), name != caller.userName else {
            user = seesEveryone ? nil : (caller.userName, caller.role, caller.institution)
            return
        }
        guard seesEveryone else {
            throw RPCError(code: RPCErrorCode.forbidden, message: "Forbidden: only an admin lists another person's reminders",
                           data: ["field": "for", "reason": "only an admin lists another person's reminders"])
        }
        let grants = users.grants(userName: name)
        user = (name, grants.role, grants.institution)
    }

    func matches(_ reminder: Reminder) -> Bool {
        if let status, reminder.status != status { return false }
        if let rule, reminder.rule != rule { return false }
        guard let user else { return true }
        // An admin asked for sees what the admin role is sent: everything.
        if user.role == .admin { return true }
        return reminder.isFor(user: user.name, role: user.role?.rawValue, institution: user.institution)
    }

    /// The matching reminders in id order after the cursor, at most `limit`, with whose they are.
    func page(_ reminders: ReminderState) -> JSONValue {
        var page = Paging.page(reminders.reminders.values.filter(matches), key: "reminders", id: \.id, cursor: cursor, limit: limit,
                               json: Dispatcher.reminderJSON).objectValue ?? [:]
        page["for"] = user.map { .string($0.name) } ?? .null
        return .object(page)
    }
}

extension Authorizer {
    /// The role and institution the config grants `userName` (by name or through its groups, as for a
    /// caller); a name the system does not know gets only what the config grants the name itself.
    func grants(userName: String) -> (role: Role?, institution: String?) {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        var uid = UInt32.max
        var gid = UInt32.max
        if getpwnam_r(userName, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            uid = entry.pw_uid
            gid = entry.pw_gid
        }
        return (resolveRole(uid: uid, gid: gid, userName: userName), resolveInstitution(gid: gid, userName: userName))
    }
}

extension DaemonConfig {
    /// The `reminders` object: per rule (`intakeWaitingDays`, ...), a number of days from 0 to 365
    /// (fractions allowed) or `false` to turn the rule off; rules left out keep their default.
    static func reminderPolicy(_ value: JSONValue) throws(ConfigError) -> ReminderPolicy {
        guard case .object(let members) = value else { throw ConfigError("reminders must be an object of rule thresholds in days") }
        var policy = ReminderPolicy()
        let keys = ReminderRule.allCases.map(\.configKey)
        for (key, member) in members {
            guard let rule = ReminderRule.allCases.first(where: { $0.configKey == key }) else {
                throw ConfigError("reminders.\(key): unknown key (\(keys.joined(separator: ", ")))")
            }
            if member == .bool(false) {
                policy.days[rule] = nil
                continue
            }
            guard let days = member.doubleValue, days >= 0, days <= 365 else {
                throw ConfigError("reminders.\(key) must be a number of days from 0 to 365 (fractions allowed), or false to turn it off")
            }
            policy.days[rule] = days
        }
        return policy
    }
}
