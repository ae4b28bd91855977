import Domain
import Foundation
import LMDSJSON

/// Builds the programme's reports from a state replayed from the log. Pure: the time the report reflects
/// comes in with the request (the `asOf` record's time, or the daemon's clock), so two reports of the same
/// `asOf` are identical whatever happened later.
///
/// What counts in a period (`from`..`to`, inclusive dates): questions by submission date, offers by
/// publication date, proposals by creation, matches by agreement, outcomes by recording date, follow-up
/// checks by due date. Without a period, everything up to `asOf` counts.
public struct ReportBuilder: Sendable {
    public let state: DomainState
    public let taxonomy: Taxonomy
    public let policy: DomainPolicy
    /// The log position and time the state reflects.
    public let asOfPosition: UInt64
    public let nowMs: Int64
    public let period: DateWindow?
    /// Whether the reader may see internal and embargoed deliverables (educators and staff).
    public let seesAll: Bool
    /// The day on which embargoes are judged for readers who do not see everything: the report's day, but
    /// never later than the real today, so that a report `asOf` a future date cannot lift an embargo early.
    let embargoDay: String
    /// How the report is presented and what it names as its source.
    public let presentation: Presentation
    /// Who reads the report, to the feedback blind rule: only an admin counts answers still hidden.
    public var feedbackReader: FeedbackReader = .outsider

    /// How a report is shown, given by the caller (the builder reads no clock, file or log). The receipt is
    /// added to the built report by whoever knows the log (`Report.withReceipt`).
    public struct Presentation: Sendable {
        /// The programme's time zone, for the times people read.
        public var timeZone: TimeZone
        /// Include the rows with nothing to report (the neighbourhoods report's wijken without questions).
        public var includesEmptyRows: Bool

        public init(timeZone: TimeZone = .gmt, includesEmptyRows: Bool = false) {
            self.timeZone = timeZone
            self.includesEmptyRows = includesEmptyRows
        }
    }

    /// `realNowMs` is the time the report is asked for (the daemon's clock); `nowMs` the time it describes
    /// (`asOf`). They differ only for reports `asOf` another time.
    public init(state: DomainState, taxonomy: Taxonomy, policy: DomainPolicy, asOfPosition: UInt64, nowMs: Int64, period: DateWindow?, seesAll: Bool,
                realNowMs: Int64? = nil, presentation: Presentation = Presentation()) {
        self.presentation = presentation
        self.state = state
        self.taxonomy = taxonomy
        self.policy = policy
        self.asOfPosition = asOfPosition
        self.nowMs = nowMs
        self.period = period
        self.seesAll = seesAll
        embargoDay = CivilDate.date(milliseconds: min(nowMs, realNowMs ?? nowMs))
    }

    var today: String { CivilDate.date(milliseconds: nowMs) }

    func inPeriod(_ milliseconds: Int64) -> Bool {
        guard let period else { return true }
        let date = CivilDate.date(milliseconds: milliseconds)
        return period.from <= date && date <= period.to
    }

    func inPeriod(date: String) -> Bool {
        guard let period else { return true }
        return period.from <= date && date <= period.to
    }

    /// Builds the named report, or nil for an unknown name.
    public func build(_ name: String) -> Report? {
        switch name {
        case "overview": return overview()
        case "neighbourhoods": return neighbourhoods()
        case "institutions": return institutions()
        case "themes": return themes()
        case "talent": return talent()
        case "outcomes": return outcomes()
        case "followups": return followups()
        case "workload": return workload()
        case "feedback": return feedback()
        case "reminders": return reminders()
        case "organisations": return organisations()
        default: return nil
        }
    }

    func report(_ name: String, _ title: String, _ description: String, figures: [(String, JSONValue)], tables: [Report.Table]) -> Report {
        Report(name: name, title: title, description: description, figures: figures.map { (label: $0.0, value: $0.1) }, tables: tables,
               asOfPosition: asOfPosition, asOfTime: UTCTime.iso(nowMs), period: period, timeZone: presentation.timeZone)
    }

