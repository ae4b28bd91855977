import LMDSJSON

/// The facts of the collaboration pipeline: proposals, consent, matches, outcomes and follow-ups, and
/// what they do to questions and offers (matched, completed, full, reopened).
public enum CollaborationEvent: Sendable, Hashable {
    case proposalCreated(Proposal)
    case proposalConsented(id: String, side: ConsentSide)
    case proposalAccepted(id: String, match: String)
    case proposalDeclined(id: String, side: ConsentSide, reason: String)
    case proposalWithdrawn(id: String, reason: String)
    case proposalExpired(id: String)
    case matchAgreed(Match)
    case matchStarted(id: String, students: Int, startedOn: String)
    case matchCancelled(id: String, reason: String)
    case matchDelivered(id: String, outcome: String)
    case matchClosed(id: String, note: String?)
    case questionMatched(id: String, match: String)
    case questionCompleted(id: String)
    case questionReopened(id: String)
    case offerFilled(id: String)
    case offerReopened(id: String)
    case outcomeRecorded(Outcome)
    case outcomeRevised(id: String, changes: JSONValue)
    case followUpRecorded(outcome: String, used: FollowUpUse, note: String?, recordedMs: Int64)

    /// The event type as stored.
    public var type: String {
        switch self {
        case .proposalCreated: return "ProposalCreated"
        case .proposalConsented: return "ProposalConsented"
        case .proposalAccepted: return "ProposalAccepted"
        case .proposalDeclined: return "ProposalDeclined"
        case .proposalWithdrawn: return "ProposalWithdrawn"
        case .proposalExpired: return "ProposalExpired"
        case .matchAgreed: return "MatchAgreed"
        case .matchStarted: return "MatchStarted"
        case .matchCancelled: return "MatchCancelled"
        case .matchDelivered: return "MatchDelivered"
        case .matchClosed: return "MatchClosed"
        case .questionMatched: return "QuestionMatched"
        case .questionCompleted: return "QuestionCompleted"
        case .questionReopened: return "QuestionReopened"
        case .offerFilled: return "OfferFilled"
        case .offerReopened: return "OfferReopened"
        case .outcomeRecorded: return "OutcomeRecorded"
        case .outcomeRevised: return "OutcomeRevised"
        case .followUpRecorded: return "FollowUpRecorded"
        }
    }

    /// The ids it concerns, the entity itself first; links let `history.get` find it from either side.
    public var entityIDs: [String] {
        switch self {
        case .proposalCreated(let proposal): return [proposal.id, proposal.question, proposal.offer]
        case .proposalAccepted(let id, let match): return [id, match]
        case .proposalConsented(let id, _), .proposalDeclined(let id, _, _), .proposalWithdrawn(let id, _), .proposalExpired(let id):
            return [id]
        case .matchAgreed(let match): return [match.id, match.proposal, match.question, match.offer]
        case .matchDelivered(let id, let outcome): return [id, outcome]
        case .matchStarted(let id, _, _), .matchCancelled(let id, _), .matchClosed(let id, _): return [id]
        case .questionMatched(let id, let match): return [id, match]
        case .questionCompleted(let id), .questionReopened(let id), .offerFilled(let id), .offerReopened(let id): return [id]
        case .outcomeRecorded(let outcome): return [outcome.id, outcome.match, outcome.question, outcome.offer]
        case .outcomeRevised(let id, _): return [id]
        case .followUpRecorded(let outcome, _, _, _): return [outcome]
        }
    }

