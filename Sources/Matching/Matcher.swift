import Domain
import Foundation

/// How much each reason counts in a suggestion's score. They are normalised by their sum, so only their
/// ratios matter; the daemon's config may set them (`matchingWeights`).
///
/// The defaults are chosen by 5-fold cross-validation on the development set (Tests/MatchingTests/Labelled,
/// `WeightSearch`, seed 14, 3,072 candidates; `lmds-bench matching` reruns it): the best sum of top-1 and
/// MRR, and among equally good weights the nearest to the earlier ones. Each fold scored with the weights
/// chosen on the other four gives top-1 0.909, top-3 1.000, MRR 0.955; the held-out set gives the honest
/// figure (Protocol/README.md section 17.5). Level fit counts most: a coordinator rarely sends an mbo
/// question to a master's course, however similar the words.
public struct MatchingWeights: Sendable, Hashable {
    public var themes = 0.15
    public var disciplines = 0.20
    public var level = 0.25
    public var period = 0.10
    public var capacity = 0.05
    public var text = 0.20
    public var preference = 0.05
    public var history = 0.05
    /// How much a theme or discipline inferred from a question's text counts against one the requester
    /// or coordinator stated (1), before the specificity of the words it was inferred from.
    public var inferredConcept = 0.6
    /// How much a theme or discipline inferred from an offer's text counts against one the offer states.
    public var inferredOfferConcept = 0.5
    /// How far each part of what the coordinators' decisions teach moves the `history` factor's value
    /// from its neutral 0.5 (`Lesson.value`): the run's decisions on similar questions, its outcomes'
    /// ratings, and its institution's record in the question's district. Chosen with `history` by
    /// cross-validation on a simulated history's earlier semesters (README section 17.6).
    public var historySimilar = 3.0
    public var historyRatings = 0.5
    public var historyDistrict = 0.5

    public init() {}

    /// The factor names, in the order reasons are listed.
    public static let factors = ["themes", "disciplines", "level", "period", "capacity", "text", "preference", "history"]

    /// The weight of a factor by name.
    public subscript(factor: String) -> Double {
        get {
            switch factor {
            case "themes": return themes
            case "disciplines": return disciplines
            case "level": return level
            case "period": return period
            case "capacity": return capacity
            case "text": return text
            case "preference": return preference
            case "history": return history
            default: preconditionFailure("unknown factor \(factor)")
            }
        }
        set {
            switch factor {
            case "themes": themes = newValue
            case "disciplines": disciplines = newValue
            case "level": level = newValue
            case "period": period = newValue
            case "capacity": capacity = newValue
            case "text": text = newValue
            case "preference": preference = newValue
            case "history": history = newValue
            default: preconditionFailure("unknown factor \(factor)")
            }
        }
    }

    var total: Double { Self.factors.reduce(0) { $0 + self[$1] } }

    /// Whether some weight is above 0 (else every score would be 0).
    public var isUsable: Bool { total > 0 }
}

/// One reason behind a score: a factor, how well the pair does on it (0..1), its share of the score,
/// and what it means in words.
public struct MatchReason: Sendable, Hashable {
    public let factor: String
    public let value: Double
    /// weight × value ÷ the sum of weights: the reasons' shares add up to the score.
    public let share: Double
    public let detail: String
}

/// A ranked candidate with its score in 0..1 and its reasons.
public struct Suggestion: Sendable, Hashable {
    public let id: String
    public let score: Double
    public let reasons: [MatchReason]
    /// Whether the pair has topical evidence (a theme or discipline in common, or text above
    /// `Matcher.textFloor`); a pair without is ranked after every pair with some, and never planned.
    public let topical: Bool
    /// For a question suggested for an offer: whether it is already matched or waiting on a proposal.
    public let engagement: Engagement?

    /// How far a suggested question already is with some offer.
    public enum Engagement: String, Sendable, Hashable {
        /// It has an agreed or started match.
        case matched
        /// It waits on a proposal (with any offer).
        case proposed
    }
}

/// A candidate left out by a hard constraint, and why.
public struct Exclusion: Sendable, Hashable {
    public let id: String
    public let reason: String
}

/// Why a suggestion could not be made at all.
public struct MatchingError: Error, Sendable, Hashable {
    public enum Code: Sendable, Hashable { case notFound, conflict }
    public let code: Code
    public let message: String
    public let entityID: String
    public let state: String?
}

