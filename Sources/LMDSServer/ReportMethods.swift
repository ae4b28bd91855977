import LMDSCore
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import NIOCore
import NIOPosix
import Reports

/// `report.get`: the programme's reports, from the current state or as they stood at `asOf`.
extension Dispatcher {
    /// `report.get` in the route table.
    static let reportRoutes: [Route] = [
        .answer("report.get", Dispatcher.answerReport),
    ]

    func answerReport(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let caller = context.caller
        let request = try Self.reportRequest(&params)
        try params.rejectUnknown()
        let processor = self.processor
        let log = self.log
        let taxonomy = self.taxonomy
        let policy = self.policy
        let clock = self.clock
        let pool = self.threadPool
        let presentation = ReportBuilder.Presentation(timeZone: timeZone, includesEmptyRows: request.includesEmptyRows)
        let seesAll = caller.role.map { $0 >= .educator } ?? false
        return eventLoop.makeFutureWithTask {
            let report: Report
            // The rebuild of the processor's state the report was built from; nil: built from the log.
            var generation: Int?
            // The live overview reads the figures kept current event by event.
            if request.name == "overview" && request.asOf == nil && request.period == nil {
                (report, generation) = await processor.liveOverview(policy: policy, nowMs: clock.nowMs(), presentation: presentation)
            } else {
                let state: DomainState
                let position: UInt64
                let nowMs: Int64
                if let asOf = request.asOf {
                    let replay = try await Self.replay(log: log, upTo: asOf, pool: pool)
                    state = replay.state
                    position = replay.head
                    if case .timeMs(let time) = asOf { nowMs = time } else { nowMs = replay.headTimeMs }
                } else {
                    let current = await processor.stateAndPosition()
                    (state, position, generation) = (current.state, current.position, current.generation)
                    nowMs = clock.nowMs()
                }
                var builder = ReportBuilder(state: state, taxonomy: taxonomy, policy: policy, asOfPosition: position, nowMs: nowMs,
                                            period: request.period, seesAll: seesAll, realNowMs: clock.nowMs(), presentation: presentation)
                builder.feedbackReader = caller.role == .admin ? .admin : .outsider
                guard let built = builder.build(request.name) else { throw RPCError.validation(field: "name", "unknown report") }
                report = built
            }
            // The current state may hold events still committing: the receipt names only what is on disk.
            if let generation, await !processor.waitUntilCommitted(through: report.asOfPosition, generation: generation) {
                throw RPCError.unavailable(cause: "notCommitted", "the events this report was built from were not written; ask again")
            }
            return Self.reportReply(report.withReceipt(try log.receipt(at: report.asOfPosition)), format: request.format)
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// What `report.get` (and `lmdsd replay --report`) asks for.
    public struct ReportRequest: Sendable {
        public let name: String
        public let format: ReportFormat
        public let asOf: DomainProcessor.AsOf?
        public let period: DateWindow?
        /// `all`: include the rows with nothing to report (the neighbourhoods report's empty wijken).
        public let includesEmptyRows: Bool
    }

    public static func reportRequest(_ params: inout Params) throws(RPCError) -> ReportRequest {
        guard let name = try params.string("name", bytesMax: 32) else {
            throw RPCError.invalidParams(field: "name", "required: one of \(ReportCatalogue.names.map(\.name).joined(separator: ", "))")
        }
        guard ReportCatalogue.contains(name) else {
            throw RPCError.validation(field: "name", "one of \(ReportCatalogue.names.map(\.name).joined(separator: ", "))")
        }
        let formatText = try params.string("format", bytesMax: 16) ?? "json"
        guard let format = ReportFormat(rawValue: formatText) else {
            throw RPCError.validation(field: "format", "one of \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let from = try params.string("from", bytesMax: 10)
        let to = try params.string("to", bytesMax: 10)
        var period: DateWindow?
        if from != nil || to != nil {
            let window = DateWindow(from: from ?? "1900-01-01", to: to ?? "2999-12-31")
            if let from, !DateWindow.isDate(from) { throw RPCError.validation(field: "from", "expected a date like 2026-09-01") }
            if let to, !DateWindow.isDate(to) { throw RPCError.validation(field: "to", "expected a date like 2027-08-31") }
            guard window.from <= window.to else { throw RPCError.validation(field: "to", "before from") }
            period = window
        }
        let asOf = try asOf(&params)
        let includesEmptyRows = try params.bool("all") ?? false
        return ReportRequest(name: name, format: format, asOf: asOf, period: period, includesEmptyRows: includesEmptyRows)
    }

    /// The reply: the rendered text, its type, and (for `json`) the report as an object as well.
    static func reportReply(_ report: Report, format: ReportFormat) -> JSONValue {
        var reply: [String: JSONValue] = [
            "name": .string(report.name), "format": .string(format.rawValue), "contentType": .string(format.mediaType),
            "asOf": ["position": .integer(Int64(report.asOfPosition)), "time": .string(report.asOfTime)],
        ]
        if let receipt = report.receipt { reply["receipt"] = receipt.json }
        if format == .json { reply["report"] = report.json } else { reply["content"] = .string(format.render(report)) }
        return .object(reply)
    }
}

extension EventLog {
    /// What a report built from this log's first `position` records names as its source: the log's
    /// identity, the position, and the hash of the record there (the genesis hash at 0).
    /// - Throws: when the record cannot be read, or the log does not reach `position`.
    public func receipt(at position: UInt64) throws(EventLogError) -> ReportReceipt {
        let hash: [UInt8]
        let head = self.head
        if position == head.position {
            hash = head.hash
        } else if position == 0 {
            hash = RecordCodec.genesisHash
        } else {
            guard let record = try record(at: position) else {
                throw EventLogError(.notFound, "the log has no record at position \(position)")
            }
            hash = record.hash
        }
        return ReportReceipt(logID: identity?.description, position: position, headHash: Hex.encode(hash))
    }
}
