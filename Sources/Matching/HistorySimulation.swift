import Domain

/// A simulated history of several semesters, the yardstick of learning from the coordinators (issue 14,
/// point 6; README section 17.6 states its rules so that a reader can judge them). Only the development
/// set's texts and the taxonomy go in, never a held-out set.
///
/// Each semester publishes the development set's courses again (one offer per course run) and a **twin**
/// of each: the same text given by another institution of the same level (a second location for mbo, which
/// has one institution), so that the text alone cannot tell which of the two a coordinator takes. Its
/// questions are drawn from the development questions (a random subset of each one's sentences, a random
/// wijk). A simulated coordinator decides each by hidden rules that only a history reveals: the district's
/// partner institution first, then the run that delivers well, else at random; a run declines (with a
/// reason) the kinds of question it declines, every time; and with `noise` the coordinator ignores the
/// rules. Every decision goes through the decider as real commands, so the state holds proposals, matches
/// and rated outcomes exactly as a log would. Pure: the caller's seeded generator is the only randomness.
public struct SimulatedHistory: Sendable {
    /// The simulation's parameters.
    public struct Rules: Sendable, Hashable {
        /// Semesters simulated; the last is scored, the others teach.
        public var semesters = 4
        public var questionsPerSemester = 40
        /// The share of questions a coordinator decides ignoring the rules (a random order of the fitting offers).
        public var noise = 0.15
        /// The chance that a run declines the questions drawn from one development question it fits.
        public var declineShare = 0.2
        /// The share of runs that deliver well (rated 4 or 5 by each side; the others 2 or 3).
        public var goodShare = 0.5
        /// The chance each sentence of a development question's description is kept in a drawn question.
        public var sentenceKeepShare = 0.7
        /// Places per offer: enough that no offer fills up, so that capacity decides nothing.
        public var capacity = 20

        public init() {}
    }

    /// One offer of a semester as the simulation knows it.
    struct Course: Sendable {
        /// The development offer whose text it carries.
        let template: Offer
        let institution: String
        let programme: String
        /// Its run (`Precedents.run`) and the run of the development course it copies (its own, or its twin's).
        let run: String
        let origin: String
    }

    public let rules: Rules
    /// The state at the end: every semester's offers and questions, and the decisions of all but the last.
    public let state: DomainState
    /// For each semester, the state its questions are ranked in: submitted and accepted, none decided yet.
    public let snapshots: [DomainState]
    /// Each semester's questions, in id order.
    public let semesterQuestions: [[String]]
    /// The offer the coordinator chose for each question (in the last semester: would choose); a question
    /// every fitting offer declines has none.
    public let choices: [String: String]
    /// The development question each question was drawn from.
    public let sources: [String: String]
    /// The hidden rules: each district's partner institution per level ("district|level"), whether each
    /// run delivers well, and which run declines which development question's kind ("run|question").
    public let partners: [String: String]
    public let deliversWell: [String: Bool]
    public let declines: Set<String>
    /// The offers a question's proposals were declined by, in the teaching semesters.
    public let declinedOffers: [String: [String]]
    /// Every event the decider recorded, in order: the log of the simulated history.
    public let events: [DomainEvent]

    /// What the decisions of a semester need while they are made.
    struct Builder {
        var state = DomainState()
        let taxonomy: Taxonomy
        var choices: [String: String] = [:]
        var declinedOffers: [String: [String]] = [:]
        var events: [DomainEvent] = []

        mutating func run(_ command: Command, nowMs: Int64) throws -> [DomainEvent] {
            let events = try Decider.decide(command, state: state, taxonomy: taxonomy, nowMs: nowMs).events
            for event in events { state.apply(event) }
            self.events += events
            return events
        }
    }

