// libFuzzer harness for the daemon's params decoders: every write route's `decode…` function in
// Sources/LMDSServer/*Methods.swift, which turns a request's named params into a domain `Command`, and every
// answer route (reads, and the writes whose reply adds to the core's result), run whole through
// `Dispatcher.handle` against a processor over a log of its own (writes the fuzzer makes up are appended there). Built and run
// by `scripts/fuzz-decoder --target params`, through SwiftPM into .build-fuzz/spm with -sanitize=fuzzer,address
// (this target exists only when LMDS_FUZZ_PARAMS is set: see Package.swift), never by a plain `swift build`.
//
// Each input is a method name, a newline, and the params as one JSON line:
//
//     offer.submit
//     {"institution":"hogeschool-leiden","title":"…"}
//
// A name that is no route still reaches one (chosen from its bytes), so that every input runs a decoder;
// a name ending in `#educator` is called by an educator of hogeschool-leiden, any other by an admin. The params
// go the way the route table sends them: the id kinds checked, `Params` read, the route's decoder, then the
// request id and unknown names refused (as `Dispatcher.write` does before the core). Besides "does not crash,
// does not read out of bounds" (AddressSanitizer), it checks the contract for bad input: every refusal is an
// `RPCError` with a code and a message whose reply line the strict parser reads back, and an invalid-params or
// validation error names its field in `data.field`. A broken property stops the run with fatalError; libFuzzer
// writes the input to crash-<sha1>.

import Domain
import EventLog
import Foundation
import LMDSCore
import LMDSJSON
import LMDSProtocol
import NIOCore
import NIOPosix
@testable import LMDSServer

/// Fails the run (libFuzzer keeps the input) when a property does not hold.
@inline(never)
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("property broken: \(message())") }
}

/// A clock that never moves: the decoders that default a date to today see the same day on every input.
struct FixedClock: Clock {
    func nowMs() -> Int64 { 1_796_000_000_000 }
}

/// Event ids are never drawn here (nothing is executed); a fixed one keeps the harness deterministic.
struct FixedEventIDs: EventIDSource {
    func nextEventID() -> EventID { EventID(bytes: [UInt8](repeating: 7, count: 16)) }
}

/// What every input shares: a dispatcher over an empty log in a temporary directory (its decoders only read
/// their params, the clock and the configuration), an event loop for the request context, and the write routes.
struct Harness {
    let dispatcher: Dispatcher
    let eventLoop: any EventLoop
    /// Every write route, by method name, in name order.
    let writeRoutes: [(method: String, decode: @Sendable (Dispatcher) -> (inout Params, RequestContext) throws(RPCError) -> Command)]
    /// Every answer route's method, in name order.
    let answerRoutes: [String]

    static let shared = Harness()

    init() {
        let directory = NSTemporaryDirectory() + "lmds-params-fuzz-\(getpid())"
        let log: EventLog
        do {
            log = try EventLog.open(EventLogConfiguration(directory: directory))
        } catch {
            fatalError("cannot open a log in \(directory): \(error)")
        }
        let taxonomy: Taxonomy
        do {
            taxonomy = try Taxonomy(json: try JSONParser.parse(Taxonomy.embedded["leiden"] ?? ""))
        } catch {
            fatalError("the embedded Leiden taxonomy does not parse: \(error)")
        }
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()  // as the daemon does: the answer routes run their file and log reads on it
        dispatcher = Dispatcher(
            log: log, clock: FixedClock(), eventIDs: FixedEventIDs(), threadPool: pool, dataDirectory: directory, taxonomy: taxonomy,
            connectionCount: { 0 }, daemonLog: DaemonLog(threshold: .error, sink: { _ in }))
        eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        writeRoutes = Dispatcher.routeTable.values.compactMap { route in
            guard case .write(let decode) = route.handler else { return nil }
            return (route.method, decode)
        }.sorted { $0.method < $1.method }
        require(!writeRoutes.isEmpty, "the route table has no write routes")
        answerRoutes = Dispatcher.routeTable.values.compactMap { route in
            guard case .answer = route.handler else { return nil }
            return route.method
        }.sorted()
        // The answer routes reach the processor: its read models start from the (empty) log, as at a daemon's start.
        let rebuilt = DispatchSemaphore(value: 0)
        let processor = dispatcher.processor
        Task {
            _ = try? await processor.rebuild()
            rebuilt.signal()
        }
        rebuilt.wait()
    }

