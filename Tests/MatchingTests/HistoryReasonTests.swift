import Domain
import LMDSJSON
import Matching
import Testing

/// The history factor's reason counts earlier outcomes, not the ratings of their two sides.
@Suite struct HistoryReasonTests {
    /// One outcome rated by both sides reads "(1 outcome, 2 ratings)", not "(2 ratings)" as if two outcomes.
    @Test func oneOutcomeRatedByBothSidesIsOneOutcome() throws {
        let taxonomy = MatchingFixtures.leiden
        let nowMs: Int64 = 1_796_000_000_000
        func question(_ title: String) -> Command {
            .question(.submit(SubmitQuestion(
                title: title, description: "Ouderen voelen zich alleen; wat helpt?", requesterKind: "group", organisation: "Buurt",
                contact: ContactDetails(name: nil, email: nil, phone: nil), neighbourhood: "Stevenshof", themes: ["loneliness"],
                disciplines: ["sociology"], levels: ["hbo"], window: DateWindow(from: "2027-02-01", to: "2027-06-30"), size: nil)))
        }
        let commands: [Command] = [
            question("Eenzaamheid in de Stevenshof"), question("Eenzaamheid onder ouderen"),
            .question(.accept(id: "Q-0001", title: nil, description: nil, expectedVersion: nil)),
            .question(.accept(id: "Q-0002", title: nil, description: nil, expectedVersion: nil)),
            .offer(.publish(PublishOffer(
                title: "Minor Sociale Innovatie", description: "Werken aan eenzaamheid in Leidse wijken.", institution: "hogeschool-leiden",
                programme: "Social Work", level: "hbo", kind: "minor", disciplines: ["sociology"], themes: ["loneliness"],
                period: Period(window: DateWindow(from: "2027-02-01", to: "2027-06-30"), label: "2026-2027 S2"), capacity: 2, teamSize: nil,
                contact: ContactDetails(name: nil, email: nil, phone: nil)))),
            .proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)),
            .proposal(.accept(id: "P-0001", side: .requester, expectedVersion: nil)),
            .proposal(.accept(id: "P-0001", side: .education, expectedVersion: nil)),
            .match(.start(id: "M-0001", students: 4, startedOn: "2027-02-08", expectedVersion: nil)),
            .outcome(.record(match: "M-0001", content: OutcomeContent(summary: "Een buurtkamer.", ratings: Ratings(requester: 5, education: 4)), followUps: [])),
        ]
        var state = DomainState()
        for command in commands {
            for event in try Decider.decide(command, state: state, taxonomy: taxonomy, nowMs: nowMs).events { state.apply(event) }
        }
        let index = MatchingIndex(analyzer: TextAnalyzer(taxonomy: taxonomy), state: state)
        let found = try Matcher(taxonomy: taxonomy).suggestOffers(for: "Q-0002", state: state, index: index, limit: 5, explain: true)
        let details = found.suggestions.first { $0.id == "O-0001" }?.reasons.map(\.detail) ?? []
        // The history reason also names the earlier choice of this offer for a similar question.
        #expect(details.contains { $0.hasSuffix("; earlier outcomes rated 4.5 of 5 (1 outcome, 2 ratings)") }, "\(details)")
    }
}
