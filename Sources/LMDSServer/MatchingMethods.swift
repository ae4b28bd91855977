import LMDSCore
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import Matching
import NIOCore
import NIOPosix

/// The matching methods: explainable suggestions both ways, and the best plan for a period.
extension Dispatcher {
    /// Suggestions returned at most per call.
    static let suggestionsMax: Int64 = 100

    /// The matching methods in the route table.
    static let matchingRoutes: [Route] = [
        .answer("match.suggest", Dispatcher.answerMatchSuggest),
        .answer("match.plan", Dispatcher.answerMatchPlan, option: (param: "propose", role: .coordinator)),
    ]

    /// `match.suggest`.
    func answerMatchSuggest(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let question = try params.string("question", bytesMax: 32)
        let offer = try params.string("offer", bytesMax: 32)
        guard (question == nil) != (offer == nil) else {
            throw RPCError.invalidParams(field: question == nil ? "question" : "offer", "give either question (to rank offers) or offer (to rank questions)")
        }
        let limit = Int(try params.integer("limit", in: 1...Self.suggestionsMax) ?? 10)
        let explain = try params.bool("explain") ?? false
        let asOf = try Self.asOf(&params)
        try params.rejectUnknown()
        let body: @Sendable (DomainState, MatchingIndex, Matcher) throws -> JSONValue = { state, index, matcher in
            do throws(MatchingError) {
                let found: (suggestions: [Suggestion], excluded: [Exclusion])
                if let question {
                    found = try matcher.suggestOffers(for: question, state: state, index: index, limit: limit, explain: explain)
                } else {
                    found = try matcher.suggestQuestions(for: offer ?? "", state: state, index: index, limit: limit, explain: explain)
                }
                return Self.suggestionsJSON(question: question, offer: offer, suggestions: found.suggestions,
                                            excluded: explain ? found.excluded : nil, state: state)
            } catch {
                throw Self.rpcError(error)
            }
        }
        return matchingRead(asOf: asOf, on: eventLoop, body)
    }

    /// `match.plan`.
    func answerMatchPlan(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let caller = context.caller
        let period = try Self.planPeriod(&params)
        let minScore = try Self.minScore(&params)
        let propose = try params.bool("propose") ?? false
        let asOf = try Self.asOf(&params)
        if propose && asOf != nil { throw RPCError.invalidParams(field: "asOf", "a plan of the past cannot be proposed") }
        let requestID = try params.string("requestId", bytesMax: RecordCodec.requestIDBytesMax)
        try params.rejectUnknown()
        let plan: @Sendable (DomainState, MatchingIndex, Matcher) throws -> JSONValue = { state, index, matcher in
            var covered = period
            if case .label(let label) = period {
                // A label no offer uses would plan nothing: say so, with the labels in use.
                covered = .label(try Dispatcher.answering { () throws(DomainError) in
                    try state.periodVocabulary.resolve(label, field: "period")
                })
            }
            return Self.planJSON(Planner.plan(period: covered, minScore: minScore, state: state, index: index, matcher: matcher), state: state)
        }
        let planned = matchingRead(asOf: asOf, on: eventLoop, offActor: true, plan)
        guard propose else { return planned }
        return proposePlan(planned, period: period, requestID: requestID, caller: caller, on: eventLoop)
    }

    /// Turns a plan into proposals in one atomic append (`match.plan` with `propose`); a retry with the same
    /// `requestId` gets the proposals its first attempt made, read back from the log.
    func proposePlan(
        _ planned: EventLoopFuture<JSONValue>, period: Planner.PeriodReference, requestID: String?, caller: Caller, on eventLoop: any EventLoop
    ) -> EventLoopFuture<JSONValue> {
        let processor = self.processor
        let log = self.log
        let actor = caller.actor
        let issuer = caller.issuer
        return planned.flatMap { planJSON in
            let pairs = planJSON["pairs"]?.arrayValue ?? []
            guard !pairs.isEmpty else {
                // Nothing to propose now; but a retry of an attempt that did propose gets what it made.
                guard let requestID else { return eventLoop.makeSucceededFuture(planJSON) }
                return eventLoop.makeFutureWithTask {
                    guard let earlier = await processor.rememberedResult(requestID) else { return planJSON }
                    let created = try Self.proposalsCreated(log: log, lastPosition: Int64(earlier.position), requestID: requestID, count: 0)
                    return Self.proposedPlan(planJSON, created: created, position: .integer(Int64(earlier.position)))
                }
            }
            let label = Self.periodName(period)
            let requests = pairs.map { pair in
                ProposalRequest(
                    question: pair["question"]?.stringValue ?? "", offer: pair["offer"]?.stringValue ?? "",
                    note: "Plan \(label): score \(Self.formatScore(pair["score"]?.doubleValue ?? 0))")
            }
            return eventLoop.makeFutureWithTask {
                let result = try await processor.execute(.proposal(.createMany(requests)), actor: actor, issuer: issuer, requestID: requestID)
                // What was proposed is read back from the log: a retry with the same requestId gets the
                // proposals its first attempt made, even if the plan has changed since.
                let created = try Self.proposalsCreated(log: log, lastPosition: Int64(result?.position ?? 0), requestID: requestID,
                                                        count: requests.count)
                return Self.proposedPlan(planJSON, created: created, position: result.map { .integer(Int64($0.position)) })
            }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
        }
    }

