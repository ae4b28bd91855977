#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon keeps its data and its socket when not told otherwise. The daemon and the CLI
/// resolve these the same way, from the same environment variables.
public enum DefaultPaths {
    /// `$LMDS_DATA_DIR`, else `$STATE_DIRECTORY` (set by systemd's StateDirectory=), else
    /// `$XDG_STATE_HOME/lmds`, else `$HOME/.local/state/lmds`.
    public static func dataDirectory(environment: [String: String]) -> String {
        if let value = environment["LMDS_DATA_DIR"], !value.isEmpty { return value }
        if let value = environment["STATE_DIRECTORY"], !value.isEmpty {
            // systemd may list several directories separated by ':'; the first is ours.
            return String(value.split(separator: ":").first ?? Substring(value))
        }
        if let value = environment["XDG_STATE_HOME"], !value.isEmpty { return value + "/lmds" }
        guard let home = environment["HOME"], !home.isEmpty else { return "/var/lib/lmds" }
        return home + "/.local/state/lmds"
    }

    /// `$LMDS_CONFIG`, else `/etc/lmds/config.json`. The daemon reads the default only when it exists;
    /// a file named explicitly must exist.
    public static func configFile(environment: [String: String]) -> (path: String, explicit: Bool) {
        if let value = environment["LMDS_CONFIG"], !value.isEmpty { return (value, true) }
        return ("/etc/lmds/config.json", false)
    }

    /// `$LMDS_SOCKET`, else `$XDG_RUNTIME_DIR/lmds/lmds.sock`, else `/run/lmds/lmds.sock`.
    public static func socketPath(environment: [String: String]) -> String {
        if let value = environment["LMDS_SOCKET"], !value.isEmpty { return value }
        if let value = environment["XDG_RUNTIME_DIR"], !value.isEmpty { return value + "/lmds/lmds.sock" }
        return "/run/lmds/lmds.sock"
    }

    /// The process environment as a dictionary; executables read it once and pass it down.
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
