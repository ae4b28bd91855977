import LMDSJSON

/// Limits on what a client may send; each bounds memory or time the daemon spends on one peer.
public enum ProtocolLimits {
    /// Bytes in one request line at most (1 MiB); the daemon buffers at most this much per connection.
    /// Configurable in the daemon's config file (`lineBytesMax`).
    public static let lineBytesMaxDefault = 1 << 20
    /// Requests in one batch at most; a batch's replies are held in memory until all are done.
    public static let batchRequestsMax = 100
    /// JSON nesting depth at most; deeper input is a parse error, never a stack overflow.
    public static let jsonDepthMax = 64
}

/// One JSON-RPC request (or notification, when `id` is absent).
public struct RPCRequest: Sendable, Hashable {
    /// The id to echo back: a string, a number or null. `nil` means a notification (no reply).
    public let id: JSONValue?
    /// The name of the method to call, such as `events.read`.
    public let method: String
    /// The params: an object (lmds methods take named params), an array, or absent (`nil`).
    public let params: JSONValue?

    public init(id: JSONValue?, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }

    /// Whether a reply is expected.
    public var isNotification: Bool { id == nil }

    /// The request as a JSON object.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
        if let id { members["id"] = id }
        if let params { members["params"] = params }
        return .object(members)
    }
}

/// A line as the server sees it: one request, a batch, or an error that needs a reply.
public enum RPCIncoming: Sendable, Hashable {
    /// One request (or an error reply to send for an invalid one, with the id if it could be read).
    case single(RPCEntry)
    /// A batch: each element answered in one array reply (notifications left out).
    case batch([RPCEntry])
}

/// One element of a line: a valid request, or a refusal with the id to use in its error reply.
public enum RPCEntry: Sendable, Hashable {
    /// A valid request, to be run.
    case request(RPCRequest)
    /// A refused request: the error to reply with, and the id to reply to (null when unreadable).
    case invalid(id: JSONValue, error: RPCError)
}

/// Decodes request lines and encodes replies. Pure: no I/O, no state.
public enum RPCCodec {
    /// Decodes one line (without its newline).
    public static func decodeLine(_ bytes: some Collection<UInt8>) -> RPCIncoming {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, depthMax: ProtocolLimits.jsonDepthMax)
        } catch {
            return .single(.invalid(id: .null, error: .parse(error.description)))
        }
        if case .array(let elements) = value {
            guard !elements.isEmpty else { return .single(.invalid(id: .null, error: .invalidRequest("empty batch"))) }
            guard elements.count <= ProtocolLimits.batchRequestsMax else {
                return .single(.invalid(id: .null, error: .invalidRequest(
                    "a batch holds at most \(ProtocolLimits.batchRequestsMax) requests, this one \(elements.count)")))
            }
            return .batch(elements.map(decodeRequest))
        }
        return .single(decodeRequest(value))
    }

    /// Validates one request object per JSON-RPC 2.0.
    public static func decodeRequest(_ value: JSONValue) -> RPCEntry {
        guard case .object(let members) = value else {
            return .invalid(id: .null, error: .invalidRequest("a request must be a JSON object"))
        }
        var id: JSONValue?
        if let rawID = members["id"] {
            switch rawID {
            case .string, .integer, .double, .null: id = rawID
            default: return .invalid(id: .null, error: .invalidRequest("id must be a string, a number or null"))
            }
        }
        let replyID = id ?? .null
        guard members["jsonrpc"] == .string("2.0") else {
            return .invalid(id: replyID, error: .invalidRequest("jsonrpc must be \"2.0\""))
        }
        guard case .string(let method)? = members["method"] else {
            return .invalid(id: replyID, error: .invalidRequest("method must be a string"))
        }
        let params = members["params"]
        if let params {
            switch params {
            case .object, .array: break
            default: return .invalid(id: replyID, error: .invalidRequest("params must be an object or an array"))
            }
        }
        for key in members.keys.sorted() where !["jsonrpc", "id", "method", "params"].contains(key) {
            return .invalid(id: replyID, error: .invalidRequest("unknown member \"\(key)\""))
        }
        return .request(RPCRequest(id: id, method: method, params: params))
    }

    /// A success reply object.
    public static func success(id: JSONValue, result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    /// A success reply's canonical bytes around a result that is already canonical JSON: the bytes of
    /// `success(id:result:)` written canonically, without rendering the result again.
    public static func success(id: JSONValue, encodedResult: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encodedResult.count + 48)
        bytes.append(contentsOf: #"{"id":"#.utf8)
        bytes.append(contentsOf: JSONWriter.canonicalBytes(id))
        bytes.append(contentsOf: #","jsonrpc":"2.0","result":"#.utf8)
        bytes.append(contentsOf: encodedResult)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// A batch reply's canonical bytes from its replies' canonical bytes.
    public static func batch(_ encodedReplies: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, reply) in encodedReplies.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: reply)
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }

    /// An error reply object.
    public static func failure(id: JSONValue, error: RPCError) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "error": error.json]
    }

    /// A notification object (server push).
    public static func notification(method: String, params: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "method": .string(method), "params": params]
    }

    /// A value as one line: canonical JSON and `\n`.
    public static func line(_ value: JSONValue) -> [UInt8] {
        var bytes = JSONWriter.canonicalBytes(value)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
