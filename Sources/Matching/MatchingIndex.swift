import Domain
import LMDSJSON

/// What the matcher keeps current, event by event, next to the domain state: the text of every question
/// and offer analysed and indexed (BM25, both ways); for each, a slot with what scoring compares (themes,
/// disciplines and levels as bit sets, dates as day numbers, status, places taken, ratings), stored by the
/// text index's ordinal so that ranking 10,000 candidates is a pass over arrays; and the pairs already
/// proposed or matched. A suggestion only reads it.
public struct MatchingIndex: Sendable {
    public let analyzer: TextAnalyzer
    /// Offers' text, searched with a question's.
    public private(set) var offerText = TextIndex()
    /// Questions' text, searched with an offer's.
    public private(set) var questionText = TextIndex()
    /// Each question's and offer's analysis (terms, surface words, concepts), by id.
    public private(set) var analyses: [String: TextAnalyzer.Analysis] = [:]
    /// Offer slots by `offerText` ordinal; question slots by `questionText` ordinal.
    public private(set) var offerSlots: [OfferSlot?] = []
    public private(set) var questionSlots: [QuestionSlot?] = []
    /// Agreed and started matches per offer: the places it has given.
    public private(set) var placesTaken: [String: Int] = [:]
    /// For each question, the offers it has a pending proposal or an open match with (and how many).
    public private(set) var linkedOffers: [String: [String: Int]] = [:]
    /// For each offer, the questions it has a pending proposal or an open match with.
    public private(set) var linkedQuestions: [String: [String: Int]] = [:]
    /// The ratings of each offer's outcomes, by outcome id.
    public private(set) var ratingsByOffer: [String: [String: Ratings]] = [:]
    /// The mean of every rating of each offer's outcomes (1..5), when it has any; `count` ratings from
    /// `outcomes` outcomes (each outcome has up to two, one per side).
    public private(set) var ratingMeans: [String: (mean: Double, count: Int, outcomes: Int)] = [:]
    /// The coordinators' earlier decisions: which questions each offer was chosen or declined for.
    public private(set) var precedents = Precedents()
    let bits: TaxonomyBits
    /// Institution and district ids numbered as in the taxonomy.
    let institutionNumbers: [String: Int]
    let districtNumbers: [String: Int]
    /// Each offer run (`Precedents.run(of:)`) numbered in the order first indexed, for the slots.
    public private(set) var runNumbers: [String: Int] = [:]

    /// Themes, disciplines, levels and dates of one question or offer.
    public struct Profile: Sendable, Hashable {
        /// Bit i: the taxonomy's theme i (tagged or recognised in the text).
        public var themes: UInt64
        public var disciplines: UInt64
        /// The themes and disciplines tagged (stated by the requester, coordinator or institution); the
        /// others of `themes` and `disciplines` were only inferred from the text.
        public var statedThemes: UInt64
        public var statedDisciplines: UInt64
        /// A question's acceptable levels; an offer's one level.
        public var levels: UInt64
        /// A question's window or an offer's period as day numbers; nil: no window given.
        public var days: ClosedRange<Int>?
    }

    /// What scoring reads of an offer.
    public struct OfferSlot: Sendable {
        public var id: String
        /// Published (takes proposals).
        public var active: Bool
        public var capacity: Int
        public var placesTaken: Int
        public var profile: Profile
        /// The institution's number in the taxonomy.
        public var institution: Int
        /// The history factor's value: earlier outcomes' mean rating scaled to 0..1, 0.5 without any.
        public var history: Double
        /// Whether any outcome of it is rated (else `history` is the neutral 0.5).
        public var rated: Bool
        /// Its run's number in `runNumbers`: what earlier runs of the course taught applies to it.
        public var run: Int
    }

    /// What scoring reads of a question.
    public struct QuestionSlot: Sendable {
        public var id: String
        /// Open or matched (takes proposals).
        public var active: Bool
        public var profile: Profile
        /// The district's number in the taxonomy.
        public var district: Int
    }

    public init(analyzer: TextAnalyzer) {
        self.analyzer = analyzer
        self.bits = TaxonomyBits(analyzer.taxonomy)
        institutionNumbers = Dictionary(uniqueKeysWithValues: analyzer.taxonomy.institutions.enumerated().map { ($1.id, $0) })
        districtNumbers = Dictionary(uniqueKeysWithValues: analyzer.taxonomy.districts.enumerated().map { ($1.id, $0) })
    }

