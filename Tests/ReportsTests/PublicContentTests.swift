import Domain
import LMDSJSON
@testable import Reports
import Testing

/// What the public site may see, from a state built through the decider.
@Suite struct PublicContentTests {
    static let leiden = ReportBuilderTests.leiden
    static let day: Int64 = 86_400_000
    static let start: Int64 = 1_790_000_000_000  // 2026-09-21

    /// Three questions with named requesters (one public and delivered, one public and open, one never
    /// published); the outcome holds a public, an internal and an embargoed deliverable, ratings and a note.
    static func state(ratedOutcomes: Int = 1) throws -> DomainState {
        var state = DomainState()
        func run(_ command: Command, at time: Int64 = start) throws {
            for event in try Decider.decide(command, state: state, taxonomy: leiden, nowMs: time).events { state.apply(event) }
        }
        func submit(_ title: String, _ place: String) -> Command {
            .question(.submit(SubmitQuestion(title: title, description: "Beschrijving van \(title)", requesterKind: "organisation",
                                           organisation: "Stichting Geheim", contact: ContactDetails(name: "Anouk de Vries", email: "anouk@example.nl", phone: "0612345678"),
                                           neighbourhood: place, themes: ["loneliness"], disciplines: [], levels: ["hbo"], window: nil, size: nil)))
        }
        for (title, place) in [("Eenzaamheid in de Stevenshof", "Stevenshof"), ("Groen in de Merenwijk", "Merenwijk"), ("Verborgen vraag", "Noorderkwartier")] {
            try run(submit(title, place))
        }
        for id in ["Q-0001", "Q-0002", "Q-0003"] { try run(.question(.accept(id: id, title: nil, description: nil, expectedVersion: nil))) }
        try run(.publication(.publish(question: "Q-0001", isPublic: true)))
        try run(.publication(.publish(question: "Q-0002", isPublic: true)))
        try run(.offer(.publish(PublishOffer(title: "Minor Sociale Wijkzorg", description: "x", institution: "Hogeschool Leiden", programme: "Social Work",
                                           level: "hbo", kind: "minor", disciplines: [], themes: ["loneliness"],
                                           period: Period(window: DateWindow(from: "2026-09-01", to: "2027-06-30"), label: "2026-2027"),
                                           capacity: 20, teamSize: nil, contact: ContactDetails(name: "Docent Jansen", email: "jansen@example.nl", phone: nil)))))
        for (index, question) in ["Q-0001", "Q-0003"].enumerated() {
            let proposal = "P-000\(index + 1)", match = "M-000\(index + 1)"
            try run(.proposal(.create(question: question, offer: "O-0001", note: "Notitie over de vraagsteller")))
            try run(.proposal(.accept(id: proposal, side: .requester, expectedVersion: nil)))
            try run(.proposal(.accept(id: proposal, side: .education, expectedVersion: nil)))
            try run(.match(.start(id: match, students: 4, startedOn: "2026-10-05", expectedVersion: nil)))
            try run(.outcome(.record(match: match, content: OutcomeContent(
                summary: "Advies over \(question)", deliverables: [
                    Deliverable(kind: "report", title: "Openbaar rapport \(question)", uri: "https://example.nl/r.pdf", visibility: .public, embargoUntil: nil),
                    Deliverable(kind: "dataset", title: "Interne interviews \(question)", uri: nil, visibility: .internal, embargoUntil: nil),
                    Deliverable(kind: "advice", title: "Advies onder embargo \(question)", uri: nil, visibility: .embargo, embargoUntil: "2027-03-01"),
                ], hours: 300, competences: ["interviewen"], ratings: index < ratedOutcomes ? Ratings(requester: 2, education: 4) : nil), followUps: [])),
                at: start + 40 * day)
        }
        return state
    }

