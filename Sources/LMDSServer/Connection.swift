import EventLog
import LMDSJSON
import LMDSProtocol
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One client connection: frames, authorises and answers its requests in order, applies back-pressure,
/// and streams its subscriptions. Lives on the channel's event loop.
final class RPCConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundLine
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let dispatcher: Dispatcher
    private let authorizer: Authorizer
    let hub: SubscriptionHub
    let log: EventLog
    private let subscriberStallMsMax: Int64
    let daemonLog: DaemonLog

    var context: ChannelHandlerContext?
    private var caller: Caller?
    private var pending = CircularBuffer<InboundLine>()
    private var busy = false
    private var readDeferred = false
    private var inputClosed = false
    /// The subscriptions' state (`ConnectionSubscriptions.swift`).
    var subscriptions: [String: UInt64] = [:]
    var subscriptionCounter = 0
    var hubToken: Int?
    var pumpScheduled = NIOLockedValueBox(false)
    private var stallTimer: Scheduled<Void>?
    /// The requests' way from a line to a reply (`RequestPipeline.swift`).
    private let pipeline: RequestPipeline
    /// Reads the peer's credentials when the connection becomes active (SO_PEERCRED; tests inject theirs).
    private let peerCredentials: (ChannelHandlerContext) -> EventLoopFuture<PeerCredentials>

    init(
        dispatcher: Dispatcher, authorizer: Authorizer, hub: SubscriptionHub, log: EventLog, lineBytesMax: Int,
        subscriberStallMsMax: Int64, daemonLog: DaemonLog,
        peerCredentials: @escaping (ChannelHandlerContext) -> EventLoopFuture<PeerCredentials> = RPCConnectionHandler.socketPeerCredentials
    ) {
        self.subscriberStallMsMax = subscriberStallMsMax
        self.dispatcher = dispatcher
        self.authorizer = authorizer
        self.hub = hub
        self.log = log
        self.pipeline = RequestPipeline(dispatcher: dispatcher, lineBytesMax: lineBytesMax)
        self.daemonLog = daemonLog
        self.peerCredentials = peerCredentials
    }

    /// The peer's credentials from the Unix socket (SO_PEERCRED).
    static func socketPeerCredentials(_ context: ChannelHandlerContext) -> EventLoopFuture<PeerCredentials> {
        guard let provider = context.channel as? any SocketOptionProvider else {
            return context.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        return provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
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
        peerCredentials(context).assumeIsolated().whenComplete { result in
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
        guard let context, !busy, let caller, context.channel.isWritable, let line = pending.popFirst() else { return }
        let incoming = pipeline.decode(line)
        // A ping, or a read answered from the reply cache, is written at once, without futures; after a
        // half-close every reply takes the path below, which closes the connection once the last one has left.
        if !inputClosed, case .incoming(.single(.request(let request))) = incoming, let reply = pipeline.immediateReply(request, caller: caller) {
            var buffer = context.channel.allocator.buffer(capacity: reply.count + 1)
            buffer.writeBytes(reply)
            buffer.writeInteger(UInt8(ascii: "\n"))
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            resumeReadingIfDeferred()
            processNext()
            return
        }
        busy = true
        let reply = pipeline.reply(to: incoming, caller: caller, on: context.eventLoop) { request throws(RPCError) in
            try self.answerConnectionMethod(request)
        }
        reply.assumeIsolated().whenComplete { result in
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
}