/// Scores question–offer pairs and ranks them, both ways, from the state and the index. Pure.
///
/// Every candidate is scored with numbers only (bit sets, day numbers, a dense array of text scores);
/// the reasons in words are built for the ones returned.
public struct Matcher: Sendable {
    public let taxonomy: Taxonomy
    public let weights: MatchingWeights
    /// Each institution's preferred districts (from the taxonomy).
    let preferredDistricts: [String: Set<String>]

    public init(taxonomy: Taxonomy, weights: MatchingWeights = MatchingWeights()) {
        self.taxonomy = taxonomy
        self.weights = weights
        preferredDistricts = Dictionary(uniqueKeysWithValues: taxonomy.institutions.map { ($0.id, Set($0.preferredDistricts)) })
    }

    /// A BM25 score equal to this share of the query's ideal score counts as a full text match.
    static let textScaleShare = 0.35

    /// One side's text search: the query, the score of every document by ordinal, and the scale.
    struct TextSearch {
        let query: [String: Int]
        let scores: [Double]
        let scale: Double
        let documents: TextIndex

        init(query: [String: Int], documents: TextIndex) {
            self.query = query
            self.documents = documents
            scores = documents.scores(query)
            scale = max(documents.idealScore(query) * Matcher.textScaleShare, scores.max() ?? 0, 1e-9)
        }

        func value(_ id: String) -> Double {
            guard let ordinal = documents.ordinal(id) else { return 0 }
            return value(ordinal: ordinal)
        }

        func value(ordinal: Int) -> Double { ordinal < scores.count ? min(1, scores[ordinal] / scale) : 0 }
    }

    /// Offers for a question, best first, and (when `explain`) those excluded and why.
    public func suggestOffers(
        for questionID: String, state: DomainState, index: MatchingIndex, limit: Int, explain: Bool
    ) throws(MatchingError) -> (suggestions: [Suggestion], excluded: [Exclusion]) {
        try suggestOffers(for: questionID, state: state, index: index, limit: limit, explain: explain, lessons: nil)
    }

    /// The same, with the question's lessons already drawn from `index` (they do not depend on the
    /// weights: a search over weights draws them once per question).
    func suggestOffers(
        for questionID: String, state: DomainState, index: MatchingIndex, limit: Int, explain: Bool, lessons known: Lessons?
    ) throws(MatchingError) -> (suggestions: [Suggestion], excluded: [Exclusion]) {
        guard let question = state.questions[questionID] else { throw MatchingError(code: .notFound, message: "no \(questionID)", entityID: questionID, state: nil) }
        guard Self.takesProposals(question), let questionSlot = index.questionSlot(questionID) else {
            throw MatchingError(code: .conflict, message: "\(questionID) is \(question.status.rawValue): only open or matched questions are matched",
                                entityID: questionID, state: question.status.rawValue)
        }
        let search = TextSearch(query: index.analyses[questionID]?.terms ?? [:], documents: index.offerText)
        let wanted = conceptWeights(questionSlot, index: index)
        let lessons = known ?? lessons(question: question, index: index)
        let preference = preferenceByInstitution(district: question.neighbourhood.district)
        let linked = index.linkedOffers[questionID] ?? [:]
        var best = TopScores<Int>(limit: limit)
        var excluded: [Exclusion] = []
        for (ordinal, slot) in index.offerSlots.enumerated() {
            guard let slot else { continue }
            if Self.isExcluded(questionSlot, slot) || (!linked.isEmpty && linked[slot.id] != nil) {
                if explain, let offer = state.offers[slot.id] {
                    excluded.append(Exclusion(id: slot.id, reason: exclusion(question: question, offer: offer, index: index) ?? "excluded"))
                }
                continue
            }
            let values = slotValues(questionSlot, slot, wanted: wanted, text: search.value(ordinal: ordinal), preference: preference[slot.institution] ?? 0.5,
                                    lesson: lessons.lesson(slot))
            best.offer(ordinal, id: slot.id, score: rankKey(values))
        }
        let suggestions = best.ranked.compactMap { entry -> Suggestion? in
            guard let offer = state.offers[entry.id], let slot = index.offerSlots[entry.item] else { return nil }
            let lesson = lessons.lesson(slot)
            let values = slotValues(questionSlot, slot, wanted: wanted, text: search.value(ordinal: entry.item), preference: preference[slot.institution] ?? 0.5,
                                    lesson: lesson)
            return Suggestion(id: entry.id, score: combined(values), reasons: reasons(
                question: question, offer: offer, index: index, values: values, search: search, document: entry.id, lesson: lesson),
                topical: values.topical, engagement: nil)
        }
        return (suggestions, excluded.sorted { EntityID.precedes($0.id, $1.id) })
    }

