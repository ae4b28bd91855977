import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// Roles through the real socket, with the CLI run as another user (`setpriv`).
@Suite struct AuthorizationTests {
    static let nobody = "65534"

    /// Runs the CLI as `nobody`.
    static func runAsNobody(_ arguments: [String]) throws -> ProcessResult {
        try run("/usr/bin/setpriv", ["--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups", Binaries.cli] + arguments)
    }

    static var canSwitchUser: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") }

    /// Open the socket to other users for the test (in production the group `lmds` grants access).
    static func openSocket(_ workspace: Workspace) {
        chmod(workspace.path, 0o755)
        chmod(workspace.socketPath, 0o666)
        chmod(Binaries.directory, 0o755)
    }

    /// A user without a role is forbidden every method, ping included.
    @Test(.enabled(if: canSwitchUser, "needs root and setpriv"))
    func callerWithoutRoleIsForbiddenEverything() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        Self.openSocket(workspace)
        for arguments in [["ping"], ["status"], ["call", "system.methods"], ["events"], ["audit", "verify"]] {
            let result = try Self.runAsNobody(arguments + ["--socket", workspace.socketPath])
            #expect(result.status == 1, "\(arguments): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains("code -32003"), "\(arguments): \(result.stderr)")
        }
        _ = daemon
    }

    /// A viewer granted by user name can read but not take backups; the refusal names the role.
    @Test(.enabled(if: canSwitchUser, "needs root and setpriv"))
    func viewerReadsButCannotBackUp() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"roles": {"users": {"nobody": "viewer"}}}"#)
        Self.openSocket(workspace)
        let status = try Self.runAsNobody(["status", "--json", "--socket", workspace.socketPath])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\"position\":0"))
        let backup = try Self.runAsNobody(["backup", workspace.path + "/copy", "--socket", workspace.socketPath])
        #expect(backup.status == 1)
        #expect(backup.stderr.contains("Forbidden: role viewer may not call lmds backup"))
        #expect(try daemon.call("system.status")["position"] == 0)
    }

    /// A role granted to a group applies to its members.
    @Test(.enabled(if: canSwitchUser, "needs root and setpriv"))
    func groupGrantsRole() throws {
        let workspace = Workspace()
        let group = try run("/usr/bin/id", ["-gn", "nobody"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"roles": {"groups": {"\#(group)": "viewer"}}}"#)
        Self.openSocket(workspace)
        let ping = try Self.runAsNobody(["ping", "--socket", workspace.socketPath])
        #expect(ping.status == 0, "\(ping.stderr)")
        _ = daemon
    }

    /// Root is admin and is recorded as the actor of what it appends.
    @Test func rootIsAdminAndRecordedAsActor() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try daemon.call("admin.backup", ["path": .string(workspace.path + "/copy")])
        let event = try daemon.call("events.read", ["from": 1])["events"]?.arrayValue?.first
        #expect(event?["type"] == "BackupTaken")
        #expect(event?["actor"]?["uid"] == .integer(Int64(getuid())))
        #expect(event?["actor"]?["role"] == "admin")
    }
}