    /// The event's data as stored (schema version 1).
    public var data: JSONValue {
        switch self {
        case .proposalCreated(let proposal):
            return ["id": .string(proposal.id), "question": .string(proposal.question), "offer": .string(proposal.offer),
                    "note": proposal.note.map { .string($0) } ?? .null, "createdAt": .integer(proposal.createdMs),
                    "expiresAt": .integer(proposal.expiresMs)]
        case .proposalConsented(let id, let side): return ["id": .string(id), "side": .string(side.rawValue)]
        case .proposalAccepted(let id, let match): return ["id": .string(id), "match": .string(match)]
        case .proposalDeclined(let id, let side, let reason): return ["id": .string(id), "side": .string(side.rawValue), "reason": .string(reason)]
        case .proposalWithdrawn(let id, let reason): return ["id": .string(id), "reason": .string(reason)]
        case .proposalExpired(let id): return ["id": .string(id)]
        case .matchAgreed(let match):
            return ["id": .string(match.id), "proposal": .string(match.proposal), "question": .string(match.question),
                    "offer": .string(match.offer), "agreedAt": .integer(match.agreedMs)]
        case .matchStarted(let id, let students, let startedOn):
            return ["id": .string(id), "students": .integer(Int64(students)), "startedOn": .string(startedOn)]
        case .matchCancelled(let id, let reason): return ["id": .string(id), "reason": .string(reason)]
        case .matchDelivered(let id, let outcome): return ["id": .string(id), "outcome": .string(outcome)]
        case .matchClosed(let id, let note): return ["id": .string(id), "note": note.map { .string($0) } ?? .null]
        case .questionMatched(let id, let match): return ["id": .string(id), "match": .string(match)]
        case .questionCompleted(let id), .questionReopened(let id), .offerFilled(let id), .offerReopened(let id):
            return ["id": .string(id)]
        case .outcomeRecorded(let outcome):
            var json = outcome.json.objectValue ?? [:]
            json.removeValue(forKey: "version")
            json.removeValue(forKey: "followUp")
            return .object(json)
        case .outcomeRevised(let id, let changes): return ["id": .string(id), "changes": changes]
        case .followUpRecorded(let outcome, let used, let note, let recordedMs):
            return ["outcome": .string(outcome), "used": .string(used.rawValue), "note": note.map { .string($0) } ?? .null,
                    "recordedAt": .integer(recordedMs)]
        }
    }

    /// Reads a stored event back; `nil` for another type or data that does not fit.
    public init?(type: String, data: JSONValue) {
        func string(_ key: String) -> String? { data[key]?.stringValue }
        func side() -> ConsentSide? { string("side").flatMap(ConsentSide.init(rawValue:)) }
        switch type {
        case "ProposalCreated":
            guard let id = string("id"), let question = string("question"), let offer = string("offer"),
                let created = data["createdAt"]?.integerValue, let expires = data["expiresAt"]?.integerValue
            else { return nil }
            self = .proposalCreated(Proposal(
                id: id, status: .proposed, question: question, offer: offer, note: string("note"), createdMs: created,
                expiresMs: expires, consents: [], declinedBy: nil, closingReason: nil, match: nil, version: 1))
        case "ProposalConsented":
            guard let id = string("id"), let side = side() else { return nil }
            self = .proposalConsented(id: id, side: side)
        case "ProposalAccepted":
            guard let id = string("id"), let match = string("match") else { return nil }
            self = .proposalAccepted(id: id, match: match)
        case "ProposalDeclined":
            guard let id = string("id"), let side = side(), let reason = string("reason") else { return nil }
            self = .proposalDeclined(id: id, side: side, reason: reason)
        case "ProposalWithdrawn":
            guard let id = string("id"), let reason = string("reason") else { return nil }
            self = .proposalWithdrawn(id: id, reason: reason)
        case "ProposalExpired":
            guard let id = string("id") else { return nil }
            self = .proposalExpired(id: id)
        case "MatchAgreed":
            guard let id = string("id"), let proposal = string("proposal"), let question = string("question"), let offer = string("offer"),
                let agreed = data["agreedAt"]?.integerValue
            else { return nil }
            self = .matchAgreed(Match(
                id: id, status: .agreed, proposal: proposal, question: question, offer: offer, agreedMs: agreed, students: nil,
                startedOn: nil, outcome: nil, closingReason: nil, version: 1))
        case "MatchStarted":
            guard let id = string("id"), let students = data["students"]?.integerValue, let startedOn = string("startedOn") else { return nil }
            self = .matchStarted(id: id, students: Int(students), startedOn: startedOn)
        case "MatchCancelled":
            guard let id = string("id"), let reason = string("reason") else { return nil }
            self = .matchCancelled(id: id, reason: reason)
        case "MatchDelivered":
            guard let id = string("id"), let outcome = string("outcome") else { return nil }
            self = .matchDelivered(id: id, outcome: outcome)
        case "MatchClosed":
            guard let id = string("id") else { return nil }
            self = .matchClosed(id: id, note: string("note"))
        case "QuestionMatched":
            guard let id = string("id"), let match = string("match") else { return nil }
            self = .questionMatched(id: id, match: match)
        case "QuestionCompleted", "QuestionReopened", "OfferFilled", "OfferReopened":
            guard let id = string("id") else { return nil }
            switch type {
            case "QuestionCompleted": self = .questionCompleted(id: id)
            case "QuestionReopened": self = .questionReopened(id: id)
            case "OfferFilled": self = .offerFilled(id: id)
            default: self = .offerReopened(id: id)
            }
        case "OutcomeRecorded":
            guard let outcome = Outcome(json: data) else { return nil }
            self = .outcomeRecorded(outcome)
        case "OutcomeRevised":
            guard let id = string("id"), let changes = data["changes"] else { return nil }
            self = .outcomeRevised(id: id, changes: changes)
        case "FollowUpRecorded":
            guard let outcome = string("outcome"), let used = string("used").flatMap(FollowUpUse.init(rawValue:)),
                let recorded = data["recordedAt"]?.integerValue
            else { return nil }
            self = .followUpRecorded(outcome: outcome, used: used, note: string("note"), recordedMs: recorded)
        default:
            return nil
        }
    }
}