    /// Questions for an offer, best first, and (when `explain`) those excluded and why.
    public func suggestQuestions(
        for offerID: String, state: DomainState, index: MatchingIndex, limit: Int, explain: Bool
    ) throws(MatchingError) -> (suggestions: [Suggestion], excluded: [Exclusion]) {
        guard let offer = state.offers[offerID] else { throw MatchingError(code: .notFound, message: "no \(offerID)", entityID: offerID, state: nil) }
        guard offer.status == .published, let offerSlot = index.offerSlot(offerID) else {
            throw MatchingError(code: .conflict, message: "\(offerID) is \(offer.status.rawValue): it takes no questions", entityID: offerID,
                                state: offer.status.rawValue)
        }
        let search = TextSearch(query: index.analyses[offerID]?.terms ?? [:], documents: index.questionText)
        let preferred = preferredDistricts[offer.institution] ?? []
        let preferredNumbers = Set(taxonomy.districts.enumerated().filter { preferred.contains($0.element.id) }.map(\.offset))
        let linked = index.linkedQuestions[offerID] ?? [:]
        var best = TopScores<Int>(limit: limit)
        var excluded: [Exclusion] = []
        let lesson = offerLessons(offer, index: index)
        for (ordinal, slot) in index.questionSlots.enumerated() {
            guard let slot else { continue }
            if Self.isExcluded(slot, offerSlot) || (!linked.isEmpty && linked[slot.id] != nil) {
                if explain, let question = state.questions[slot.id] {
                    excluded.append(Exclusion(id: slot.id, reason: exclusion(question: question, offer: offer, index: index) ?? "excluded"))
                }
                continue
            }
            let preference = preferred.isEmpty ? 0.5 : (preferredNumbers.contains(slot.district) ? 1.0 : 0.0)
            let values = slotValues(slot, offerSlot, wanted: conceptWeights(slot, index: index), text: search.value(ordinal: ordinal), preference: preference,
                                    lesson: lesson(slot))
            best.offer(ordinal, id: slot.id, score: rankKey(values))
        }
        let suggestions = best.ranked.compactMap { entry -> Suggestion? in
            guard let question = state.questions[entry.id], let slot = index.questionSlots[entry.item] else { return nil }
            let preference = preferred.isEmpty ? 0.5 : (preferredNumbers.contains(slot.district) ? 1.0 : 0.0)
            let questionLesson = lesson(slot)
            let values = slotValues(slot, offerSlot, wanted: conceptWeights(slot, index: index), text: search.value(ordinal: entry.item), preference: preference,
                                    lesson: questionLesson)
            return Suggestion(id: entry.id, score: combined(values), reasons: reasons(
                question: question, offer: offer, index: index, values: values, search: search, document: entry.id, lesson: questionLesson),
                topical: values.topical, engagement: Self.engagement(question, state: state))
        }
        return (suggestions, excluded.sorted { EntityID.precedes($0.id, $1.id) })
    }

    static func takesProposals(_ question: Question) -> Bool { question.status == .open || question.status == .matched }

    /// Whether a question is already matched, or waits on a proposal with any offer (nil: neither).
    static func engagement(_ question: Question, state: DomainState) -> Suggestion.Engagement? {
        if question.status == .matched { return .matched }
        let pending = (state.proposalsByQuestion[question.id] ?? []).contains { state.pendingProposals.contains($0) }
        return pending ? .proposed : nil
    }

    /// A text value at or above this counts as topical evidence by itself (a few rare words in common);
    /// below it, shared words are too few or too common to make a pair worth proposing.
    public static let textFloor = 0.3

    /// What ranking sorts on: the score, with every pair that has topical evidence above every pair
    /// that has none (scores are in 0..1, so adding 1 puts the topical ones first).
    func rankKey(_ values: FactorValues) -> Double { combined(values) + (values.topical ? 1 : 0) }

    /// The preference factor's value per institution number, for a question in `district`.
    func preferenceByInstitution(district: String) -> [Int: Double] {
        var values: [Int: Double] = [:]
        for (number, institution) in taxonomy.institutions.enumerated() {
            let preferred = preferredDistricts[institution.id] ?? []
            values[number] = preferred.isEmpty ? 0.5 : (preferred.contains(district) ? 1 : 0)
        }
        return values
    }

