// libFuzzer harness for the daemon's request decoding: the strict JSON parser (Sources/LMDSJSON) and the JSON-RPC
// request decoding and named-params reading (Sources/LMDSProtocol). Built and run by scripts/fuzz-decoder, which
// compiles it with swiftc together with those sources (never through swift build).
//
// Each input is one request line as the daemon would cut it from the socket (without its newline). Besides "does
// not crash, does not read out of bounds" (AddressSanitizer), it checks what the daemon relies on:
//
// * the parser accepts only what its own writer can represent: parse -> canonical bytes -> parse succeeds, and the
//   canonical form is a fixed point (writing the re-parsed value gives the same bytes), valid UTF-8, no raw newline;
// * the nesting limit holds: whatever parses is at most `ProtocolLimits.jsonDepthMax` deep;
// * every decoded entry (request, refusal, batch element) gets a reply line that the strict parser reads back, that
//   ends with its only newline, and whose `id` is the request's;
// * reading params the way the methods do (strings, integers in a range, booleans, unknown names refused) either
//   succeeds or throws an RPCError whose reply is well-formed too.
// A broken property stops the run with fatalError; libFuzzer writes the input to crash-<sha1>.

import LMDSJSON

/// Fails the run (libFuzzer keeps the input) when a property does not hold.
@inline(never)
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("property broken: \(message())") }
}

/// How deep arrays and objects nest in a value, the outermost counting 1 (as the parser counts).
func depth(of value: JSONValue) -> Int {
    switch value {
    case .array(let elements): return 1 + (elements.map(depth(of:)).max() ?? 0)
    case .object(let members): return 1 + (members.values.map(depth(of:)).max() ?? 0)
    default: return 0
    }
}

/// The parser's promises about a value it accepted.
func checkCanonicalRoundTrip(_ value: JSONValue) {
    require(depth(of: value) <= ProtocolLimits.jsonDepthMax, "parsed a value deeper than the limit")
    let canonical = JSONWriter.canonicalBytes(value)
    require(!canonical.contains(0x0A), "canonical JSON holds a raw newline")
    require(String(validating: canonical, as: UTF8.self) != nil, "canonical JSON is not valid UTF-8")
    let reparsed: JSONValue
    do {
        reparsed = try JSONParser.parse(canonical, depthMax: ProtocolLimits.jsonDepthMax)
    } catch {
        fatalError("property broken: the parser refuses its own canonical output (\(error)): \(String(decoding: canonical.prefix(200), as: UTF8.self))")
    }
    require(JSONWriter.canonicalBytes(reparsed) == canonical, "canonical form is not a fixed point")
}

/// A reply line must be one canonical JSON object ending in its only newline, with the expected id.
func checkReplyLine(_ line: [UInt8], id: JSONValue?) {
    require(line.last == 0x0A, "a reply line without its newline")
    require(line.dropLast().firstIndex(of: 0x0A) == nil, "a reply line with a newline inside")
    let body = Array(line.dropLast())
    let reply: JSONValue
    do {
        reply = try JSONParser.parse(body, depthMax: ProtocolLimits.jsonDepthMax + 3)
    } catch {
        fatalError("property broken: a reply line the parser refuses (\(error))")
    }
    require(JSONWriter.canonicalBytes(reply) == body, "a reply line that is not canonical")
    if let id {
        require(reply["id"].map(JSONWriter.canonicalBytes) == JSONWriter.canonicalBytes(id), "the reply's id is not the request's")
    }
    if let error = reply["error"] {
        require(error["code"]?.integerValue != nil && error["message"]?.stringValue != nil, "a malformed error object")
    }
}

/// Reads params the way methods do: a few typed names, then unknown names refused.
func readParams(_ request: RPCRequest) -> JSONValue {
    do {
        var params = try Params(request.params)
        _ = try params.string("id", bytesMax: 32)
        _ = try params.string("requestId", bytesMax: 200)
        _ = try params.integer("from", in: 1...Int64.max)
        _ = try params.integer("limit", in: 1...1000)
        _ = try params.integer("expectedVersion", in: 1...2_147_483_647)
        _ = try params.bool("dryRun")
        _ = params.raw("period")
        try params.rejectUnknown()
        _ = MethodCatalogue.descriptor(request.method)
        return RPCCodec.success(id: request.id ?? .null, result: ["ok": true])
    } catch {
        return RPCCodec.failure(id: request.id ?? .null, error: error)
    }
}

/// The reply one decoded entry gets (nil for a notification, which gets none).
func reply(to entry: RPCEntry) -> (line: [UInt8], id: JSONValue)? {
    switch entry {
    case .invalid(let id, let error):
        return (RPCCodec.line(RPCCodec.failure(id: id, error: error)), id)
    case .request(let request):
        let reply = readParams(request)
        guard let id = request.id else { return nil }
        return (RPCCodec.line(reply), id)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)

    // The parser alone.
    if let value = try? JSONParser.parse(bytes, depthMax: ProtocolLimits.jsonDepthMax) {
        checkCanonicalRoundTrip(value)
    }

    // The decoder and the replies, as the connection handler builds them.
    switch RPCCodec.decodeLine(bytes) {
    case .single(let entry):
        if let (line, id) = reply(to: entry) {
            checkReplyLine(line, id: id)
        }
    case .batch(let entries):
        require(!entries.isEmpty && entries.count <= ProtocolLimits.batchRequestsMax, "a batch outside 1...100")
        let replies = entries.compactMap(reply(to:))
        for (line, id) in replies {
            checkReplyLine(line, id: id)
        }
    }
    return 0
}
