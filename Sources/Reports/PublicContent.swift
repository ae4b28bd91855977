import Domain
import LMDSJSON

/// What the public may see of the programme, as one JSON document: the one place the privacy rule of the
/// showcase site lives (`site.content`, `lmdsd site`, and through them `lmds site` and `projects.json`).
/// Pure: the state, the taxonomy and the day come in; no clock, no log, no personal table.
///
/// The rule, point by point:
/// - A question appears only when a coordinator marked it public (`question.publish`) and it is open,
///   matched or completed; a project (a match that was not cancelled) only when its question does.
/// - Of a question: its title and description as accepted, its place, themes, levels and window. Never the
///   requester (not even the organisation: residents' groups are often a person's name), its contact,
///   closing reasons or notes.
/// - Of an outcome: summary, impact, students, hours, competences, and the deliverables public on
///   `publicDay` (`Deliverable.isPublic(on:)`: public ones, embargoed ones from their first public day;
///   internal ones never). Never ratings of one project, follow-up notes or match notes.
/// - Figures over everything are counts and sums; the mean rating only over at least
///   `aggregateCountMin` rated outcomes.
/// The document's layout is `Protocol/schemas/site.content.result.schema.json`.
public struct PublicContent: Sendable {
    public let state: DomainState
    public let taxonomy: Taxonomy
    /// The log position and time (UTC milliseconds) the state reflects.
    public let asOfPosition: UInt64
    public let asOfMs: Int64
    /// The day embargoes are judged on (ISO date); the caller never passes a day after the real today.
    public let publicDay: String

    /// The fewest outcomes an aggregate of ratings is shown for (one project's ratings are never public).
    public static let aggregateCountMin = 5
    /// The layout's version: bump it with any change to the document's members.
    public static let schemaVersion: Int64 = 1

    public init(state: DomainState, taxonomy: Taxonomy, asOfPosition: UInt64, asOfMs: Int64, publicDay: String) {
        precondition(DateWindow.isDate(publicDay), "the public day is an ISO date")
        self.state = state
        self.taxonomy = taxonomy
        self.asOfPosition = asOfPosition
        self.asOfMs = asOfMs
        self.publicDay = publicDay
    }

    /// Whether the public may see this question at all.
    public func isPublic(_ question: Question) -> Bool {
        state.publication.isPublic(question.id) && PublicationVerb.publish.isAllowed(in: question.status)
    }

    /// The projects the public may see: matches not cancelled whose question is public, in id order.
    var publicMatches: [Match] {
        state.matches.values.filter { match in
            match.status != .cancelled && state.questions[match.question].map(isPublic) == true
        }.sorted { EntityID.precedes($0.id, $1.id) }
    }

    /// The whole document.
    public var json: JSONValue {
        let projects = publicMatches.compactMap(project)
        let open = state.questions.values.filter { $0.status == .open && isPublic($0) }
            .sorted { EntityID.precedes($0.id, $1.id) }.map(openQuestion)
        return [
            "schemaVersion": .integer(Self.schemaVersion),
            "asOf": ["position": .integer(Int64(asOfPosition)), "time": .string(UTCTime.iso(asOfMs)), "publicDay": .string(publicDay)],
            "city": ["id": .string(taxonomy.cityID), "label": .string(taxonomy.cityLabel)],
            "figures": figures,
            "projects": .array(projects),
            "openQuestions": .array(open),
            "districts": .array(taxonomy.districts.map { district in
                ["id": .string(district.id), "label": .string(district.label), "code": district.code.map { .string($0) } ?? .null,
                 "wijken": .array(district.wijken.map { ["id": .string($0.id), "label": .string($0.label)] })]
            }),
            "themes": .array(taxonomy.themes.map { ["id": .string($0.id), "label": .string($0.label)] }),
            "institutions": .array(taxonomy.institutions.map { ["id": .string($0.id), "label": .string($0.label)] }),
        ]
    }