    /// Simulates `rules.semesters` semesters of `development`'s courses and question texts under
    /// `taxonomy`, drawing from `generator`.
    public init(development: LabelledSet, taxonomy: Taxonomy, rules: Rules = Rules(), using generator: inout some RandomNumberGenerator) throws {
        self.rules = rules
        let courses = Self.courses(development: development, taxonomy: taxonomy, using: &generator)
        let runsOfSource = Self.fittingRuns(development: development, courses: courses)
        var partners: [String: String] = [:]
        for district in taxonomy.districts {
            for level in taxonomy.levels {
                let institutions = taxonomy.institutions.filter { $0.levels.contains(level.id) }.map(\.id).sorted()
                if let partner = institutions.randomElement(using: &generator) { partners[district.id + "|" + level.id] = partner }
            }
        }
        var deliversWell: [String: Bool] = [:]
        for course in courses { deliversWell[course.run] = Double.random(in: 0..<1, using: &generator) < rules.goodShare }
        var declines: Set<String> = []
        for source in runsOfSource.keys.sorted(by: EntityID.precedes) {
            let runs = runsOfSource[source] ?? []
            // At least one fitting run always takes the kind of question.
            for run in runs.dropLast() where Double.random(in: 0..<1, using: &generator) < rules.declineShare { declines.insert(run + "|" + source) }
        }
        (self.partners, self.deliversWell, self.declines) = (partners, deliversWell, declines)
        let coordinator = Coordinator(partners: partners, deliversWell: deliversWell, declines: declines, fitting: runsOfSource.mapValues(Set.init), noise: rules.noise)
        var builder = Builder(taxonomy: taxonomy)
        var snapshots: [DomainState] = [], semesterQuestions: [[String]] = [], sources: [String: String] = [:]
        for semester in 0..<rules.semesters {
            let (window, label) = Self.window(semester)
            let nowMs = Int64(CivilDate.dayNumber(window.from) - 30) * 86_400_000
            let offers = try Self.publish(courses, window: window, label: label, capacity: rules.capacity, into: &builder, nowMs: nowMs)
            var questions: [String] = []
            for _ in 0..<rules.questionsPerSemester {
                let source = development.expected.keys.sorted(by: EntityID.precedes).randomElement(using: &generator)!
                let id = try Self.submit(from: development.state.questions[source]!, window: window, keeping: rules.sentenceKeepShare, into: &builder,
                                         nowMs: nowMs, using: &generator)
                sources[id] = source
                questions.append(id)
            }
            snapshots.append(builder.state)
            semesterQuestions.append(questions)
            for question in questions {
                let order = coordinator.order(question, source: sources[question]!, offers: offers, state: builder.state, using: &generator)
                try coordinator.decide(question, order: order, source: sources[question]!, apply: semester < rules.semesters - 1, window: window,
                                       into: &builder, nowMs: nowMs, using: &generator)
            }
        }
        (state, self.snapshots, self.semesterQuestions, self.sources) = (builder.state, snapshots, semesterQuestions, sources)
        (choices, declinedOffers, events) = (builder.choices, builder.declinedOffers, builder.events)
    }

    /// Semester `number`'s window and label: autumn (September to January) and spring (February to June)
    /// in turn, from the academic year 2026-2027.
    static func window(_ number: Int) -> (DateWindow, String) {
        let year = 2026 + number / 2
        return number % 2 == 0
            ? (DateWindow(from: "\(year)-09-01", to: "\(year + 1)-01-31"), "\(year)-\(year + 1) S1")
            : (DateWindow(from: "\(year + 1)-02-01", to: "\(year + 1)-06-30"), "\(year)-\(year + 1) S2")
    }

    /// The development set's course runs (the first offer of each) and a twin of each: the same text from
    /// another institution of its level drawn at random, or a second location of the same institution.
    static func courses(development: LabelledSet, taxonomy: Taxonomy, using generator: inout some RandomNumberGenerator) -> [Course] {
        var seen: Set<String> = []
        var courses: [Course] = []
        for id in EntityID.sorted(development.state.offers.keys) {
            let offer = development.state.offers[id]!
            let run = Precedents.run(of: offer)
            guard seen.insert(run).inserted else { continue }
            courses.append(Course(template: offer, institution: offer.institution, programme: offer.programme, run: run, origin: run))
            let others = taxonomy.institutions.filter { $0.levels.contains(offer.level) && $0.id != offer.institution }.map(\.id).sorted()
            var twin = offer
            if let institution = others.randomElement(using: &generator) {
                twin.institution = institution
            } else {
                twin.programme += " (tweede locatie)"
            }
            courses.append(Course(template: twin, institution: twin.institution, programme: twin.programme, run: Precedents.run(of: twin), origin: run))
        }
        return courses
    }

