import EventLog
import LMDSJSON
import LMDSProtocol
import NIOConcurrencyHelpers
import NIOCore

/// Fans commits out to the connections that have subscriptions: each registers a poke, and every commit
/// pokes them all. The log itself is the buffer; a poke only says "there is more to read".
public final class SubscriptionHub: Sendable {
    private let pokes = NIOLockedValueBox<(next: Int, table: [Int: @Sendable () -> Void])>((0, [:]))

    public init() {}

    /// Registers `poke`, called on every commit from the log's writer thread; returns a token.
    public func register(_ poke: @escaping @Sendable () -> Void) -> Int {
        pokes.withLockedValue { state in
            state.next += 1
            state.table[state.next] = poke
            return state.next
        }
    }

    /// Removes the poke registered under `token`, when its connection closes or stops subscribing.
    public func unregister(_ token: Int) {
        pokes.withLockedValue { _ = $0.table.removeValue(forKey: token) }
    }

    /// Called by the log after each commit.
    public func committed() {
        let current = pokes.withLockedValue { Array($0.table.values) }
        for poke in current { poke() }
    }

    /// Connections with at least one subscription.
    public var subscriberCount: Int { pokes.withLockedValue { $0.table.count } }
}

/// The subscriptions of one connection (`events.subscribe`, `events.unsubscribe`) and the pump that sends
/// each one what it has not seen yet, from the log itself (the log is the buffer).
extension RPCConnectionHandler {
    /// Answers the methods the connection answers itself (the route table marks them `.connection`).
    func answerConnectionMethod(_ request: RPCRequest) throws(RPCError) -> JSONValue {
        switch request.method {
        case "events.subscribe": return try subscribe(request.params)
        case "events.unsubscribe": return try unsubscribe(request.params)
        default: throw RPCError.methodNotFound(request.method)
        }
    }

    func subscribe(_ rawParams: JSONValue?) throws(RPCError) -> JSONValue {
        var params = try Params(rawParams)
        let head = log.head.position
        let from = try params.integer("from", in: 1...Int64.max).map(UInt64.init) ?? head + 1
        try params.rejectUnknown()
        guard subscriptions.count < ServerLimits.subscriptionsPerConnectionMax else {
            throw RPCError.unavailable(cause: "subscriptionLimit", "at most \(ServerLimits.subscriptionsPerConnectionMax) subscriptions per connection")
        }
        subscriptionCounter += 1
        let id = "S-\(subscriptionCounter)"
        subscriptions[id] = from
        if hubToken == nil, let context {
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let scheduled = pumpScheduled
            hubToken = hub.register {
                // Coalesce: one pump pending at a time, however many commits arrive meanwhile.
                let first = scheduled.withLockedValue { wasScheduled -> Bool in
                    defer { wasScheduled = true }
                    return !wasScheduled
                }
                if first { eventLoop.execute { loopBound.value.pump() } }
            }
        }
        // The reply goes out first; the catch-up starts right after it.
        context?.eventLoop.assumeIsolated().execute { self.schedulePump() }
        return ["subscription": .string(id), "from": .integer(Int64(from)), "head": .integer(Int64(head))]
    }

    func unsubscribe(_ rawParams: JSONValue?) throws(RPCError) -> JSONValue {
        var params = try Params(rawParams)
        guard let id = try params.string("subscription", bytesMax: 64) else {
            throw RPCError.invalidParams(field: "subscription", "required: the id events.subscribe returned")
        }
        try params.rejectUnknown()
        guard subscriptions.removeValue(forKey: id) != nil else { throw RPCError.notFound(id) }
        if subscriptions.isEmpty, let hubToken {
            hub.unregister(hubToken)
            self.hubToken = nil
        }
        return ["subscription": .string(id), "ended": true]
    }

    func schedulePump() {
        guard let context, !subscriptions.isEmpty else { return }
        let first = pumpScheduled.withLockedValue { wasScheduled -> Bool in
            defer { wasScheduled = true }
            return !wasScheduled
        }
        if first { context.eventLoop.assumeIsolated().execute { self.pump() } }
    }

    /// Sends what each subscription has not seen yet, a chunk at a time, while the socket takes it.
    func pump() {
        pumpScheduled.withLockedValue { $0 = false }
        guard let context, context.channel.isActive else { return }
        var more = false
        for id in subscriptions.keys.sorted() {
            guard context.channel.isWritable, let next = subscriptions[id] else { break }
            do {
                let records = try log.records(from: next, limit: ServerLimits.subscriptionChunkEventsMax)
                for record in records {
                    let notification = RPCCodec.notification(
                        method: "events.event", params: ["subscription": .string(id), "event": try record.envelopeJSON()])
                    var buffer = context.channel.allocator.buffer(capacity: 512)
                    buffer.writeBytes(RPCCodec.line(notification))
                    context.write(wrapOutboundOut(buffer), promise: nil)
                }
                if let last = records.last { subscriptions[id] = last.position + 1 }
                if records.count == ServerLimits.subscriptionChunkEventsMax { more = true }
            } catch {
                daemonLog.error("subscription \(id) cannot read the log: \(error)")
                context.close(promise: nil)
                return
            }
        }
        context.flush()
        if more && context.channel.isWritable { schedulePump() }
    }
}
