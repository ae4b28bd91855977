import Domain

/// What the coordinators' decisions in the log teach the ranking (issue 14, point 6): for each offer, the
/// questions it was chosen for (a proposal that became an agreed match) and those it was declined for.
/// A projection of the log kept in the `MatchingIndex`, event by event; nothing of it is stored, so it is
/// replayed with the log and the same log always teaches the same.
///
/// A new question is compared with the earlier ones by its words (`Precedents.similarity`): an offer chosen
/// for similar questions before does better on the `history` factor, one declined for them worse, and the
/// reason says so in words ("chosen for 3 similar questions before").
public struct Precedents: Sendable {
    /// For each offer, the questions it was chosen for and those it was declined for.
    public private(set) var chosen: [String: Set<String>] = [:]
    public private(set) var declined: [String: Set<String>] = [:]

    /// Two questions are similar from this cosine similarity of their terms on: sharing a few specific
    /// words or a theme and some words, not one common word.
    public static let similarFloor = 0.2

    public init() {}

    /// The decisions in `state`: every match (whatever became of it: the choice was made) and every
    /// declined proposal.
    init(state: DomainState) {
        for match in state.matches.values { chosen[match.offer, default: []].insert(match.question) }
        for proposal in state.proposals.values where proposal.status == .declined { declined[proposal.offer, default: []].insert(proposal.question) }
    }

    /// Takes in one event, before it is applied to `state`.
    mutating func beforeApplying(_ event: CollaborationEvent, to state: DomainState) {
        if case .matchAgreed(let match) = event {
            chosen[match.offer, default: []].insert(match.question)
        } else if case .proposalDeclined(let id, _, _) = event, let proposal = state.proposals[id] {
            declined[proposal.offer, default: []].insert(proposal.question)
        }
    }

    /// Records one decision directly (the time-split evaluation teaches this way, without a log).
    mutating func record(question: String, offer: String, chosen wasChosen: Bool) {
        if wasChosen { chosen[offer, default: []].insert(question) } else { declined[offer, default: []].insert(question) }
    }

    /// Whether any decision was recorded for `offer`.
    func hasDecisions(_ offer: String) -> Bool { chosen[offer] != nil || declined[offer] != nil }

    /// The cosine similarity of two texts' terms (counts as weights).
    public static func similarity(_ left: [String: Int], _ right: [String: Int]) -> Double {
        similarity(left, norm: norm(left), right, norm: norm(right))
    }

    /// The Euclidean norm of a text's term counts.
    static func norm(_ terms: [String: Int]) -> Double { terms.values.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot() }

    /// The cosine similarity with both norms already known.
    static func similarity(_ left: [String: Int], norm leftNorm: Double, _ right: [String: Int], norm rightNorm: Double) -> Double {
        guard !left.isEmpty, !right.isEmpty else { return 0 }
        let (small, large) = left.count <= right.count ? (left, right) : (right, left)
        var dot = 0.0
        for (term, count) in small { if let other = large[term] { dot += Double(count * other) } }
        guard dot > 0 else { return 0 }
        return dot / (leftNorm * rightNorm)
    }

    /// One offer's decided questions, in id order (so sums are added in the same order every time), with
    /// their terms and norms: gathered once per suggestion, not once per candidate question.
    struct Decided: Sendable {
        var questions: [(id: String, terms: [String: Int], norm: Double, chosen: Bool)] = []
    }

    /// The questions decided for `offer`, or nil when none was.
    func decided(_ offer: String, index: MatchingIndex) -> Decided? {
        guard hasDecisions(offer) else { return nil }
        var decided = Decided()
        for (questions, wasChosen) in [(chosen[offer] ?? [], true), (declined[offer] ?? [], false)] {
            for id in questions.sorted() {
                let terms = index.analyses[id]?.terms ?? [:]
                decided.questions.append((id, terms, Self.norm(terms), wasChosen))
            }
        }
        return decided
    }

    /// How the coordinators decided on questions similar to `question` for `offer`.
    public struct Record: Sendable, Hashable {
        /// Similar questions it was chosen for, and declined for.
        public var chosen = 0
        public var declined = 0
        /// The history factor's part from them, 0..1: 0.5 plus half the balance of similarity chosen over
        /// declined, damped by one similar question's worth (one precedent moves it less than three).
        public var value = 0.5
    }

    /// The record of `offer` for `question` (terms from the index; the question itself is left out), or
    /// nil when no similar question was decided for it.
    func record(question: String, terms: [String: Int], offer: String, index: MatchingIndex) -> Record? {
        decided(offer, index: index).flatMap { Self.record(question: question, terms: terms, decided: $0) }
    }

    /// The record of the offer whose decisions are `decided`, for `question`; nil when none is similar.
    static func record(question: String, terms: [String: Int], decided: Decided) -> Record? {
        var record = Record()
        var balance = 0.0, total = 0.0
        let questionNorm = norm(terms)
        for other in decided.questions where other.id != question {
            let similar = similarity(terms, norm: questionNorm, other.terms, norm: other.norm)
            guard similar >= similarFloor else { continue }
            if other.chosen { record.chosen += 1 } else { record.declined += 1 }
            balance += (other.chosen ? 1.0 : -1.0) * similar
            total += similar
        }
        guard record.chosen + record.declined > 0 else { return nil }
        record.value = 0.5 + 0.5 * balance / (total + 1)
        return record
    }
}