    /// For each development question with an expected offer, the runs that fit it: its expected courses'
    /// runs and their twins', in course order.
    static func fittingRuns(development: LabelledSet, courses: [Course]) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (question, offers) in development.expected {
            let origins = Set(offers.compactMap { development.state.offers[$0].map(Precedents.run(of:)) })
            result[question] = courses.filter { origins.contains($0.origin) }.map(\.run)
        }
        return result
    }

    /// Publishes every course for one semester; the offers' ids with their courses.
    static func publish(_ courses: [Course], window: DateWindow, label: String, capacity: Int, into builder: inout Builder, nowMs: Int64) throws -> [(id: String, course: Course)] {
        var offers: [(id: String, course: Course)] = []
        for course in courses {
            let offer = course.template
            let events = try builder.run(.offer(.publish(PublishOffer(
                title: offer.title, description: offer.description, institution: course.institution, programme: course.programme, level: offer.level,
                kind: offer.kind, disciplines: offer.disciplines, themes: offer.themes, period: Period(window: window, label: label), capacity: capacity,
                teamSize: offer.teamSize, contact: ContactDetails(name: nil, email: nil, phone: nil)))), nowMs: nowMs)
            if case .offerPublished(let published) = events.first { offers.append((published.id, course)) }
        }
        return offers
    }

    /// Submits and accepts a question drawn from `source`: its title, a random subset of its description's
    /// sentences (at least one), its requester, levels, themes and disciplines, a random wijk; the id.
    static func submit(from source: Question, window: DateWindow, keeping keepShare: Double, into builder: inout Builder, nowMs: Int64,
                       using generator: inout some RandomNumberGenerator) throws -> String {
        let sentences = sentences(of: source.description)
        var kept = sentences.filter { _ in Double.random(in: 0..<1, using: &generator) < keepShare }
        if kept.isEmpty, let one = sentences.randomElement(using: &generator) { kept = [one] }
        let wijken = builder.taxonomy.districts.flatMap(\.wijken)
        let wijk = wijken.randomElement(using: &generator)!
        let events = try builder.run(.question(.submit(SubmitQuestion(
            title: source.title, description: kept.joined(separator: " "), requesterKind: source.requester.kind, organisation: source.requester.organisation,
            contact: ContactDetails(name: nil, email: nil, phone: nil), neighbourhood: wijk.label, themes: source.themes, disciplines: source.disciplines,
            levels: source.levels, window: window, size: source.size))), nowMs: nowMs)
        guard case .questionSubmitted(let question) = events.first else { preconditionFailure("a submission records the question") }
        _ = try builder.run(.question(.accept(id: question.id, title: nil, description: nil, expectedVersion: nil)), nowMs: nowMs)
        return question.id
    }

    /// A text's sentences (ending at ".", "?" or "!" followed by a space, or at the end).
    static func sentences(of text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == " ", let last = current.dropLast().last, ".?!".contains(last) {
                sentences.append(String(current.dropLast()))
                current = ""
            }
        }
        if !current.isEmpty { sentences.append(current) }
        return sentences
    }
}

/// The simulated coordinators and education sides: the hidden rules by which they decide.
struct Coordinator: Sendable {
    let partners: [String: String]
    let deliversWell: [String: Bool]
    let declines: Set<String>
    /// The runs that fit each development question.
    let fitting: [String: Set<String>]
    let noise: Double

    /// What a run says when it declines a kind of question it does not take.
    static let declineReason = "Dit soort vragen past niet in ons programma."