    /// The index of a whole state (start-up, `asOf` reads, benchmarks).
    public init(analyzer: TextAnalyzer, state: DomainState) {
        self.init(analyzer: analyzer, state: state, analyses: [:])
    }

    /// The index of a whole state, with the analyses of `indexedText` already made for some or all of its
    /// questions and offers (by id); the others are analysed here. Lets a caller analyse in parallel.
    public init(analyzer: TextAnalyzer, state: DomainState, analyses precomputed: [String: TextAnalyzer.Analysis]) {
        self.init(analyzer: analyzer, state: state, analysis: { id, _ in precomputed[id] })
    }

    /// The index of a whole state, asking `analysis` for each question's and offer's analysis (with the
    /// id and its `indexedText`): questions first, then offers, each in id order, so that a caller
    /// analysing in that order elsewhere can hand each over as it is made; nil: analysed here.
    public init(analyzer: TextAnalyzer, state: DomainState, analysis precomputed: (String, String) -> TextAnalyzer.Analysis?) {
        self.init(analyzer: analyzer)
        for match in state.matches.values where match.status.isOpen {
            placesTaken[match.offer, default: 0] += 1
            link(match.question, match.offer, by: 1)
        }
        for proposal in state.proposals.values where proposal.status == .proposed { link(proposal.question, proposal.offer, by: 1) }
        for outcome in state.outcomes.values { ratingsByOffer[outcome.offer, default: [:]][outcome.id] = outcome.ratings }
        for offer in ratingsByOffer.keys { updateRatingMean(offer) }
        precedents = Precedents(state: state)
        // Ids are sorted rather than the entities themselves: moving whole questions costs far more.
        analyses.reserveCapacity(state.questions.count + state.offers.count)
        for id in EntityID.sorted(state.questions.keys) {
            let question = state.questions[id]!
            indexQuestion(question, analysis: precomputed(id, Self.indexedText(question)))
        }
        for id in EntityID.sorted(state.offers.keys) {
            let offer = state.offers[id]!
            indexOffer(offer, analysis: precomputed(id, Self.indexedText(offer)))
        }
    }

    /// The text of a question that the index analyses.
    public static func indexedText(_ question: Question) -> String { indexedText(title: question.title, description: question.description) }

    /// The text of a question with this title and description that the index analyses.
    public static func indexedText(title: String, description: String) -> String { title + "\n" + description }

    /// The text of an offer that the index analyses.
    public static func indexedText(_ offer: Offer) -> String { offer.title + "\n" + offer.description + "\n" + offer.programme }

    /// The same index, having learnt `precedents` instead of the log's (for the time-split evaluation).
    func teaching(_ precedents: Precedents) -> MatchingIndex {
        var index = self
        index.precedents = precedents
        return index
    }

    /// Whether the question and offer already have a pending proposal or an open match.
    public func areLinked(question: String, offer: String) -> Bool { (linkedOffers[question]?[offer] ?? 0) > 0 }

    /// The slot of a question, if indexed.
    public func questionSlot(_ id: String) -> QuestionSlot? { questionText.ordinal(id).flatMap { questionSlots[$0] } }

    /// The slot of an offer, if indexed.
    public func offerSlot(_ id: String) -> OfferSlot? { offerText.ordinal(id).flatMap { offerSlots[$0] } }

    /// A question's or offer's profile.
    public func profile(_ id: String) -> Profile? { questionSlot(id)?.profile ?? offerSlot(id)?.profile }

    mutating func link(_ question: String, _ offer: String, by change: Int) {
        let count = max(0, (linkedOffers[question]?[offer] ?? 0) + change)
        linkedOffers[question, default: [:]][offer] = count == 0 ? nil : count
        linkedQuestions[offer, default: [:]][question] = count == 0 ? nil : count
    }

    mutating func updateRatingMean(_ offer: String) {
        let perOutcome = (ratingsByOffer[offer] ?? [:]).values.map { [$0.requester, $0.education].compactMap { $0 } }.filter { !$0.isEmpty }
        let ratings = perOutcome.flatMap { $0 }
        ratingMeans[offer] = ratings.isEmpty ? nil : (Double(ratings.reduce(0, +)) / Double(ratings.count), ratings.count, perOutcome.count)
    }

