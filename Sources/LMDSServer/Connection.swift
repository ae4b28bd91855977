import EventLog
import LMDSJSON
import LMDSProtocol
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A framed line, or the news that one was too long (its bytes were dropped as they arrived).
public enum InboundLine: Sendable {
    /// A complete line, without its newline.
    case line(ByteBuffer)
    /// A line longer than `lineBytesMax`, reported once; its bytes were dropped.
    case tooLong
}

/// Splits the byte stream at `\n` with a hard limit: a line longer than `lineBytesMax` is reported once
/// and its bytes discarded up to its newline, so a connection never buffers more than the limit.
/// A partial line at hang-up is dropped.
public struct LineFrameDecoder: ByteToMessageDecoder {
    /// Each frame is a line or the news that one was too long.
    public typealias InboundOut = InboundLine

    let lineBytesMax: Int
    private var discarding = false
    private var scannedBytes = 0

    /// A decoder that refuses lines longer than `lineBytesMax` bytes, which must be positive.
    public init(lineBytesMax: Int) {
        precondition(lineBytesMax > 0, "lineBytesMax must be positive")
        self.lineBytesMax = lineBytesMax
    }

    /// Passes on every complete line in `buffer`, or `.tooLong` once for a line over the limit.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        let searchStart = view.startIndex + scannedBytes
        if let newline = view[searchStart...].firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            scannedBytes = 0
            if discarding {
                discarding = false
                buffer.moveReaderIndex(forwardBy: length + 1)
                return .continue
            }
            if length > lineBytesMax {
                buffer.moveReaderIndex(forwardBy: length + 1)
                context.fireChannelRead(Self.wrapInboundOut(.tooLong))
                return .continue
            }
            let line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            context.fireChannelRead(Self.wrapInboundOut(.line(line)))
            return .continue
        }
        if discarding {
            buffer.moveReaderIndex(forwardBy: view.count)
            scannedBytes = 0
            return .needMoreData
        }
        if view.count > lineBytesMax {
            discarding = true
            buffer.moveReaderIndex(forwardBy: view.count)
            scannedBytes = 0
            context.fireChannelRead(Self.wrapInboundOut(.tooLong))
            return .needMoreData
        }
        scannedBytes = view.count
        return .needMoreData
    }

    /// At hang-up, passes on the remaining complete lines and drops a partial one.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}

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

