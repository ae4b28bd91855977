import Domain
import LMDSJSON

/// What a write did, as the core returns it: the entity the command was about, its status and version after
/// the command (not after commands decided while it committed), the log position of its last event, and the
/// warnings about things the caller may not have meant.
///
/// The same value answers a retry with the same request id, also after a restart (the snapshot stores its
/// `json`, start-up rebuilds it from the log). The adapter renders it with `json`.
public struct WriteResult: Sendable, Hashable {
    /// What a reply adds for some kinds of entity.
    public enum Details: Sendable, Hashable {
        case none
        /// A proposal: the match it became, once both sides consented.
        case proposal(match: String?)
        /// An outcome: its match, the follow-up questions it raised and when the follow-up check is due.
        case outcome(match: String, followUps: [String], followUpDue: String)
        /// A submitted question: the organisation its requester was linked to (and whether the submission
        /// registered it), and the contact when the requester was an existing one.
        case submission(organisation: OrganisationLink?, existingContact: String?)
    }

    /// The registered organisation a submission's requester was linked to.
    public struct OrganisationLink: Sendable, Hashable {
        public var id: String
        public var name: String?
        public var registered: Bool
    }

    public var entityID: String
    public var status: String
    /// The entity's version; nil for a contact.
    public var version: Int?
    public var position: UInt64
    public var details: Details
    public var warnings: [DomainWarning]

    public init(entityID: String, status: String, version: Int?, position: UInt64, details: Details = .none, warnings: [DomainWarning] = []) {
        self.entityID = entityID
        self.status = status
        self.version = version
        self.position = position
        self.details = details
        self.warnings = warnings
    }

    /// The result about `entityID` as `state` holds it, at log position `position`.
    public static func about(_ entityID: String, in state: DomainState, position: UInt64, warnings: [DomainWarning]) -> WriteResult {
        func result(_ status: String, _ version: Int?, _ details: Details = .none) -> WriteResult {
            WriteResult(entityID: entityID, status: status, version: version, position: position, details: details, warnings: warnings)
        }
        if let question = state.questions[entityID] { return result(question.status.rawValue, question.version) }
        if let offer = state.offers[entityID] { return result(offer.status.rawValue, offer.version) }
        if let proposal = state.proposals[entityID] { return result(proposal.status.rawValue, proposal.version, .proposal(match: proposal.match)) }
        if let match = state.matches[entityID] { return result(match.status.rawValue, match.version) }
        if let outcome = state.outcomes[entityID] {
            return result(outcome.followUp == nil ? "recorded" : "followed-up", outcome.version,
                          .outcome(match: outcome.match, followUps: outcome.followUps, followUpDue: outcome.followUpDue))
        }
        if let reminder = state.reminders.reminders[entityID] { return result(reminder.status.rawValue, reminder.version) }
        if let organisation = state.organisations.organisations[entityID] { return result(organisation.status, organisation.version) }
        let erased = state.erasedContacts.contains(entityID) || state.progress.erasedTexts.contains(entityID)
        return result(erased ? "erased" : "stored", nil)
    }

    /// The details of a write whose events are one `QuestionSubmitted` (a `question.submit`), from the event
    /// and the state before it: the requester's organisation link, and the contact when it was one already
    /// (the lookup found it). Decided live and rebuilt by the replay the same way, so a retry after a restart
    /// gets what the first attempt got. nil for any other write, and when there is nothing to add (`.none`, as
    /// the result read back from its JSON in a snapshot says).
    public static func submissionDetails(of events: [DomainEvent], before state: DomainState) -> Details? {
        guard events.count == 1, case .questionSubmitted(let question) = events[0] else { return nil }
        let requester = question.requester
        let organisation = requester.organisationID.map {
            OrganisationLink(id: $0, name: requester.organisation, registered: requester.organisationRegistered)
        }
        let existing = requester.contact.flatMap { state.knowsContact($0) ? $0 : nil }
        guard organisation != nil || existing != nil else { return nil }
        return .submission(organisation: organisation, existingContact: existing)
    }

    /// The result as its reply's JSON (Protocol: the result of a write).
    public var json: JSONValue {
        var members: [String: JSONValue] = ["id": .string(entityID), "status": .string(status), "position": .integer(Int64(position))]
        if let version { members["version"] = .integer(Int64(version)) }
        switch details {
        case .none:
            break
        case .proposal(let match):
            members["match"] = match.map { .string($0) } ?? .null
        case .outcome(let match, let followUps, let followUpDue):
            members["match"] = .string(match)
            members["followUps"] = .array(followUps.map { .string($0) })
            members["followUpDue"] = .string(followUpDue)
        case .submission(let organisation, let existingContact):
            if let organisation {
                members["organisation"] = ["id": .string(organisation.id), "name": organisation.name.map { .string($0) } ?? .null,
                                           "registered": .bool(organisation.registered)]
            }
            if let existingContact { members["contact"] = ["id": .string(existingContact), "existing": true] }
        }
        if !warnings.isEmpty { members["warnings"] = .array(warnings.map(\.json)) }
        return .object(members)
    }

    /// The result stored as `json` (in a snapshot); nil when `json` is not one.
    public init?(json: JSONValue) {
        guard let entityID = json["id"]?.stringValue, let status = json["status"]?.stringValue,
              let position = json["position"]?.integerValue, position >= 0 else { return nil }
        let version = json["version"]?.integerValue.map { Int($0) }
        var details = Details.none
        if let followUpDue = json["followUpDue"]?.stringValue, let match = json["match"]?.stringValue {
            details = .outcome(match: match, followUps: json["followUps"]?.arrayValue?.compactMap(\.stringValue) ?? [], followUpDue: followUpDue)
        } else if let match = json["match"] {
            details = .proposal(match: match.stringValue)
        } else if json["organisation"] != nil || json["contact"] != nil {
            let organisation = json["organisation"].flatMap { link in
                link["id"]?.stringValue.map { OrganisationLink(id: $0, name: link["name"]?.stringValue, registered: link["registered"] == true) }
            }
            details = .submission(organisation: organisation, existingContact: json["contact"]?["id"]?.stringValue)
        }
        let warnings = json["warnings"]?.arrayValue?.compactMap { warning in
            warning["field"]?.stringValue.flatMap { field in warning["reason"]?.stringValue.map { DomainWarning(field: field, $0) } }
        } ?? []
        self.init(entityID: entityID, status: status, version: version, position: UInt64(position), details: details, warnings: warnings)
    }
}
