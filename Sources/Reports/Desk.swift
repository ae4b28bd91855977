import Domain
import LMDSJSON

/// What waits on a person now (`desk.get`), by kind, oldest first, each with why and since when. Pure: the
/// state, the time and the times of the questions' last events come in.
///
/// Who sees what: a coordinator or admin sees the questions they own and what hangs on them (proposals,
/// matches, follow-up checks), and every unowned question in intake; an educator sees what concerns their
/// institution (proposals waiting on the education side, matches of its offers, follow-up checks of its
/// outcomes). Viewers have no desk.
public struct DeskView: Sendable {
    /// What kind of thing waits, in the order the desk lists them.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A submitted question waiting for intake (accept, reject, refer).
        case intake
        /// An open question with no proposal waiting and no match.
        case unproposed
        /// A proposal waiting on a side's consent.
        case consent
        /// An agreed match that has not started.
        case notStarted
        /// A started match whose offer's period has ended without an outcome.
        case overdue
        /// An outcome's follow-up check that has fallen due.
        case followUp
    }

    /// One thing that waits.
    public struct Item: Sendable, Hashable {
        public let kind: Kind
        public let entity: String
        public let question: String
        public let why: String
        /// Since when it waits: milliseconds since 1970 (midnight UTC for dates), and as people read it.
        public let sinceMs: Int64
        public let since: String
        public let owner: String?

        public var json: JSONValue {
            ["kind": .string(kind.rawValue), "entity": .string(entity), "question": .string(question), "why": .string(why),
             "since": .string(since), "owner": owner.map { .string($0) } ?? .null]
        }
    }

    /// Whose desk: a user name, the role that decides the view, and an educator's institution.
    public struct Person: Sendable, Hashable {
        public let name: String
        public let role: String
        public let institution: String?

        public init(name: String, role: String, institution: String?) {
            self.name = name
            self.role = role
            self.institution = institution
        }

        var isStaff: Bool { role == "coordinator" || role == "admin" }
    }

    /// Items per kind at most: bounds the reply (the oldest are kept; `total` counts them all).
    public static let itemsPerKindMax = 200

    public let state: DomainState
    public let policy: DomainPolicy
    public let nowMs: Int64
    /// The time of an open question's last event that changed where it stands (it became open, or its last
    /// proposal ended), by question id; a question missing here counts from its submission.
    public let lastEventMs: [String: Int64]

    public init(state: DomainState, policy: DomainPolicy, nowMs: Int64, lastEventMs: [String: Int64]) {
        self.state = state
        self.policy = policy
        self.nowMs = nowMs
        self.lastEventMs = lastEventMs
    }

    var today: String { CivilDate.date(milliseconds: nowMs) }

    /// The open questions that wait for a proposal: the ones `lastEventMs` must be asked about.
    public static func unproposedQuestions(_ state: DomainState) -> [String] {
        state.questions.values.filter { question in
            question.status == .open && !(state.proposalsByQuestion[question.id] ?? []).contains { state.pendingProposals.contains($0) }
        }.map(\.id)
    }

    /// Everything that waits on `person`, oldest first within each kind, kinds in `Kind` order.
    public func items(for person: Person) -> [Item] {
        var items = Self.questionItems(state, lastEventMs: lastEventMs) + proposalItems() + matchItems() + followUpItems()
        items = items.filter { concerns($0, person) }
        return items.sorted { left, right in
            let (leftKind, rightKind) = (Kind.allCases.firstIndex(of: left.kind)!, Kind.allCases.firstIndex(of: right.kind)!)
            if leftKind != rightKind { return leftKind < rightKind }
            if left.sinceMs != right.sinceMs { return left.sinceMs < right.sinceMs }
            return EntityID.precedes(left.entity, right.entity)
        }
    }

    /// Everything that waits on anyone: the workload report counts from it.
    public func allItems() -> [Item] { Self.questionItems(state, lastEventMs: lastEventMs) + proposalItems() + matchItems() + followUpItems() }

    func concerns(_ item: Item, _ person: Person) -> Bool {
        if person.isStaff {
            if item.owner == person.name { return true }
            return item.kind == .intake && item.owner == nil
        }
        guard person.role == "educator", let institution = person.institution else { return false }
        switch item.kind {
        case .intake, .unproposed: return false
        case .consent:
            guard let proposal = state.proposals[item.entity], !proposal.consents.contains(.education) else { return false }
            return state.offers[proposal.offer]?.institution == institution
        case .notStarted, .overdue:
            return state.matches[item.entity].flatMap { state.offers[$0.offer] }?.institution == institution
        case .followUp:
            return state.outcomes[item.entity].flatMap { state.offers[$0.offer] }?.institution == institution
        }
    }

    static func item(_ kind: Kind, _ entity: String, question: String, _ why: String, sinceMs: Int64, state: DomainState) -> Item {
        Item(kind: kind, entity: entity, question: question, why: why, sinceMs: sinceMs, since: UTCTime.iso(sinceMs), owner: state.owner(of: question))
    }

    static func item(_ kind: Kind, _ entity: String, question: String, _ why: String, sinceDate: String, state: DomainState) -> Item {
        Item(kind: kind, entity: entity, question: question, why: why, sinceMs: Int64(CivilDate.dayNumber(sinceDate)) * 86_400_000,
             since: sinceDate, owner: state.owner(of: question))
    }

    static func questionItems(_ state: DomainState, lastEventMs: [String: Int64]) -> [Item] {
        let intake = state.questions.values.filter { $0.status == .submitted }.map { question in
            item(.intake, question.id, question: question.id, "submitted, waiting for intake (accept, reject or refer)",
                 sinceMs: question.submittedMs, state: state)
        }
        let unproposed = unproposedQuestions(state).map { id in
            item(.unproposed, id, question: id, "open, with no proposal waiting and no match",
                 sinceMs: lastEventMs[id] ?? state.questions[id]!.submittedMs, state: state)
        }
        return intake + unproposed
    }

    func proposalItems() -> [Item] {
        state.pendingProposals.compactMap { state.proposals[$0] }.map { proposal in
            let missing = ConsentSide.allCases.filter { !proposal.consents.contains($0) }.map(\.rawValue)
            let why = "proposed to \(proposal.offer), waiting on the \(missing.joined(separator: " and ")) side\(missing.count == 1 ? "" : "s") to consent"
            return Self.item(.consent, proposal.id, question: proposal.question, why, sinceMs: proposal.createdMs, state: state)
        }
    }

    func matchItems() -> [Item] {
        state.matches.values.compactMap { match -> Item? in
            if match.status == .agreed {
                return Self.item(.notStarted, match.id, question: match.question, "agreed with \(match.offer), not started",
                                 sinceMs: match.agreedMs, state: state)
            }
            guard match.status == .started, let offer = state.offers[match.offer], offer.period.window.to < today else { return nil }
            return Self.item(.overdue, match.id, question: match.question, "started, the period of \(offer.id) ended without an outcome",
                             sinceDate: offer.period.window.to, state: state)
        }
    }

    func followUpItems() -> [Item] {
        state.outcomes.values.filter { $0.followUp == nil && $0.followUpDue <= today }.map { outcome in
            let overdue = today >= CivilDate.adding(days: policy.followUpGraceDays, to: outcome.followUpDue)
            return Self.item(.followUp, outcome.id, question: outcome.question,
                             "follow-up check \(overdue ? "overdue" : "due"): did the requester use what was delivered?",
                             sinceDate: outcome.followUpDue, state: state)
        }
    }

    /// The desk as `desk.get` answers it: the items per kind (at most `itemsPerKindMax` each), with counts.
    public static func json(_ items: [Item], person: Person, asOf: String) -> JSONValue {
        var kinds: [JSONValue] = []
        for kind in Kind.allCases {
            let ofKind = items.filter { $0.kind == kind }
            kinds.append(["kind": .string(kind.rawValue), "total": .integer(Int64(ofKind.count)),
                          "items": .array(ofKind.prefix(itemsPerKindMax).map(\.json))])
        }
        return ["for": .string(person.name), "role": .string(person.role), "institution": person.institution.map { .string($0) } ?? .null,
                "asOf": .string(asOf), "total": .integer(Int64(items.count)), "kinds": .array(kinds)]
    }
}