    /// The order in which the coordinator proposes a question's fitting offers: the district's partner
    /// institution (for the offer's level) first, then runs that deliver well, then a random order; with
    /// probability `noise` a random order of them all.
    func order(_ question: String, source: String, offers: [(id: String, course: SimulatedHistory.Course)], state: DomainState,
               using generator: inout some RandomNumberGenerator) -> [(id: String, course: SimulatedHistory.Course)] {
        let fitting = offers.filter { self.fitting[source]?.contains($0.course.run) ?? false }
        guard let district = state.questions[question]?.neighbourhood.district else { return [] }
        let ties = fitting.map { _ in Double.random(in: 0..<1, using: &generator) }
        if Double.random(in: 0..<1, using: &generator) < noise { return fitting.shuffled(using: &generator) }
        func key(_ position: Int) -> (Int, Int, Double) {
            let course = fitting[position].course
            return (partners[district + "|" + course.template.level] == course.institution ? 0 : 1, deliversWell[course.run] == true ? 0 : 1, ties[position])
        }
        return fitting.indices.sorted { key($0) < key($1) }.map { fitting[$0] }
    }

    /// Proposes the offers in `order` until one takes the question: a run that declines the question's
    /// kind declines it with a reason; the first that does not is chosen (both sides accept). In a
    /// teaching semester (`apply`) it all goes through the decider, and the match starts and has its
    /// outcome rated by both sides: 4 or 5 for a run that delivers well, 2 or 3 for one that does not.
    func decide(_ question: String, order: [(id: String, course: SimulatedHistory.Course)], source: String, apply: Bool, window: DateWindow,
                into builder: inout SimulatedHistory.Builder, nowMs: Int64, using generator: inout some RandomNumberGenerator) throws {
        for (offer, course) in order {
            let declined = declines.contains(course.run + "|" + source)
            if apply {
                let proposal = builder.state.nextProposalID
                _ = try builder.run(.proposal(.create(question: question, offer: offer, note: nil)), nowMs: nowMs)
                if declined {
                    _ = try builder.run(.proposal(.decline(id: proposal, side: .education, reason: Self.declineReason, expectedVersion: nil)), nowMs: nowMs)
                    builder.declinedOffers[question, default: []].append(offer)
                    continue
                }
                let match = builder.state.nextMatchID
                _ = try builder.run(.proposal(.accept(id: proposal, side: .requester, expectedVersion: nil)), nowMs: nowMs)
                _ = try builder.run(.proposal(.accept(id: proposal, side: .education, expectedVersion: nil)), nowMs: nowMs)
                _ = try builder.run(.match(.start(id: match, students: 3, startedOn: window.from, expectedVersion: nil, force: true)), nowMs: nowMs)
                let ratings = deliversWell[course.run] == true ? 4...5 : 2...3
                let content = OutcomeContent(summary: "Opgeleverd.", ratings: Ratings(
                    requester: Int.random(in: ratings, using: &generator), education: Int.random(in: ratings, using: &generator)))
                _ = try builder.run(.outcome(.record(match: match, content: content, followUps: [])), nowMs: nowMs)
            } else if declined {
                continue
            }
            builder.choices[question] = offer
            return
        }
    }
}

extension SimulatedHistory {
    /// The questions of `semester` that have a choice to rank.
    func scoredQuestions(_ semester: Int) -> [String] { semesterQuestions[semester].filter { choices[$0] != nil } }

    /// For each of `matchers`, the rank of the coordinator's choice for each question of `semester`, in
    /// the state before its decisions: having learnt from the earlier semesters (`with`), and the same
    /// index without any decision (`without`).
    func ranks(semester: Int, matchers: [Matcher], analyzer: TextAnalyzer) -> (without: [[Int?]], with: [[Int?]]) {
        let state = snapshots[semester]
        let taught = MatchingIndex(analyzer: analyzer, state: state)
        let untaught = taught.teaching(Precedents())
        let questions = scoredQuestions(semester)
        func ranks(_ index: MatchingIndex) -> [[Int?]] {
            // Each question's lessons are drawn once, for every matcher.
            var ranks = matchers.map { _ in [Int?]() }
            for question in questions {
                guard let lessons = state.questions[question].map({ matchers[0].lessons(question: $0, index: index) }) else { continue }
                for (position, matcher) in matchers.enumerated() {
                    let ranked = (try? matcher.suggestOffers(for: question, state: state, index: index, limit: 50, explain: false, lessons: lessons).suggestions) ?? []
                    ranks[position].append(ranked.firstIndex { $0.id == choices[question] }.map { $0 + 1 })
                }
            }
            return ranks
        }
        return (ranks(untaught), ranks(taught))
    }