    /// The hard constraints on slots (the linked-pair check is the caller's): status, places, dates.
    static func isExcluded(_ question: MatchingIndex.QuestionSlot, _ offer: MatchingIndex.OfferSlot) -> Bool {
        guard question.active, offer.active, offer.placesTaken < offer.capacity else { return true }
        if let window = question.profile.days, let period = offer.profile.days, !window.overlaps(period) { return true }
        return false
    }

    /// The hard constraints for a pair, as a yes/no (no text is built).
    func isExcluded(question: Question, offer: Offer, index: MatchingIndex) -> Bool {
        guard let questionSlot = index.questionSlot(question.id), let offerSlot = index.offerSlot(offer.id) else { return true }
        return Self.isExcluded(questionSlot, offerSlot) || index.areLinked(question: question.id, offer: offer.id)
    }

    /// The hard constraints: the reason a pair cannot be proposed, or nil.
    public func exclusion(question: Question, offer: Offer, index: MatchingIndex) -> String? {
        if !Self.takesProposals(question) { return "question is \(question.status.rawValue), not open" }
        switch offer.status {
        case .closed, .withdrawn: return "offer is \(offer.status.rawValue)"
        case .full: return "offer is full (\(offer.capacity) of \(offer.capacity) places taken)"
        case .published: break
        }
        if (index.placesTaken[offer.id] ?? 0) >= offer.capacity { return "offer has no place left" }
        if let window = question.window, Self.overlapDays(window, offer.period.window) == 0 {
            return "period \(offer.period.window.from)..\(offer.period.window.to) lies outside the question's window \(window.from)..\(window.to)"
        }
        if index.areLinked(question: question.id, offer: offer.id) { return "already proposed or matched" }
        return nil
    }

    /// The weighted sum of the factor values, in 0..1.
    func combined(_ values: FactorValues) -> Double {
        let total = weights.total
        guard total > 0 else { return 0 }
        return (weights.themes * values.themes + weights.disciplines * values.disciplines + weights.level * values.level
            + weights.period * values.period + weights.capacity * values.capacity + weights.text * values.text
            + weights.preference * values.preference + weights.history * values.history) / total
    }

    /// How well a pair does on each factor, 0..1.
    struct FactorValues {
        var themes = 0.0, disciplines = 0.0, level = 0.0, period = 0.0, capacity = 0.0, text = 0.0, preference = 0.0, history = 0.0

        /// In `MatchingWeights.factors` order.
        var all: [Double] { [themes, disciplines, level, period, capacity, text, preference, history] }

        /// Some theme or discipline in common, or text at or above `Matcher.textFloor`: what makes a pair
        /// worth suggesting at all, whatever its level, period and places.
        var topical: Bool { themes > 0 || disciplines > 0 || text >= Matcher.textFloor }
    }

    /// How much each theme and discipline a question wants counts (by bit): 1 when stated; when only
    /// inferred from its text, `inferredConcept` times the specificity of the words it was inferred from.
    struct ConceptWeights {
        var themes = [Double](repeating: 0, count: 64)
        var disciplines = [Double](repeating: 0, count: 64)
        /// The sums, at least 1: a question wanting one weakly inferred concept gets only that much
        /// for sharing it, where one stated concept gets all.
        var themesTotal = 1.0
        var disciplinesTotal = 1.0
    }

    /// An evidence word found in at most this share of the questions counts fully; one in more counts by
    /// its BM25 idf against this share's ("gemeente", in most questions, counts about a third).
    static let fullySpecificShare = 0.1

    /// How specific a word is as evidence among the questions, 0..1 (by document frequency).
    func specificity(_ stem: String, among questions: TextIndex) -> Double {
        let reference = log(1 + (1 - Self.fullySpecificShare) / Self.fullySpecificShare)
        return min(1, questions.idf(stem) / reference)
    }

