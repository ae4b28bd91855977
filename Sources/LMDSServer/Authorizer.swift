import Domain
import EventLog
import LMDSProtocol
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The peer of a connection as the kernel reports it (`SO_PEERCRED`), laid out like `struct ucred`.
public struct PeerCredentials: Sendable, Hashable {
    /// The peer's process id, from SO_PEERCRED.
    public var pid: Int32
    /// The peer's user id, from SO_PEERCRED.
    public var uid: UInt32
    /// The peer's primary group id, from SO_PEERCRED.
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// Who is calling: the peer's identity, its user name and the role the config grants (nil: none).
public struct Caller: Sendable, Hashable {
    /// The peer's process, user and group ids, as the kernel reports them.
    public let credentials: PeerCredentials
    /// The peer's user name from the system's user database, or `uid:N` when it has none.
    public let userName: String
    /// The role the config grants; `nil` means none, so every call is forbidden.
    public let role: Role?
    /// The institution an educator acts for (config `institutions`); educators change only its offers.
    public let institution: String?

    public init(credentials: PeerCredentials, userName: String, role: Role?, institution: String? = nil) {
        self.credentials = credentials
        self.userName = userName
        self.role = role
        self.institution = institution
    }

    /// The caller as the domain's rules see it.
    public var issuer: CommandIssuer {
        CommandIssuer(role: role?.rawValue ?? "none", institution: institution)
    }

    /// The caller as recorded in every event it causes.
    public var actor: EventActor {
        EventActor(uid: credentials.uid, userName: userName, role: role?.rawValue ?? "none")
    }
}

/// Maps a peer to a role: root and the daemon's own user are admin; others get the highest role the
/// config grants their user name or any of their groups; anyone else gets none (every call forbidden).
public final class Authorizer: Sendable {
    private let config: DaemonConfig
    private let daemonUID: UInt32
    /// Name lookups go through NSS; cache them per uid for the daemon's life (config changes need a restart).
    private let cache = NIOLockedValueBox<[UInt32: (String, Role?, String?)]>([:])

    /// `daemonUID` is the daemon's own user id, which is admin like root.
    public init(config: DaemonConfig, daemonUID: UInt32) {
        self.config = config
        self.daemonUID = daemonUID
    }

    /// The caller for a peer.
    public func caller(for credentials: PeerCredentials) -> Caller {
        if let (name, role, institution) = cache.withLockedValue({ $0[credentials.uid] }) {
            return Caller(credentials: credentials, userName: name, role: role, institution: institution)
        }
        let name = Self.userName(uid: credentials.uid) ?? "uid:\(credentials.uid)"
        let role = resolveRole(uid: credentials.uid, gid: credentials.gid, userName: name)
        let institution = resolveInstitution(gid: credentials.gid, userName: name)
        cache.withLockedValue { $0[credentials.uid] = (name, role, institution) }
        return Caller(credentials: credentials, userName: name, role: role, institution: institution)
    }

    /// The institution granted to the user name, else to the first of its groups that has one.
    func resolveInstitution(gid: UInt32, userName: String) -> String? {
        if let institution = config.userInstitutions[userName] { return institution }
        for group in Self.groupNames(userName: userName, primaryGID: gid) {
            if let institution = config.groupInstitutions[group] { return institution }
        }
        return nil
    }

    func resolveRole(uid: UInt32, gid: UInt32, userName: String) -> Role? {
        if uid == 0 || uid == daemonUID { return .admin }
        var best = config.userRoles[userName]
        for group in Self.groupNames(userName: userName, primaryGID: gid) {
            if let role = config.groupRoles[group], best == nil || role > best! { best = role }
        }
        return best
    }

    static func userName(uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else {
            return nil
        }
        return String(cString: name)
    }

    static func groupNames(userName: String, primaryGID: UInt32) -> [String] {
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(userName, primaryGID, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(userName, primaryGID, &groups, &count)
        }
        var names: [String] = []
        for gid in groups.prefix(Int(max(count, 0))) + [primaryGID] {
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            var buffer = [CChar](repeating: 0, count: 16_384)
            if getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.gr_name {
                names.append(String(cString: name))
            }
        }
        return names
    }
}