    /// The time split: the last semester ranked with `matcher` after the earlier ones taught, and without.
    public func evaluate(matcher: Matcher, analyzer: TextAnalyzer) -> (without: LabelledSet.Quality, with: LabelledSet.Quality) {
        let found = ranks(semester: rules.semesters - 1, matchers: [matcher], analyzer: analyzer)
        return (LabelledSet.Quality(ranks: found.without[0], misses: []), LabelledSet.Quality(ranks: found.with[0], misses: []))
    }

    /// The values the grid takes for `history`, `historySimilar`, `historyRatings` and `historyDistrict`.
    /// The `history` factor keeps its weight: every pair without decisions gets its neutral 0.5, so a
    /// larger weight would move every score of a log without decisions towards 0.5 (and a pair with no
    /// topic above `match.plan`'s minimum); a search allowed it took 0.3 to 0.4. Ratings keep a weight:
    /// in the simulation a run that delivers well is also the one chosen again, and a search allowed 0
    /// took it; but where the two part ways, a course rated badly must still lose for it.
    public static let gridValues = (history: [0.05], similar: [1.0, 2.0, 3.0, 4.0], ratings: [0.5, 1.0, 2.0], district: [0.0, 0.5, 1.0, 2.0, 3.0])

    /// The history weights to choose from: the `history` factor's weight and how far each part of a
    /// lesson moves it (`Lesson.value`); the other weights as in `base`.
    public static func grid(base: MatchingWeights = MatchingWeights()) -> [MatchingWeights] {
        var candidates: [MatchingWeights] = []
        for history in gridValues.history {
            for similar in gridValues.similar {
                for ratings in gridValues.ratings {
                    for district in gridValues.district {
                        var weights = base
                        (weights.history, weights.historySimilar, weights.historyRatings, weights.historyDistrict) = (history, similar, ratings, district)
                        candidates.append(weights)
                    }
                }
            }
        }
        return candidates
    }

    /// Chooses among `candidates` by a time-series cross-validation on the teaching semesters of
    /// `histories`, never their last: each semester from the second to the one before last is ranked
    /// after the semesters before it taught, and the candidate with the best sum of top-1 and reciprocal
    /// ranks over them all is taken (ties: the nearest to `reference`). Also returns that sum per question.
    public static func chooseWeights(histories: [SimulatedHistory], analyzer: TextAnalyzer, candidates: [MatchingWeights],
                                     reference: MatchingWeights = MatchingWeights()) -> (chosen: MatchingWeights, objective: Double) {
        precondition(!candidates.isEmpty, "a choice needs candidates")
        var objectives = [Double](repeating: 0, count: candidates.count)
        var questions = 0
        let matchers = candidates.map { Matcher(taxonomy: analyzer.taxonomy, weights: $0) }
        for history in histories where history.rules.semesters >= 3 {
            for semester in 1..<(history.rules.semesters - 1) {
                let found = history.ranks(semester: semester, matchers: matchers, analyzer: analyzer).with
                for (candidate, ranks) in found.enumerated() {
                    objectives[candidate] += ranks.reduce(0.0) { $0 + ($1 == 1 ? 1 : 0) + ($1.map { 1 / Double($0) } ?? 0) }
                }
                questions += found.first?.count ?? 0
            }
        }
        var chosen = 0
        for candidate in candidates.indices {
            let better = objectives[candidate] > objectives[chosen] + 1e-9
            let tied = abs(objectives[candidate] - objectives[chosen]) <= 1e-9
            if better || (tied && WeightSearch.distance(candidates[candidate], reference) < WeightSearch.distance(candidates[chosen], reference) - 1e-12) {
                chosen = candidate
            }
        }
        return (candidates[chosen], objectives[chosen] / Double(max(1, questions)))
    }
}
