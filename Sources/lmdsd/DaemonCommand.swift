import LMDSServer
import LMDSCore
import ArgumentParser
import Domain
import LMDSProtocol

#if canImport(Glibc)
import Glibc
#endif

/// `lmdsd`: the Leren met de Stad daemon. Serving is the default subcommand, so `lmdsd --data-dir D`
/// serves; later subcommands (replay, import) work on a data directory offline.
public struct DaemonCommand: AsyncParsableCommand {
    /// The command name, help text, version and subcommands of `lmdsd`.
    public static let configuration = CommandConfiguration(
        commandName: "lmdsd",
        abstract: "The Leren met de Stad daemon: an event log on LMDB behind a JSON-RPC Unix socket.",
        version: Dispatcher.version,
        subcommands: [Serve.self, Replay.self, Import.self, SiteCommand.self, PageCheck.Command.self],
        defaultSubcommand: Serve.self)

    public init() {}
}

extension DaemonCommand {
    /// Serves the socket until SIGTERM or SIGINT.
    public struct Serve: AsyncParsableCommand {
        /// The help text of `lmdsd serve`.
        public static let configuration = CommandConfiguration(
            abstract: "Open the log, replay it, and serve JSON-RPC on the Unix socket (the default).")

        @Option(help: "Data directory (default: $LMDS_DATA_DIR, $STATE_DIRECTORY, $XDG_STATE_HOME/lmds, ~/.local/state/lmds, /var/lib/lmds).")
        var dataDir: String?

        @Option(help: "Socket path (default: $LMDS_SOCKET, $XDG_RUNTIME_DIR/lmds/lmds.sock, /run/lmds/lmds.sock).")
        var socket: String?

        @Option(help: "Config file (JSON): roles for users and groups, limits (default: $LMDS_CONFIG, else /etc/lmds/config.json when it exists).")
        var config: String?

        @Option(help: "Taxonomy file of the city (default: the config's `taxonomy`, else the built-in Leiden taxonomy).")
        var taxonomy: String?

        @Option(help: "Lowest level logged: debug, info, warning, error.")
        var logLevel: String = "info"

        public init() {}

        /// Refuses an unknown `--log-level` before anything is opened.
        public func validate() throws {
            guard DaemonLog.Level(rawValue: logLevel) != nil else {
                throw ValidationError("--log-level must be one of debug, info, warning, error")
            }
        }

        /// Resolves the paths and the config, then serves until stopped; a failure ends with a non-zero exit code.
        public func run() async throws {
            let environment = DefaultPaths.processEnvironment()
            let settings = try DaemonSettings.resolve(config: config, taxonomy: taxonomy, environment: environment)
            let options = DaemonOptions(
                dataDirectory: dataDir ?? DefaultPaths.dataDirectory(environment: environment),
                socketPath: socket ?? DefaultPaths.socketPath(environment: environment),
                config: settings.config,
                taxonomy: settings.taxonomy,
                logLevel: DaemonLog.Level(rawValue: logLevel) ?? .info)
            // Once per process: the libraries' loggers write journald lines too, at the same threshold.
            JournaldLogHandler.bootstrap(level: options.logLevel)
            if let problem = PageCheck.problem(dataDirectory: options.dataDirectory) {
                DaemonLog(threshold: .info).error(problem)
                throw ExitCode(1)
            }
            let code = await Daemon.run(options: options, environment: environment, clock: SystemClock(), eventIDs: RandomEventIDSource())
            if code != 0 { throw ExitCode(code) }
        }
    }
}