    static let admin = Caller(credentials: PeerCredentials(pid: 1, uid: 0, gid: 0), userName: "root", role: .admin)
    static let educator = Caller(
        credentials: PeerCredentials(pid: 1, uid: 1001, gid: 1001), userName: "docent", role: .educator, institution: "hogeschool-leiden")

    /// Runs one input through its route's decoder and checks the outcome.
    func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        let newline = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
        var name = String(decoding: bytes[..<newline], as: UTF8.self)
        let caller: Caller
        if name.hasSuffix("#educator") {
            name.removeLast("#educator".count)
            caller = Self.educator
        } else {
            caller = Self.admin
        }
        let paramsBytes = UnsafeBufferPointer(rebasing: bytes[min(newline + 1, bytes.endIndex)...])
        guard let params = try? JSONParser.parse(paramsBytes, depthMax: ProtocolLimits.jsonDepthMax) else { return }
        let known = writeRoutes.map(\.method) + answerRoutes
        let chosen = known.contains(name) ? name : known.sorted()[Int(name.utf8.reduce(UInt32(0)) { $0 &* 31 &+ UInt32($1) } % UInt32(known.count))]
        if answerRoutes.contains(chosen) { return runAnswer(chosen, params: params, caller: caller) }
        guard let route = writeRoutes.first(where: { $0.method == chosen }) else { return }
        let request = RPCRequest(id: 1, method: route.method, params: params)
        let context = RequestContext(request: request, caller: caller, eventLoop: eventLoop)
        do throws(RPCError) {
            try Dispatcher.checkIDKinds(request)
            var reader = try Params(request.params)
            let command = try route.decode(dispatcher)(&reader, context)
            _ = try reader.string("requestId", bytesMax: RecordCodec.requestIDBytesMax)
            try reader.rejectUnknown()
            _ = String(describing: command)
        } catch {
            checkRefusal(error, method: route.method)
        }
    }

    /// Runs an answer route whole, as the daemon does (authorisation, id kinds, params, the handler, the processor), and waits for
    /// its answer: a result, or a refusal that must be a JSON-RPC error the client can read.
    func runAnswer(_ method: String, params: JSONValue, caller: Caller) {
        let request = RPCRequest(id: 1, method: method, params: params)
        do {
            try Dispatcher.authorise(request, caller: caller)
            _ = try dispatcher.handle(request, caller: caller, on: eventLoop).wait()
        } catch let error as RPCError {
            checkRefusal(error, method: method)
        } catch {
            fatalError("property broken: \(method): an answer failed with \(error), not a JSON-RPC error")
        }
    }

    /// A refusal is a JSON-RPC error the client can read, naming the field when it is about one.
    func checkRefusal(_ error: RPCError, method: String) {
        require(!error.message.isEmpty, "\(method): an error without a message")
        if error.code == RPCErrorCode.invalidParams || error.code == RPCErrorCode.validation {
            require(error.data?["field"]?.stringValue != nil, "\(method): \(error.message) names no data.field")
        }
        let line = RPCCodec.line(RPCCodec.failure(id: 1, error: error))
        require(line.last == 0x0A && line.dropLast().firstIndex(of: 0x0A) == nil, "\(method): a reply line with a newline inside")
        do {
            let reply = try JSONParser.parse(Array(line.dropLast()), depthMax: ProtocolLimits.jsonDepthMax + 3)
            require(reply["error"]?["code"]?.integerValue == error.code, "\(method): the reply lost the error's code")
        } catch {
            fatalError("property broken: \(method): a reply line the parser refuses (\(error))")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    Harness.shared.run(UnsafeBufferPointer(start: data, count: count))
    return 0
}

/// libFuzzer's driver (`int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t))`),
/// linked in by -sanitize=fuzzer.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The entry point. SwiftPM links an executable target's `main` to `<module>_main` (so that tests can link the
/// module), which keeps libFuzzer's own `main` out: this one hands the arguments to libFuzzer's driver instead.
@_cdecl("lmds_params_fuzz_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in
        guard let data else { return 0 }
        return fuzzOneInput(data, size)
    }
}
