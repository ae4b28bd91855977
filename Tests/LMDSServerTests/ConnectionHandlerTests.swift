import EventLog
import Foundation
import LMDSCore
import LMDSJSON
import LMDSProtocol
import LMDSTestSupport
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
@testable import LMDSServer

/// The connection handler in an `EmbeddedChannel`: framing, the request pipeline and authorisation, without
/// a socket (the peer's credentials are injected).
@Suite struct ConnectionHandlerTests {
    /// A channel with the daemon's two handlers, a dispatcher on an empty log, and a peer with uid `uid`
    /// (0: root, an admin; 65534: nobody, without a role).
    static func channel(uid: UInt32, lineBytesMax: Int = 1024) throws -> (EmbeddedChannel, cleanUp: () -> Void) {
        let directory = NSTemporaryDirectory() + "lmds-connection-\(UInt32.random(in: 0...UInt32.max))"
        let log = try EventLog.open(EventLogConfiguration(directory: directory))
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let daemonLog = DaemonLog(threshold: .error, sink: { _ in })
        let dispatcher = Dispatcher(
            log: log, clock: SystemClock(), eventIDs: RandomEventIDSource(), threadPool: pool, dataDirectory: directory,
            taxonomy: DomainFixtures.leiden, connectionCount: { 1 }, daemonLog: daemonLog)
        let handler = RPCConnectionHandler(
            dispatcher: dispatcher, authorizer: Authorizer(config: DaemonConfig(), daemonUID: 4_000_000), hub: SubscriptionHub(), log: log,
            lineBytesMax: lineBytesMax, subscriberStallMsMax: 1_000, daemonLog: daemonLog,
            peerCredentials: { context in context.eventLoop.makeSucceededFuture(PeerCredentials(pid: 1, uid: uid, gid: uid)) })
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(lineBytesMax: lineBytesMax)))
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, {
            _ = try? channel.finish()
            log.close()
            try? pool.syncShutdownGracefully()
            try? FileManager.default.removeItem(atPath: directory)
        })
    }

    /// The reply lines written so far, parsed.
    static func replies(_ channel: EmbeddedChannel) throws -> [JSONValue] {
        var replies: [JSONValue] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            let text = String(buffer: buffer)
            #expect(text.hasSuffix("\n"), "every reply is one line")
            replies.append(try JSONParser.parse(Array(text.utf8.dropLast())))
        }
        return replies
    }

    /// A ping sent a byte at a time is answered once its newline arrives, with the request's id.
    @Test func aPingArrivingByteByByteIsAnsweredOnItsNewline() throws {
        let (channel, cleanUp) = try Self.channel(uid: 0)
        defer { cleanUp() }
        let line = #"{"jsonrpc":"2.0","id":7,"method":"system.ping"}"#
        for byte in Array(line.utf8) { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        #expect(try Self.replies(channel).isEmpty)
        try channel.writeInbound(ByteBuffer(string: "\n"))
        let replies = try Self.replies(channel)
        #expect(replies.count == 1 && replies.first?["id"] == 7 && replies.first?["result"]?["pong"] == true)
    }

    /// Malformed JSON, an overlong line and a batch are each answered as JSON-RPC says, in order.
    @Test func malformedOverlongAndBatchedLinesAreAnsweredInOrder() throws {
        let (channel, cleanUp) = try Self.channel(uid: 0, lineBytesMax: 1024)
        defer { cleanUp() }
        try channel.writeInbound(ByteBuffer(string: "{not json\n"))
        try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 2_000) + "\n"))
        try channel.writeInbound(ByteBuffer(string: #"[{"jsonrpc":"2.0","id":1,"method":"system.ping"},{"jsonrpc":"2.0","id":2,"method":"no.such"}]"# + "\n"))
        let replies = try Self.replies(channel)
        #expect(replies.count == 3)
        #expect(replies[0]["error"]?["code"] == .integer(Int64(RPCErrorCode.parseError)))
        #expect(replies[1]["error"]?["code"] == .integer(Int64(RPCErrorCode.invalidRequest)) && replies[1]["id"] == .null)
        let batch = replies[2].arrayValue ?? []
        #expect(batch.count == 2)
        #expect(batch.first { $0["id"] == 1 }?["result"]?["pong"] == true)
        #expect(batch.first { $0["id"] == 2 }?["error"]?["code"] == .integer(Int64(RPCErrorCode.methodNotFound)))
    }

    /// A peer without a role is refused every method, the ping included, and told so.
    @Test func aPeerWithoutARoleIsRefused() throws {
        let (channel, cleanUp) = try Self.channel(uid: 65_534)
        defer { cleanUp() }
        try channel.writeInbound(ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"system.ping"}"# + "\n"))
        let replies = try Self.replies(channel)
        #expect(replies.count == 1 && replies.first?["error"]?["code"] == .integer(Int64(RPCErrorCode.forbidden)))
    }
}