    /// The weights of what a question wants (see `ConceptWeights`).
    func conceptWeights(_ question: MatchingIndex.QuestionSlot, index: MatchingIndex) -> ConceptWeights {
        var result = ConceptWeights()
        let analysis = index.analyses[question.id]
        func weigh(_ all: UInt64, stated: UInt64, _ entries: [Taxonomy.Entry], _ kind: TextAnalyzer.Concept.Kind, into weights: inout [Double]) -> Double {
            var total = 0.0
            var bits = all
            while bits != 0 {
                let bit = bits.trailingZeroBitCount
                bits &= bits - 1
                if stated & (1 << UInt64(bit)) != 0 {
                    weights[bit] = 1
                } else {
                    let evidence = analysis?.evidence[TextAnalyzer.Concept(kind: kind, id: entries[bit].id)] ?? []
                    let specific = evidence.map { specificity($0, among: index.questionText) }.max() ?? 1
                    weights[bit] = weightsInferred * specific
                }
                total += weights[bit]
            }
            return max(1, total)
        }
        let profile = question.profile
        result.themesTotal = weigh(profile.themes, stated: profile.statedThemes, taxonomy.themes, .theme, into: &result.themes)
        result.disciplinesTotal = weigh(profile.disciplines, stated: profile.statedDisciplines, taxonomy.disciplines, .discipline, into: &result.disciplines)
        return result
    }

    var weightsInferred: Double { weights.inferredConcept }

    /// The weighted share of what is wanted that is offered: each shared concept counts its question-side
    /// weight, times `inferredOfferConcept` when the offer does not state it.
    func sharedShare(wanted: [Double], total: Double, all: UInt64, offered: UInt64, offeredStated: UInt64) -> Double {
        var shared = 0.0
        var bits = all & offered
        while bits != 0 {
            let bit = bits.trailingZeroBitCount
            bits &= bits - 1
            shared += wanted[bit] * (offeredStated & (1 << UInt64(bit)) != 0 ? 1 : weights.inferredOfferConcept)
        }
        return shared / total
    }

    /// The factor values of a pair from its slots; `text` is the text match already scaled; `precedent`
    /// what the coordinators' decisions teach about the pair, when they bear on it.
    func slotValues(
        _ question: MatchingIndex.QuestionSlot, _ offer: MatchingIndex.OfferSlot, wanted weights: ConceptWeights, text: Double, preference: Double,
        lesson: Lesson? = nil
    ) -> FactorValues {
        var values = FactorValues()
        let wanted = question.profile
        let offered = offer.profile
        values.themes = sharedShare(wanted: weights.themes, total: weights.themesTotal, all: wanted.themes, offered: offered.themes, offeredStated: offered.statedThemes)
        values.disciplines = sharedShare(wanted: weights.disciplines, total: weights.disciplinesTotal, all: wanted.disciplines, offered: offered.disciplines,
                                         offeredStated: offered.statedDisciplines)
        values.level = wanted.levels == 0 ? 0.5 : (wanted.levels & offered.levels != 0 ? 1 : 0)
        if let window = wanted.days, let period = offered.days {
            let overlap = max(0, min(window.upperBound, period.upperBound) - max(window.lowerBound, period.lowerBound) + 1)
            let shorter = min(window.count, period.count)
            values.period = shorter > 0 ? min(1, Double(overlap) / Double(shorter)) : 0
        } else {
            values.period = 0.5
        }
        values.capacity = Double(max(0, offer.capacity - offer.placesTaken)) / Double(max(1, offer.capacity))
        values.text = text
        values.preference = preference
        values.history = lesson?.value(self.weights) ?? offer.history
        return values
    }

