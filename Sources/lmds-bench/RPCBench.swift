import Foundation
import LMDSJSON
import LMDSProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `lmds-bench rpc`: closed-loop clients against a running daemon, each on its own connection with one
/// request in flight at a time (send a line, wait for its reply line), for a bounded time. All connections
/// are driven by one thread with poll(2), as `redis-benchmark` drives its clients, so that the client takes
/// as little of the machine's CPU from the daemon as the reference's client does.
///
///     lmds-bench rpc --socket S --method M --clients N [--params JSON] [--rotate K] [--duration-ms 3000] [--warmup-ms 500]
///
/// `--params` is the request's params object; with `--rotate K` every `@N@` in it becomes a 4-digit
/// number cycling through 1 … K (so `{"id":"Q-@N@"}` reads K different questions), and every `@R@` a value
/// unique to the request (for `requestId`s). Requests started during the warm-up are sent but not counted.
/// Prints requests, requests per second and p50/p99 latency (µs); any error reply or a lost connection
/// makes the run fail, so a figure never hides failed requests.
func runRPC(_ options: Options) throws {
    let socketPath = try options.string("socket")
    let method = try options.string("method")
    let clients = try options.positiveInteger("clients")
    let durationMs = try options.positiveInteger("duration-ms", default: 3000)
    let warmupMs = try options.positiveInteger("warmup-ms", default: 500)
    let rotate = try options.positiveInteger("rotate", default: 1)
    let template = RequestTemplate(method: method, params: options.optionalString("params"), rotate: rotate)

    var connections: [RPCConnection] = []
    for client in 0..<clients { connections.append(try RPCConnection(socketPath: socketPath, client: client)) }

    let started = nowNanoseconds()
    let countFrom = started + UInt64(warmupMs) * 1_000_000
    let stopAt = countFrom + UInt64(durationMs) * 1_000_000
    var latencies: [UInt64] = []
    var pollSet = connections.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
    var buffer = [UInt8](repeating: 0, count: 65536)
    for index in connections.indices { try connections[index].send(template, clients: clients) }
    var open = clients
    while open > 0 {
        let ready = poll(&pollSet, nfds_t(pollSet.count), 1000)
        if ready < 0 && errno != EINTR { throw BenchFailure("poll failed: errno \(errno)") }
        guard ready > 0 else { continue }
        for index in pollSet.indices where pollSet[index].revents != 0 {
            pollSet[index].revents = 0
            let count = buffer.withUnsafeMutableBytes { read(pollSet[index].fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw BenchFailure("client \(index): the daemon closed the connection (read \(count), errno \(errno))") }
            guard let reply = try connections[index].received(buffer[0..<count]) else { continue }
            let now = nowNanoseconds()
            if let error = reply.error { throw BenchFailure("client \(index): error reply: \(error)") }
            if reply.sentAt >= countFrom { latencies.append(now - reply.sentAt) }
            if now >= stopAt {
                pollSet[index].fd = -1  // poll ignores negative descriptors
                open -= 1
            } else {
                try connections[index].send(template, clients: clients)
            }
        }
    }
    let seconds = Double(durationMs) / 1000
    latencies.sort()
    emit([
        "workload": "rpc", "method": .string(method), "clients": .integer(Int64(clients)),
        "requests": .integer(Int64(latencies.count)), "seconds": .double(seconds),
        "requestsPerSecond": .double(rounded(Double(latencies.count) / seconds, 1)),
        "p50Us": .double(rounded(Double(quantile(latencies, 0.50)) / 1000, 1)),
        "p99Us": .double(rounded(Double(quantile(latencies, 0.99)) / 1000, 1)),
    ])
}

/// Builds each request line: the JSON-RPC envelope around the params template, with its placeholders filled.
/// The template is cut into byte pieces once, so that a request costs a few appends (as redis-benchmark
/// patches a prepared buffer): the client should spend as little of the 2 cores as it can.
struct RequestTemplate: Sendable {
    enum Piece: Sendable, Equatable {
        case bytes([UInt8])
        /// `@N@`: 1 + the request's number modulo `rotate`, at least 4 digits.
        case rotatingNumber
        /// `@R@`: a value unique to this request (a request id).
        case unique
    }

    let pieces: [Piece]
    let rotate: Int
    let uniquePrefix: [UInt8]

    init(method: String, params: String?, rotate: Int) {
        var pieces: [Piece] = [.bytes(Array(#"{"jsonrpc":"2.0","method":"\#(method)","id":"#.utf8))]
        if let params {
            var literal: [UInt8] = Array(#","params":"#.utf8)
            let bytes = Array(params.utf8)
            var index = 0
            while index < bytes.count {
                let marker = bytes[index..<min(index + 3, bytes.count)]
                if marker.elementsEqual("@N@".utf8) || marker.elementsEqual("@R@".utf8) {
                    pieces.append(.bytes(literal))
                    literal = []
                    pieces.append(marker.elementsEqual("@N@".utf8) ? .rotatingNumber : .unique)
                    index += 3
                } else {
                    literal.append(bytes[index])
                    index += 1
                }
            }
            pieces.append(.bytes(literal))
        }
        pieces.append(.bytes(Array("}\n".utf8)))
        self.pieces = pieces
        self.rotate = rotate
        uniquePrefix = Array("bench-\(getpid())-".utf8)
    }

    /// The `sequence`th request of a client, numbered so that all clients' values differ.
    func line(sequence: Int, client: Int, clients: Int) -> [UInt8] {
        let unique = sequence * clients + client
        var line: [UInt8] = []
        line.reserveCapacity(512)
        for (index, piece) in pieces.enumerated() {
            switch piece {
            case .bytes(let bytes): line.append(contentsOf: bytes)
            case .rotatingNumber:
                let number = Array(String(1 + unique % rotate).utf8)
                for _ in number.count..<max(4, number.count) { line.append(UInt8(ascii: "0")) }
                line.append(contentsOf: number)
            case .unique:
                line.append(contentsOf: uniquePrefix)
                line.append(contentsOf: String(unique).utf8)
            }
            // The id follows the envelope's first piece.
            if index == 0 { line.append(contentsOf: String(unique).utf8) }
        }
        return line
    }
}

/// One client connection: the shared blocking client's socket (requests are small lines, so writes do not
/// stall; replies are read here, from poll(2), across all connections), the bytes of a reply read so far,
/// and when the request in flight was sent.
struct RPCConnection {
    /// The longest reply line the benchmark accepts.
    static let replyBytesMax = 16 << 20

    /// Owns the socket and closes it when the connection goes.
    private let client: RPCClient
    let clientNumber: Int
    private var sequence = 0
    private var pending: [UInt8] = []
    private var sentAt: UInt64 = 0

    /// The socket, for poll(2).
    var descriptor: Int32 { client.descriptor }

    init(socketPath: String, client clientNumber: Int) throws(BenchFailure) {
        self.clientNumber = clientNumber
        do {
            client = try RPCClient(socketPath: socketPath)
        } catch {
            throw BenchFailure("client \(clientNumber): connect to \(socketPath) failed: \(error)")
        }
    }

    /// Sends the next request: its line built from the template, written as it is.
    mutating func send(_ template: RequestTemplate, clients: Int) throws(BenchFailure) {
        let line = template.line(sequence: sequence, client: clientNumber, clients: clients)
        sequence += 1
        sentAt = nowNanoseconds()
        do {
            try client.sendRaw(line)
        } catch {
            throw BenchFailure("client \(clientNumber): \(error)")
        }
    }

    /// Takes bytes read from the socket; returns the reply once its line is complete (with the error line
    /// when it is an error reply), nil while it is not.
    mutating func received(_ bytes: ArraySlice<UInt8>) throws(BenchFailure) -> (sentAt: UInt64, error: String?)? {
        pending.append(contentsOf: bytes)
        guard let newline = pending.firstIndex(of: 10) else {
            guard pending.count <= Self.replyBytesMax else { throw BenchFailure("client \(clientNumber): a reply over 16 MiB") }
            return nil
        }
        guard newline == pending.count - 1 else { throw BenchFailure("client \(clientNumber): more than one reply to one request") }
        // Canonical replies sort their keys: an error reply starts with {"error".
        let error = pending.starts(with: Array(#"{"error""#.utf8)) ? String(decoding: pending[..<newline], as: UTF8.self) : nil
        pending.removeAll(keepingCapacity: true)
        return (sentAt, error)
    }
}
