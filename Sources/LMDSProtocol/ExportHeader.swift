import LMDSJSON

/// The first line of an export (`lmds export`): which log its events are of, so that `lmdsd import` gives
/// the rebuilt log the same identity. `{"lmdsExport":1,"logId":"<32 hex>"}`; exports made before logs had
/// identities have no such line and start with the envelope of position 1.
public enum ExportHeader {
    /// The header format this lmds writes and reads.
    public static let version: Int64 = 1

    /// The header line's JSON for the log `logID`.
    public static func json(logID: String) -> JSONValue {
        ["lmdsExport": .integer(version), "logId": .string(logID)]
    }

    /// Whether `line` (a parsed export line) is a header rather than an event envelope.
    public static func isHeader(_ line: JSONValue) -> Bool { line["lmdsExport"] != nil }
}