    /// The reasons in words, with each factor's share of the score.
    func reasons(
        question: Question, offer: Offer, index: MatchingIndex, values: FactorValues, search: TextSearch, document: String, lesson: Lesson?
    ) -> [MatchReason] {
        let wanted = index.profile(question.id)
        let offered = index.profile(offer.id)
        var details: [String] = []
        let questionAnalysis = index.analyses[question.id] ?? TextAnalyzer.Analysis()
        details.append(conceptDetail(.theme, wanted: wanted?.themes ?? 0, stated: wanted?.statedThemes ?? 0, offered: offered?.themes ?? 0,
                                     analysis: questionAnalysis) ?? "no theme in common")
        details.append(conceptDetail(.discipline, wanted: wanted?.disciplines ?? 0, stated: wanted?.statedDisciplines ?? 0,
                                     offered: offered?.disciplines ?? 0, analysis: questionAnalysis).map { "offers " + $0 } ?? "no discipline wanted is offered")
        if question.levels.isEmpty {
            details.append("no level asked; the offer is \(offer.level)")
        } else {
            details.append(question.levels.contains(offer.level) ? "\(offer.level), as asked"
                : "\(offer.level), not one asked (\(question.levels.joined(separator: ", ")))")
        }
        let periodName = offer.period.label ?? "\(offer.period.window.from)..\(offer.period.window.to)"
        if let window = question.window {
            details.append("\(Int((values.period * 100).rounded()))% overlap (\(Self.overlapDays(window, offer.period.window)) days) of \(periodName) with the window")
        } else {
            details.append("no window given; the offer runs \(periodName)")
        }
        let left = max(0, offer.capacity - (index.placesTaken[offer.id] ?? 0))
        details.append("\(left) of \(offer.capacity) places left")
        let offerAnalysis = index.analyses[offer.id] ?? TextAnalyzer.Analysis()
        let driving = search.documents.contributions(search.query, document: document).prefix(5).map { term, _ in
            term.hasPrefix("#") ? "[" + String(term.dropFirst()) + "]" : (questionAnalysis.surface[term] ?? offerAnalysis.surface[term] ?? term)
        }
        details.append((driving.isEmpty ? "no words in common" : "shared terms: \(driving.joined(separator: ", "))")
            + (values.topical ? "" : "; no good match: no theme, discipline or enough words in common, so ranked after every pair with some"))
        let preferred = preferredDistricts[offer.institution] ?? []
        if preferred.isEmpty {
            details.append("\(offer.institution) states no preferred neighbourhoods")
        } else {
            details.append(preferred.contains(question.neighbourhood.district) ? "\(offer.institution) prefers to work in \(question.neighbourhood.district)"
                : "\(question.neighbourhood.district) is not among \(offer.institution)'s preferred neighbourhoods")
        }
        details.append(historyDetail(question: question, offer: offer, lesson: lesson, ownRatings: index.ratingMeans[offer.id]))
        let total = weights.total > 0 ? weights.total : 1
        let all = values.all
        return MatchingWeights.factors.enumerated().map { position, factor in
            MatchReason(factor: factor, value: all[position], share: weights[factor] * all[position] / total, detail: details[position])
        }
    }

    /// The themes (or disciplines) a pair shares, in words, each as stated or inferred from which of the
    /// question's words, and how many the question stated ("shares Eenzaamheid (stated), Zorg en
    /// mantelzorg (inferred from "mantelzorgers") (of 1 stated)"); nil when it shares none.
    func conceptDetail(_ kind: TextAnalyzer.Concept.Kind, wanted: UInt64, stated: UInt64, offered: UInt64, analysis: TextAnalyzer.Analysis) -> String? {
        let entries = kind == .theme ? taxonomy.themes : taxonomy.disciplines
        var shared: [String] = []
        for (bit, entry) in entries.prefix(64).enumerated() where (wanted & offered) & (1 << UInt64(bit)) != 0 {
            if stated & (1 << UInt64(bit)) != 0 {
                shared.append("\(entry.label) (stated)")
            } else {
                let words = (analysis.evidence[TextAnalyzer.Concept(kind: kind, id: entry.id)] ?? []).prefix(3).map { "\"\(analysis.surface[$0] ?? $0)\"" }
                shared.append("\(entry.label) (inferred from \(words.joined(separator: ", ")))")
            }
        }
        guard !shared.isEmpty else { return nil }
        let count = stated.nonzeroBitCount
        return (kind == .theme ? "shares " : "") + shared.joined(separator: ", ") + (count == 0 ? " (none stated)" : " (of \(count) stated)")
    }

    /// Days both windows share, inclusive (0 when they do not meet).
    public static func overlapDays(_ left: DateWindow, _ right: DateWindow) -> Int {
        let from = max(left.from, right.from)
        let to = min(left.to, right.to)
        guard from <= to else { return 0 }
        return CivilDate.days(from: from, to: to) + 1
    }
}

/// The `limit` best-scoring items seen, kept sorted (score descending, then id order): a ranking without
/// sorting every candidate.
struct TopScores<Item> {
    // `Item` is what the caller needs back (an ordinal).
    let limit: Int
    private(set) var ranked: [(item: Item, id: String, score: Double)] = []

    init(limit: Int) {
        self.limit = limit
    }

    static func before(_ left: (score: Double, id: String), _ right: (score: Double, id: String)) -> Bool {
        left.score > right.score || (left.score == right.score && EntityID.precedes(left.id, right.id))
    }

    mutating func offer(_ item: Item, id: String, score: Double) {
        guard limit > 0 else { return }
        if ranked.count == limit, let last = ranked.last, !Self.before((score, id), (last.score, last.id)) { return }
        let position = ranked.firstIndex { Self.before((score, id), ($0.score, $0.id)) } ?? ranked.count
        ranked.insert((item, id, score), at: position)
        if ranked.count > limit { ranked.removeLast() }
    }
}
