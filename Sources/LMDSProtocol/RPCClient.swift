import LMDSJSON

#if canImport(Glibc)
import Glibc
#endif

/// Why a client could not get an answer.
public enum ClientError: Error, CustomStringConvertible {
    /// No daemon at the socket: exit code 3.
    case unreachable(path: String, reason: String)
    /// The connection broke or the daemon sent something that is not JSON-RPC.
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason):
            return "cannot reach lmdsd at \(path): \(reason).\nStart it with `lmdsd --socket \(path)` (or `systemctl start lmdsd.socket`), or point --socket / $LMDS_SOCKET at the right path."
        case .protocolViolation(let reason):
            return "the daemon's answer could not be read: \(reason)"
        }
    }
}

/// A blocking JSON-RPC client over a Unix socket: one request per line, one reply per line. Good for a
/// short-lived process; the daemon side is the one that must never block.
///
/// The one socket client of the code base: the CLI, `lmdsd`'s offline commands that ask a running daemon
/// (`replay --check`, the start-up probe of a socket already served), the integration tests and `lmds-bench`
/// (which polls many clients' `descriptor`s itself and sends pre-built lines with `sendRaw`) all connect
/// through it. It lives here, with the wire format, because both sides of the CLI/daemon split need it.
public final class RPCClient {
    /// The connected socket, for callers that wait on several connections with poll(2); the client closes it.
    public let descriptor: Int32
    private var buffer: [UInt8] = []
    private var nextID: Int64 = 1
    /// Notifications that arrived while waiting for a reply, oldest first.
    private var notifications: [JSONValue] = []
    /// Replies longer than this are refused (a broken daemon must not exhaust the CLI's memory).
    public static let replyBytesMax = 64 << 20

    /// Connects to the daemon. With `receiveTimeoutMs`, a read that waits longer fails instead of hanging.
    /// - Throws: `ClientError.unreachable` naming the path.
    public init(socketPath: String, receiveTimeoutMs: Int? = nil) throws(ClientError) {
        let descriptor = try Self.connectedSocket(socketPath)
        if let receiveTimeoutMs {
            var timeout = timeval(tv_sec: receiveTimeoutMs / 1000, tv_usec: (receiveTimeoutMs % 1000) * 1000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        self.descriptor = descriptor
    }

    /// A stream socket connected to `socketPath` (close-on-exec).
    private static func connectedSocket(_ socketPath: String) throws(ClientError) -> Int32 {
        let bytes = Array(socketPath.utf8)
        var address = sockaddr_un()
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .unreachable(path: socketPath, reason: "the path is too long for a Unix socket")
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .unreachable(path: socketPath, reason: String(cString: strerror(errno))) }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .unreachable(path: socketPath, reason: reason)
        }
        return descriptor
    }

    deinit { close(descriptor) }

    /// Sends a request and waits for its reply.
    /// - Returns: the result, or the daemon's error.
    public func call(_ method: String, _ params: JSONValue? = nil) throws(ClientError) -> Result<JSONValue, RPCError> {
        let id = nextID
        nextID += 1
        try send(RPCRequest(id: .integer(id), method: method, params: params).json)
        while true {
            let message = try readMessage()
            if message["method"] != nil && message["id"] == nil {
                notifications.append(message)
                continue
            }
            guard message["id"] == .integer(id) || message["id"] == .null else { continue }
            if let error = message["error"] {
                guard let rpcError = RPCError(json: error) else { throw .protocolViolation("malformed error object") }
                return .failure(rpcError)
            }
            guard let result = message["result"] else { throw .protocolViolation("a reply with neither result nor error") }
            return .success(result)
        }
    }

    /// Sends one JSON value as a line.
    public func send(_ value: JSONValue) throws(ClientError) {
        try sendRaw(RPCCodec.line(value))
    }

    /// Sends bytes exactly as given (tests and tools that speak the wire format directly).
    public func sendRaw(_ line: [UInt8]) throws(ClientError) {
        var offset = 0
        while offset < line.count {
            let written = line[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .protocolViolation("write failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Shuts the sending side: the daemon answers what it received, then closes.
    public func finishSending() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Whether a message is already here (a notification kept aside, or a whole line read), so that
    /// `nextNotification` returns without reading: a client that polls `descriptor` asks this first.
    public var hasBufferedMessage: Bool { !notifications.isEmpty || buffer.contains(UInt8(ascii: "\n")) }

    /// The next notification: one that arrived earlier, or the next message read.
    public func nextNotification() throws(ClientError) -> JSONValue {
        if !notifications.isEmpty { return notifications.removeFirst() }
        return try readMessage()
    }

    /// Reads one line and parses it.
    public func readMessage() throws(ClientError) -> JSONValue {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                do {
                    return try JSONParser.parse(line, depthMax: 256)
                } catch {
                    throw .protocolViolation("invalid JSON from the daemon: \(error)")
                }
            }
            guard buffer.count < Self.replyBytesMax else { throw .protocolViolation("reply longer than \(Self.replyBytesMax) bytes") }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { throw .protocolViolation("no answer within the receive timeout") }
            guard count > 0 else { throw .protocolViolation("the daemon closed the connection") }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }
}
