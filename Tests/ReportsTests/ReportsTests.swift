import Domain
import Foundation
import LMDSJSON
@testable import Reports
import Site
import Testing

/// The report builder on a state built through the decider, and the renderers.
@Suite struct ReportBuilderTests {
    static let leiden: Taxonomy = { try! Taxonomy(json: try! JSONParser.parse(Taxonomy.embedded["leiden"]!)) }()
    static let day: Int64 = 86_400_000
    static let start: Int64 = 1_790_000_000_000  // 2026-09-21

    /// Two questions a month apart; the first matched 10 days after submission, delivered 30 days later.
    static func state() throws -> DomainState {
        var state = DomainState()
        func run(_ command: Command, at time: Int64) throws {
            for event in try Decider.decide(command, state: state, taxonomy: leiden, nowMs: time).events { state.apply(event) }
        }
        func submit(_ title: String, _ place: String) -> Command {
            .question(.submit(SubmitQuestion(title: title, description: "Beschrijving", requesterKind: "resident", organisation: nil,
                                           contact: ContactDetails(name: nil, email: nil, phone: nil), neighbourhood: place,
                                           themes: ["loneliness"], disciplines: [], levels: [], window: nil, size: nil)))
        }
        try run(submit("Eenzaamheid", "Stevenshof"), at: start)
        try run(.question(.accept(id: "Q-0001", title: nil, description: nil, expectedVersion: nil)), at: start)
        try run(.offer(.publish(PublishOffer(title: "Minor", description: "x", institution: "Hogeschool Leiden", programme: "Social Work", level: "hbo",
                                           kind: "minor", disciplines: [], themes: ["loneliness"],
                                           period: Period(window: DateWindow(from: "2026-09-01", to: "2027-06-30"), label: "2026-2027"),
                                           capacity: 2, teamSize: nil, contact: ContactDetails(name: nil, email: nil, phone: nil)))), at: start)
        try run(.proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)), at: start + 9 * day)
        try run(.proposal(.accept(id: "P-0001", side: .requester, expectedVersion: nil)), at: start + 10 * day)
        try run(.proposal(.accept(id: "P-0001", side: .education, expectedVersion: nil)), at: start + 10 * day)
        try run(.match(.start(id: "M-0001", students: 3, startedOn: "2026-10-05", expectedVersion: nil)), at: start + 14 * day)
        try run(.outcome(.record(match: "M-0001", content: OutcomeContent(
            summary: "Advies", deliverables: [Deliverable(kind: "report", title: "Rapport", uri: nil, visibility: .public, embargoUntil: nil),
                                              Deliverable(kind: "dataset", title: "Data", uri: nil, visibility: .embargo, embargoUntil: "2099-01-01")],
            hours: 300, competences: ["interviewen"]), followUps: [])), at: start + 40 * day)
        try run(submit("Parkeren", "Merenwijk"), at: start + 31 * day)
        return state
    }

    static func builder(period: DateWindow? = nil, seesAll: Bool = true) throws -> ReportBuilder {
        ReportBuilder(state: try state(), taxonomy: leiden, policy: .default, asOfPosition: 12, nowMs: start + 50 * day, period: period, seesAll: seesAll)
    }

    static func figure(_ report: Report?, _ label: String) -> JSONValue? { report?.figures.first { $0.label == label }?.value }

    /// Match rate and the days from submission to match and from match to outcome, as defined.
    @Test func overviewFigures() throws {
        let report = try Self.builder().build("overview")
        #expect(Self.figure(report, "questions") == 2)
        #expect(Self.figure(report, "match rate") == .double(1.0), "Q-0002 awaits intake, so it is not counted")
        #expect(Self.figure(report, "days from submission to first match, median") == .double(10))
        #expect(Self.figure(report, "days from match to outcome, median") == .double(30))
    }

    /// A period counts questions by submission date.
    @Test func periodBoundsTheFigures() throws {
        let october = DateWindow(from: CivilDate.date(milliseconds: Self.start + 25 * Self.day), to: CivilDate.date(milliseconds: Self.start + 35 * Self.day))
        #expect(Self.figure(try Self.builder(period: october).build("overview"), "questions") == 1)
    }

    /// Outcomes hide embargoed deliverables from readers outside the programme.
    @Test func outcomesRespectVisibility() throws {
        let staff = try Self.builder().build("outcomes")
        let viewer = try Self.builder(seesAll: false).build("outcomes")
        #expect(Self.figure(staff, "deliverables withheld") == 0)
        #expect(Self.figure(viewer, "deliverables withheld") == 1)
        let text = ReportFormat.text.render(try #require(viewer))
        #expect(text.contains("Rapport") && !text.contains("Data"))
    }

    /// A report asOf a day after the embargo ends, asked for before it ends, still withholds the
    /// deliverable from a viewer (found by scripts/torture permissions: the report's day lifted it).
    @Test func aFutureAsOfDoesNotLiftAnEmbargo() throws {
        let afterEmbargo = Int64(CivilDate.dayNumber("2099-01-02")) * 86_400_000
        let asked = Self.start + 50 * Self.day
        let viewer = ReportBuilder(state: try Self.state(), taxonomy: Self.leiden, policy: .default, asOfPosition: 12, nowMs: afterEmbargo,
                                   period: nil, seesAll: false, realNowMs: asked)
        #expect(Self.figure(viewer.build("outcomes"), "deliverables withheld") == 1)
        let later = ReportBuilder(state: try Self.state(), taxonomy: Self.leiden, policy: .default, asOfPosition: 12, nowMs: afterEmbargo,
                                  period: nil, seesAll: false, realNowMs: afterEmbargo)
        #expect(Self.figure(later.build("outcomes"), "deliverables withheld") == 0, "once the embargo has really ended, it shows")
    }

    /// Neighbourhoods count per wijk, students from the outcome's match.
    @Test func neighbourhoodRows() throws {
        let report = try #require(try Self.builder().build("neighbourhoods"))
        let stevenshof = report.tables[0].rows.first { $0[0] == "Stevenshof" && ($0[4].integerValue ?? 0) > 0 }
        #expect(stevenshof?[1] == "stevenshof" && stevenshof?[2] == "(whole district)" && stevenshof?[3] == .null)
        #expect(stevenshof?[7] == 1 && stevenshof?[8] == 3 && stevenshof?[9] == 300)
    }

    /// The neighbourhoods report leaves out the wijken without questions, unless asked for every wijk.
    @Test func neighbourhoodsLeaveOutEmptyWijkenUnlessAll() throws {
        let state = try Self.state()
        func rows(all: Bool) -> [[JSONValue]] {
            let builder = ReportBuilder(state: state, taxonomy: Self.leiden, policy: .default, asOfPosition: 12, nowMs: Self.start + 50 * Self.day,
                                        period: nil, seesAll: true, presentation: ReportBuilder.Presentation(includesEmptyRows: all))
            return builder.build("neighbourhoods")?.tables[0].rows ?? []
        }
        // Both questions name only their district: one "(whole district)" row each, and no wijk rows.
        #expect(rows(all: false).map { $0[0] } == ["Merenwijk", "Stevenshof"])
        #expect(rows(all: true).count == Self.leiden.wijkCount + 2)
    }

    /// Text, Markdown and HTML show the city's labels; JSON and CSV carry the ids beside them.
    @Test func peopleReadLabelsScriptsReadIds() throws {
        let builder = try Self.builder()
        for name in ["neighbourhoods", "institutions", "themes", "talent", "outcomes"] {
            let report = try #require(builder.build(name))
            for format in [ReportFormat.text, .markdown, .html] {
                let content = format.render(report)
                // No id column (in HTML, no heading that ends in " id"; the charts' title elements have id attributes).
                let idColumn = format == .html ? " id</th>" : " id"
                #expect(!content.contains("hogeschool-leiden") && !content.contains("loneliness") && !content.contains(idColumn), "\(name) \(format)")
            }
            #expect(ReportFormat.csv.render(report).contains(" id,") || ReportFormat.csv.render(report).contains(" id\r\n"), "\(name)")
        }
        let themes = try #require(builder.build("themes"))
        #expect(ReportFormat.text.render(themes).contains("Eenzaamheid"))
        #expect(ReportFormat.csv.render(themes).contains("Eenzaamheid,loneliness,2,"))
        let json = try JSONParser.parse(ReportFormat.json.render(try #require(builder.build("institutions"))))
        let row = json["tables"]?.arrayValue?.first?["rows"]?.arrayValue?.first?.arrayValue
        #expect(row?[0] == "Hogeschool Leiden" && row?[1] == "hogeschool-leiden" && row?[4] == "hbo")
    }

    /// The report's time reads in the programme's time zone, to the minute, in text, Markdown and HTML;
    /// JSON keeps UTC.
    @Test func peopleReadTheTimeInTheProgrammesZone() throws {
        let amsterdam = try #require(TimeZone(identifier: "Europe/Amsterdam"))
        let builder = ReportBuilder(state: try Self.state(), taxonomy: Self.leiden, policy: .default, asOfPosition: 12, nowMs: Self.start + 50 * Self.day,
                                    period: nil, seesAll: true, presentation: ReportBuilder.Presentation(timeZone: amsterdam))
        let report = try #require(builder.build("overview"))
        // 2026-11-10T14:13:20Z is 15:13 in Amsterdam (winter time).
        for format in [ReportFormat.text, .markdown, .html] {
            #expect(format.render(report).contains("as of log position 12 (2026-11-10 15:13 Europe/Amsterdam)"), "\(format)")
        }
        #expect(report.json["asOf"]?["time"] == "2026-11-10T14:13:20.000Z")
        #expect(LocalTime.minute(Int64(CivilDate.dayNumber("2026-07-01")) * Self.day + 11 * 3_600_000 + 60_000, in: amsterdam) == "2026-07-01 13:01")
        #expect(LocalTime.minute(Int64(CivilDate.dayNumber("2026-12-07")) * Self.day + 12 * 3_600_000 + 60_999, in: amsterdam) == "2026-12-07 13:01")
    }
}

@Suite struct ReportRendererTests {
    static let report = Report(
        name: "demo", title: "Demo", description: "Een test, met \"aanhalingstekens\"", figures: [(label: "aantal", value: 3)],
        tables: [Report.Table(title: "Tabel", columns: ["naam", "aantal"], rows: [["Bos- en Gasthuisdistrict, ë", 2], ["<script>", 1]], chartColumn: 1)],
        asOfPosition: 5, asOfTime: "2026-11-29T12:00:00.000Z", period: nil)

    /// CSV quotes fields with commas and quotes (RFC 4180) and keeps UTF-8 as is.
    @Test func csvQuotes() {
        let csv = ReportFormat.csv.render(Self.report)
        #expect(csv.contains("\"Bos- en Gasthuisdistrict, ë\",2\r\n"))
    }

    /// HTML escapes text, draws a chart inline, and loads nothing from elsewhere.
    @Test func htmlIsSelfContainedAndEscaped() {
        let html = ReportFormat.html.render(Self.report)
        #expect(html.contains("&lt;script&gt;") && !html.contains("<script>"))
        #expect(html.contains("<svg") && html.contains("<style>"))
        #expect(!html.contains("http://") || html.contains("xmlns=\"http://www.w3.org/2000/svg\""))
    }

    /// Every format states the receipt: the log, the position and the head hash there.
    @Test func everyFormatCarriesTheReceipt() throws {
        let receipt = ReportReceipt(logID: String(repeating: "ab", count: 16), position: 5, headHash: String(repeating: "c", count: 64))
        let report = Self.report.withReceipt(receipt)
        let line = "receipt: log \(String(repeating: "ab", count: 16)), position 5, head hash \(String(repeating: "c", count: 64))"
        #expect(ReportFormat.text.render(report).hasSuffix("\n" + line + "\n"))
        #expect(ReportFormat.csv.render(report).hasSuffix("\r\n\r\n# " + line + "\r\n"))
        #expect(ReportFormat.markdown.render(report).contains("position 5, head hash `\(receipt.headHash)`"))
        #expect(ReportFormat.html.render(report).contains("<footer class=\"receipt\">receipt: log <code>\(receipt.logID ?? "")</code>, position 5"))
        let json = try JSONParser.parse(ReportFormat.json.render(report))
        #expect(json["receipt"] == ["logId": .string(receipt.logID ?? ""), "position": 5, "headHash": .string(receipt.headHash)])
        #expect(!ReportFormat.text.render(Self.report).contains("receipt"), "a report built without a log states none")
    }

    /// HTML links deliverable URIs, marks Dutch data `lang="nl"` on an English page, and draws every chart
    /// label in full (wrapped when long), in a label area wide enough for it.
    @Test func htmlLinksLanguagesAndFullLabels() throws {
        let long = "Bos- en Gasthuisdistrict / Burgemeesterswijk en omgeving / Professorenwijk-Oost"
        let report = Report(
            name: "demo", title: "Demo", description: "d", figures: [],
            tables: [Report.Table(title: "Tabel", columns: ["wijk", "wijk id", "aantal", "stukken"],
                                  rows: [[.string(long), "bos", 2, "report: Rapport <https://example.nl/a?b=1&c=2>"], ["Stevenshof", "stevenshof", 1, .null]],
                                  chartColumn: 2, idColumns: [1], dutchColumns: [0, 3])],
            asOfPosition: 5, asOfTime: "2026-11-29T12:00:00.000Z", period: nil)
        let html = ReportFormat.html.render(report)
        #expect(html.contains("<html lang=\"en\">") && html.contains("<td lang=\"nl\">Stevenshof</td>"))
        #expect(html.contains("&lt;<a href=\"https://example.nl/a?b=1&amp;c=2\">https://example.nl/a?b=1&amp;c=2</a>&gt;"))
        #expect(!html.contains("…") && !html.contains(">bos<"), "no label is cut short; ids are not shown")
        let lines = ReportPage.wrap(long)
        #expect(lines.joined(separator: " ") == long && lines.allSatisfy { $0.count <= ReportPage.chartLabelLineCharactersMax })
        for line in lines { #expect(html.contains(">\(line)</tspan>")) }
        let widest = lines.map(ReportPage.labelWidthPixels).max() ?? 0
        #expect(widest >= lines.map { $0.count * 6 }.max() ?? 0, "at least 6 px a character at 11 px")
    }

    /// HTML is the site's templates at work: report.mustache with the shared page head, chart and table
    /// partials, the site's style sheet inline; English, one h1, the figures and every table as tables, the
    /// chart with a title and a description.
    @Test func htmlIsRenderedWithTheSitesTemplates() throws {
        let html = ReportFormat.html.render(Self.report)
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.components(separatedBy: "<h1").count == 2)
        #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Demo</title>"), "the shared head")
        let styleSheet = try #require(SiteTemplates.embeddedFiles["style.css"])
        #expect(html.contains("<style>\n" + styleSheet), "the site's style sheet, inline")
        #expect(html.components(separatedBy: "<table>").count == 3, "the figures and the one table")
        #expect(html.contains("<caption>Figures</caption>") && html.contains("<tr><th scope=\"row\">aantal</th><td class=\"number\">3</td></tr>"))
        #expect(html.contains("<tr><td>Bos- en Gasthuisdistrict, ë</td><td class=\"number\">2</td></tr>"), "UTF-8 as is, numbers right-aligned")
        #expect(html.contains("<title id=\"chart-1-titel\">Tabel: aantal</title>") && html.contains("<desc id=\"chart-1-uitleg\">"))
    }

    /// The templates come in as a value (Reports reads no files): a changed report.mustache changes the page,
    /// and a set without it is refused, naming the file.
    @Test func htmlTemplatesAreAValue() throws {
        var files = SiteTemplates.embeddedFiles
        files["report.mustache"] = files["report.mustache"]?.replacingOccurrences(of: "<main class=\"report\">", with: "<main class=\"report eigen\">")
        let custom = try ReportTemplates(files: files)
        #expect(ReportFormat.html.render(Self.report, templates: custom).contains("<main class=\"report eigen\">"))
        files["report.mustache"] = nil
        #expect(throws: SiteError("the templates lack report.mustache")) { _ = try ReportTemplates(files: files) }
    }

    /// JSON keeps numbers as numbers.
    @Test func jsonKeepsTypes() throws {
        let json = try JSONParser.parse(ReportFormat.json.render(Self.report))
        #expect(json["tables"]?.arrayValue?.first?["rows"]?.arrayValue?.first?.arrayValue?.last == 2)
    }
}

/// The overview kept current event by event equals the overview walked from the state, after every event
/// of a pipeline with cancellations, withdrawals, expiries and follow-up questions.
@Suite struct OverviewProjectionTests {
    @Test func incrementalEqualsWalked() throws {
        let leiden = ReportBuilderTests.leiden
        var state = DomainState()
        var projection = OverviewProjection()
        var time = ReportBuilderTests.start
        func check() {
            let builder = ReportBuilder(state: state, taxonomy: leiden, policy: .default, asOfPosition: 0, nowMs: time, period: nil, seesAll: true)
            #expect(builder.overview(from: projection) == builder.build("overview"))
            let rebuilt = OverviewProjection(state: state)
            #expect(projection.questionStatuses == rebuilt.questionStatuses && projection.matchedQuestionStatuses == rebuilt.matchedQuestionStatuses)
            #expect(projection.offerStatuses == rebuilt.offerStatuses && projection.proposalStatuses == rebuilt.proposalStatuses)
            #expect(projection.matchStatuses == rebuilt.matchStatuses && projection.outcomeCount == rebuilt.outcomeCount)
            #expect(projection.daysToMatch.sorted() == rebuilt.daysToMatch.sorted() && projection.daysToOutcome.sorted() == rebuilt.daysToOutcome.sorted())
        }
        func run(_ command: Command) throws {
            time += 3_600_000
            for event in try Decider.decide(command, state: state, taxonomy: leiden, nowMs: time).events {
                let before = projection.willApply(event, to: state)
                state.apply(event)
                projection.didApply(event, to: state, prior: before)
            }
            check()
        }
        for (number, place) in ["Stevenshof", "Merenwijk", "De Kooi", "Roomburg"].enumerated() {
            try run(.question(.submit(SubmitQuestion(title: "Vraag \(number)", description: "x", requesterKind: "resident", organisation: nil,
                                                   contact: ContactDetails(name: nil, email: nil, phone: nil), neighbourhood: place, themes: [],
                                                   disciplines: [], levels: [], window: nil, size: nil))))
            try run(.question(.accept(id: EntityID.make("Q", number + 1), title: nil, description: nil, expectedVersion: nil)))
        }
        try run(.offer(.publish(PublishOffer(title: "Minor", description: "x", institution: "Hogeschool Leiden", programme: "Social Work", level: "hbo",
                                           kind: "minor", disciplines: [], themes: [], period: Period(window: DateWindow(from: "2027-02-01", to: "2027-06-30"), label: nil),
                                           capacity: 2, teamSize: nil, contact: ContactDetails(name: nil, email: nil, phone: nil)))))
        for question in ["Q-0001", "Q-0002", "Q-0003"] { try run(.proposal(.create(question: question, offer: "O-0001", note: nil))) }
        for proposal in ["P-0001", "P-0002"] {
            try run(.proposal(.accept(id: proposal, side: .requester, expectedVersion: nil)))
            try run(.proposal(.accept(id: proposal, side: .education, expectedVersion: nil)))
        }
        try run(.match(.start(id: "M-0001", students: 3, startedOn: "2027-02-08", expectedVersion: nil)))
        try run(.match(.cancel(id: "M-0002", reason: "gestopt", expectedVersion: nil)))
        try run(.outcome(.record(match: "M-0001", content: OutcomeContent(summary: "Advies"), followUps: [QuestionDraft(title: "Vervolg", description: "y")])))
        try run(.question(.withdraw(id: "Q-0004", reason: "opgelost", expectedVersion: nil)))
        time += 30 * 86_400_000
        try run(.proposal(.expireDue))
        try run(.offer(.withdraw(id: "O-0001", reason: "vervalt", expectedVersion: nil)))
    }
}
