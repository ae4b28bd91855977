import Domain
import Foundation

/// How much each reason counts in a suggestion's score. They are normalised by their sum, so only their
/// ratios matter; the daemon's config may set them (`matchingWeights`).
public struct MatchingWeights: Sendable, Hashable {
    public var themes = 0.25
    public var disciplines = 0.15
    public var level = 0.15
    public var period = 0.10
    public var capacity = 0.05
    public var text = 0.20
    public var preference = 0.05
    public var history = 0.05

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
/// Every candidate is scored with numbers only; the reasons in words are built for the ones returned.
public struct Matcher: Sendable {
    public let taxonomy: Taxonomy
    public let weights: MatchingWeights

    public init(taxonomy: Taxonomy, weights: MatchingWeights = MatchingWeights()) {
        self.taxonomy = taxonomy
        self.weights = weights
    }

    /// A BM25 score equal to this share of the query's ideal score counts as a full text match.
    static let textScaleShare = 0.35

    /// What one side's text search needs: the query, the scores of every document sharing a term, the scale.
    struct TextSearch {
        let query: [String: Int]
        let scores: [String: Double]
        let scale: Double
        let documents: TextIndex

        init(query: [String: Int], documents: TextIndex) {
            self.query = query
            self.documents = documents
            scores = documents.scores(query)
            scale = max(documents.idealScore(query) * Matcher.textScaleShare, scores.values.max() ?? 0, 1e-9)
        }

        func value(_ id: String) -> Double { min(1, (scores[id] ?? 0) / scale) }
    }

    /// Offers for a question, best first, and (when `explain`) those excluded and why.
    public func suggestOffers(
        for questionID: String, state: DomainState, index: MatchingIndex, limit: Int, explain: Bool
    ) throws(MatchingError) -> (suggestions: [Suggestion], excluded: [Exclusion]) {
        guard let question = state.questions[questionID] else { throw MatchingError(code: .notFound, message: "no \(questionID)", entityID: questionID, state: nil) }
        guard Self.takesProposals(question) else {
            throw MatchingError(code: .conflict, message: "\(questionID) is \(question.status.rawValue): only open or matched questions are matched",
                                entityID: questionID, state: question.status.rawValue)
        }
        let search = TextSearch(query: index.analyses[questionID]?.terms ?? [:], documents: index.offerText)
        var scored: [(offer: Offer, score: Double, values: [Double])] = []
        var excluded: [Exclusion] = []
        for offer in state.offers.values {
            if let reason = exclusion(question: question, offer: offer, index: index) {
                if explain { excluded.append(Exclusion(id: offer.id, reason: reason)) }
                continue
            }
            let values = factorValues(question: question, offer: offer, index: index, text: search.value(offer.id))
            scored.append((offer, combined(values), values))
        }
        let top = scored.sorted { $0.score > $1.score || ($0.score == $1.score && EntityID.precedes($0.offer.id, $1.offer.id)) }.prefix(limit)
        let suggestions = top.map { entry in
            Suggestion(id: entry.offer.id, score: entry.score, reasons: reasons(
                question: question, offer: entry.offer, index: index, values: entry.values, search: search, document: entry.offer.id))
        }
        return (suggestions, excluded.sorted { EntityID.precedes($0.id, $1.id) })
    }

    /// Questions for an offer, best first, and (when `explain`) those excluded and why.
    public func suggestQuestions(
        for offerID: String, state: DomainState, index: MatchingIndex, limit: Int, explain: Bool
    ) throws(MatchingError) -> (suggestions: [Suggestion], excluded: [Exclusion]) {
        guard let offer = state.offers[offerID] else { throw MatchingError(code: .notFound, message: "no \(offerID)", entityID: offerID, state: nil) }
        guard offer.status == .published else {
            throw MatchingError(code: .conflict, message: "\(offerID) is \(offer.status.rawValue): it takes no questions", entityID: offerID,
                                state: offer.status.rawValue)
        }
        let search = TextSearch(query: index.analyses[offerID]?.terms ?? [:], documents: index.questionText)
        var scored: [(question: Question, score: Double, values: [Double])] = []
        var excluded: [Exclusion] = []
        for question in state.questions.values {
            if let reason = exclusion(question: question, offer: offer, index: index) {
                if explain { excluded.append(Exclusion(id: question.id, reason: reason)) }
                continue
            }
            let values = factorValues(question: question, offer: offer, index: index, text: search.value(question.id))
            scored.append((question, combined(values), values))
        }
        let top = scored.sorted { $0.score > $1.score || ($0.score == $1.score && EntityID.precedes($0.question.id, $1.question.id)) }.prefix(limit)
        let suggestions = top.map { entry in
            Suggestion(id: entry.question.id, score: entry.score, reasons: reasons(
                question: entry.question, offer: offer, index: index, values: entry.values, search: search, document: entry.question.id))
        }
        return (suggestions, excluded.sorted { EntityID.precedes($0.id, $1.id) })
    }

    static func takesProposals(_ question: Question) -> Bool { question.status == .open || question.status == .matched }

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
    func combined(_ values: [Double]) -> Double {
        let total = weights.total
        guard total > 0 else { return 0 }
        var sum = 0.0
        for (index, factor) in MatchingWeights.factors.enumerated() { sum += weights[factor] * values[index] }
        return sum / total
    }

