// lmds-notify: delivers reminders and requesters' status messages by e-mail. Thin: the work is LMDSNotify's.
import ArgumentParser
import Foundation
import LMDSNotify
import LMDSProtocol

struct NotifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lmds-notify",
        abstract: "Follow the lmds log and deliver reminders and requesters' status messages by e-mail.",
        discussion: """
            Reads the config file lmdsd reads (notifications, people, roles, institutions), follows events.subscribe \
            from the position kept in the state directory, hands each message to the configured sendmail command and \
            records each attempt with notification.record. Runs as the notifier role.
            """)

    @Option(help: "The daemon's socket (default: $LMDS_SOCKET, $XDG_RUNTIME_DIR/lmds/lmds.sock, /run/lmds/lmds.sock).")
    var socket: String?

    @Option(help: "The config file (default: $LMDS_CONFIG, else /etc/lmds/config.json).")
    var config: String?

    @Option(name: .customLong("state-dir"), help: "Where the position followed is kept (default: $STATE_DIRECTORY, else ~/.local/state/lmds-notify).")
    var stateDir: String?

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let environment = DefaultPaths.processEnvironment()
        let configPath = config ?? DefaultPaths.configFile(environment: environment).path
        let stateDirectory = stateDir ?? Self.defaultStateDirectory(environment)
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            let directory = try NotifierDirectory(configFile: configPath)
            let notifier = try Notifier(socketPath: socket ?? DefaultPaths.socketPath(environment: environment), directory: directory,
                                        stateDirectory: stateDirectory, postWebhook: WebhookHTTP.post) { line in
                FileHandle.standardError.write(Data("lmds-notify: \(line)\n".utf8))
            }
            try notifier.run()
        } catch {
            FileHandle.standardError.write(Data("lmds-notify: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    static func defaultStateDirectory(_ environment: [String: String]) -> String {
        if let value = environment["STATE_DIRECTORY"], !value.isEmpty { return String(value.split(separator: ":").first ?? Substring(value)) }
        return (environment["HOME"] ?? "/var/lib") + "/.local/state/lmds-notify"
    }
}

NotifyCommand.main()
