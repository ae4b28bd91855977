import Domain

/// What the coordinators' decisions in the log teach the ranking (issue 14, point 6): for each offer, the
/// questions it was chosen for (a proposal that became an agreed match) and those it was declined for;
/// the offers of each **run** of a course (one institution giving one programme again, semester after
/// semester, under a new offer id), so that what an earlier run was chosen or declined for, and how its
/// outcomes were rated, carries over to the next run; and for each district, how often each institution
/// was chosen for its questions. A projection of the log kept in the `MatchingIndex`, event by event;
/// nothing of it is stored, so it is replayed with the log and the same log always teaches the same.
///
/// A new question is compared with the earlier ones by its words (`Precedents.similarity`): a run chosen
/// for similar questions before does better on the `history` factor, one declined for them worse, and the
/// reason says so in words ("chosen for 3 similar questions before").
public struct Precedents: Sendable {
    /// For each offer, the questions it was chosen for and those it was declined for.
    public private(set) var chosen: [String: Set<String>] = [:]
    public private(set) var declined: [String: Set<String>] = [:]
    /// The offers with decisions of each run (`Precedents.run(of:)`).
    public private(set) var decidedOffersByRun: [String: Set<String>] = [:]
    /// For each district id, how many of its questions each institution (id) was chosen for; and the same
    /// over every district, per institution and in all. Each question–offer pair counts once.
    public private(set) var chosenInDistrict: [String: [String: Int]] = [:]
    public private(set) var chosenByInstitution: [String: Int] = [:]
    public private(set) var chosenCount = 0
    /// Every question with a decision.
    private var decidedQuestions: Set<String> = []

    /// Two questions are similar from this cosine similarity of their terms on: sharing a few specific
    /// words or a theme and some words, not one common word.
    public static let similarFloor = 0.2

    /// How many chosen questions the institution's overall share counts as, when its share in one district
    /// is estimated (Laplace-style smoothing): with fewer choices in a district than this, the district
    /// says less than the institution's record elsewhere.
    public static let districtSmoothing = 2.0

    public init() {}

    /// The decisions in `state`: every match (whatever became of it: the choice was made) and every
    /// declined proposal, in id order.
    init(state: DomainState) {
        for id in EntityID.sorted(state.matches.keys) {
            let match = state.matches[id]!
            record(question: match.question, offer: match.offer, chosen: true, state: state)
        }
        for id in EntityID.sorted(state.proposals.keys) where state.proposals[id]!.status == .declined {
            let proposal = state.proposals[id]!
            record(question: proposal.question, offer: proposal.offer, chosen: false, state: state)
        }
    }

    /// Takes in one event, before it is applied to `state`.
    mutating func beforeApplying(_ event: CollaborationEvent, to state: DomainState) {
        if case .matchAgreed(let match) = event {
            record(question: match.question, offer: match.offer, chosen: true, state: state)
        } else if case .proposalDeclined(let id, _, _) = event, let proposal = state.proposals[id] {
            record(question: proposal.question, offer: proposal.offer, chosen: false, state: state)
        }
    }

    /// Records one decision on a pair; the offer's run and institution and the question's district are
    /// read from `state` (the time-split evaluations teach this way too).
    mutating func record(question: String, offer offerID: String, chosen wasChosen: Bool, state: DomainState) {
        guard let offer = state.offers[offerID] else { return }
        decidedOffersByRun[Self.run(of: offer), default: []].insert(offerID)
        decidedQuestions.insert(question)
        guard wasChosen else {
            declined[offerID, default: []].insert(question)
            return
        }
        guard chosen[offerID, default: []].insert(question).inserted, let district = state.questions[question]?.neighbourhood.district else { return }
        chosenInDistrict[district, default: [:]][offer.institution, default: 0] += 1
        chosenByInstitution[offer.institution, default: 0] += 1
        chosenCount += 1
    }

    /// Whether a decision was recorded on the question or offer `id`.
    func involves(_ id: String) -> Bool { chosen[id] != nil || declined[id] != nil || decidedQuestions.contains(id) }

    /// Derives the runs and district counts again from the decided pairs and `state`: after a decided
    /// question's or offer's revision (a new neighbourhood or programme), so that the projection stays
    /// what a rebuild from the state gives.
    mutating func rederive(state: DomainState) {
        let (chosenPairs, declinedPairs) = (chosen, declined)
        self = Precedents()
        for (pairs, wasChosen) in [(chosenPairs, true), (declinedPairs, false)] {
            for offer in EntityID.sorted(pairs.keys) {
                for question in EntityID.sorted(pairs[offer] ?? []) { record(question: question, offer: offer, chosen: wasChosen, state: state) }
            }
        }
    }

