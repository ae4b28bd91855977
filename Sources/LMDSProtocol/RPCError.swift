import LMDSJSON

/// JSON-RPC error codes: the standard ones, and lmds's application codes in -32000...-32099.
/// The catalogue with meanings is `Protocol/README.md`; change both together.
public enum RPCErrorCode {
    /// Invalid JSON or invalid UTF-8.
    public static let parseError: Int64 = -32700
    /// Not a valid JSON-RPC request object (or the line is too long, or the batch too large).
    public static let invalidRequest: Int64 = -32600
    /// No such method.
    public static let methodNotFound: Int64 = -32601
    /// Params missing, of the wrong type, or unknown; `data.field` names the param.
    public static let invalidParams: Int64 = -32602
    /// A bug in the daemon; the request appended nothing.
    public static let internalError: Int64 = -32603
    /// The id or position named does not exist.
    public static let notFound: Int64 = -32001
    /// Not allowed in the entity's current state, or `expectedVersion` differs; `data.state` names it.
    public static let conflict: Int64 = -32002
    /// The caller's role may not call this method.
    public static let forbidden: Int64 = -32003
    /// A value is well-typed but not acceptable (too long, not in the taxonomy, inconsistent); `data.field`.
    public static let validation: Int64 = -32004
    /// The daemon cannot do it now (disk full, overloaded, shutting down); retry later. `data.cause`.
    public static let unavailable: Int64 = -32005
}

/// A JSON-RPC error object, as sent in a reply.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The JSON-RPC error code; `RPCErrorCode` lists them.
    public let code: Int64
    /// A sentence saying what went wrong, for people.
    public let message: String
    /// Structured detail: `field`, `reason`, `state`, `cause`, ... (see Protocol/README.md).
    public let data: JSONValue?

    public init(code: Int64, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(message) (code \(code))" }

    /// The error as a JSON object for the `error` member of a reply.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["code": .integer(code), "message": .string(message)]
        if let data { members["data"] = data }
        return .object(members)
    }

    /// Reads an error object from a reply; `nil` when it is not one.
    public init?(json: JSONValue) {
        guard let code = json["code"]?.integerValue, let message = json["message"]?.stringValue else { return nil }
        self.init(code: code, message: message, data: json["data"])
    }

    /// For a line that is not valid JSON or UTF-8: parse error, code -32700.
    public static func parse(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.parseError, message: "Parse error: \(reason)", data: ["reason": .string(reason)])
    }

    /// For JSON that is not a valid JSON-RPC request, or a batch that is empty or too large: invalid request, code -32600.
    public static func invalidRequest(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.invalidRequest, message: "Invalid request: \(reason)", data: ["reason": .string(reason)])
    }

    /// For a method the daemon does not serve: method not found, code -32601; `data.method` names it.
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: RPCErrorCode.methodNotFound, message: "Method not found: \(method)", data: ["method": .string(method)])
    }

    /// For a param that is missing, of the wrong type or unknown: invalid params, code -32602; `data.field` names it.
    public static func invalidParams(field: String, _ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.invalidParams, message: "Invalid params: \(field): \(reason)",
            data: ["field": .string(field), "reason": .string(reason)])
    }

    /// For a well-typed value that is not acceptable (too long, not allowed): validation, code -32004; `data.field` names it.
    public static func validation(field: String, _ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.validation, message: "Validation failed: \(field): \(reason)",
            data: ["field": .string(field), "reason": .string(reason)])
    }

    /// For an id or position that does not exist: not found, code -32001; `data.id` repeats it.
    public static func notFound(_ what: String) -> RPCError {
        RPCError(code: RPCErrorCode.notFound, message: "Not found: \(what)", data: ["id": .string(what)])
    }

    /// For a request the entity's current state does not allow: conflict, code -32002; `data.state` names the state when given.
    public static func conflict(_ reason: String, state: String? = nil) -> RPCError {
        var data: [String: JSONValue] = ["reason": .string(reason)]
        if let state { data["state"] = .string(state) }
        return RPCError(code: RPCErrorCode.conflict, message: "Conflict: \(reason)", data: .object(data))
    }

    /// For a caller whose role, or lack of one, may not call `method`: forbidden, code -32003.
    public static func forbidden(method: String, role: String?) -> RPCError {
        let who = role.map { "role \($0)" } ?? "a caller without a role"
        return RPCError(code: RPCErrorCode.forbidden, message: "Forbidden: \(who) may not call \(method)",
            data: ["method": .string(method), "role": role.map { .string($0) } ?? .null])
    }

    /// For work the daemon cannot do now (disk full, overloaded, shutting down): unavailable, code -32005.
    /// `cause` is a short stable word (`storageFull`, `overloaded`, `connectionLimit`, ...); `reason` a sentence.
    public static func unavailable(cause: String, _ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.unavailable, message: "Unavailable: \(reason)",
            data: ["cause": .string(cause), "reason": .string(reason)])
    }

    /// The same error with `members` added to its `data` (an object; members already there are kept).
    public func adding(_ members: [String: JSONValue]) -> RPCError {
        guard !members.isEmpty else { return self }
        var data = self.data?.objectValue ?? [:]
        data.merge(members) { existing, _ in existing }
        return RPCError(code: code, message: message, data: .object(data))
    }

    /// For an unexpected failure, that is a bug in the daemon: internal error, code -32603.
    public static func internalError(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.internalError, message: "Internal error: \(reason)", data: ["reason": .string(reason)])
    }
}
