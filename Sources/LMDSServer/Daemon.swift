import LMDSCore
import Dispatch
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Where and how the daemon serves, resolved from flags and the environment.
public struct DaemonOptions: Sendable {
    /// The directory that holds the event log.
    public var dataDirectory: String
    /// The Unix socket to listen on; unused when systemd passes a socket.
    public var socketPath: String
    /// Roles and limits from the config file, or the defaults.
    public var config: DaemonConfig
    /// The city's taxonomy, validated at start-up.
    public var taxonomy: Taxonomy
    /// The lowest level written to the daemon's log.
    public var logLevel: DaemonLog.Level

    public init(dataDirectory: String, socketPath: String, config: DaemonConfig, taxonomy: Taxonomy, logLevel: DaemonLog.Level) {
        self.dataDirectory = dataDirectory
        self.socketPath = socketPath
        self.config = config
        self.taxonomy = taxonomy
        self.logLevel = logLevel
    }
}

/// Why the daemon would not start; the message is for the operator.
public struct StartupError: Error, CustomStringConvertible {
    /// What went wrong, for the operator.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Tracks open connections for the `connectionsMax` limit, `system.status`, and shutdown.
final class ConnectionRegistry: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    /// Adds `channel` unless `limit` connections are open already.
    func add(_ channel: any Channel, limit: Int) -> Bool {
        channels.withLockedValue { table in
            guard table.count < limit else { return false }
            table[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func remove(_ channel: any Channel) {
        channels.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { channels.withLockedValue { $0.count } }

    var all: [any Channel] { channels.withLockedValue { Array($0.values) } }
}

/// The daemon: opens the log, replays it, serves the socket until SIGTERM/SIGINT, then shuts down
/// cleanly (stop accepting, finish what is in flight, commit, close the log).
public enum Daemon {
    /// Runs the daemon; returns the process exit code.
    public static func run(options: DaemonOptions, environment: [String: String], clock: any Clock, eventIDs: any EventIDSource) async -> Int32 {
        let daemonLog = DaemonLog(threshold: options.logLevel)
        let systemd = SystemdIntegration(environment: environment, processID: getpid())
        let (stopSignal, sources) = listenForStopSignals()
        defer { sources.forEach { $0.cancel() } }

        let hub = SubscriptionHub()
        let startMs = clock.nowMs()
        // The word list is read on another thread while the log opens and replays start.
        let wordList = Task.detached { DutchWordList.load(environment: environment, clock: clock) }
        let log: EventLog
        do {
            log = try EventLog.open(EventLogConfiguration(
                directory: options.dataDirectory, commitObserver: { _ in hub.committed() },
                faultObserver: { fault in daemonLog.error("writes stopped: \(fault.message)") }))
        } catch {
            daemonLog.error("cannot open the log: \(error)")
            return 1
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(2, System.coreCount))
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let registry = ConnectionRegistry()
        let (lexicon, wordListLine) = await wordList.value
        if lexicon == nil { daemonLog.warning(wordListLine) } else { daemonLog.info(wordListLine) }
        let dispatcher = Dispatcher(
            log: log, clock: clock, eventIDs: eventIDs, threadPool: threadPool, dataDirectory: options.dataDirectory, taxonomy: options.taxonomy,
            policy: options.config.policy, weights: options.config.matchingWeights, connectionCount: { registry.count }, daemonLog: daemonLog,
            snapshotDirectory: options.dataDirectory, timeZone: options.config.timeZone, lexicon: lexicon,
            users: Authorizer(config: options.config, daemonUID: getuid()))
        // A snapshot being written when the last daemon died is of no use and may be large.
        SnapshotFile.removeUnfinished(directory: options.dataDirectory)
        // Replay: load the snapshot of the read models, if any, and fold the log after it (or the whole log).
        let rebuilt: DomainProcessor.RebuildSummary
        do {
            rebuilt = try await dispatcher.processor.rebuild()
        } catch {
            daemonLog.error("cannot replay the log: \(error)")
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            return 1
        }
        let replayMs = clock.nowMs() - startMs
        daemonLog.info("opened \(options.dataDirectory) in \(replayMs) ms: \(rebuilt.description), head \(log.head.position)")
        let taxonomy = options.taxonomy
        daemonLog.info("city \(taxonomy.cityLabel): \(taxonomy.districts.count) districts, \(taxonomy.wijkCount) wijken, \(taxonomy.institutions.count) institutions, \(taxonomy.themes.count) themes, \(taxonomy.disciplines.count) disciplines")

        let authorizer = Authorizer(config: options.config, daemonUID: getuid())

        let serverChannel: any Channel
        do {
            serverChannel = try await bind(
                options: options, systemd: systemd, group: group, registry: registry, dispatcher: dispatcher,
                authorizer: authorizer, hub: hub, log: log, daemonLog: daemonLog)
        } catch {
            daemonLog.error("\(error)")
            log.close()
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            return 1
        }

        let status = "serving \(options.socketPath), \(log.head.position) events"
        daemonLog.info("lmdsd \(Dispatcher.version) ready: \(status)")
        systemd.notify("READY=1\nSTATUS=\(status)\nMAINPID=\(getpid())")
        let timers = scheduleTimers(group: group, dispatcher: dispatcher, systemd: systemd, daemonLog: daemonLog)

        let reason = await stopSignal.wait()
        daemonLog.info("\(reason) received: stopping")
        systemd.notify("STOPPING=1\nSTATUS=stopping")
        timers.forEach { $0.cancel() }
        try? await serverChannel.close()
        // Requests in flight finish (their appends commit and are answered); new ones are refused.
        let unfinished = await dispatcher.drain(timeoutMs: ServerLimits.shutdownDrainMsMax)
        if unfinished > 0 { daemonLog.warning("\(unfinished) requests still running after \(ServerLimits.shutdownDrainMsMax) ms; closing anyway") }
        // Every append accepted so far is committed and answered: the read models are the log's, and a
        // snapshot of them lets the next start replay nothing.
        if let line = await dispatcher.processor.saveSnapshot() { daemonLog.info(line) }
        log.close()
        // Give replies in flight a moment to reach their sockets, then close the connections.
        try? await Task.sleep(nanoseconds: 200_000_000)
        for channel in registry.all { try? await channel.close() }
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
        if systemd.activatedSocket == nil { unlink(options.socketPath) }
        daemonLog.info("stopped cleanly at position \(log.head.position)")
        return 0
    }

    /// Unblocks SIGTERM and SIGINT (a parent may have started us with them blocked: the mask is inherited
    /// across exec, and SIGTERM would never reach its handler), ignores SIGPIPE, and turns the two stop
    /// signals into a `StopSignal`; the sources must be cancelled when the daemon ends.
    static func listenForStopSignals() -> (StopSignal, [any DispatchSourceSignal]) {
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        signal(SIGPIPE, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let stopSignal = StopSignal()
        let sources = [SIGTERM, SIGINT].map { number -> any DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stopSignal.fire(number == SIGTERM ? "SIGTERM" : "SIGINT") }
            source.resume()
            return source
        }
        return (stopSignal, sources)
    }

    /// Whether `error` is the log's write fault, which its `faultObserver` already logged once: the timers
    /// do not repeat it every round.
    static func isWriteFault(_ error: any Error) -> Bool {
        guard let error = error as? CoreError, case .storage(let failure) = error else { return false }
        return failure.code == .syncFailed
    }

    /// The daemon's own timers: proposals without both consents expire when due (the daemon appends
    /// `ProposalExpired` itself), reminders are raised when their rule's threshold passes (`ReminderRaised`),
    /// and systemd's watchdog is pinged when it asks for it.
    static func scheduleTimers(
        group: MultiThreadedEventLoopGroup, dispatcher: Dispatcher, systemd: SystemdIntegration, daemonLog: DaemonLog
    ) -> [RepeatedTask] {
        let processor = dispatcher.processor
        let expiryCheck = group.next().scheduleRepeatedTask(
            initialDelay: .zero, delay: .milliseconds(ServerLimits.expiryCheckIntervalMs)
        ) { _ in
            guard dispatcher.admit() else { return }
            Task {
                defer { dispatcher.finish() }
                do {
                    let expired = try await processor.expireDue()
                    if !expired.isEmpty { daemonLog.info("expired \(expired.joined(separator: ", ")): no consent of both sides in time") }
                } catch {
                    if !isWriteFault(error) { daemonLog.warning("could not expire proposals: \(error)") }
                }
                do {
                    let raised = try await processor.raiseDueReminders()
                    if !raised.isEmpty { daemonLog.info("raised reminders \(raised.joined(separator: ", "))") }
                } catch {
                    if !isWriteFault(error) { daemonLog.warning("could not raise reminders: \(error)") }
                }
            }
        }
        guard let intervalUs = systemd.watchdogIntervalUs else { return [expiryCheck] }
        let watchdog = group.next().scheduleRepeatedTask(initialDelay: .microseconds(intervalUs), delay: .microseconds(intervalUs)) { _ in
            systemd.notify("WATCHDOG=1")
        }
        return [expiryCheck, watchdog]
    }

    static func bind(
        options: DaemonOptions, systemd: SystemdIntegration, group: MultiThreadedEventLoopGroup, registry: ConnectionRegistry,
        dispatcher: Dispatcher, authorizer: Authorizer, hub: SubscriptionHub, log: EventLog, daemonLog: DaemonLog
    ) async throws -> any Channel {
        let config = options.config
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 64 << 10, high: 1 << 20))
            // A client may send its requests and shut its write side: its replies still go out.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard registry.add(channel, limit: config.connectionsMax) else {
                        let error = RPCError.unavailable(cause: "connectionLimit", "the daemon serves at most \(config.connectionsMax) connections; retry later")
                        var buffer = channel.allocator.buffer(capacity: 256)
                        buffer.writeBytes(RPCCodec.line(RPCCodec.failure(id: .null, error: error)))
                        channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
                        return
                    }
                    channel.closeFuture.whenComplete { _ in registry.remove(channel) }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(lineBytesMax: config.lineBytesMax)))
                    try channel.pipeline.syncOperations.addHandler(RPCConnectionHandler(
                        dispatcher: dispatcher, authorizer: authorizer, hub: hub, log: log,
                        lineBytesMax: config.lineBytesMax, subscriberStallMsMax: config.subscriberStallMsMax, daemonLog: daemonLog))
                }
            }
        if let descriptor = systemd.activatedSocket {
            daemonLog.info("socket activation: serving the socket systemd passed (fd \(descriptor))")
            return try await bootstrap.withBoundSocket(descriptor).get()
        }
        let path = options.socketPath
        try SocketFile.prepare(path)
        // Bind under a temporary name, set the mode, then rename into place: the socket never appears at
        // its path with another mode (a chmod after bind raced with clients, and with admins who chmod it).
        // The staging name is in the socket's own directory, so that the rename stays on one file system.
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let staging = (path.hasPrefix("/") && directory.isEmpty ? "" : directory) + "/.lmdsd-\(String(getpid(), radix: 36))"
        guard staging.utf8.count < 100 else {
            // No room for a staging name: bind in place and set the mode at once (a client may briefly see another mode).
            let channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false).get()
            chmod(path, 0o660)
            return channel
        }
        unlink(staging)
        let channel = try await bootstrap.bind(unixDomainSocketPath: staging, cleanupExistingSocketFile: false).get()
        guard chmod(staging, 0o660) == 0, rename(staging, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(staging)
            try? await channel.close()
            throw ConfigError("cannot put the socket in place at \(path): \(reason)")
        }
        return channel
    }
}