    /// Whether no decision was recorded at all.
    public var isEmpty: Bool { decidedOffersByRun.isEmpty }

    /// The run an offer belongs to: its institution and its programme (folded; the title when it names
    /// none). An institution's course given again in another semester is published as a new offer with
    /// the same programme.
    public static func run(of offer: Offer) -> String {
        offer.institution + "\u{1F}" + TextFolding.fold(offer.programme.isEmpty ? offer.title : offer.programme)
    }

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

    /// One run's decided questions, by offer and question id (so sums are added in the same order every
    /// time), with their terms and norms: gathered once per suggestion, not once per candidate question.
    struct Decided: Sendable {
        var questions: [(id: String, offer: String, terms: [String: Int], norm: Double, chosen: Bool)] = []
        /// The rating mean of the run's outcomes, the ratings and the outcomes they come from.
        var ratings: (mean: Double, count: Int, outcomes: Int)?
    }

    /// The decisions on the offers of `run`, or nil when none was decided.
    func decided(run: String, index: MatchingIndex) -> Decided? {
        guard let offers = decidedOffersByRun[run] else { return nil }
        var decided = Decided()
        var ratingSum = 0.0, ratingCount = 0, outcomes = 0
        for offer in EntityID.sorted(offers) {
            for (questions, wasChosen) in [(chosen[offer] ?? [], true), (declined[offer] ?? [], false)] {
                for id in EntityID.sorted(questions) {
                    let terms = index.analyses[id]?.terms ?? [:]
                    decided.questions.append((id, offer, terms, Self.norm(terms), wasChosen))
                }
            }
            if let rating = index.ratingMeans[offer] {
                (ratingSum, ratingCount, outcomes) = (ratingSum + rating.mean * Double(rating.count), ratingCount + rating.count, outcomes + rating.outcomes)
            }
        }
        if ratingCount > 0 { decided.ratings = (ratingSum / Double(ratingCount), ratingCount, outcomes) }
        return decided
    }

    /// How the coordinators decided on questions similar to one question for one run.
    public struct Record: Sendable, Hashable {
        /// Similar questions it was chosen for, and declined for.
        public var chosen = 0
        public var declined = 0
        /// The offers of the run those decisions were on, in id order.
        public var offers: [String] = []
        /// The part from them, 0..1: 0.5 plus half the balance of similarity chosen over declined, damped
        /// by one similar question's worth (one precedent moves it less than three).
        public var value = 0.5
    }

    /// The record of the run whose decisions are `decided`, for `question`; nil when none is similar.
    static func record(question: String, terms: [String: Int], decided: Decided) -> Record? {
        var record = Record()
        var balance = 0.0, total = 0.0
        var offers: Set<String> = []
        let questionNorm = norm(terms)
        for other in decided.questions where other.id != question {
            let similar = similarity(terms, norm: questionNorm, other.terms, norm: other.norm)
            guard similar >= similarFloor else { continue }
            if other.chosen { record.chosen += 1 } else { record.declined += 1 }
            offers.insert(other.offer)
            balance += (other.chosen ? 1.0 : -1.0) * similar
            total += similar
        }
        guard record.chosen + record.declined > 0 else { return nil }
        record.offers = EntityID.sorted(offers)
        record.value = 0.5 + 0.5 * balance / (total + 1)
        return record
    }

    /// How often an institution was chosen for the questions of one district, against its share of every
    /// choice.
    public struct DistrictRecord: Sendable, Hashable {
        /// Questions of the district the institution was chosen for, and of the district chosen at all.
        public var chosen: Int
        public var ofDistrict: Int
        /// `lift / (1 + lift)`, 0.5 when the institution is chosen in the district as often as anywhere:
        /// `lift` is its smoothed share of the district's choices over its share of all choices.
        public var value: Double
    }

    /// The record of `institution` in `district`; nil when the district has no choices yet, the
    /// institution none anywhere, or only one institution was ever chosen (nothing to compare).
    func districtRecord(institution: String, district: String) -> DistrictRecord? {
        guard chosenByInstitution.count >= 2, let overall = chosenByInstitution[institution], overall > 0,
              let counts = chosenInDistrict[district] else { return nil }
        let ofDistrict = counts.values.reduce(0, +)
        let chosenHere = counts[institution] ?? 0
        let share = Double(overall) / Double(chosenCount)
        let smoothed = (Double(chosenHere) + Self.districtSmoothing * share) / (Double(ofDistrict) + Self.districtSmoothing)
        let lift = smoothed / share
        return DistrictRecord(chosen: chosenHere, ofDistrict: ofDistrict, value: lift / (1 + lift))
    }
}
