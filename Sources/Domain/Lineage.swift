import LMDSJSON

/// Merging and splitting questions (issue 11), traceably: duplicates merge into a survivor, a question that
/// holds several projects splits into parts. Both end the question (`merged`, `split`, final) and withdraw
/// its pending proposals in the same append.
public enum LineageCommand: Sendable, Hashable {
    /// Each question of `from` becomes `merged` into `into`; `expectedVersion` is the survivor's.
    case merge(into: String, from: [String], reason: String, expectedVersion: Int?)
    /// The parts become new questions in the original's intake state, with its requester; the original becomes `split`.
    /// Each part gives a title and description, and what differs from the original (nil: the original's).
    case split(id: String, parts: [QuestionDraft], reason: String, expectedVersion: Int?)
}

/// Limits on merges and splits: each bounds one append.
public enum LineageLimits {
    /// Questions merged into one survivor at once.
    public static let mergedQuestionsMax = 20
    /// Parts of one split.
    public static let partsMax = 10
}

/// The facts of merging and splitting.
public enum LineageEvent: Sendable, Hashable {
    case questionMerged(id: String, into: String, reason: String)
    /// `parts` are submitted (and, for an open original, accepted) right after, in the same append.
    case questionSplit(id: String, parts: [String], reason: String)

    public var type: String {
        switch self {
        case .questionMerged: return "QuestionMerged"
        case .questionSplit: return "QuestionSplit"
        }
    }

    /// The survivor (the entity the reply is about, as a retry rebuilt from the log finds it) and the merged
    /// question; the split question and its parts: each one's history shows it.
    public var entityIDs: [String] {
        switch self {
        case .questionMerged(let id, let into, _): return [into, id]
        case .questionSplit(let id, let parts, _): return [id] + parts
        }
    }

    public var data: JSONValue {
        switch self {
        case .questionMerged(let id, let into, let reason): return ["id": .string(id), "into": .string(into), "reason": .string(reason)]
        case .questionSplit(let id, let parts, let reason):
            return ["id": .string(id), "parts": .array(parts.map { .string($0) }), "reason": .string(reason)]
        }
    }

    public init?(type: String, data: JSONValue) {
        guard let id = data["id"]?.stringValue, let reason = data["reason"]?.stringValue else { return nil }
        switch type {
        case "QuestionMerged":
            guard let into = data["into"]?.stringValue else { return nil }
            self = .questionMerged(id: id, into: into, reason: reason)
        case "QuestionSplit":
            guard let parts = data["parts"]?.arrayValue?.compactMap(\.stringValue) else { return nil }
            self = .questionSplit(id: id, parts: parts, reason: reason)
        default:
            return nil
        }
    }

    /// The question that ends and the status it ends in.
    public var question: String {
        switch self {
        case .questionMerged(let id, _, _), .questionSplit(let id, _, _): return id
        }
    }

    public var resultingStatus: QuestionStatus {
        switch self {
        case .questionMerged: return .merged
        case .questionSplit: return .split
        }
    }
}

/// Which question was merged into which, and which parts a split made.
public struct LineageState: Sendable, Hashable {
    public internal(set) var mergedInto: [String: String] = [:]
    /// The questions merged into a survivor, in the order they were merged.
    public internal(set) var mergedFrom: [String: [String]] = [:]
    public internal(set) var splitFrom: [String: String] = [:]
    public internal(set) var parts: [String: [String]] = [:]

    public init() {}

    mutating func apply(_ event: LineageEvent) {
        switch event {
        case .questionMerged(let id, let into, _):
            mergedInto[id] = into
            mergedFrom[into, default: []].append(id)
        case .questionSplit(let id, let parts, _):
            self.parts[id] = parts
            for part in parts { splitFrom[part] = id }
        }
    }

    /// The links as canonical JSON, for the read-model digest.
    public var json: JSONValue {
        func table(_ links: [String: [String]]) -> JSONValue {
            .array(links.keys.sorted(by: EntityID.precedes).map { key in [.string(key), .array(links[key]!.map { .string($0) })] })
        }
        return ["mergedFrom": table(mergedFrom), "parts": table(parts)]
    }

    /// A question's links as `question.get` shows them.
    public func links(of question: String) -> [String: JSONValue] {
        ["mergedInto": mergedInto[question].map { .string($0) } ?? .null, "mergedFrom": .array((mergedFrom[question] ?? []).map { .string($0) }),
         "splitFrom": splitFrom[question].map { .string($0) } ?? .null, "parts": .array((parts[question] ?? []).map { .string($0) })]
    }
}

extension DomainState {
    /// Applies a merge or split: the links, and the question's final status (a change of its version).
    mutating func apply(_ event: LineageEvent) {
        lineage.apply(event)
        Self.update(&questions, event.question, version: \.version) { $0.status = event.resultingStatus }
    }
}