    /// Runs a matching read on the live index, or on an index built for the state as of `asOf`.
    /// `offActor`: run on the blocking pool on a snapshot (a plan takes about a second at 2,000 x 500, which
    /// must not hold up writes); otherwise on the actor, where the index is read without a copy.
    func matchingRead(
        asOf: DomainProcessor.AsOf?, on eventLoop: any EventLoop, offActor: Bool = false,
        _ body: @escaping @Sendable (DomainState, MatchingIndex, Matcher) throws -> JSONValue
    ) -> EventLoopFuture<JSONValue> {
        let processor = self.processor
        let log = self.log
        let pool = self.threadPool
        return eventLoop.makeFutureWithTask {
            let analyzer = processor.analyzer
            guard let asOf else {
                guard offActor else { return try await processor.withMatching(body) }
                let snapshot = await processor.snapshot()
                let (state, index, matcher) = (snapshot.models.state, snapshot.models.matching, processor.matcher)
                return try await pool.runIfActive { try body(state, index, matcher) }
            }
            let matcher = processor.matcher
            return try await pool.runIfActive {
                let state = try DomainProcessor.replay(log: log, upTo: asOf).state
                return try body(state, MatchingIndex(analyzer: analyzer, state: state), matcher)
            }
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    static func rpcError(_ error: MatchingError) -> RPCError {
        switch error.code {
        case .notFound: return RPCError.notFound(error.entityID)
        case .conflict: return RPCError.conflict(error.message, state: error.state)
        }
    }

    static func planPeriod(_ params: inout Params) throws(RPCError) -> Planner.PeriodReference {
        guard let value = params.raw("period"), !value.isNull else {
            throw RPCError.invalidParams(field: "period", "required: a period label (\"2026-2027 S2\") or {\"from\", \"to\"}")
        }
        if let label = value.stringValue {
            guard !label.isEmpty, label.utf8.count <= OfferLimits.periodLabelBytesMax else {
                throw RPCError.validation(field: "period", "a label of 1 to \(OfferLimits.periodLabelBytesMax) bytes")
            }
            return .label(label)
        }
        guard case .object(let members) = value, let from = members["from"]?.stringValue, let to = members["to"]?.stringValue,
            members.count == 2
        else { throw RPCError.invalidParams(field: "period", "expected a label or {\"from\": \"YYYY-MM-DD\", \"to\": \"YYYY-MM-DD\"}") }
        guard DateWindow.isDate(from), DateWindow.isDate(to), from <= to else {
            throw RPCError.validation(field: "period", "from and to must be dates, from not after to")
        }
        return .dates(DateWindow(from: from, to: to))
    }

    static func minScore(_ params: inout Params) throws(RPCError) -> Double {
        guard let value = params.raw("minScore"), !value.isNull else { return 0.3 }
        guard let score = value.doubleValue else { throw RPCError.invalidParams(field: "minScore", "expected a number from 0 to 1") }
        guard score >= 0, score <= 1 else { throw RPCError.validation(field: "minScore", "must be from 0 to 1") }
        return score
    }

    static func periodName(_ period: Planner.PeriodReference) -> String {
        switch period {
        case .label(let label): return label
        case .dates(let window): return "\(window.from)..\(window.to)"
        }
    }

    /// Scores are reported with three decimals: finer differences mean nothing to a reader.
    static func formatScore(_ score: Double) -> String {
        let thousandths = Int((score * 1000).rounded())
        let digits = String(thousandths % 1000)
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - digits.count) + digits
    }

    static func score(_ value: Double) -> JSONValue { .double((value * 1000).rounded() / 1000) }

    static func suggestionsJSON(question: String?, offer: String?, suggestions: [Suggestion], excluded: [Exclusion]?, state: DomainState) -> JSONValue {
        var result: [String: JSONValue] = [
            "for": .string(question ?? offer ?? ""),
            "suggestions": .array(suggestions.map { suggestion in
                let title = question != nil ? state.offers[suggestion.id]?.title : state.questions[suggestion.id]?.title
                var item: [String: JSONValue] = [
                    "id": .string(suggestion.id), "title": .string(title ?? "?"), "score": score(suggestion.score),
                    "topical": .bool(suggestion.topical),
                    "reasons": .array(suggestion.reasons.map { reason in
                        ["factor": .string(reason.factor), "value": score(reason.value), "share": score(reason.share), "detail": .string(reason.detail)]
                    }),
                ]
                if let engagement = suggestion.engagement { item["engagement"] = .string(engagement.rawValue) }
                return .object(item)
            }),
            // Topical pairs rank first, so the first suggestion says whether there is any.
            "noGoodMatch": .bool(suggestions.first?.topical != true),
        ]
        if let excluded {
            result["excluded"] = .array(excluded.map { ["id": .string($0.id), "reason": .string($0.reason)] })
        }
        return .object(result)
    }

    static func planJSON(_ plan: Plan, state: DomainState) -> JSONValue {
        [
            "pairs": .array(plan.pairs.map { pair in
                [
                    "question": .string(pair.question), "questionTitle": .string(state.questions[pair.question]?.title ?? "?"),
                    "offer": .string(pair.offer), "offerTitle": .string(state.offers[pair.offer]?.title ?? "?"), "score": score(pair.score),
                    "runnerUp": pair.runnerUp.map { ["offer": .string($0.offer), "score": score($0.score)] } ?? .null,
                ]
            }),
            "totalScore": score(plan.totalScore), "unassigned": .array(plan.unassigned.map { .string($0) }),
            "candidatePairs": .integer(Int64(plan.candidatePairs)),
        ]
    }

    /// The ProposalCreated records of one append, ending at `lastPosition`: those with `requestID` (a retry
    /// finds its first attempt's), or the last `count` when there is none.
    static func proposalsCreated(log: EventLog, lastPosition: Int64, requestID: String?, count: Int) throws -> [(proposal: String, question: String, offer: String)] {
        var created: [(String, String, String)] = []
        var position = lastPosition
        while position > 0, created.count < CollaborationLimits.proposalsPerAppendMax {
            guard let record = try log.record(at: UInt64(position)), record.type == "ProposalCreated" else { break }
            if let requestID { guard record.requestID == requestID else { break } } else if created.count == count { break }
            let data = try record.data()
            created.append((data["id"]?.stringValue ?? "?", data["question"]?.stringValue ?? "?", data["offer"]?.stringValue ?? "?"))
            position -= 1
        }
        return created.reversed()
    }

    /// The reply to a proposed plan: the pairs as proposed (with each proposal's id), scored by the plan
    /// where it still has the pair, and the log position of the append.
    static func proposedPlan(_ plan: JSONValue, created: [(proposal: String, question: String, offer: String)], position: JSONValue?) -> JSONValue {
        guard var members = plan.objectValue else { return plan }
        let planned = (members["pairs"]?.arrayValue ?? []).reduce(into: [String: JSONValue]()) { byPair, pair in
            byPair["\(pair["question"]?.stringValue ?? "")|\(pair["offer"]?.stringValue ?? "")"] = pair
        }
        members["pairs"] = .array(created.map { entry in
            var pair = planned["\(entry.question)|\(entry.offer)"]?.objectValue
                ?? ["question": .string(entry.question), "offer": .string(entry.offer), "score": .null, "runnerUp": .null,
                    "questionTitle": .null, "offerTitle": .null]
            pair["proposal"] = .string(entry.proposal)
            return .object(pair)
        })
        members["position"] = position ?? .null
        // The total of the pairs as proposed (a retry's pairs may differ from today's plan).
        members["totalScore"] = score((members["pairs"]?.arrayValue ?? []).compactMap { $0["score"]?.doubleValue }.reduce(0, +))
        return .object(members)
    }
}