    // MARK: Shared figures

    /// Questions in the period (in no particular order: the reports that list rows sort them).
    var questions: [Question] { state.questions.values.filter(counts) }

    /// Whether a question counts in the period's reports: submitted in the period, and not merged into another
    /// question or split into parts (those count once, as the survivor or the parts).
    func counts(_ question: Question) -> Bool { inPeriod(question.submittedMs) && !question.status.isReplaced }

    /// What reports that count questions add to their description once questions were merged or split.
    var countedOnce: String {
        state.lineage.mergedFrom.isEmpty && state.lineage.parts.isEmpty
            ? "" : " Merged and split questions count once: as the question they were merged into, or as their parts."
    }

    /// Whether a question ever had an agreed match.
    func wasMatched(_ id: String) -> Bool { !(state.matchesByQuestion[id] ?? []).isEmpty }

    /// A question's outcomes.
    func outcomes(of question: String) -> [Outcome] { (state.outcomesByQuestion[question] ?? []).compactMap { state.outcomes[$0] } }

    /// A place's Dutch label: the wijk's, else the district's.
    func placeLabel(_ place: Taxonomy.Place) -> String { taxonomy.placeLabel(place) }

    /// A level's label in the taxonomy, else the id as recorded.
    func levelLabel(_ id: String) -> String { taxonomy.levels.first { $0.id == id }?.label ?? id }

    /// Students of an outcome: as recorded, else the team of its match.
    func students(_ outcome: Outcome) -> Int { outcome.students ?? state.matches[outcome.match]?.students ?? 0 }

    static func integer(_ value: Int) -> JSONValue { .integer(Int64(value)) }