extension DomainState {
    /// Applies a collaboration event: setting fields only; the judgement (capacity, completion) was the decider's.
    mutating func apply(_ event: CollaborationEvent) {
        switch event {
        case .proposalCreated(let proposal):
            proposals[proposal.id] = proposal
            proposalCount += 1
            proposalsByQuestion[proposal.question, default: []].append(proposal.id)
            proposalsByOffer[proposal.offer, default: []].append(proposal.id)
            pendingProposals.insert(proposal.id)
        case .proposalConsented(let id, let side):
            Self.update(&proposals, id, version: \.version) { $0.consents.insert(side) }
        case .proposalAccepted(let id, let match):
            Self.update(&proposals, id, version: \.version) { $0.status = .accepted; $0.match = match }
            pendingProposals.remove(id)
        case .proposalDeclined(let id, let side, let reason):
            Self.update(&proposals, id, version: \.version) { $0.status = .declined; $0.declinedBy = side; $0.closingReason = reason }
            pendingProposals.remove(id)
        case .proposalWithdrawn(let id, let reason):
            Self.update(&proposals, id, version: \.version) { $0.status = .withdrawn; $0.closingReason = reason }
            pendingProposals.remove(id)
        case .proposalExpired(let id):
            Self.update(&proposals, id, version: \.version) { $0.status = .expired }
            pendingProposals.remove(id)
        case .matchAgreed(let match):
            matches[match.id] = match
            matchCount += 1
            matchesByQuestion[match.question, default: []].append(match.id)
            matchesByOffer[match.offer, default: []].append(match.id)
        case .matchStarted(let id, let students, let startedOn):
            Self.update(&matches, id, version: \.version) { $0.status = .started; $0.students = students; $0.startedOn = startedOn }
        case .matchCancelled(let id, let reason):
            Self.update(&matches, id, version: \.version) { $0.status = .cancelled; $0.closingReason = reason }
        case .matchDelivered(let id, let outcome):
            Self.update(&matches, id, version: \.version) { $0.status = .delivered; $0.outcome = outcome }
        case .matchClosed(let id, let note):
            Self.update(&matches, id, version: \.version) { $0.status = .closed; $0.closingReason = note }
        case .questionMatched(let id, _):
            Self.update(&questions, id, version: \.version) { $0.status = .matched }
        case .questionCompleted(let id):
            Self.update(&questions, id, version: \.version) { $0.status = .completed }
        case .questionReopened(let id):
            Self.update(&questions, id, version: \.version) { $0.status = .open }
        case .offerFilled(let id):
            Self.update(&offers, id, version: \.version) { $0.status = .full }
        case .offerReopened(let id):
            Self.update(&offers, id, version: \.version) { $0.status = .published }
        case .outcomeRecorded(let outcome):
            outcomes[outcome.id] = outcome
            outcomeCount += 1
            outcomesByQuestion[outcome.question, default: []].append(outcome.id)
            outcomesByOffer[outcome.offer, default: []].append(outcome.id)
        case .outcomeRevised(let id, let changes):
            Self.update(&outcomes, id, version: \.version) { outcome in
                if let summary = changes["summary"]?.stringValue { outcome.summary = summary }
                if let deliverables = changes["deliverables"]?.arrayValue { outcome.deliverables = deliverables.compactMap(Deliverable.init(json:)) }
                if let students = changes["students"]?.integerValue { outcome.students = Int(students) }
                if let hours = changes["hours"]?.integerValue { outcome.hours = Int(hours) }
                if let competences = changes["competences"]?.arrayValue { outcome.competences = competences.compactMap(\.stringValue) }
                if let ratings = changes["ratings"] {
                    outcome.ratings = Ratings(requester: ratings["requester"]?.integerValue.map { Int($0) },
                                              education: ratings["education"]?.integerValue.map { Int($0) })
                }
                if let impact = changes["impact"]?.stringValue { outcome.impact = impact }
            }
        case .followUpRecorded(let outcome, let used, let note, let recordedMs):
            Self.update(&outcomes, outcome, version: \.version) { $0.followUp = FollowUpCheck(used: used, note: note, recordedMs: recordedMs) }
        }
    }
}
