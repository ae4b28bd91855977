import LMDSJSON

/// Which questions a coordinator marked publishable (`question.publish`): the only questions the public
/// site may show. A question is not public until marked; the mark can be taken back.
public enum PublicationCommand: Sendable, Hashable {
    /// Marks `question` public (`isPublic: true`) or takes the mark back.
    case publish(question: String, isPublic: Bool)
}

/// The facts of publication, past tense.
public enum PublicationEvent: Sendable, Hashable {
    /// A coordinator marked the question public, or took the mark back.
    case questionPublicationChanged(id: String, isPublic: Bool)

    /// The event type as stored.
    public var type: String {
        switch self {
        case .questionPublicationChanged: return "QuestionPublicationChanged"
        }
    }

    /// The ids it concerns: the question.
    public var entityIDs: [String] {
        switch self {
        case .questionPublicationChanged(let id, _): return [id]
        }
    }

    /// The event's data as stored (schema version 1).
    public var data: JSONValue {
        switch self {
        case .questionPublicationChanged(let id, let isPublic): return ["id": .string(id), "public": .bool(isPublic)]
        }
    }

    /// Reads a stored event back; `nil` for another type or data that does not fit.
    public init?(type: String, data: JSONValue) {
        switch type {
        case "QuestionPublicationChanged":
            guard let id = data["id"]?.stringValue, let isPublic = data["public"]?.boolValue else { return nil }
            self = .questionPublicationChanged(id: id, isPublic: isPublic)
        default:
            return nil
        }
    }
}

/// The publication read model: the ids of the questions marked public.
public struct PublicationState: Sendable, Hashable {
    public internal(set) var publicQuestions: Set<String> = []

    public init() {}

    /// Whether the question was marked public (and not unmarked since).
    public func isPublic(_ question: String) -> Bool { publicQuestions.contains(question) }

    /// Applies one event: sets the mark.
    mutating func apply(_ event: PublicationEvent) {
        switch event {
        case .questionPublicationChanged(let id, let isPublic):
            if isPublic { publicQuestions.insert(id) } else { publicQuestions.remove(id) }
        }
    }

    /// The state as canonical JSON, for the read-model digest.
    public var canonicalJSON: JSONValue {
        ["publicQuestions": .array(publicQuestions.sorted(by: EntityID.precedes).map { .string($0) })]
    }
}

/// What a question's states allow for publication: only a question past intake and not ended elsewhere
/// (open, matched or completed) may be marked public; taking the mark back is always allowed.
public enum PublicationVerb: String, Transition {
    case publish

    public var participle: String { "published" }

    public func isAllowed(in status: QuestionStatus) -> Bool {
        switch self {
        case .publish: return status == .open || status == .matched || status == .completed
        }
    }
}

/// The publication aggregate's decider.
enum PublicationDecider {
    static func decide(_ command: PublicationCommand, state: DomainState) throws(DomainError) -> Decision {
        switch command {
        case .publish(let id, let isPublic):
            guard let question = state.questions[id] else { throw .notFound(id) }
            if isPublic && !PublicationVerb.publish.isAllowed(in: question.status) {
                throw DomainError(.conflict, "\(id) is \(question.status.rawValue): only an open, matched or completed question can be published",
                                  state: question.status.rawValue)
            }
            guard state.publication.isPublic(id) != isPublic else {
                let mark = isPublic ? "public" : "not public"
                throw DomainError(.conflict, "\(id) is already \(mark)", state: mark)
            }
            return Decision(events: [.publication(.questionPublicationChanged(id: id, isPublic: isPublic))], personalData: [:], entityID: id)
        }
    }
}
