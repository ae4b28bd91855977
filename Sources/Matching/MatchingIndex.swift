import Domain
import LMDSJSON

/// What the matcher keeps current, event by event, next to the domain state: the text of every question
/// and offer analysed and indexed (BM25, both ways), the places each offer has taken, the pairs already
/// proposed or matched, and the ratings of each offer's earlier outcomes. A suggestion only reads it.
public struct MatchingIndex: Sendable {
    public let analyzer: TextAnalyzer
    /// Offers' text, searched with a question's.
    public private(set) var offerText = TextIndex()
    /// Questions' text, searched with an offer's.
    public private(set) var questionText = TextIndex()
    /// Each question's and offer's analysis (terms, surface words, concepts), by id.
    public private(set) var analyses: [String: TextAnalyzer.Analysis] = [:]
    /// Each question's and offer's themes and disciplines: tagged, or recognised in its text.
    public private(set) var profiles: [String: Profile] = [:]

    /// Themes and disciplines of one question or offer.
    public struct Profile: Sendable, Hashable {
        public var themes: Set<String>
        public var disciplines: Set<String>
    }
    /// Agreed and started matches per offer: the places it has given.
    public private(set) var placesTaken: [String: Int] = [:]
    /// "Q|O" pairs with a pending proposal or an open match: not suggested again.
    public private(set) var linkedPairs: [String: Int] = [:]
    /// The ratings of each offer's outcomes, by outcome id.
    public private(set) var ratingsByOffer: [String: [String: Ratings]] = [:]

    public init(analyzer: TextAnalyzer) {
        self.analyzer = analyzer
    }

    /// The index of a whole state (start-up, `asOf` reads, benchmarks).
    public init(analyzer: TextAnalyzer, state: DomainState) {
        self.analyzer = analyzer
        for question in state.questions.values { indexQuestion(question) }
        for offer in state.offers.values { indexOffer(offer) }
        for match in state.matches.values where match.status.isOpen {
            placesTaken[match.offer, default: 0] += 1
            linkedPairs[Self.pair(match.question, match.offer), default: 0] += 1
        }
        for proposal in state.proposals.values where proposal.status == .proposed {
            linkedPairs[Self.pair(proposal.question, proposal.offer), default: 0] += 1
        }
        for outcome in state.outcomes.values { ratingsByOffer[outcome.offer, default: [:]][outcome.id] = outcome.ratings }
    }

    static func pair(_ question: String, _ offer: String) -> String { question + "|" + offer }

    static func profile(_ analysis: TextAnalyzer.Analysis, themes: [String], disciplines: [String]) -> Profile {
        Profile(themes: Set(themes).union(analysis.concepts.filter { $0.kind == .theme }.map(\.id)),
                disciplines: Set(disciplines).union(analysis.concepts.filter { $0.kind == .discipline }.map(\.id)))
    }

    /// Whether the question and offer already have a pending proposal or an open match.
    public func areLinked(question: String, offer: String) -> Bool { (linkedPairs[Self.pair(question, offer)] ?? 0) > 0 }

    /// Keeps the counts current with one event, called with the state *before* the event is applied (it
    /// reads what the event ends: a pending proposal, an open match).
    public mutating func beforeApplying(_ event: DomainEvent, to state: DomainState) {
        if case .collaboration(let event) = event { apply(event, before: state) }
    }

    /// Keeps the text indexes current with one event, called with the state *after* it was applied (a
    /// revision's result); costs one document's analysis.
    public mutating func afterApplying(_ event: DomainEvent, to state: DomainState) {
        switch event {
        case .questionSubmitted(let question):
            indexQuestion(question)
        case .questionAccepted(let id, _, _), .questionRevised(let id, _):
            if let question = state.questions[id] { indexQuestion(question) }
        case .offerPublished(let offer):
            indexOffer(offer)
        case .offerRevised(let id, _):
            if let offer = state.offers[id] { indexOffer(offer) }
        default:
            break
        }
    }

    mutating func apply(_ event: CollaborationEvent, before: DomainState) {
        func unlink(_ question: String, _ offer: String) {
            let key = Self.pair(question, offer)
            linkedPairs[key] = max(0, (linkedPairs[key] ?? 0) - 1)
            if linkedPairs[key] == 0 { linkedPairs.removeValue(forKey: key) }
        }
        switch event {
        case .proposalCreated(let proposal):
            linkedPairs[Self.pair(proposal.question, proposal.offer), default: 0] += 1
        case .proposalAccepted(let id, _), .proposalDeclined(let id, _, _), .proposalWithdrawn(let id, _), .proposalExpired(let id):
            if let proposal = before.proposals[id], proposal.status == .proposed { unlink(proposal.question, proposal.offer) }
        case .matchAgreed(let match):
            placesTaken[match.offer, default: 0] += 1
            linkedPairs[Self.pair(match.question, match.offer), default: 0] += 1
        case .matchCancelled(let id, _), .matchDelivered(let id, _):
            if let match = before.matches[id], match.status.isOpen {
                placesTaken[match.offer] = max(0, (placesTaken[match.offer] ?? 0) - 1)
                unlink(match.question, match.offer)
            }
        case .outcomeRecorded(let outcome):
            ratingsByOffer[outcome.offer, default: [:]][outcome.id] = outcome.ratings
        case .outcomeRevised(let id, let changes):
            if let outcome = before.outcomes[id], let ratings = changes["ratings"] {
                ratingsByOffer[outcome.offer, default: [:]][id] = Ratings(
                    requester: ratings["requester"]?.integerValue.map { Int($0) }, education: ratings["education"]?.integerValue.map { Int($0) })
            }
        default:
            break
        }
    }

    mutating func indexQuestion(_ question: Question) {
        let analysis = analyzer.analyze(question.title + "\n" + question.description)
        analyses[question.id] = analysis
        profiles[question.id] = Self.profile(analysis, themes: question.themes, disciplines: question.disciplines)
        questionText.upsert(question.id, analysis)
    }

    mutating func indexOffer(_ offer: Offer) {
        let analysis = analyzer.analyze(offer.title + "\n" + offer.description + "\n" + offer.programme)
        analyses[offer.id] = analysis
        profiles[offer.id] = Self.profile(analysis, themes: offer.themes, disciplines: offer.disciplines)
        offerText.upsert(offer.id, analysis)
    }
}
