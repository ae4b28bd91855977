import Domain
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

    public init(state: DomainState, taxonomy: Taxonomy, policy: DomainPolicy, asOfPosition: UInt64, nowMs: Int64, period: DateWindow?, seesAll: Bool) {
        self.state = state
        self.taxonomy = taxonomy
        self.policy = policy
        self.asOfPosition = asOfPosition
        self.nowMs = nowMs
        self.period = period
        self.seesAll = seesAll
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
        default: return nil
        }
    }

    func report(_ name: String, _ title: String, _ description: String, figures: [(String, JSONValue)], tables: [Report.Table]) -> Report {
        Report(name: name, title: title, description: description, figures: figures.map { (label: $0.0, value: $0.1) }, tables: tables,
               asOfPosition: asOfPosition, asOfTime: UTCTime.iso(nowMs), period: period)
    }

    // MARK: Shared figures

    var questions: [Question] { state.questions.values.filter { inPeriod($0.submittedMs) }.sorted { EntityID.precedes($0.id, $1.id) } }
    var matchesByQuestion: [String: [Match]] { Dictionary(grouping: state.matches.values, by: \.question) }
    var outcomesByQuestion: [String: [Outcome]] { Dictionary(grouping: state.outcomes.values, by: \.question) }

    /// A place's Dutch label: the wijk's, else the district's.
    func placeLabel(_ place: Taxonomy.Place) -> String {
        guard let district = taxonomy.districts.first(where: { $0.id == place.district }) else { return place.id }
        return place.wijk.flatMap { wijk in district.wijken.first { $0.id == wijk }?.label } ?? district.label
    }

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

    func counts<Status: RawRepresentable & CaseIterable>(_ statuses: [Status], of type: Status.Type, title: String) -> Report.Table
    where Status.RawValue == String {
        let rows = Status.allCases.map { status in [JSONValue.string(status.rawValue), Self.integer(statuses.filter { $0.rawValue == status.rawValue }.count)] }
        return Report.Table(title: title, columns: ["status", "count"], rows: rows, chartColumn: 1)
    }

    // MARK: Reports

    func overview() -> Report {
        let questions = self.questions
        let byQuestion = matchesByQuestion
        let intakeDone = questions.filter { ![.submitted, .rejected, .referred].contains($0.status) }
        let matched = intakeDone.filter { !(byQuestion[$0.id] ?? []).isEmpty }
        let toMatch = questions.compactMap { question -> Double? in
            guard let first = (byQuestion[question.id] ?? []).map(\.agreedMs).min() else { return nil }
            return Double(first - question.submittedMs) / 86_400_000
        }
        let outcomes = state.outcomes.values.filter { inPeriod($0.recordedMs) }
        let toOutcome = outcomes.compactMap { outcome in state.matches[outcome.match].map { Double(outcome.recordedMs - $0.agreedMs) / 86_400_000 } }
        let open = state.proposals.values.filter { $0.status == .proposed }
        let weekEnd = nowMs + 7 * 86_400_000
        let expiring = open.filter { $0.expiresMs > nowMs && $0.expiresMs <= weekEnd }
        let rate = intakeDone.isEmpty ? nil : Double(matched.count) / Double(intakeDone.count)
        return report(
            "overview", "Overview: the pipeline",
            "Questions by submission date; match rate = questions past intake (not awaiting intake, rejected or referred) with at least one agreed match; days are elapsed days (24 h), to one decimal.",
            figures: [
                ("questions", Self.integer(questions.count)),
                ("questions past intake", Self.integer(intakeDone.count)),
                ("match rate", Self.decimal(rate, digits: 3)),
                ("days from submission to first match, median", Self.decimal(Self.quantile(toMatch, 0.5))),
                ("days from submission to first match, p90", Self.decimal(Self.quantile(toMatch, 0.9))),
                ("days from match to outcome, median", Self.decimal(Self.quantile(toOutcome, 0.5))),
                ("days from match to outcome, p90", Self.decimal(Self.quantile(toOutcome, 0.9))),
                ("open proposals", Self.integer(open.count)),
                ("open proposals expiring within 7 days", Self.integer(expiring.count)),
                ("outcomes recorded", Self.integer(outcomes.count)),
            ],
            tables: [
                counts(questions.map(\.status), of: QuestionStatus.self, title: "Questions by status"),
                counts(state.offers.values.filter { inPeriod($0.publishedMs) }.map(\.status), of: OfferStatus.self, title: "Offers by status"),
                counts(state.proposals.values.filter { inPeriod($0.createdMs) }.map(\.status), of: ProposalStatus.self, title: "Proposals by status"),
                counts(state.matches.values.filter { inPeriod($0.agreedMs) }.map(\.status), of: MatchStatus.self, title: "Matches by status"),
            ])
    }

    func neighbourhoods() -> Report {
        let byQuestion = matchesByQuestion
        let outcomesOf = outcomesByQuestion
        var rows: [[JSONValue]] = []
        let questions = self.questions
        for district in taxonomy.districts {
            let places: [(String, String?)] = district.wijken.map { (district.label, $0.id) } + [(district.label, nil)]
            for (label, wijk) in places {
                let here = questions.filter { $0.neighbourhood.district == district.id && $0.neighbourhood.wijk == wijk }
                if here.isEmpty && wijk == nil { continue }
                let outcomes = here.flatMap { outcomesOf[$0.id] ?? [] }
                rows.append([
                    .string(label), .string(wijk.flatMap { id in district.wijken.first { $0.id == id }?.label } ?? "(whole district)"),
                    Self.integer(here.count), Self.integer(here.filter { !(byQuestion[$0.id] ?? []).isEmpty }.count),
                    Self.integer(here.filter { $0.status == .completed }.count), Self.integer(outcomes.count),
                    Self.integer(outcomes.map(students).reduce(0, +)), Self.integer(outcomes.compactMap(\.hours).reduce(0, +)),
                ])
            }
        }
        return report(
            "neighbourhoods", "Neighbourhoods: support where the questions come from",
            "Per wijk (questions that name only a district count under \"(whole district)\"): questions submitted, those with an agreed match, completed, their outcomes, and the outcomes' students and hours.",
            figures: [("questions", Self.integer(questions.count)),
                      ("wijken with questions", Self.integer(rows.filter { $0[1] != "(whole district)" && ($0[2].integerValue ?? 0) > 0 }.count))],
            tables: [Report.Table(title: "Per wijk", columns: ["district", "wijk", "questions", "matched", "completed", "outcomes", "students", "hours"],
                                  rows: rows, chartColumn: 2)])
    }

    func institutions() -> Report {
        let offers = state.offers.values.filter { inPeriod($0.publishedMs) }
        let groups = Dictionary(grouping: offers) { "\($0.institution)\u{1}\($0.programme)\u{1}\($0.level)" }
        var rows: [[JSONValue]] = []
        for key in groups.keys.sorted() {
            let group = groups[key] ?? []
            let ids = Set(group.map(\.id))
            let matches = state.matches.values.filter { ids.contains($0.offer) }
            let outcomes = state.outcomes.values.filter { ids.contains($0.offer) }
            let first = group[0]
            rows.append([
                .string(taxonomy.institution(first.institution)?.label ?? first.institution), .string(first.programme), .string(first.level),
                Self.integer(group.count), Self.integer(group.map(\.capacity).reduce(0, +)),
                Self.integer(matches.filter(\.status.isOpen).count), Self.integer(matches.count),
                Self.integer(outcomes.map(students).reduce(0, +)), Self.integer(outcomes.compactMap(\.hours).reduce(0, +)),
                Self.decimal(Self.mean(outcomes.compactMap(\.ratings.requester))), Self.decimal(Self.mean(outcomes.compactMap(\.ratings.education))),
            ])
        }
        return report(
            "institutions", "Institutions: what education offers and delivers",
            "Per institution, programme and level, over offers published in the period: places (capacity), places in use (agreed and started matches), all matches, and the outcomes' students, hours and mean ratings (1-5).",
            figures: [("offers", Self.integer(offers.count)), ("places", Self.integer(offers.map(\.capacity).reduce(0, +)))],
            tables: [Report.Table(
                title: "Per institution, programme and level",
                columns: ["institution", "programme", "level", "offers", "places", "places in use", "matches", "students", "hours", "rating requester", "rating education"],
                rows: rows, chartColumn: 6)])
    }

    func themes() -> Report {
        let byQuestion = matchesByQuestion
        let outcomesOf = outcomesByQuestion
        let questions = self.questions
        let offers = state.offers.values.filter { inPeriod($0.publishedMs) }
        let rows: [[JSONValue]] = taxonomy.themes.map { theme in
            let here = questions.filter { $0.themes.contains(theme.id) }
            return [
                .string(theme.label), Self.integer(here.count), Self.integer(here.filter { !(byQuestion[$0.id] ?? []).isEmpty }.count),
                Self.integer(here.filter { $0.status == .completed }.count), Self.integer(offers.filter { $0.themes.contains(theme.id) }.count),
                Self.integer(here.flatMap { outcomesOf[$0.id] ?? [] }.count),
            ]
        }
        return report(
            "themes", "Themes: what the city asks about",
            "Per theme of the taxonomy (a question or offer may have several): questions submitted with it, matched, completed, offers published with it, and outcomes of its questions.",
            figures: [("questions", Self.integer(questions.count)), ("offers", Self.integer(offers.count))],
            tables: [Report.Table(title: "Per theme", columns: ["theme", "questions", "matched", "completed", "offers", "outcomes"], rows: rows, chartColumn: 1)])
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
                .string(taxonomy.institution(parts[0])?.label ?? parts[0]), .string(parts[1]), .string(parts[2]), Self.integer(group.count),
                Self.integer(group.map(students).reduce(0, +)), Self.integer(group.compactMap(\.hours).reduce(0, +)),
                .string(top.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")),
            ])
        }
        return report(
            "talent", "Talent: what students did and learned",
            "Over outcomes recorded in the period, by the offer's institution, level and period: outcomes, students (as recorded, else the match's team), hours, and the competences named most.",
            figures: [("students", Self.integer(outcomes.map(students).reduce(0, +))), ("hours", Self.integer(outcomes.compactMap(\.hours).reduce(0, +)))],
            tables: [Report.Table(title: "By institution, level and period", columns: ["institution", "level", "period", "outcomes", "students", "hours", "competences named most"],
                                  rows: rows, chartColumn: 5)])
    }

    func outcomes() -> Report {
        let outcomes = state.outcomes.values.filter { inPeriod($0.recordedMs) }.sorted { EntityID.precedes($0.id, $1.id) }
        var withheldTotal = 0
        let rows: [[JSONValue]] = outcomes.map { outcome in
            let visible = seesAll ? outcome.deliverables : outcome.deliverables.filter { $0.isPublic(on: today) }
            withheldTotal += outcome.deliverables.count - visible.count
            let question = state.questions[outcome.question]
            let offer = state.offers[outcome.offer]
            return [
                .string(outcome.id), .string(CivilDate.date(milliseconds: outcome.recordedMs)), .string(question?.title ?? "?"),
                .string(question.map { placeLabel($0.neighbourhood) } ?? "?"),
                .string(offer.flatMap { taxonomy.institution($0.institution)?.label } ?? "?"), .string(offer?.title ?? "?"),
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
            figures: [("outcomes", Self.integer(outcomes.count)), ("deliverables withheld", Self.integer(withheldTotal))],
            tables: [Report.Table(title: "Catalogue", columns: ["outcome", "recorded", "question", "neighbourhood", "institution", "offer", "deliverables", "students", "hours"],
                                  rows: rows)])
    }

    func followups() -> Report {
        let outcomes = state.outcomes.values.filter { inPeriod(date: $0.followUpDue) }.sorted { EntityID.precedes($0.id, $1.id) }
        func status(_ outcome: Outcome) -> String {
            if outcome.followUp != nil { return "done" }
            if today < outcome.followUpDue { return "pending" }
            return today <= CivilDate.adding(days: policy.followUpGraceDays, to: outcome.followUpDue) ? "due" : "overdue"
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
                             rows: open.map { [.string($0.id), .string($0.followUpDue), .string(status($0)), title($0)] }),
                Report.Table(title: "Finished", columns: ["outcome", "checked", "used", "note", "question"],
                             rows: done.map { outcome in
                                 [.string(outcome.id), .string(CivilDate.date(milliseconds: outcome.followUp?.recordedMs ?? 0)),
                                  .string(outcome.followUp?.used.rawValue ?? "?"), outcome.followUp?.note.map { .string($0) } ?? .null, title(outcome)]
                             }),
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
