import LMDSJSON

/// What each state of an entity allows, by the verb of the method (`question.withdraw` → `withdraw`):
/// the one table per aggregate that the deciders consult before a transition, and from which a refusal
/// lists the verbs that are allowed instead. The deciders never test a status for a transition
/// themselves, so the list in a refusal cannot drift from the rule that refused.
public protocol Transition: RawRepresentable<String>, CaseIterable, Sendable where AllCases == [Self] {
    associatedtype Status: RawRepresentable<String>
    /// The verb's past participle, for messages: "withdrawn", "cancelled".
    var participle: String { get }
    /// Whether an entity in `status` allows this verb.
    func isAllowed(in status: Status) -> Bool
}

extension Transition {
    /// The verbs `status` allows, in the order of `allCases`.
    public static func allowed(in status: Status) -> [Self] { allCases.filter { $0.isAllowed(in: status) } }

    /// Passes when `status` allows this verb on `id`.
    /// - Throws: a conflict naming the state and the verbs it allows (`data.state`, `data.allowed`).
    public func check(_ id: String, in status: Status) throws(DomainError) {
        guard isAllowed(in: status) else { throw refusal(id, state: status.rawValue, allowed: Self.allowed(in: status)) }
    }

    /// The refusal of this verb on `id` in `state`: "Q-0009 is open: it cannot be rejected; it can be
    /// revised, referred or withdrawn", with `data.allowed` the verbs.
    public func refusal(_ id: String, state: String, allowed: [Self]) -> DomainError {
        let instead: String
        switch allowed.count {
        case 0: instead = "it can change no more"
        case 1: instead = "\(allowed[0].rawValue) it instead"
        default:
            let participles = allowed.map(\.participle)
            instead = "it can be " + participles.dropLast().joined(separator: ", ") + " or " + participles.last!
        }
        return DomainError(.conflict, "\(id) is \(state): it cannot be \(participle); \(instead)", state: state,
                           details: ["allowed": .array(allowed.map { .string($0.rawValue) })])
    }
}

/// What a question's states allow: intake (accept, reject) only while submitted; revise and refer until
/// it is matched; withdraw until it is finished.
public enum QuestionVerb: String, Transition {
    case accept, reject, revise, refer, withdraw

    public var participle: String {
        switch self {
        case .accept: return "accepted"
        case .reject: return "rejected"
        case .revise: return "revised"
        case .refer: return "referred"
        case .withdraw: return "withdrawn"
        }
    }

    public func isAllowed(in status: QuestionStatus) -> Bool {
        switch self {
        case .accept, .reject: return status == .submitted
        case .revise, .refer: return status == .submitted || status == .open
        case .withdraw: return !status.isFinal
        }
    }
}

/// What an offer's states allow: everything until it is closed or withdrawn.
public enum OfferVerb: String, Transition {
    case revise, close, withdraw

    public var participle: String {
        switch self {
        case .revise: return "revised"
        case .close: return "closed"
        case .withdraw: return "withdrawn"
        }
    }

    public func isAllowed(in status: OfferStatus) -> Bool {
        switch self {
        case .revise, .close, .withdraw: return !status.isFinal
        }
    }
}

/// What a proposal's states allow: consent, decline and withdraw while it is proposed (and its time
/// has not run out, which the decider checks against the command's time).
public enum ProposalVerb: String, Transition {
    case accept, decline, withdraw

    public var participle: String {
        switch self {
        case .accept: return "accepted"
        case .decline: return "declined"
        case .withdraw: return "withdrawn"
        }
    }

    public func isAllowed(in status: ProposalStatus) -> Bool {
        switch self {
        case .accept, .decline, .withdraw: return status == .proposed
        }
    }
}

/// What a match's states allow: start an agreed one, cancel one that is open, close a delivered one;
/// an outcome is recorded for a started match (`outcome.record`, listed as `record`).
public enum MatchVerb: String, Transition {
    case start, cancel, close, record

    public var participle: String {
        switch self {
        case .start: return "started"
        case .cancel: return "cancelled"
        case .close: return "closed"
        case .record: return "given an outcome"
        }
    }

    public func isAllowed(in status: MatchStatus) -> Bool {
        switch self {
        case .start: return status == .agreed
        case .cancel: return status.isOpen
        case .close: return status == .delivered
        case .record: return status == .started
        }
    }
}

/// Where an outcome is: recorded, then followed up once its follow-up check is recorded.
public enum OutcomeStatus: String, Sendable, Hashable, CaseIterable {
    case recorded
    case followedUp = "followed-up"
}

/// What an outcome's states allow: revise always; its follow-up check (`followup.record`, listed as
/// `record`) once.
public enum OutcomeVerb: String, Transition {
    case revise, record

    public var participle: String {
        switch self {
        case .revise: return "revised"
        case .record: return "followed up again"
        }
    }

    public func isAllowed(in status: OutcomeStatus) -> Bool {
        switch self {
        case .revise: return true
        case .record: return status == .recorded
        }
    }
}

extension Outcome {
    /// Recorded, or followed up once its follow-up check is recorded.
    public var status: OutcomeStatus { followUp == nil ? .recorded : .followedUp }
}
