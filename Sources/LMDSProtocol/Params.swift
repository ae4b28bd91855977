import LMDSJSON

/// Reads named params with errors that name the field. Unknown params are refused, so that a typo in a
/// script fails loudly instead of being ignored.
public struct Params {
    private let members: [String: JSONValue]
    private var used: Set<String> = []

    /// Wraps a request's params; absent params read as an empty object.
    /// - Throws: `RPCError` invalid params when they are not an object.
    public init(_ params: JSONValue?) throws(RPCError) {
        switch params {
        case nil: members = [:]
        case .object(let object)?: members = object
        case .array(let elements)? where elements.isEmpty: members = [:]
        default: throw RPCError.invalidParams(field: "params", "lmds methods take named params (a JSON object)")
        }
    }

    /// An optional string of at most `bytesMax` UTF-8 bytes.
    public mutating func string(_ field: String, bytesMax: Int = 10_000) throws(RPCError) -> String? {
        used.insert(field)
        guard let value = members[field], !value.isNull else { return nil }
        guard case .string(let text) = value else {
            throw RPCError.invalidParams(field: field, "expected a string, got \(value.typeName)")
        }
        guard text.utf8.count <= bytesMax else {
            throw RPCError.validation(field: field, "longer than \(bytesMax) bytes")
        }
        return text
    }

    /// An optional integer within `range`.
    public mutating func integer(_ field: String, in range: ClosedRange<Int64>) throws(RPCError) -> Int64? {
        used.insert(field)
        guard let value = members[field], !value.isNull else { return nil }
        guard let integer = value.integerValue else {
            throw RPCError.invalidParams(field: field, "expected an integer, got \(value.typeName)")
        }
        guard range.contains(integer) else {
            throw RPCError.invalidParams(field: field, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return integer
    }

    /// An optional boolean.
    public mutating func bool(_ field: String) throws(RPCError) -> Bool? {
        used.insert(field)
        guard let value = members[field], !value.isNull else { return nil }
        guard case .bool(let flag) = value else {
            throw RPCError.invalidParams(field: field, "expected true or false, got \(value.typeName)")
        }
        return flag
    }

    /// An optional value of any type (the caller checks it).
    public mutating func raw(_ field: String) -> JSONValue? {
        used.insert(field)
        return members[field]
    }

    /// Refuses params that no reader asked for.
    public func rejectUnknown() throws(RPCError) {
        for key in members.keys.sorted() where !used.contains(key) {
            throw RPCError.invalidParams(field: key, "unknown param")
        }
    }
}