/// Resumes the waiting daemon once, on the first stop signal.
final class StopSignal: Sendable {
    private let state = NIOLockedValueBox<(reason: String?, continuation: CheckedContinuation<String, Never>?)>((nil, nil))

    func fire(_ reason: String) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<String, Never>? in
            guard state.reason == nil else { return nil }
            state.reason = reason
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: reason)
    }

    func wait() async -> String {
        await withCheckedContinuation { continuation in
            let early = state.withLockedValue { state -> String? in
                if let reason = state.reason { return reason }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }
    }
}

/// The socket file's rules: its directory exists; a live daemon on it means refuse to start; a stale file
/// from a crash is removed.
enum SocketFile {
    static func prepare(_ path: String) throws {
        guard path.utf8.count < 100 else { throw StartupError("socket path \(path) is too long (at most 99 bytes)") }
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !directory.isEmpty {
            var prefix = path.hasPrefix("/") ? "/" : ""
            for component in directory.split(separator: "/") {
                prefix += component
                if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                    throw StartupError("cannot create the socket directory \(prefix): \(String(cString: strerror(errno)))")
                }
                prefix += "/"
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw StartupError("\(path) exists and is not a socket; refusing to replace it")
        }
        if isServed(path) {
            throw StartupError("another lmdsd is already serving \(path); stop it first (or pass another --socket)")
        }
        unlink(path)
    }

    /// Whether something accepts connections on the socket at `path`.
    static func isServed(_ path: String) -> Bool {
        (try? RPCClient(socketPath: path)) != nil
    }
}