    /// Keeps the counts current with one event, called with the state *before* the event is applied (it
    /// reads what the event ends: a pending proposal, an open match).
    public mutating func willApply(_ event: DomainEvent, to state: DomainState) {
        guard case .collaboration(let event) = event else { return }
        precedents.beforeApplying(event, to: state)
        switch event {
        case .proposalCreated(let proposal):
            link(proposal.question, proposal.offer, by: 1)
        case .proposalAccepted(let id, _), .proposalDeclined(let id, _, _), .proposalWithdrawn(let id, _), .proposalExpired(let id):
            if let proposal = state.proposals[id], proposal.status == .proposed { link(proposal.question, proposal.offer, by: -1) }
        case .matchAgreed(let match):
            placesTaken[match.offer, default: 0] += 1
            link(match.question, match.offer, by: 1)
        case .matchCancelled(let id, _), .matchDelivered(let id, _):
            if let match = state.matches[id], match.status.isOpen {
                placesTaken[match.offer] = max(0, (placesTaken[match.offer] ?? 0) - 1)
                link(match.question, match.offer, by: -1)
            }
        case .outcomeRecorded(let outcome):
            ratingsByOffer[outcome.offer, default: [:]][outcome.id] = outcome.ratings
            updateRatingMean(outcome.offer)
        case .outcomeRevised(let id, let changes):
            if let outcome = state.outcomes[id], let ratings = changes["ratings"] {
                ratingsByOffer[outcome.offer, default: [:]][id] = Ratings(
                    requester: ratings["requester"]?.integerValue.map { Int($0) }, education: ratings["education"]?.integerValue.map { Int($0) })
                updateRatingMean(outcome.offer)
            }
        case .proposalConsented, .matchStarted, .matchClosed, .questionMatched, .questionCompleted, .questionReopened, .offerFilled,
             .offerReopened, .followUpRecorded:
            break
        }
    }

    /// Keeps the text indexes and slots current with one event, called with the state *after* it was
    /// applied: a submission or revision costs one document's analysis; a change of status, places or
    /// ratings refreshes the slots of the questions and offers the event names.
    public mutating func didApply(_ event: DomainEvent, to state: DomainState, prior: Void = ()) {
        let analyzer = self.analyzer
        afterApplying(event, to: state) { analyzer.analyze($0) }
    }

    /// The same upkeep, analysing texts with the words of earlier texts taken from `words` (the daemon
    /// keeps one cache for the index's whole life: a submission's words are mostly words seen before), or
    /// taking a text's analysis from `prepared` (by the text) when it is there.
    public mutating func afterApplying(
        _ event: DomainEvent, to state: DomainState, words: inout TextAnalyzer.WordCache, prepared: [String: TextAnalyzer.Analysis] = [:]
    ) {
        let analyzer = self.analyzer
        // An analysis prepared elsewhere is used for exactly the text it was made of (analysis is a pure function
        // of the text: the same result, made on another thread).
        afterApplying(event, to: state) { text in prepared[text] ?? analyzer.analyze(text, cache: &words) }
    }

    private mutating func afterApplying(_ event: DomainEvent, to state: DomainState, analyze: (String) -> TextAnalyzer.Analysis) {
        // A decided question's new neighbourhood, or a decided offer's new programme, changes what its
        // decisions count for (rare: everything derived is recounted).
        if case .questionRevised(let id, _) = event, precedents.involves(id) { precedents.rederive(state: state) }
        if case .offerRevised(let id, _) = event, precedents.involves(id) { precedents.rederive(state: state) }
        switch event {
        case .questionSubmitted(let question):
            indexQuestion(question, analysis: analyze(Self.indexedText(question)))
        case .questionAccepted(let id, nil, nil):
            if let question = state.questions[id] { refreshSlot(question) }
        case .questionAccepted(let id, _, _), .questionRevised(let id, _):
            if let question = state.questions[id] { indexQuestion(question, analysis: analyze(Self.indexedText(question))) }
        case .offerPublished(let offer):
            indexOffer(offer, analysis: analyze(Self.indexedText(offer)))
        case .offerRevised(let id, _):
            if let offer = state.offers[id] { indexOffer(offer, analysis: analyze(Self.indexedText(offer))) }
        case .questionRejected, .questionReferred, .questionWithdrawn, .personalDataErased, .offerClosed, .offerWithdrawn, .collaboration, .lineage:
            refreshSlots(named: event, in: state)
        case .publication, .desk, .progress, .reminder, .notification, .organisation:
            // Whether a question is shown on the public site, who owns it, the notes about it and a match.s
            // milestones, check-ins and feedback, reminders and deliveries change
            // nothing the matcher keeps.
            break
        }
    }

