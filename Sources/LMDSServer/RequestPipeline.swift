import EventLog
import LMDSJSON
import LMDSProtocol
import NIOCore

/// The request pipeline of one connection, apart from its channel: a framed line becomes the reply bytes
/// (or nothing, for notifications): decoded, admitted (not after shutdown began), authorised once, routed
/// through the dispatcher's route table, and rendered, with errors mapped once. The methods the
/// connection answers itself (subscriptions) are handed back to it through `connectionMethod`.
struct RequestPipeline {
    let dispatcher: Dispatcher
    let lineBytesMax: Int

    /// A line read: too long to parse, or parsed into a request, a batch or an error.
    enum DecodedLine {
        case tooLong
        case incoming(RPCIncoming)
    }

    func decode(_ line: InboundLine) -> DecodedLine {
        switch line {
        case .tooLong: return .tooLong
        case .line(let buffer): return .incoming(RPCCodec.decodeLine(buffer.readableBytesView))
        }
    }

    /// The whole reply to a request answered without futures (an admitted, authorised `system.ping`, or a
    /// `question.get` or `offer.get` of the current state in the reply cache; see
    /// `Dispatcher.immediateResult`), or nil when it must be answered the usual way.
    func immediateReply(_ request: RPCRequest, caller: Caller) -> [UInt8]? {
        guard let id = request.id, let result = dispatcher.immediateResult(request, caller: caller) else { return nil }
        // Authorised as every request is, and admitted (none once shutdown began) like every other.
        guard (try? Dispatcher.authorise(request, caller: caller)) != nil, dispatcher.admit() else { return nil }
        dispatcher.finish()
        return RPCCodec.success(id: id, encodedResult: result)
    }

    /// The reply to a line as canonical JSON bytes (without the newline), or nil when nothing is answered.
    func reply(
        to line: DecodedLine, caller: Caller, on eventLoop: any EventLoop,
        connectionMethod: @escaping (RPCRequest) throws(RPCError) -> JSONValue
    ) -> EventLoopFuture<[UInt8]?> {
        switch line {
        case .tooLong:
            let error = RPCError.invalidRequest("the line is longer than \(lineBytesMax) bytes")
            return eventLoop.makeSucceededFuture(JSONWriter.canonicalBytes(RPCCodec.failure(id: .null, error: error)))
        case .incoming(let incoming):
            switch incoming {
            case .single(let entry):
                return reply(to: entry, caller: caller, on: eventLoop, connectionMethod: connectionMethod)
            case .batch(let entries):
                let futures = entries.map { reply(to: $0, caller: caller, on: eventLoop, connectionMethod: connectionMethod) }
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

    func reply(
        to entry: RPCEntry, caller: Caller, on eventLoop: any EventLoop, connectionMethod: (RPCRequest) throws(RPCError) -> JSONValue
    ) -> EventLoopFuture<[UInt8]?> {
        switch entry {
        case .invalid(let id, let error):
            return eventLoop.makeSucceededFuture(JSONWriter.canonicalBytes(RPCCodec.failure(id: id, error: error)))
        case .request(let request):
            var outcome: EventLoopFuture<JSONValue>
            if dispatcher.admit() {
                do throws(RPCError) {
                    try Dispatcher.authorise(request, caller: caller)
                    if case .connection? = Dispatcher.routeTable[request.method]?.handler {
                        outcome = eventLoop.makeSucceededFuture(try connectionMethod(request))
                    } else {
                        outcome = dispatcher.handle(request, caller: caller, on: eventLoop)
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
}
