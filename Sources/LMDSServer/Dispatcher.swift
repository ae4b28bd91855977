import LMDSCore
import Domain
import EventLog
import Foundation
import LMDSJSON
import LMDSProtocol
import Matching
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Answers requests: authorises the caller, checks params, runs the method. Methods that wait on disk
/// (verify, backup) run on the blocking thread pool, never on an event loop.
public final class Dispatcher: Sendable {
    /// The daemon's version, reported by `system.status`.
    public static let version = "0.1.0"

    let log: EventLog
    let clock: any Clock
    let eventIDs: any EventIDSource
    let threadPool: NIOThreadPool
    let dataDirectory: String
    let taxonomy: Taxonomy
    /// Days to consent, months to a follow-up check: the programme's configured rules.
    let policy: DomainPolicy
    /// Decides and appends domain commands, and holds the state the domain reads answer from.
    let processor: DomainProcessor
    let startedMs: Int64
    let connectionCount: @Sendable () -> Int
    let daemonLog: DaemonLog
    /// The programme's time zone (config `timeZone`): reports show people's times in it.
    let timeZone: TimeZone
    /// Roles and institutions by user name (the config's), for reads on another user's behalf (`reminder.list {for}`).
    let users: Authorizer

    /// Requests being answered, and whether new ones are still admitted (not after shutdown began).
    private let admission = NIOLockedValueBox<(inFlight: Int, stopping: Bool)>((0, false))

    /// Admits a request unless shutdown has begun; every admitted request must be `finish`ed.
    public func admit() -> Bool {
        admission.withLockedValue { state in
            guard !state.stopping else { return false }
            state.inFlight += 1
            return true
        }
    }

    /// Marks an admitted request answered.
    public func finish() {
        admission.withLockedValue { state in
            precondition(state.inFlight > 0, "finish without admit")
            state.inFlight -= 1
        }
    }

