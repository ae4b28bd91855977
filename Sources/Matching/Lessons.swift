import Domain
import Foundation

/// What the coordinators' earlier decisions teach about one question–offer pair (README section 17.6):
/// how the offer's run decided on similar questions, how its run's outcomes were rated, and how often its
/// institution was chosen for the questions of the question's district. The `history` factor's value.
public struct Lesson: Sendable, Hashable {
    /// The run's decisions on questions similar to this one.
    public var similar: Precedents.Record?
    /// The ratings of the run's outcomes.
    public var ratings: RatingSummary?
    /// The institution's record in the question's district.
    public var district: Precedents.DistrictRecord?

    /// The mean of an offer run's outcome ratings (1..5), `count` ratings from `outcomes` outcomes.
    public struct RatingSummary: Sendable, Hashable {
        public var mean: Double
        public var count: Int
        public var outcomes: Int
    }

    /// 0.5 moved by each part's distance from 0.5, weighted (`MatchingWeights.historySimilar`,
    /// `historyRatings`, `historyDistrict`), within 0..1. Ratings map to 0..1 as `(mean − 1) / 4`.
    func value(_ weights: MatchingWeights) -> Double {
        var value = 0.5
        if let similar { value += weights.historySimilar * (similar.value - 0.5) }
        if let ratings { value += weights.historyRatings * ((ratings.mean - 1) / 4 - 0.5) }
        if let district { value += weights.historyDistrict * (district.value - 0.5) }
        return min(1, max(0, value))
    }
}

/// The lessons for one question's candidate offers, by run and institution number (no string hashing
/// per candidate); empty, and never consulted, while the log holds no decision.
struct Lessons {
    var runs: [Int: (similar: Precedents.Record?, ratings: Lesson.RatingSummary?)] = [:]
    var districts: [Int: Precedents.DistrictRecord] = [:]

    /// The lesson for one candidate, or nil when nothing was decided that bears on it.
    func lesson(_ slot: MatchingIndex.OfferSlot) -> Lesson? {
        guard !runs.isEmpty || !districts.isEmpty else { return nil }
        let run = runs[slot.run]
        let district = districts[slot.institution]
        guard run?.similar != nil || run?.ratings != nil || district != nil else { return nil }
        return Lesson(similar: run?.similar, ratings: run?.ratings, district: district)
    }
}

extension Precedents.Decided {
    /// The ratings as a lesson's part.
    var ratingSummary: Lesson.RatingSummary? { ratings.map { Lesson.RatingSummary(mean: $0.mean, count: $0.count, outcomes: $0.outcomes) } }
}

extension Matcher {
    /// What the decisions in `index` teach about the offers for `question`: each decided run's record on
    /// similar questions and its ratings, each institution's record in the question's district.
    func lessons(question: Question, index: MatchingIndex) -> Lessons {
        let precedents = index.precedents
        var lessons = Lessons()
        guard !precedents.isEmpty else { return lessons }
        let terms = index.analyses[question.id]?.terms ?? [:]
        for run in precedents.decidedOffersByRun.keys {
            guard let number = index.runNumbers[run], let decided = precedents.decided(run: run, index: index) else { continue }
            lessons.runs[number] = (Precedents.record(question: question.id, terms: terms, decided: decided), decided.ratingSummary)
        }
        for (number, institution) in taxonomy.institutions.enumerated() {
            lessons.districts[number] = precedents.districtRecord(institution: institution.id, district: question.neighbourhood.district)
        }
        return lessons
    }

    /// What the decisions in `index` teach about `offer` for each candidate question: its run's record on
    /// similar questions and ratings (the run's decisions gathered once), its institution's record in the
    /// question's district (once per district).
    func offerLessons(_ offer: Offer, index: MatchingIndex) -> (MatchingIndex.QuestionSlot) -> Lesson? {
        let precedents = index.precedents
        guard !precedents.isEmpty else { return { _ in nil } }
        let decided = precedents.decided(run: Precedents.run(of: offer), index: index)
        var districts: [Int: Precedents.DistrictRecord] = [:]
        for (number, district) in taxonomy.districts.enumerated() {
            districts[number] = precedents.districtRecord(institution: offer.institution, district: district.id)
        }
        return { slot in
            let similar = decided.flatMap { Precedents.record(question: slot.id, terms: index.analyses[slot.id]?.terms ?? [:], decided: $0) }
            let lesson = Lesson(similar: similar, ratings: decided?.ratingSummary, district: districts[slot.district])
            return lesson.similar == nil && lesson.ratings == nil && lesson.district == nil ? nil : lesson
        }
    }

    /// The history reason's detail: "chosen for 3 similar questions before, declined for 1; earlier
    /// outcomes rated 4.5 of 5 (2 outcomes, 4 ratings); Hogeschool Leiden was chosen for 4 of the 6
    /// questions from Stevenshof before", each part when it applies.
    func historyDetail(question: Question, offer: Offer, lesson: Lesson?, ownRatings: (mean: Double, count: Int, outcomes: Int)?) -> String {
        var parts: [String] = []
        if let similar = lesson?.similar {
            var text = "chosen for \(similar.chosen) similar question\(similar.chosen == 1 ? "" : "s") before"
            if similar.declined > 0 { text += ", declined for \(similar.declined)" }
            let others = similar.offers.filter { $0 != offer.id }
            // Decisions on other offers of the same run: the course given in an earlier semester.
            if !others.isEmpty {
                text += similar.offers.count == 1 ? " (as \(others[0]), an earlier run of this course)" : " (as \(similar.offers.joined(separator: ", ")): runs of this course)"
            }
            parts.append(text)
        }
        let ratings = lesson?.ratings ?? ownRatings.map { Lesson.RatingSummary(mean: $0.mean, count: $0.count, outcomes: $0.outcomes) }
        if let ratings {
            let outcomes = ratings.outcomes == 1 ? "1 outcome" : "\(ratings.outcomes) outcomes"
            let counted = ratings.count == 1 ? "1 rating" : "\(ratings.count) ratings"
            parts.append(String(format: "earlier outcomes rated %.1f of 5", ratings.mean) + " (\(outcomes), \(counted))")
        }
        if let district = lesson?.district {
            let institution = taxonomy.institutions.first { $0.id == offer.institution }?.label ?? offer.institution
            let place = taxonomy.districts.first { $0.id == question.neighbourhood.district }?.label ?? question.neighbourhood.district
            parts.append("\(institution) was chosen for \(district.chosen) of the \(district.ofDistrict) question\(district.ofDistrict == 1 ? "" : "s") from \(place) before")
        }
        return parts.isEmpty ? "no rated outcomes of this offer yet" : parts.joined(separator: "; ")
    }
}