    /// How well the pair does on each factor (0..1), in `MatchingWeights.factors` order; `text` is the text
    /// match already scaled.
    func factorValues(question: Question, offer: Offer, index: MatchingIndex, text: Double) -> [Double] {
        let questionProfile = index.profiles[question.id]
        let offerProfile = index.profiles[offer.id]
        let wantedThemes = questionProfile?.themes ?? []
        let wantedDisciplines = questionProfile?.disciplines ?? []
        let themes = wantedThemes.isEmpty ? 0 : Double(wantedThemes.intersection(offerProfile?.themes ?? []).count) / Double(wantedThemes.count)
        let disciplines = wantedDisciplines.isEmpty ? 0
            : Double(wantedDisciplines.intersection(offerProfile?.disciplines ?? []).count) / Double(wantedDisciplines.count)
        let level = question.levels.isEmpty ? 0.5 : (question.levels.contains(offer.level) ? 1 : 0)
        var period = 0.5
        if let window = question.window {
            let shorter = min(Self.days(window), Self.days(offer.period.window))
            period = shorter > 0 ? min(1, Double(Self.overlapDays(window, offer.period.window)) / Double(shorter)) : 0
        }
        let left = max(0, offer.capacity - (index.placesTaken[offer.id] ?? 0))
        let capacity = Double(left) / Double(max(1, offer.capacity))
        let preferred = taxonomy.institutions.first { $0.id == offer.institution }?.preferredDistricts ?? []
        let preference = preferred.isEmpty ? 0.5 : (preferred.contains(question.neighbourhood.district) ? 1 : 0)
        var history = 0.5
        let ratings = (index.ratingsByOffer[offer.id] ?? [:]).values.flatMap { [$0.requester, $0.education].compactMap { $0 } }
        if !ratings.isEmpty { history = (Double(ratings.reduce(0, +)) / Double(ratings.count) - 1) / 4 }
        return [themes, disciplines, level, period, capacity, text, preference, history]
    }

    /// The reasons in words, with each factor's share of the score.
    func reasons(question: Question, offer: Offer, index: MatchingIndex, values: [Double], search: TextSearch, document: String) -> [MatchReason] {
        let questionProfile = index.profiles[question.id] ?? MatchingIndex.Profile(themes: [], disciplines: [])
        let offerProfile = index.profiles[offer.id] ?? MatchingIndex.Profile(themes: [], disciplines: [])
        var details: [String] = []
        let sharedThemes = questionProfile.themes.intersection(offerProfile.themes).sorted()
        details.append(sharedThemes.isEmpty ? "no theme in common"
            : "shares \(labels(sharedThemes, taxonomy.themes)) (of \(questionProfile.themes.count) wanted)")
        let sharedDisciplines = questionProfile.disciplines.intersection(offerProfile.disciplines).sorted()
        details.append(sharedDisciplines.isEmpty ? "no discipline wanted is offered"
            : "offers \(labels(sharedDisciplines, taxonomy.disciplines)) (of \(questionProfile.disciplines.count) wanted)")
        if question.levels.isEmpty {
            details.append("no level asked; the offer is \(offer.level)")
        } else {
            details.append(question.levels.contains(offer.level) ? "\(offer.level), as asked"
                : "\(offer.level), not one asked (\(question.levels.joined(separator: ", ")))")
        }
        let periodName = offer.period.label ?? "\(offer.period.window.from)..\(offer.period.window.to)"
        if let window = question.window {
            details.append("\(Int((values[3] * 100).rounded()))% overlap (\(Self.overlapDays(window, offer.period.window)) days) of \(periodName) with the window")
        } else {
            details.append("no window given; the offer runs \(periodName)")
        }
        let left = max(0, offer.capacity - (index.placesTaken[offer.id] ?? 0))
        details.append("\(left) of \(offer.capacity) places left")
        let questionAnalysis = index.analyses[question.id] ?? TextAnalyzer.Analysis()
        let offerAnalysis = index.analyses[offer.id] ?? TextAnalyzer.Analysis()
        let driving = search.documents.contributions(search.query, document: document).prefix(5).map { term, _ in
            term.hasPrefix("#") ? "[" + String(term.dropFirst()) + "]" : (questionAnalysis.surface[term] ?? offerAnalysis.surface[term] ?? term)
        }
        details.append(driving.isEmpty ? "no words in common" : "shared terms: \(driving.joined(separator: ", "))")
        let preferred = taxonomy.institutions.first { $0.id == offer.institution }?.preferredDistricts ?? []
        if preferred.isEmpty {
            details.append("\(offer.institution) states no preferred neighbourhoods")
        } else {
            details.append(preferred.contains(question.neighbourhood.district) ? "\(offer.institution) prefers to work in \(question.neighbourhood.district)"
                : "\(question.neighbourhood.district) is not among \(offer.institution)'s preferred neighbourhoods")
        }
        let ratings = (index.ratingsByOffer[offer.id] ?? [:]).values.flatMap { [$0.requester, $0.education].compactMap { $0 } }
        details.append(ratings.isEmpty ? "no rated outcomes of this offer yet"
            : String(format: "earlier outcomes rated %.1f of 5 (%d ratings)", Double(ratings.reduce(0, +)) / Double(ratings.count), ratings.count))
        let total = weights.total > 0 ? weights.total : 1
        return MatchingWeights.factors.enumerated().map { position, factor in
            MatchReason(factor: factor, value: values[position], share: weights[factor] * values[position] / total, detail: details[position])
        }
    }

    func labels(_ ids: [String], _ entries: [Taxonomy.Entry]) -> String {
        ids.map { id in entries.first { $0.id == id }?.label ?? id }.joined(separator: ", ")
    }

    /// Days both windows share, inclusive (0 when they do not meet).
    public static func overlapDays(_ left: DateWindow, _ right: DateWindow) -> Int {
        let from = max(left.from, right.from)
        let to = min(left.to, right.to)
        guard from <= to else { return 0 }
        return CivilDate.days(from: from, to: to) + 1
    }

    static func days(_ window: DateWindow) -> Int { CivilDate.days(from: window.from, to: window.to) + 1 }
}
