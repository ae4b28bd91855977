import Domain
import LMDSJSON

/// Measures suggestion quality on a labelled set: questions, offers, and for each question the offers an
/// experienced coordinator would choose. Used by the quality test and by `scripts/bench matching`.
public struct LabelledSet: Sendable {
    /// The state the set describes: offers published (some closed), questions submitted and accepted.
    public let state: DomainState
    /// Acceptable offers per question.
    public let expected: [String: Set<String>]
    /// Questions for which no offer fits (`"noGoodMatch": [...]` in expected.json): `match.suggest` should say so.
    public let noGoodMatch: [String]

    /// Builds the set from `question.submit` params (one JSON object per line, Q-0001 first), `offer.publish`
    /// params (O-0001 first) and `{"closedOffers": [...], "questions": {"Q-0001": ["O-0002"]}}`.
    public init(questions: [JSONValue], offers: [JSONValue], expected: JSONValue, taxonomy: Taxonomy) throws {
        var state = DomainState()
        func run(_ command: Command) throws {
            for event in try Decider.decide(command, state: state, taxonomy: taxonomy, nowMs: 1_796_000_000_000).events { state.apply(event) }
        }
        func strings(_ value: JSONValue?) -> [String] { (value?.arrayValue ?? []).compactMap(\.stringValue) }
        for offer in offers {
            let period = Period(window: DateWindow(from: offer["period"]?["from"]?.stringValue ?? "", to: offer["period"]?["to"]?.stringValue ?? ""),
                                label: offer["period"]?["label"]?.stringValue)
            try run(.offer(.publish(PublishOffer(
                title: offer["title"]?.stringValue ?? "", description: offer["description"]?.stringValue ?? "",
                institution: offer["institution"]?.stringValue ?? "", programme: offer["programme"]?.stringValue ?? "",
                level: offer["level"]?.stringValue ?? "", kind: offer["kind"]?.stringValue ?? "", disciplines: strings(offer["disciplines"]),
                themes: strings(offer["themes"]), period: period, capacity: Int(offer["capacity"]?.integerValue ?? 1),
                teamSize: offer["teamSize"]?.integerValue.map { Int($0) }, contact: ContactDetails(name: nil, email: nil, phone: nil)))))
        }
        for offer in strings(expected["closedOffers"]) { try run(.offer(.close(id: offer, reason: "closed in the labelled set", expectedVersion: nil))) }
        for question in questions {
            var window: DateWindow?
            if let from = question["window"]?["from"]?.stringValue, let to = question["window"]?["to"]?.stringValue { window = DateWindow(from: from, to: to) }
            try run(.question(.submit(SubmitQuestion(
                title: question["title"]?.stringValue ?? "", description: question["description"]?.stringValue ?? "",
                requesterKind: question["requester"]?["kind"]?.stringValue ?? "resident",
                organisation: question["requester"]?["organisation"]?.stringValue, contact: ContactDetails(name: nil, email: nil, phone: nil),
                neighbourhood: question["neighbourhood"]?.stringValue ?? "", themes: strings(question["themes"]),
                disciplines: strings(question["disciplines"]), levels: strings(question["levels"]), window: window,
                size: question["size"]?.stringValue))))
            try run(.question(.accept(id: state.nextQuestionIDBefore, title: nil, description: nil, expectedVersion: nil)))
        }
        self.state = state
        var wanted: [String: Set<String>] = [:]
        // A question with no acceptable offer is scored by whether `noGoodMatch` is said, not by a rank.
        for (question, offers) in expected["questions"]?.objectValue ?? [:] where !strings(offers).isEmpty { wanted[question] = Set(strings(offers)) }
        self.expected = wanted
        noGoodMatch = strings(expected["noGoodMatch"]).sorted()
    }