    /// Stops admitting requests and waits, at most `timeoutMs`, until those in flight are answered.
    /// - Returns: how many were still in flight when the wait ended.
    public func drain(timeoutMs: Int64) async -> Int {
        admission.withLockedValue { $0.stopping = true }
        let deadline = clock.nowMs() + timeoutMs
        while true {
            let inFlight = admission.withLockedValue { $0.inFlight }
            if inFlight == 0 || clock.nowMs() >= deadline { return inFlight }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    /// `connectionCount` reports open connections for `system.status`; uptime counts from now on `clock`.
    public init(
        log: EventLog, clock: any Clock, eventIDs: any EventIDSource, threadPool: NIOThreadPool, dataDirectory: String, taxonomy: Taxonomy,
        policy: DomainPolicy = .default, weights: MatchingWeights = MatchingWeights(), connectionCount: @escaping @Sendable () -> Int, daemonLog: DaemonLog,
        snapshotDirectory: String? = nil, timeZone: TimeZone = DaemonConfig.defaultTimeZone, lexicon: DutchLexicon? = nil,
        users: Authorizer? = nil
    ) {
        self.users = users ?? Authorizer(config: DaemonConfig(), daemonUID: getuid())
        self.log = log
        self.clock = clock
        self.eventIDs = eventIDs
        self.threadPool = threadPool
        self.dataDirectory = dataDirectory
        self.taxonomy = taxonomy
        self.policy = policy
        self.processor = DomainProcessor(
            log: log, taxonomy: taxonomy, policy: policy, weights: weights, clock: clock, eventIDs: eventIDs,
            snapshotDirectory: snapshotDirectory, lexicon: lexicon, report: { line in daemonLog.info(line) })
        self.startedMs = clock.nowMs()
        self.connectionCount = connectionCount
        self.daemonLog = daemonLog
        self.timeZone = timeZone
    }

    /// `system.ping`'s result: the daemon answers, and its clock.
    func pong() -> JSONValue {
        ["pong": true, "time": .string(UTCTime.iso8601(milliseconds: clock.nowMs()))]
    }

    /// The result (canonical JSON bytes) of a request that needs neither the domain processor nor a
    /// thread: a `system.ping` without params, or a read in the reply cache (`cachedResult`). The
    /// connection writes its reply at once, without futures; nil: answer the usual way (which also gives
    /// every error). The caller has already authorised the request.
    func immediateResult(_ request: RPCRequest, caller: Caller) -> [UInt8]? {
        if request.method == "system.ping" {
            switch request.params {
            case nil: break
            case .object(let members)? where members.isEmpty: break
            default: return nil
            }
            return JSONWriter.canonicalBytes(pong())
        }
        return cachedResult(request, caller: caller)
    }

    /// The system methods (status, the catalogue, the log's events, verification, backups) in the route table.
    static let systemRoutes: [Route] = [
        .answer("system.ping", Dispatcher.answerSystemPing),
        .answer("system.status", Dispatcher.answerSystemStatus),
        .answer("taxonomy.get", Dispatcher.answerTaxonomyGet),
        .answer("system.methods", Dispatcher.answerSystemMethods),
        .answer("events.read", Dispatcher.answerEventsRead),
        .answer("audit.verify", Dispatcher.answerAuditVerify),
        .answer("admin.backup", Dispatcher.answerAdminBackup),
    ]

    /// `system.ping`.
    func answerSystemPing(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        try params.rejectUnknown()
        return eventLoop.makeSucceededFuture(pong())
    }

    /// `system.status`.
    func answerSystemStatus(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let digest = try params.bool("digest") ?? false
        try params.rejectUnknown()
        guard digest else { return eventLoop.makeSucceededFuture(status()) }
        // The read models' digest costs a pass over the whole state: only when asked.
        let processor = self.processor
        let pool = self.threadPool
        let base = status()
        return eventLoop.makeFutureWithTask {
            // Hashed on the blocking pool: it serialises the whole state.
            let snapshot = await processor.snapshot()
            let position = snapshot.position
            let digest = try await pool.runIfActive {
                snapshot.models.digestHex
            }
            var members = base.objectValue ?? [:]
            members["readModels"] = ["position": .integer(Int64(position)), "digest": .string(digest)]
            return .object(members)
        }
    }

    /// `taxonomy.get`.
    func answerTaxonomyGet(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        try params.rejectUnknown()
        return eventLoop.makeSucceededFuture(taxonomy.json)
    }

    /// `system.methods`.
    func answerSystemMethods(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        try params.rejectUnknown()
        return eventLoop.makeSucceededFuture(["methods": .array(MethodCatalogue.all.map(\.json))])
    }

    /// `events.read`.
    func answerEventsRead(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let from = try params.integer("from", in: 1...Int64.max) ?? 1
        let limit = try params.integer("limit", in: 1...ServerLimits.readEventsMax) ?? 100
        try params.rejectUnknown()
        return eventLoop.makeSucceededFuture(try readEvents(from: UInt64(from), limit: Int(limit)))
    }

    /// `audit.verify`.
    func answerAuditVerify(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        try params.rejectUnknown()
        let log = self.log
        return threadPool.runIfActive(eventLoop: eventLoop) { () throws -> JSONValue in
            let report = try log.verify()
            return Self.json(report)
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// `admin.backup`.
    func answerAdminBackup(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let caller = context.caller
        guard let path = try params.string("path", bytesMax: 4096) else {
            throw RPCError.invalidParams(field: "path", "required: an absolute directory path for the copy")
        }
        guard path.hasPrefix("/") else { throw RPCError.validation(field: "path", "must be an absolute path") }
        try params.rejectUnknown()
        return backup(to: path, caller: caller, on: eventLoop)
    }

    /// Copies the log on the blocking pool, then records the backup in the log itself (`BackupTaken`),
    /// so that auditors see when copies were made, by whom, and up to which position.
    func backup(to path: String, caller: Caller, on eventLoop: any EventLoop) -> EventLoopFuture<JSONValue> {
        let log = self.log
        let daemonLog = self.daemonLog
        let copied = threadPool.runIfActive(eventLoop: eventLoop) { () throws -> BackupReport in
            try log.backup(to: path)
        }
        return copied.flatMap { report -> EventLoopFuture<JSONValue> in
            let result: JSONValue = [
                "path": .string(report.directory), "position": .integer(Int64(report.head.position)),
                "hash": .string(Hex.encode(report.head.hash)), "bytes": .integer(Int64(report.bytes)),
                "verification": Self.json(report.verification),
            ]
            let event = ProposedEvent(
                eventID: self.eventIDs.nextEventID(), type: "BackupTaken", timeMs: self.clock.nowMs(),
                actor: caller.actor, entityIDs: [],
                data: ["path": .string(report.directory), "position": .integer(Int64(report.head.position)),
                       "hash": .string(Hex.encode(report.head.hash)), "bytes": .integer(Int64(report.bytes)),
                       "verified": .bool(report.verification.isIntact)])
            let processor = self.processor
            return eventLoop.makeFutureWithTask {
                let records = try await processor.appendSystemEvent(event)
                daemonLog.info("backup to \(path) by \(caller.userName): position \(report.head.position), \(report.bytes) bytes, recorded at \(records[0].position)")
                return result
            }
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    func status() -> JSONValue {
        let head = log.head
        let now = clock.nowMs()
        var members: [String: JSONValue] = [
            "version": .string(Self.version),
            "position": .integer(Int64(head.position)),
            "headHash": .string(Hex.encode(head.hash)),
            "eventCount": .integer(Int64(head.position)),
            "dataDirectory": .string(dataDirectory),
            "mapBytes": .integer(Int64(log.mapBytes)),
            "uptimeSeconds": .integer((now - startedMs) / 1000),
            "startedAt": .string(UTCTime.iso8601(milliseconds: startedMs)),
            "connections": .integer(Int64(connectionCount())),
            "cachedReplies": .integer(Int64(processor.replyCache.count)),
            "logId": log.identity.map { .string($0.description) } ?? .null,
            "timeZone": .string(timeZone.identifier),
        ]
        if let fault = log.writeFault {
            // Only while writes are refused: the cause and the sentence every refused write gets.
            members["writeFault"] = ["cause": .string(fault.code.rawValue), "reason": .string(fault.message)]
        }
        return .object(members)
    }

    func readEvents(from: UInt64, limit: Int) throws(RPCError) -> JSONValue {
        do throws(EventLogError) {
            let records = try log.records(from: from, limit: limit)
            let next = records.last.map { $0.position + 1 } ?? from
            return [
                "events": .array(try records.map { record throws(EventLogError) in try record.envelopeJSON() }),
                "next": .integer(Int64(next)),
                "head": .integer(Int64(log.head.position)),
            ]
        } catch {
            throw Self.rpcError(error)
        }
    }

    static func json(_ report: VerificationReport) -> JSONValue {
        [
            "intact": .bool(report.isIntact),
            "recordsChecked": .integer(Int64(report.recordsChecked)),
            "headPosition": .integer(Int64(report.head.position)),
            "headHash": .string(Hex.encode(report.head.hash)),
            "firstBadPosition": report.firstBadPosition.map { .integer(Int64($0)) } ?? .null,
            "problem": report.problem.map { .string($0) } ?? .null,
        ]
    }
}