    static func content(_ state: DomainState, day: String = "2027-01-15") -> JSONValue {
        PublicContent(state: state, taxonomy: leiden, asOfPosition: 42, asOfMs: start + 50 * Self.day, publicDay: day).json
    }

    /// Only published questions and their projects appear; no requester, organisation, contact, note,
    /// internal deliverable or single project's rating is anywhere in the document.
    @Test func onlyWhatThePublicMaySee() throws {
        let content = Self.content(try Self.state())
        let text = JSONWriter.canonicalString(content)
        #expect(content["projects"]?.arrayValue?.map { $0["id"] } == ["M-0001"])
        #expect(content["openQuestions"]?.arrayValue?.map { $0["id"] } == ["Q-0002"])
        for secret in ["Verborgen vraag", "Q-0003", "Stichting Geheim", "Anouk", "anouk@example.nl", "0612345678", "Jansen", "C-0001", "Notitie",
                       "Interne interviews", "Advies onder embargo", "requester", "ratings"] {
            #expect(!text.contains(secret), "\(secret) is public")
        }
        #expect(text.contains("Openbaar rapport Q-0001") && text.contains("Eenzaamheid in de Stevenshof") && text.contains("Stevenshof"))
        // Figures count everything (Q-0003's project too): counts tell no single project apart.
        #expect(content["figures"]?["projects"] == 2 && content["figures"]?["hours"] == 600 && content["figures"]?["students"] == 8)
    }

    /// An embargoed deliverable appears exactly from its first public day, not a day before.
    @Test func anEmbargoEndsOnItsDay() throws {
        let state = try Self.state()
        #expect(!JSONWriter.canonicalString(Self.content(state, day: "2027-02-28")).contains("Advies onder embargo Q-0001"))
        let onTheDay = Self.content(state, day: "2027-03-01")
        let deliverables = onTheDay["projects"]?.arrayValue?.first?["outcome"]?["deliverables"]?.arrayValue ?? []
        #expect(deliverables.map { $0["title"] } == ["Openbaar rapport Q-0001", "Advies onder embargo Q-0001"])
        #expect(deliverables.last?["publicFrom"] == "2027-03-01")
        #expect(!JSONWriter.canonicalString(onTheDay).contains("Advies onder embargo Q-0003"), "an unpublished project stays out after the embargo")
    }

    /// Ratings appear only as a mean over at least five rated outcomes.
    @Test func ratingsOnlyAsAnAggregateOfFive() throws {
        #expect(Self.content(try Self.state(ratedOutcomes: 2))["figures"]?["rating"] == .null)
        var state = try Self.state(ratedOutcomes: 2)
        // Three more rated outcomes make five.
        for (index, outcome) in ["R-0003", "R-0004", "R-0005"].enumerated() {
            var copy = state.outcomes["R-0001"]!
            copy = Outcome(id: outcome, match: "M-000\(index + 3)", question: "Q-0001", offer: "O-0001", summary: copy.summary, deliverables: [],
                           students: nil, hours: nil, competences: [], ratings: Ratings(requester: 5, education: 5), impact: nil, followUps: [],
                           recordedMs: copy.recordedMs, followUpDue: copy.followUpDue, followUp: nil, version: 1)
            state.apply(.collaboration(.outcomeRecorded(copy)))
        }
        let rating = Self.content(state)["figures"]?["rating"]
        #expect(rating?["outcomes"] == 5 && rating?["mean"] == .double(4.2))
    }

    /// Taking the mark back removes the question and its project at once.
    @Test func anUnpublishedQuestionDisappears() throws {
        var state = try Self.state()
        for event in try Decider.decide(.publication(.publish(question: "Q-0001", isPublic: false)), state: state, taxonomy: Self.leiden, nowMs: Self.start).events {
            state.apply(event)
        }
        let text = JSONWriter.canonicalString(Self.content(state))
        #expect(!text.contains("Eenzaamheid in de Stevenshof") && !text.contains("M-0001"))
    }
}