/// One client connection: frames, authorises and answers its requests in order, applies back-pressure,
/// and streams its subscriptions. Lives on the channel's event loop.
final class RPCConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundLine
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let dispatcher: Dispatcher
    private let authorizer: Authorizer
    private let hub: SubscriptionHub
    private let log: EventLog
    private let lineBytesMax: Int
    private let subscriberStallMsMax: Int64
    private let daemonLog: DaemonLog

    private var context: ChannelHandlerContext?
    private var caller: Caller?
    private var pending = CircularBuffer<InboundLine>()
    private var busy = false
    private var readDeferred = false
    private var inputClosed = false
    private var subscriptions: [String: UInt64] = [:]
    private var subscriptionCounter = 0
    private var hubToken: Int?
    private var pumpScheduled = NIOLockedValueBox(false)
    private var stallTimer: Scheduled<Void>?

    init(
        dispatcher: Dispatcher, authorizer: Authorizer, hub: SubscriptionHub, log: EventLog, lineBytesMax: Int,
        subscriberStallMsMax: Int64, daemonLog: DaemonLog
    ) {
        self.subscriberStallMsMax = subscriberStallMsMax
        self.dispatcher = dispatcher
        self.authorizer = authorizer
        self.hub = hub
        self.log = log
        self.lineBytesMax = lineBytesMax
        self.daemonLog = daemonLog
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let hubToken { hub.unregister(hubToken) }
        hubToken = nil
        stallTimer?.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        let credentials: EventLoopFuture<PeerCredentials>
        if let provider = context.channel as? any SocketOptionProvider {
            credentials = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        } else {
            credentials = context.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        credentials.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let peer):
                self.caller = self.authorizer.caller(for: peer)
                self.processNext()
            case .failure(let error):
                self.daemonLog.warning("closing a connection whose peer credentials cannot be read: \(error)")
                context.close(promise: nil)
            }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        subscriptions.removeAll()
        if let hubToken { hub.unregister(hubToken) }
        hubToken = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(unwrapInboundIn(data))
        processNext()
    }

    /// Back-pressure: stop reading from a client with too many requests waiting.
    func read(context: ChannelHandlerContext) {
        if pending.count >= ServerLimits.pendingLinesPerConnectionMax {
            readDeferred = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallTimer?.cancel()
            stallTimer = nil
            processNext()
            schedulePump()
        } else if !subscriptions.isEmpty && stallTimer == nil {
            let stallMs = subscriberStallMsMax
            stallTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(stallMs)) {
                guard let context = self.context, !context.channel.isWritable else { return }
                self.daemonLog.warning("cutting off subscriber \(self.caller?.userName ?? "?"): it has not read for \(stallMs) ms")
                context.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let channelEvent = event as? ChannelEvent, channelEvent == .inputClosed {
            inputClosed = true
            closeIfDrained()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// After the client shut its write side: close once every request it sent is answered (subscriptions
    /// keep the connection open; the client still reads).
    private func closeIfDrained() {
        guard inputClosed, !busy, pending.isEmpty, subscriptions.isEmpty, let context else { return }
        context.close(mode: .all, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        daemonLog.debug("connection error: \(error)")
        context.close(promise: nil)
    }

    // MARK: Requests

    private func processNext() {
        guard let context, !busy, caller != nil, context.channel.isWritable, let line = pending.popFirst() else { return }
        let incoming = decode(line)
        // A ping, or a read answered from the reply cache, is written at once, without futures; after a
        // half-close every reply takes the path below, which closes the connection once the last one has left.
        if !inputClosed, case .incoming(.single(.request(let request))) = incoming, let reply = immediateReply(request) {
            var buffer = context.channel.allocator.buffer(capacity: reply.count + 1)
            buffer.writeBytes(reply)
            buffer.writeInteger(UInt8(ascii: "\n"))
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            resumeReadingIfDeferred()
            processNext()
            return
        }
        busy = true
        handle(incoming).assumeIsolated().whenComplete { result in
            self.busy = false
            if case .success(let reply?) = result, let context = self.context {
                var buffer = context.channel.allocator.buffer(capacity: reply.count + 1)
                buffer.writeBytes(reply)
                buffer.writeInteger(UInt8(ascii: "\n"))
                // Close (after a half-close) only once the last reply has left, never with it still buffered.
                context.writeAndFlush(self.wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
                    self.closeIfDrained()
                }
            } else {
                self.closeIfDrained()
            }
            self.resumeReadingIfDeferred()
            self.processNext()
        }
    }

    private func resumeReadingIfDeferred() {
        if readDeferred && pending.count < ServerLimits.pendingLinesPerConnectionMax {
            readDeferred = false
            context?.read()
        }
    }

    /// A line read: too long to parse, or parsed into a request, a batch or an error.
    private enum DecodedLine {
        case tooLong
        case incoming(RPCIncoming)
    }

    private func decode(_ line: InboundLine) -> DecodedLine {
        switch line {
        case .tooLong: return .tooLong
        case .line(let buffer): return .incoming(RPCCodec.decodeLine(buffer.readableBytesView))
        }
    }

    /// The whole reply to a request answered without futures (an admitted, authorised `system.ping`, or a
    /// `question.get` or `offer.get` of the current state in the reply cache; see
    /// `Dispatcher.immediateResult`), or nil when it must be answered the usual way.
    private func immediateReply(_ request: RPCRequest) -> [UInt8]? {
        guard let id = request.id, let caller, let result = dispatcher.immediateResult(request, caller: caller) else { return nil }
        // Authorised as every request is, and admitted (none once shutdown began) like every other.
        guard (try? Dispatcher.authorise(method: request.method, caller: caller)) != nil, dispatcher.admit() else { return nil }
        dispatcher.finish()
        return RPCCodec.success(id: id, encodedResult: result)
    }

    /// The reply to a line as canonical JSON bytes (without the newline), or nil when nothing is answered.
    private func handle(_ line: DecodedLine) -> EventLoopFuture<[UInt8]?> {
        let eventLoop = context!.eventLoop
        switch line {
        case .tooLong:
            let error = RPCError.invalidRequest("the line is longer than \(lineBytesMax) bytes")
            return eventLoop.makeSucceededFuture(JSONWriter.canonicalBytes(RPCCodec.failure(id: .null, error: error)))
        case .incoming(let incoming):
            switch incoming {
            case .single(let entry):
                return handle(entry)
            case .batch(let entries):
                let futures = entries.map { handle($0) }
                return EventLoopFuture.whenAllComplete(futures, on: eventLoop).map { results in
                    let replies: [[UInt8]] = results.compactMap { result in
                        if case .success(let reply?) = result { return reply }
                        return nil
                    }
                    return replies.isEmpty ? nil : RPCCodec.batch(replies)
                }
            }
        }
    }

    private func handle(_ entry: RPCEntry) -> EventLoopFuture<[UInt8]?> {
        let eventLoop = context!.eventLoop
        switch entry {
        case .invalid(let id, let error):
            return eventLoop.makeSucceededFuture(JSONWriter.canonicalBytes(RPCCodec.failure(id: id, error: error)))
        case .request(let request):
            var outcome: EventLoopFuture<JSONValue>
            if dispatcher.admit() {
                do throws(RPCError) {
                    _ = try Dispatcher.authorise(method: request.method, caller: caller!)
                    switch request.method {
                    case "events.subscribe": outcome = eventLoop.makeSucceededFuture(try subscribe(request.params))
                    case "events.unsubscribe": outcome = eventLoop.makeSucceededFuture(try unsubscribe(request.params))
                    default: outcome = dispatcher.handle(request, caller: caller!, on: eventLoop)
                    }
                } catch {
                    outcome = eventLoop.makeFailedFuture(error)
                }
                let dispatcher = self.dispatcher
                outcome = outcome.always { _ in dispatcher.finish() }
            } else {
                outcome = eventLoop.makeFailedFuture(RPCError.unavailable(cause: "shuttingDown", "the daemon is shutting down"))
            }
            return outcome.map { result -> [UInt8]? in
                guard let id = request.id else { return nil }
                return JSONWriter.canonicalBytes(RPCCodec.success(id: id, result: result))
            }.recover { error -> [UInt8]? in
                guard let id = request.id else { return nil }
                return JSONWriter.canonicalBytes(RPCCodec.failure(id: id, error: Dispatcher.rpcError(error)))
            }
        }
    }

    // MARK: Subscriptions

    private func subscribe(_ rawParams: JSONValue?) throws(RPCError) -> JSONValue {
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

    private func unsubscribe(_ rawParams: JSONValue?) throws(RPCError) -> JSONValue {
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

    private func schedulePump() {
        guard let context, !subscriptions.isEmpty else { return }
        let first = pumpScheduled.withLockedValue { wasScheduled -> Bool in
            defer { wasScheduled = true }
            return !wasScheduled
        }
        if first { context.eventLoop.assumeIsolated().execute { self.pump() } }
    }

    /// Sends what each subscription has not seen yet, a chunk at a time, while the socket takes it.
    private func pump() {
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
