import LMDSCore
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import NIOCore
import NIOPosix
import Reports

/// The showcase site's methods: `question.publish` (a coordinator marks a question public, or takes the
/// mark back) and `site.content` (what the public may see, as `PublicContent` builds it, for `lmds site`).
extension Dispatcher {
    /// `question.publish` and `site.content` in the route table.
    static let siteRoutes: [Route] = [
        .write("question.publish", Dispatcher.decodeQuestionPublish),
        .answer("site.content", Dispatcher.answerSiteContent),
    ]

    /// `question.publish`: the params as a command (`public` defaults to true).
    func decodeQuestionPublish(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        let isPublic = try params.bool("public") ?? true
        return .publication(.publish(question: id, isPublic: isPublic))
    }

    /// `site.content`.
    func answerSiteContent(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        return siteContent(asOf: asOf, on: context.eventLoop)
    }

    /// The public content as of `asOf` (or now). Embargoes are judged on the day of `asOf`, never later
    /// than the real today, so that no caller can see an embargoed deliverable before its day.
    func siteContent(asOf: DomainProcessor.AsOf?, on eventLoop: any EventLoop) -> EventLoopFuture<JSONValue> {
        let processor = self.processor
        let log = self.log
        let taxonomy = self.taxonomy
        let clock = self.clock
        let pool = self.threadPool
        return eventLoop.makeFutureWithTask {
            let realNowMs = clock.nowMs()
            let state: DomainState
            let position: UInt64
            let asOfMs: Int64
            if let asOf {
                let replay = try await Self.replay(log: log, upTo: asOf, pool: pool)
                (state, position) = (replay.state, replay.head)
                if case .timeMs(let time) = asOf { asOfMs = time } else { asOfMs = replay.headTimeMs }
            } else {
                let current = await processor.stateAndPosition()
                (state, position, asOfMs) = (current.state, current.position, realNowMs)
                if await !processor.waitUntilCommitted(through: position, generation: current.generation) {
                    throw RPCError.unavailable(cause: "notCommitted", "the events this content was built from were not written; ask again")
                }
            }
            return Self.publicContent(state: state, taxonomy: taxonomy, position: position, asOfMs: asOfMs, realNowMs: realNowMs)
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// The document `site.content` answers and `lmdsd site` writes: one rule for the day of embargoes.
    public static func publicContent(state: DomainState, taxonomy: Taxonomy, position: UInt64, asOfMs: Int64, realNowMs: Int64) -> JSONValue {
        let publicDay = CivilDate.date(milliseconds: min(asOfMs, realNowMs))
        return PublicContent(state: state, taxonomy: taxonomy, asOfPosition: position, asOfMs: asOfMs, publicDay: publicDay).json
    }
}
