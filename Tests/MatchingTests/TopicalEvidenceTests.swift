import Domain
import LMDSJSON
@testable import Matching
import Testing

/// No topic, no match: level, period and places alone never make a pair worth suggesting or planning.
@Suite struct TopicalEvidenceTests {
    /// A small set: a question about bicycle parking at the station (hbo), a health course at the asked
    /// level that shares nothing with it, and a traffic project at another level.
    static func bicycleParking(withTrafficOffer: Bool) throws -> LabelledSet {
        let health = """
            {"title": "Wetenschappelijke stage Geneeskunde: kwetsbare ouderen", "description": "Studenten geneeskunde onderzoeken \
            medicatiegebruik bij kwetsbare ouderen thuis.", "institution": "hogeschool-leiden", "programme": "Verpleegkunde", "level": "hbo", \
            "kind": "internship", "disciplines": ["nursing-care"], "themes": ["health", "elderly"], \
            "period": {"from": "2027-02-01", "to": "2027-06-30", "label": "2026-2027 S2"}, "capacity": 2}
            """
        let traffic = """
            {"title": "MSc-project Transport: fietsparkeren en verkeersveiligheid", "description": "Een onderzoek naar fietsparkeren \
            rond stations en verkeersveiligheid.", "institution": "tu-delft", "programme": "Transport & Planning", "level": "wo-master", \
            "kind": "research", "disciplines": ["urban-planning"], "themes": ["mobility"], \
            "period": {"from": "2027-02-01", "to": "2027-06-30", "label": "2026-2027 S2"}, "capacity": 2}
            """
        let question = """
            {"title": "Fietsparkeren rond station", "description": "Bij het station staan overal fietsen op de stoep; hoe krijgen we \
            dat opgelost?", "requester": {"kind": "resident"}, "neighbourhood": "Stationskwartier", "themes": [], "disciplines": [], \
            "levels": ["hbo"], "window": {"from": "2027-02-01", "to": "2027-06-30"}}
            """
        let offers = try (withTrafficOffer ? [health, traffic] : [health]).map { try JSONParser.parse($0) }
        return try LabelledSet(questions: [try JSONParser.parse(question)], offers: offers, expected: ["questions": [:]],
                               taxonomy: MatchingFixtures.leiden)
    }

    /// The health course matches level, period and places better, but shares no topic: it is ranked after
    /// the traffic project, is marked as not topical, and its reason says there is no good match.
    @Test func aPairWithoutTopicRanksAfterEveryPairWithOne() throws {
        let set = try Self.bicycleParking(withTrafficOffer: true)
        let index = MatchingIndex(analyzer: TextAnalyzer(taxonomy: MatchingFixtures.leiden), state: set.state)
        // Level fit weighs most here, so that by score alone the health course comes first.
        var weights = MatchingWeights()
        weights.level = 1
        let ranked = try Matcher(taxonomy: MatchingFixtures.leiden, weights: weights).suggestOffers(
            for: "Q-0001", state: set.state, index: index, limit: 5, explain: false).suggestions
        #expect(ranked.map(\.id) == ["O-0002", "O-0001"])
        #expect(ranked.map(\.topical) == [true, false])
        #expect(ranked[1].score > ranked[0].score, "by score alone the health course would come first")
        #expect(ranked[1].reasons.contains { $0.detail.contains("no good match") })
    }

    /// A plan never pairs a question with an offer it shares no topic with, however well level, period
    /// and places fit (before, the health course scored about 0.43, above the default minimum of 0.3).
    @Test func aPairWithoutTopicIsNeverPlanned() throws {
        let set = try Self.bicycleParking(withTrafficOffer: false)
        let index = MatchingIndex(analyzer: TextAnalyzer(taxonomy: MatchingFixtures.leiden), state: set.state)
        let matcher = Matcher(taxonomy: MatchingFixtures.leiden)
        let plan = Planner.plan(period: .label("2026-2027 S2"), minScore: 0.3, state: set.state, index: index, matcher: matcher)
        #expect(plan.pairs.isEmpty)
        #expect(plan.unassigned == ["Q-0001"])
        let only = try matcher.suggestOffers(for: "Q-0001", state: set.state, index: index, limit: 5, explain: false).suggestions
        #expect(only.first?.topical == false && (only.first?.score ?? 0) > 0.3, "the pair still scores above 0.3 on the other factors")
    }
}