    /// The programme's figures: counts and sums over every question, match and outcome (no single one can
    /// be told from them), and the mean rating only over enough rated outcomes.
    var figures: JSONValue {
        let pastIntake = state.questions.values.filter { PublicationVerb.publish.isAllowed(in: $0.status) }
        let matches = state.matches.values.filter { $0.status != .cancelled }
        let outcomes = Array(state.outcomes.values)
        let students = matches.reduce(0) { total, match in
            total + (match.outcome.flatMap { state.outcomes[$0]?.students } ?? match.students ?? 0)
        }
        let hours = outcomes.reduce(0) { $0 + ($1.hours ?? 0) }
        let places = Set(matches.compactMap { state.questions[$0.question]?.neighbourhood.id })
        let districts = Set(matches.compactMap { state.questions[$0.question]?.neighbourhood.district })
        let ratings = outcomes.compactMap { outcome -> Double? in
            let given = [outcome.ratings.requester, outcome.ratings.education].compactMap { $0 }
            return given.isEmpty ? nil : Double(given.reduce(0, +)) / Double(given.count)
        }
        var rating: JSONValue = .null
        if ratings.count >= Self.aggregateCountMin {
            let mean = (ratings.reduce(0, +) / Double(ratings.count) * 10).rounded() / 10
            rating = ["mean": .double(mean), "outcomes": .integer(Int64(ratings.count))]
        }
        return [
            "questions": .integer(Int64(pastIntake.count)), "projects": .integer(Int64(matches.count)),
            "students": .integer(Int64(students)), "hours": .integer(Int64(hours)), "outcomes": .integer(Int64(outcomes.count)),
            "places": .integer(Int64(places.count)), "districts": .integer(Int64(districts.count)), "rating": rating,
        ]
    }

    /// A public question's fields: never its requester.
    func questionFields(_ question: Question) -> [String: JSONValue] {
        [
            "id": .string(question.id), "title": .string(question.title), "description": .string(question.description),
            "district": .string(question.neighbourhood.district), "wijk": question.neighbourhood.wijk.map { .string($0) } ?? .null,
            "place": .string(taxonomy.placeLabel(question.neighbourhood)),
            "themes": .array(question.themes.map { id in ["id": .string(id), "label": .string(taxonomy.theme(id)?.label ?? id)] }),
            "levels": .array(question.levels.map { id in .string(taxonomy.levels.first { $0.id == id }?.label ?? id) }),
        ]
    }

    func openQuestion(_ question: Question) -> JSONValue {
        var fields = questionFields(question)
        fields["window"] = question.window.map { ["from": .string($0.from), "to": .string($0.to)] } ?? .null
        fields["size"] = .string(question.size)
        return .object(fields)
    }

    /// One project: the question as published, the offer's institution, programme and period, and the
    /// outcome with only what is public on `publicDay`.
    func project(_ match: Match) -> JSONValue? {
        guard let question = state.questions[match.question], let offer = state.offers[match.offer] else { return nil }
        let startedOn = match.startedOn ?? offer.period.window.from
        var members: [String: JSONValue] = [
            "id": .string(match.id), "status": .string(match.status.rawValue), "question": .object(questionFields(question)),
            "institution": ["id": .string(offer.institution), "label": .string(taxonomy.institution(offer.institution)?.label ?? offer.institution)],
            "programme": .string(offer.programme), "offerTitle": .string(offer.title), "kind": .string(offer.kind),
            "level": .string(taxonomy.levels.first { $0.id == offer.level }?.label ?? offer.level),
            "period": ["from": .string(offer.period.window.from), "to": .string(offer.period.window.to), "label": .string(offer.period.name)],
            "startedOn": match.startedOn.map { .string($0) } ?? .null,
            "year": .integer(Int64(startedOn.prefix(4)) ?? 0),
            "students": match.students.map { .integer(Int64($0)) } ?? .null,
        ]
        members["outcome"] = match.outcome.flatMap { state.outcomes[$0] }.map(publicOutcome) ?? .null
        return .object(members)
    }

    /// An outcome without ratings, follow-up or notes, with the deliverables public on `publicDay`.
    func publicOutcome(_ outcome: Outcome) -> JSONValue {
        let deliverables = outcome.deliverables.filter { $0.isPublic(on: publicDay) }.map { deliverable -> JSONValue in
            ["kind": .string(deliverable.kind), "title": .string(deliverable.title), "uri": deliverable.uri.map { .string($0) } ?? .null,
             "publicFrom": deliverable.embargoUntil.map { .string($0) } ?? .null]
        }
        return [
            "id": .string(outcome.id), "summary": .string(outcome.summary), "impact": outcome.impact.map { .string($0) } ?? .null,
            "recordedAt": .string(UTCTime.iso(outcome.recordedMs)), "recordedOn": .string(CivilDate.date(milliseconds: outcome.recordedMs)),
            "students": outcome.students.map { .integer(Int64($0)) } ?? .null, "hours": outcome.hours.map { .integer(Int64($0)) } ?? .null,
            "competences": .array(outcome.competences.map { .string($0) }), "deliverables": .array(deliverables),
        ]
    }

}

extension Taxonomy {
    /// A place's Dutch label: the wijk's, else the district's (the id when the taxonomy lacks it).
    func placeLabel(_ place: Place) -> String {
        guard let district = districts.first(where: { $0.id == place.district }) else { return place.id }
        return place.wijk.flatMap { wijk in district.wijken.first { $0.id == wijk }?.label } ?? district.label
    }
}
