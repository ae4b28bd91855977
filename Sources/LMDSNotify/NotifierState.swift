#if canImport(Glibc)
import Glibc
#endif
import LMDSJSON
import LMDSProtocol

/// What lmds-notify keeps in its state directory (`state.json`), written after each delivered batch so that
/// it resumes after a restart or a crash: the last log position it finished, and what it learnt from the
/// log to address requesters (the notifier may not read questions or matches, only the events it follows):
/// the opted-in questions' contacts and the matches of those questions. An erasure drops the contact.
public struct NotifierState: Sendable, Hashable {
    /// The last position whose deliveries are done; the next run subscribes from the one after.
    public var position: Int64 = 0
    /// Question id → contact id, for requesters who opted in (`requester.notify`).
    public var requesters: [String: String] = [:]
    /// Match id → question id, for the opted-in questions' matches.
    public var matches: [String: String] = [:]
    /// The reminders waiting for each user's daily digest, as the template values of each.
    public var digests: [String: [[String: String]]] = [:]
    /// The local date (`2026-12-07`) of each user's last digest: at most one a day.
    public var lastDigestDay: [String: String] = [:]

    public init() {}

    /// Learns what `envelope` says about requesters: an opt-in, a match of an opted-in question, an erasure.
    public mutating func learn(_ envelope: JSONValue) {
        let data = envelope["data"] ?? [:]
        switch envelope["type"]?.stringValue {
        case "QuestionSubmitted":
            if data["requester"]?["notify"] == true, let id = data["id"]?.stringValue, let contact = data["requester"]?["contact"]?.stringValue {
                requesters[id] = contact
            }
        case "MatchAgreed":
            if let id = data["id"]?.stringValue, let question = data["question"]?.stringValue, requesters[question] != nil { matches[id] = question }
        case "PersonalDataErased":
            guard let contact = data["contact"]?.stringValue else { return }
            for (question, known) in requesters where known == contact { requesters.removeValue(forKey: question) }
            matches = matches.filter { requesters[$0.value] != nil }
        default:
            return
        }
    }

    public var json: JSONValue {
        [
            "position": .integer(position), "requesters": .object(requesters.mapValues { .string($0) }), "matches": .object(matches.mapValues { .string($0) }),
            "digests": .object(digests.mapValues { items in .array(items.map { .object($0.mapValues { .string($0) }) }) }),
            "lastDigestDay": .object(lastDigestDay.mapValues { .string($0) }),
        ]
    }

    /// The file's bound: a few dozen bytes per opted-in question.
    static let fileBytesMax = 64 << 20

    /// The state in `directory`, or a fresh one when it has none yet.
    /// - Throws: `NotifyError` for a file that cannot be read or does not parse (never silently starts over).
    public static func load(directory: String) throws(NotifyError) -> NotifierState {
        let path = directory + "/state.json"
        guard access(path, F_OK) == 0 else { return NotifierState() }
        guard case .success(let bytes) = SmallFile.read(path, bytesMax: fileBytesMax), let json = try? JSONParser.parse(bytes),
            let position = json["position"]?.integerValue
        else { throw NotifyError("\(path): not a state file lmds-notify wrote; move it away to start from the beginning") }
        var state = NotifierState()
        state.position = position
        state.requesters = json["requesters"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        state.matches = json["matches"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        state.digests = json["digests"]?.objectValue?.mapValues { items in
            (items.arrayValue ?? []).compactMap { $0.objectValue?.compactMapValues(\.stringValue) }
        } ?? [:]
        state.lastDigestDay = json["lastDigestDay"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        return state
    }

    /// Writes the state to `directory/state.json` atomically (a temporary file, fsync, rename, fsync of the
    /// directory), so a crash leaves the old or the new state, never half of one.
    public func save(directory: String) throws(NotifyError) {
        let path = directory + "/state.json"
        let temporary = path + ".tmp"
        let bytes = Array(JSONWriter.canonicalString(json).utf8) + [UInt8(ascii: "\n")]
        let file = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw NotifyError("\(temporary): \(String(cString: strerror(errno)))") }
        let written = bytes.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
        let synced = fsync(file)
        close(file)
        guard written == bytes.count, synced == 0, rename(temporary, path) == 0 else {
            throw NotifyError("\(path): \(String(cString: strerror(errno)))")
        }
        let directoryFile = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryFile >= 0 {
            fsync(directoryFile)
            close(directoryFile)
        }
    }
}
