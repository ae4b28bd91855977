import Domain
import LMDSJSON

/// Measures suggestion quality on a labelled set: questions, offers, and for each question the offers an
/// experienced coordinator would choose. Used by the quality test and by `scripts/bench matching`.
public struct LabelledSet: Sendable {
    /// The state the set describes: offers published (some closed), questions submitted and accepted.
    public let state: DomainState
    /// Acceptable offers per question.
    public let expected: [String: Set<String>]

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
            try run(.publishOffer(PublishOffer(
                title: offer["title"]?.stringValue ?? "", description: offer["description"]?.stringValue ?? "",
                institution: offer["institution"]?.stringValue ?? "", programme: offer["programme"]?.stringValue ?? "",
                level: offer["level"]?.stringValue ?? "", kind: offer["kind"]?.stringValue ?? "", disciplines: strings(offer["disciplines"]),
                themes: strings(offer["themes"]), period: period, capacity: Int(offer["capacity"]?.integerValue ?? 1),
                teamSize: offer["teamSize"]?.integerValue.map { Int($0) }, contact: ContactDetails(name: nil, email: nil, phone: nil))))
        }
        for offer in strings(expected["closedOffers"]) { try run(.closeOffer(id: offer, reason: "closed in the labelled set", expectedVersion: nil)) }
        for question in questions {
            var window: DateWindow?
            if let from = question["window"]?["from"]?.stringValue, let to = question["window"]?["to"]?.stringValue { window = DateWindow(from: from, to: to) }
            try run(.submitQuestion(SubmitQuestion(
                title: question["title"]?.stringValue ?? "", description: question["description"]?.stringValue ?? "",
                requesterKind: question["requester"]?["kind"]?.stringValue ?? "resident",
                organisation: question["requester"]?["organisation"]?.stringValue, contact: ContactDetails(name: nil, email: nil, phone: nil),
                neighbourhood: question["neighbourhood"]?.stringValue ?? "", themes: strings(question["themes"]),
                disciplines: strings(question["disciplines"]), levels: strings(question["levels"]), window: window,
                size: question["size"]?.stringValue)))
            try run(.acceptQuestion(id: state.nextQuestionIDBefore, title: nil, description: nil, expectedVersion: nil))
        }
        self.state = state
        var wanted: [String: Set<String>] = [:]
        for (question, offers) in expected["questions"]?.objectValue ?? [:] { wanted[question] = Set(strings(offers)) }
        self.expected = wanted
    }

    /// Top-1 and top-3 accuracy and mean reciprocal rank of `matcher` on the set, with each miss; texts are
    /// analysed with `lexicon` (compounds and diminutives) when given.
    public func evaluate(matcher: Matcher, lexicon: DutchLexicon? = nil) -> Quality {
        let index = MatchingIndex(analyzer: TextAnalyzer(taxonomy: matcher.taxonomy, lexicon: lexicon), state: state)
        var top1 = 0, top3 = 0
        var reciprocalRanks = 0.0
        var misses: [String] = []
        for question in expected.keys.sorted() {
            let wanted = expected[question] ?? []
            let ranked = (try? matcher.suggestOffers(for: question, state: state, index: index, limit: 50, explain: false).suggestions) ?? []
            let rank = ranked.firstIndex { wanted.contains($0.id) }.map { $0 + 1 }
            if rank == 1 { top1 += 1 }
            if let rank, rank <= 3 { top3 += 1 }
            reciprocalRanks += rank.map { 1 / Double($0) } ?? 0
            if rank != 1 {
                misses.append("\(question): wanted \(wanted.sorted().joined(separator: "/")) at rank \(rank.map(String.init) ?? "none"), got \(ranked.prefix(3).map(\.id).joined(separator: ", "))")
            }
        }
        let count = Double(max(1, expected.count))
        return Quality(questions: expected.count, top1: Double(top1) / count, top3: Double(top3) / count, meanReciprocalRank: reciprocalRanks / count, misses: misses)
    }

    /// What `evaluate` measured.
    public struct Quality: Sendable {
        public let questions: Int
        public let top1: Double
        public let top3: Double
        public let meanReciprocalRank: Double
        public let misses: [String]
    }
}

extension DomainState {
    /// The id the question submitted last got.
    var nextQuestionIDBefore: String { EntityID.make("Q", questionCount) }
}