    /// Refreshes the slots of the questions and offers an event names (directly, or through its outcome or match).
    private mutating func refreshSlots(named event: DomainEvent, in state: DomainState) {
        for id in event.entityIDs {
            if let question = state.questions[id] {
                refreshSlot(question)
            } else if let offer = state.offers[id] {
                refreshSlot(offer)
            } else if let offer = state.outcomes[id].flatMap({ state.offers[$0.offer] }) {
                refreshSlot(offer)
            } else if let match = state.matches[id] {
                if let offer = state.offers[match.offer] { refreshSlot(offer) }
                if let question = state.questions[match.question] { refreshSlot(question) }
            }
        }
    }

    mutating func indexQuestion(_ question: Question, analysis precomputed: TextAnalyzer.Analysis? = nil) {
        let analysis = precomputed ?? analyzer.analyze(Self.indexedText(question))
        analyses[question.id] = analysis
        questionText.upsert(question.id, analysis)
        refreshSlot(question)
    }

    mutating func indexOffer(_ offer: Offer, analysis precomputed: TextAnalyzer.Analysis? = nil) {
        let analysis = precomputed ?? analyzer.analyze(Self.indexedText(offer))
        analyses[offer.id] = analysis
        offerText.upsert(offer.id, analysis)
        refreshSlot(offer)
    }

    mutating func refreshSlot(_ question: Question) {
        guard let ordinal = questionText.ordinal(question.id), let analysis = analyses[question.id] else { return }
        while questionSlots.count <= ordinal { questionSlots.append(nil) }
        questionSlots[ordinal] = QuestionSlot(
            id: question.id, active: question.status == .open || question.status == .matched,
            profile: bits.profile(analysis, themes: question.themes, disciplines: question.disciplines, levels: question.levels, window: question.window),
            district: districtNumbers[question.neighbourhood.district] ?? -1)
    }

    mutating func refreshSlot(_ offer: Offer) {
        guard let ordinal = offerText.ordinal(offer.id), let analysis = analyses[offer.id] else { return }
        while offerSlots.count <= ordinal { offerSlots.append(nil) }
        let run = Precedents.run(of: offer)
        let runNumber = runNumbers[run] ?? runNumbers.count
        runNumbers[run] = runNumber
        offerSlots[ordinal] = OfferSlot(
            id: offer.id, active: offer.status == .published, capacity: offer.capacity, placesTaken: placesTaken[offer.id] ?? 0,
            profile: bits.profile(analysis, themes: offer.themes, disciplines: offer.disciplines, levels: [offer.level], window: offer.period.window),
            institution: institutionNumbers[offer.institution] ?? -1, history: ratingMeans[offer.id].map { ($0.mean - 1) / 4 } ?? 0.5,
            rated: ratingMeans[offer.id] != nil, run: runNumber)
    }
}

/// The taxonomy's levels, themes and disciplines numbered as bits (a taxonomy lists at most 64 of each).
struct TaxonomyBits: Sendable {
    let themes: [String: Int]
    let disciplines: [String: Int]
    let levels: [String: Int]

    init(_ taxonomy: Taxonomy) {
        func numbered(_ entries: [Taxonomy.Entry]) -> [String: Int] {
            Dictionary(uniqueKeysWithValues: entries.prefix(64).enumerated().map { ($1.id, $0) })
        }
        themes = numbered(taxonomy.themes)
        disciplines = numbered(taxonomy.disciplines)
        levels = numbered(taxonomy.levels)
    }

    func set(_ ids: some Sequence<String>, _ numbers: [String: Int]) -> UInt64 {
        ids.reduce(0) { bits, id in numbers[id].map { bits | (1 << UInt64($0)) } ?? bits }
    }

    func profile(_ analysis: TextAnalyzer.Analysis, themes: [String], disciplines: [String], levels: [String], window: DateWindow?) -> MatchingIndex.Profile {
        let recognisedThemes = analysis.concepts.filter { $0.kind == .theme }.map(\.id)
        let recognisedDisciplines = analysis.concepts.filter { $0.kind == .discipline }.map(\.id)
        var days: ClosedRange<Int>?
        if let window {
            let from = CivilDate.dayNumber(window.from)
            days = from...max(from, CivilDate.dayNumber(window.to))
        }
        return MatchingIndex.Profile(
            themes: set(themes + recognisedThemes, self.themes), disciplines: set(disciplines + recognisedDisciplines, self.disciplines),
            statedThemes: set(themes, self.themes), statedDisciplines: set(disciplines, self.disciplines),
            levels: set(levels, self.levels), days: days)
    }
}