    /// The set in `directory`: questions.jsonl, offers.jsonl and expected.json (I/O is the caller's: it
    /// hands over the three files' texts).
    public init(questionsText: String, offersText: String, expectedText: String, taxonomy: Taxonomy) throws {
        func lines(_ text: String) throws -> [JSONValue] {
            try text.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }.map { try JSONParser.parse(String($0)) }
        }
        try self.init(questions: lines(questionsText), offers: lines(offersText), expected: JSONParser.parse(expectedText), taxonomy: taxonomy)
    }

    /// Of the questions no offer fits, how many `match.suggest` says so for (its first suggestion has no
    /// topical evidence), and how many there are.
    public func noGoodMatchSaid(matcher: Matcher, analyzer: TextAnalyzer) -> (said: Int, of: Int) {
        let index = MatchingIndex(analyzer: analyzer, state: state)
        let said = noGoodMatch.filter { question in
            let first = try? matcher.suggestOffers(for: question, state: state, index: index, limit: 1, explain: false).suggestions.first
            return first?.topical != true
        }
        return (said.count, noGoodMatch.count)
    }

    /// The yardstick: plain BM25 over the words (no concepts, no other factor), among the offers that pass
    /// the hard constraints (status, places, and the period filter).
    public func evaluateNaiveBM25(taxonomy: Taxonomy) -> Quality {
        let analyzer = TextAnalyzer(taxonomy: taxonomy)
        let index = MatchingIndex(analyzer: analyzer, state: state)
        let questions = expected.keys.sorted()
        let ranks = questions.map { question -> Int? in
            guard let questionSlot = index.questionSlot(question) else { return nil }
            let words = (index.analyses[question]?.terms ?? [:]).filter { !$0.key.hasPrefix("#") }
            let scores = index.offerText.scores(words)
            var ranked: [(id: String, score: Double)] = []
            for (ordinal, slot) in index.offerSlots.enumerated() {
                guard let slot, !Matcher.isExcluded(questionSlot, slot) else { continue }
                ranked.append((slot.id, ordinal < scores.count ? scores[ordinal] : 0))
            }
            ranked.sort { $0.score > $1.score || ($0.score == $1.score && EntityID.precedes($0.id, $1.id)) }
            let wanted = expected[question] ?? []
            return ranked.firstIndex { wanted.contains($0.id) }.map { $0 + 1 }
        }
        return Quality(ranks: ranks, misses: [])
    }

    /// Top-1 and top-3 accuracy and mean reciprocal rank of `matcher` on the set, with each miss; texts are
    /// analysed with `lexicon` (compounds and diminutives) when given.
    public func evaluate(matcher: Matcher, lexicon: DutchLexicon? = nil) -> Quality {
        evaluate(matcher: matcher, analyzer: TextAnalyzer(taxonomy: matcher.taxonomy, lexicon: lexicon))
    }

    /// The same with the texts analysed by `analyzer`.
    public func evaluate(matcher: Matcher, analyzer: TextAnalyzer) -> Quality {
        let index = MatchingIndex(analyzer: analyzer, state: state)
        let questions = expected.keys.sorted()
        let ranks = ranks(matcher: matcher, index: index, questions: questions)
        var misses: [String] = []
        for (question, rank) in zip(questions, ranks) where rank != 1 {
            let wanted = expected[question] ?? []
            let ranked = (try? matcher.suggestOffers(for: question, state: state, index: index, limit: 3, explain: false).suggestions) ?? []
            misses.append("\(question): wanted \(wanted.sorted().joined(separator: "/")) at rank \(rank.map(String.init) ?? "none"), got \(ranked.map(\.id).joined(separator: ", "))")
        }
        return Quality(ranks: ranks, misses: misses)
    }

    /// Learning from the coordinators, measured with a time split: the questions in the order of their
    /// windows (then ids) are the semesters; for the first `teachingShare` of them a coordinator proposes
    /// the ranking's first offer and the expected one, declines the first when it is wrong and chooses the
    /// expected one; the rest are then ranked with and without what those decisions taught.
    public func evaluateLearning(matcher: Matcher, analyzer: TextAnalyzer, teachingShare: Double) -> (without: Quality, with: Quality, taught: Int) {
        let index = MatchingIndex(analyzer: analyzer, state: state)
        let ordered = expected.keys.sorted { left, right in
            let (leftFrom, rightFrom) = (state.questions[left]?.window?.from ?? "", state.questions[right]?.window?.from ?? "")
            return leftFrom < rightFrom || (leftFrom == rightFrom && EntityID.precedes(left, right))
        }
        let taughtCount = Int((Double(ordered.count) * teachingShare).rounded())
        var precedents = Precedents()
        for question in ordered.prefix(taughtCount) {
            guard let wanted = expected[question]?.sorted(by: EntityID.precedes).first else { continue }
            let first = try? matcher.suggestOffers(for: question, state: state, index: index, limit: 1, explain: false).suggestions.first
            if let first, first.id != wanted { precedents.record(question: question, offer: first.id, chosen: false, state: state) }
            precedents.record(question: question, offer: wanted, chosen: true, state: state)
        }
        let scored = Array(ordered.dropFirst(taughtCount))
        let taught = index.teaching(precedents)
        return (Quality(ranks: ranks(matcher: matcher, index: index, questions: scored), misses: []),
                Quality(ranks: ranks(matcher: matcher, index: taught, questions: scored), misses: []), taughtCount)
    }

    /// For each of `questions`, the rank of its first acceptable offer among the first 50 (nil: not there).
    func ranks(matcher: Matcher, index: MatchingIndex, questions: [String]) -> [Int?] {
        questions.map { question in
            let wanted = expected[question] ?? []
            let ranked = (try? matcher.suggestOffers(for: question, state: state, index: index, limit: 50, explain: false).suggestions) ?? []
            return ranked.firstIndex { wanted.contains($0.id) }.map { $0 + 1 }
        }
    }

    /// What `evaluate` measured.
    public struct Quality: Sendable {
        public let questions: Int
        public let top1: Double
        public let top3: Double
        public let meanReciprocalRank: Double
        public let misses: [String]

        /// The figures of the wanted offers' ranks (nil: not ranked).
        init(ranks: [Int?], misses: [String]) {
            let count = Double(max(1, ranks.count))
            questions = ranks.count
            top1 = Double(ranks.filter { $0 == 1 }.count) / count
            top3 = Double(ranks.filter { ($0 ?? .max) <= 3 }.count) / count
            meanReciprocalRank = ranks.reduce(0) { $0 + ($1.map { 1 / Double($0) } ?? 0) } / count
            self.misses = misses
        }
    }
}

extension DomainState {
    /// The id the question submitted last got.
    var nextQuestionIDBefore: String { EntityID.make("Q", questionCount) }
}