    static func decimal(_ value: Double?, digits: Int = 1) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return .double((value * scale).rounded() / scale)
    }

    /// The nearest-rank quantile of `values` (nil when empty).
    static func quantile(_ values: [Double], _ fraction: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func mean(_ values: [Int]) -> Double? { values.isEmpty ? nil : Double(values.reduce(0, +)) / Double(values.count) }

    func counts<Status: RawRepresentable & CaseIterable & Hashable>(
        _ statuses: some Sequence<Status>, title: String, listing: [Status] = Array(Status.allCases)
    ) -> Report.Table where Status.RawValue == String {
        var tally: [Status: Int] = [:]
        for status in statuses { tally[status, default: 0] += 1 }
        return Report.Table(title: title, columns: ["status", "count"],
                            rows: listing.map { [JSONValue.string($0.rawValue), Self.integer(tally[$0] ?? 0)] }, chartColumn: 1)
    }

    // MARK: Reports

    func overview() -> Report {
        var questionStatuses: [QuestionStatus] = []
        var intakeDone = 0
        var matched = 0
        var toMatch: [Double] = []
        questionStatuses.reserveCapacity(state.questions.count)
        for question in state.questions.values where inPeriod(question.submittedMs) {
            var firstMatch: Int64?
            if let matchIDs = state.matchesByQuestion[question.id] {
                for id in matchIDs {
                    if let agreed = state.matches[id]?.agreedMs, agreed < (firstMatch ?? .max) { firstMatch = agreed }
                }
            }
            // A match the question once had keeps its days (as the live projection does), even once merged or split.
            if let firstMatch { toMatch.append(Double(firstMatch - question.submittedMs) / 86_400_000) }
            guard counts(question) else { continue }
            questionStatuses.append(question.status)
            switch question.status {
            case .submitted, .rejected, .referred: continue
            default: break
            }
            intakeDone += 1
            if firstMatch != nil { matched += 1 }
        }
        var outcomeCount = 0
        var toOutcome: [Double] = []
        for outcome in state.outcomes.values where inPeriod(outcome.recordedMs) {
            outcomeCount += 1
            if let match = state.matches[outcome.match] { toOutcome.append(Double(outcome.recordedMs - match.agreedMs) / 86_400_000) }
        }
        let open = state.pendingProposals.compactMap { state.proposals[$0] }
        let weekEnd = nowMs + 7 * 86_400_000
        let expiring = open.filter { $0.expiresMs > nowMs && $0.expiresMs <= weekEnd }
        return overviewReport(
            questions: questionStatuses.count, intakeDone: intakeDone, matched: matched, toMatch: toMatch, toOutcome: toOutcome,
            open: open.count, expiring: expiring.count, outcomes: outcomeCount,
            tables: [
                counts(questionStatuses, title: "Questions by status", listing: QuestionStatus.counted),
                counts(state.offers.values.lazy.filter { inPeriod($0.publishedMs) }.map(\.status), title: "Offers by status"),
                counts(state.proposals.values.lazy.filter { inPeriod($0.createdMs) }.map(\.status), title: "Proposals by status"),
                counts(state.matches.values.lazy.filter { inPeriod($0.agreedMs) }.map(\.status), title: "Matches by status"),
            ])
    }

    /// The overview from its figures, however they were counted.
    func overviewReport(
        questions: Int, intakeDone: Int, matched: Int, toMatch: [Double], toOutcome: [Double], open: Int, expiring: Int, outcomes: Int,
        tables: [Report.Table]
    ) -> Report {
        let rate = intakeDone == 0 ? nil : Double(matched) / Double(intakeDone)
        return report(
            "overview", "Overview: the pipeline",
            "Questions by submission date; match rate = questions past intake (not awaiting intake, rejected or referred) with at least one agreed match; days are elapsed days (24 h), to one decimal.\(countedOnce)",
            figures: [
                ("questions", Self.integer(questions)),
                ("questions past intake", Self.integer(intakeDone)),
                ("match rate", Self.decimal(rate, digits: 3)),
                ("days from submission to first match, median", Self.decimal(Self.quantile(toMatch, 0.5))),
                ("days from submission to first match, p90", Self.decimal(Self.quantile(toMatch, 0.9))),
                ("days from match to outcome, median", Self.decimal(Self.quantile(toOutcome, 0.5))),
                ("days from match to outcome, p90", Self.decimal(Self.quantile(toOutcome, 0.9))),
                ("open proposals", Self.integer(open)),
                ("open proposals expiring within 7 days", Self.integer(expiring)),
                ("outcomes recorded", Self.integer(outcomes)),
            ] + progressFigures(state.matches.values.filter { inPeriod($0.agreedMs) }),
            tables: tables)
    }

    /// Questions, matched, completed, outcomes, students and hours of a group of questions.
    struct Tally {
        var questions = 0, matched = 0, completed = 0, outcomes = 0, students = 0, hours = 0

        var cells: [JSONValue] {
            [questions, matched, completed, outcomes, students, hours].map { ReportBuilder.integer($0) }
        }
    }

    func tally(_ question: Question, into tally: inout Tally) {
        tally.questions += 1
        if wasMatched(question.id) { tally.matched += 1 }
        if question.status == .completed { tally.completed += 1 }
        for outcome in outcomes(of: question.id) {
            tally.outcomes += 1
            tally.students += students(outcome)
            tally.hours += outcome.hours ?? 0
        }
    }

    func neighbourhoods() -> Report {
        var byPlace: [Taxonomy.Place: Tally] = [:]
        var total = 0
        for question in state.questions.values where counts(question) {
            tally(question, into: &byPlace[question.neighbourhood, default: Tally()])
            total += 1
        }
        var rows: [[JSONValue]] = []
        for district in taxonomy.districts {
            let districtCells: [JSONValue] = [.string(district.label), .string(district.id)]
            for wijk in district.wijken {
                let tally = byPlace[Taxonomy.Place(district: district.id, wijk: wijk.id)] ?? Tally()
                if tally.questions == 0 && !presentation.includesEmptyRows { continue }
                rows.append(districtCells + [.string(wijk.label), .string(wijk.id)] + tally.cells)
            }
            if let whole = byPlace[Taxonomy.Place(district: district.id, wijk: nil)] {
                rows.append(districtCells + [.string("(whole district)"), .null] + whole.cells)
            }
        }
        let scope = presentation.includesEmptyRows ? "every wijk" : "each wijk with questions"
        return report(
            "neighbourhoods", "Neighbourhoods: support where the questions come from",
            "Per wijk, \(scope) (questions that name only a district count under \"(whole district)\"): questions submitted, those with an agreed match, completed, their outcomes, and the outcomes' students and hours.\(countedOnce)",
            figures: [("questions", Self.integer(total)),
                      ("wijken with questions", Self.integer(byPlace.filter { $0.key.wijk != nil && $0.value.questions > 0 }.count))],
            tables: [Report.Table(
                title: "Per wijk",
                columns: ["district", "district id", "wijk", "wijk id", "questions", "matched", "completed", "outcomes", "students", "hours"],
                rows: rows, chartColumn: 4, idColumns: [1, 3], dutchColumns: [0, 2])])
    }

    func institutions() -> Report {
        let offers = state.offers.values.filter { inPeriod($0.publishedMs) }
        let groups = Dictionary(grouping: offers) { "\($0.institution)\u{1}\($0.programme)\u{1}\($0.level)" }
        var rows: [[JSONValue]] = []
        for key in groups.keys.sorted() {
            let group = groups[key] ?? []
            let matches = group.flatMap { state.matchesByOffer[$0.id] ?? [] }.compactMap { state.matches[$0] }
            let outcomes = group.flatMap { state.outcomesByOffer[$0.id] ?? [] }.compactMap { state.outcomes[$0] }
            let first = group[0]
            let requester = outcomes.compactMap { rating($0, side: .requester) }
            let education = outcomes.compactMap { rating($0, side: .education) }
            let ratingCount = requester.count + education.count
            let fromFeedback = (requester + education).filter(\.fromFeedback).count
            rows.append([
                .string(taxonomy.institution(first.institution)?.label ?? first.institution), .string(first.institution), .string(first.programme),
                .string(levelLabel(first.level)), .string(first.level),
                Self.integer(group.count), Self.integer(group.map(\.capacity).reduce(0, +)),
                Self.integer(matches.filter(\.status.isOpen).count), Self.integer(matches.count),
                Self.integer(outcomes.map(students).reduce(0, +)), Self.integer(outcomes.compactMap(\.hours).reduce(0, +)),
                Self.decimal(Self.mean(requester.map(\.value))), Self.decimal(Self.mean(education.map(\.value))),
                .string("feedback \(fromFeedback), outcome \(ratingCount - fromFeedback)"),
            ])
        }
        return report(
            "institutions", "Institutions: what education offers and delivers",
            "Per institution, programme and level, over offers published in the period: places (capacity), places in use (agreed and started matches), all matches, and the outcomes' students, hours and mean ratings (1-5): a side's satisfaction in its feedback at the end where it gave (and the reader may see) it, else the rating recorded with the outcome; \"ratings from\" says how many of each.",
            figures: [("offers", Self.integer(offers.count)), ("places", Self.integer(offers.map(\.capacity).reduce(0, +)))],
            tables: [Report.Table(
                title: "Per institution, programme and level",
                columns: ["institution", "institution id", "programme", "level", "level id", "offers", "places", "places in use", "matches", "students", "hours",
                          "rating requester", "rating education", "ratings from"],
                rows: rows, chartColumn: 8, idColumns: [1, 4], dutchColumns: [0, 2, 3])])
    }

    func themes() -> Report {
        var byTheme: [String: Tally] = [:]
        var total = 0
        for question in state.questions.values where counts(question) {
            total += 1
            for theme in question.themes { tally(question, into: &byTheme[theme, default: Tally()]) }
        }
        var offersByTheme: [String: Int] = [:]
        var offerTotal = 0
        for offer in state.offers.values where inPeriod(offer.publishedMs) {
            offerTotal += 1
            for theme in offer.themes { offersByTheme[theme, default: 0] += 1 }
        }
        let rows: [[JSONValue]] = taxonomy.themes.map { theme in
            let tally = byTheme[theme.id] ?? Tally()
            return [.string(theme.label), .string(theme.id), Self.integer(tally.questions), Self.integer(tally.matched), Self.integer(tally.completed),
                    Self.integer(offersByTheme[theme.id] ?? 0), Self.integer(tally.outcomes)]
        }
        return report(
            "themes", "Themes: what the city asks about",
            "Per theme of the taxonomy (a question or offer may have several): questions submitted with it, matched, completed, offers published with it, and outcomes of its questions.\(countedOnce)",
            figures: [("questions", Self.integer(total)), ("offers", Self.integer(offerTotal))],
            tables: [Report.Table(title: "Per theme", columns: ["theme", "theme id", "questions", "matched", "completed", "offers", "outcomes"], rows: rows,
                                  chartColumn: 2, idColumns: [1], dutchColumns: [0])])
    }

    func talent() -> Report {
        let outcomes = state.outcomes.values.filter { inPeriod($0.recordedMs) }
        let groups = Dictionary(grouping: outcomes) { outcome -> String in
            let offer = state.offers[outcome.offer]
            return "\(offer?.institution ?? "?")\u{1}\(offer?.level ?? "?")\u{1}\(offer?.period.label ?? offer.map { "\($0.period.window.from)..\($0.period.window.to)" } ?? "?")"
        }
        var rows: [[JSONValue]] = []
        for key in groups.keys.sorted() {
            let group = groups[key] ?? []
            let parts = key.split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
            var frequency: [String: Int] = [:]
            for competence in group.flatMap(\.competences) { frequency[competence, default: 0] += 1 }
            let top = frequency.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(5)
            rows.append([
                .string(taxonomy.institution(parts[0])?.label ?? parts[0]), .string(parts[0]), .string(levelLabel(parts[1])), .string(parts[1]),
                .string(parts[2]), Self.integer(group.count),
                Self.integer(group.map(students).reduce(0, +)), Self.integer(group.compactMap(\.hours).reduce(0, +)),
                .string(top.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")),
            ])
        }
        return report(
            "talent", "Talent: what students did and learned",
            "Over outcomes recorded in the period, by the offer's institution, level and period: outcomes, students (as recorded, else the match's team), hours, and the competences named most.",
            figures: [("students", Self.integer(outcomes.map(students).reduce(0, +))), ("hours", Self.integer(outcomes.compactMap(\.hours).reduce(0, +)))]
                + progressFigures(outcomes.compactMap { state.matches[$0.match] }),
            tables: [Report.Table(
                title: "By institution, level and period",
                columns: ["institution", "institution id", "level", "level id", "period", "outcomes", "students", "hours", "competences named most"],
                rows: rows, chartColumn: 7, idColumns: [1, 3], dutchColumns: [0, 2, 8])])
    }

    func outcomes() -> Report {
        let outcomes = state.outcomes.values.filter { inPeriod($0.recordedMs) }.sorted { EntityID.precedes($0.id, $1.id) }
        var withheldTotal = 0
        let rows: [[JSONValue]] = outcomes.map { outcome in
            let visible = seesAll ? outcome.deliverables : outcome.deliverables.filter { $0.isPublic(on: embargoDay) }
            withheldTotal += outcome.deliverables.count - visible.count
            let question = state.questions[outcome.question]
            let offer = state.offers[outcome.offer]
            return [
                .string(outcome.id), .string(CivilDate.date(milliseconds: outcome.recordedMs)), .string(question?.title ?? "?"),
                .string(question.map { placeLabel($0.neighbourhood) } ?? "?"), question.map { .string($0.neighbourhood.id) } ?? .null,
                .string(offer.flatMap { taxonomy.institution($0.institution)?.label } ?? "?"), offer.map { .string($0.institution) } ?? .null,
                .string(offer?.title ?? "?"),
                .string(visible.map { deliverable in
                    var text = "\(deliverable.kind): \(deliverable.title)"
                    if seesAll && deliverable.visibility != .public {
                        text += deliverable.visibility == .embargo ? " (embargo until \(deliverable.embargoUntil ?? "?"))" : " (internal)"
                    }
                    if let uri = deliverable.uri { text += " <\(uri)>" }
                    return text
                }.joined(separator: "; ")),
                Self.integer(students(outcome)), outcome.hours.map { Self.integer($0) } ?? .null,
            ]
        }
        return report(
            "outcomes", "Outcomes: what came of the collaborations",
            seesAll ? "Every outcome recorded in the period with all its deliverables (internal and embargoed ones marked)."
                : "Every outcome recorded in the period with its public deliverables and those whose embargo has ended; internal and embargoed ones are withheld.",
            figures: [("outcomes", Self.integer(outcomes.count)), ("deliverables withheld", Self.integer(withheldTotal))]
                + progressFigures(outcomes.compactMap { state.matches[$0.match] }),
            tables: [Report.Table(
                title: "Catalogue",
                columns: ["outcome", "recorded", "question", "neighbourhood", "neighbourhood id", "institution", "institution id", "offer", "deliverables",
                          "students", "hours"],
                rows: rows, idColumns: [4, 6], dutchColumns: [2, 3, 5, 7, 8])])
    }

    func followups() -> Report {
        let outcomes = state.outcomes.values.filter { inPeriod(date: $0.followUpDue) }.sorted { EntityID.precedes($0.id, $1.id) }
        func status(_ outcome: Outcome) -> String {
            if outcome.followUp != nil { return "done" }
            if today < outcome.followUpDue { return "pending" }
            return today < CivilDate.adding(days: policy.followUpGraceDays, to: outcome.followUpDue) ? "due" : "overdue"
        }
        let open = outcomes.filter { ["due", "overdue"].contains(status($0)) }
        let done = outcomes.filter { $0.followUp != nil }
        func title(_ outcome: Outcome) -> JSONValue { .string(state.questions[outcome.question]?.title ?? "?") }
        return report(
            "followups", "Follow-ups: did the city use what was delivered?",
            "Follow-up checks by due date: due from the due date, overdue \(policy.followUpGraceDays) days after it; the finished ones with what the requester said.",
            figures: [
                ("due", Self.integer(open.filter { status($0) == "due" }.count)), ("overdue", Self.integer(open.filter { status($0) == "overdue" }.count)),
                ("done", Self.integer(done.count)),
                ("used: yes", Self.integer(done.filter { $0.followUp?.used == .yes }.count)),
                ("used: partly", Self.integer(done.filter { $0.followUp?.used == .partly }.count)),
                ("used: no", Self.integer(done.filter { $0.followUp?.used == .no }.count)),
            ],
            tables: [
                Report.Table(title: "Due and overdue", columns: ["outcome", "due", "status", "question"],
                             rows: open.map { [.string($0.id), .string($0.followUpDue), .string(status($0)), title($0)] }, dutchColumns: [3]),
                Report.Table(title: "Finished", columns: ["outcome", "checked", "used", "note", "question"],
                             rows: done.map { outcome in
                                 [.string(outcome.id), .string(CivilDate.date(milliseconds: outcome.followUp?.recordedMs ?? 0)),
                                  .string(outcome.followUp?.used.rawValue ?? "?"), outcome.followUp?.note.map { .string($0) } ?? .null, title(outcome)]
                             }, dutchColumns: [3, 4]),
            ])
    }
}

/// ISO-8601 UTC times without Foundation's clock.
enum UTCTime {
    /// `2026-11-29T12:00:00.000Z` for milliseconds since 1970.
    static func iso(_ milliseconds: Int64) -> String {
        let date = CivilDate.date(milliseconds: milliseconds)
        let dayMs = ((milliseconds % 86_400_000) + 86_400_000) % 86_400_000
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(date)T\(pad(dayMs / 3_600_000, 2)):\(pad(dayMs / 60_000 % 60, 2)):\(pad(dayMs / 1000 % 60, 2)).\(pad(dayMs % 1000, 3))Z"
    }
}
