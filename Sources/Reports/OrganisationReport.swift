import Domain
import LMDSJSON

extension ReportBuilder {
    /// `organisations`: the partner organisations behind the questions (issue 11).
    ///
    /// A *partner* of the period is an organisation (a merged record counts as its survivor) with a question
    /// submitted in the period (questions as every report counts them). It is *new* when its first question
    /// ever was submitted in the period, *returning* when it had one before; without a period, new when it has
    /// asked once, returning when more often. The repeat rate is returning partners over all partners.
    /// Questions with a free-text organisation not yet adopted (`organisation.adopt`) are not counted.
    func organisations() -> Report {
        let counted = questions.filter { partner(of: $0) != nil }
        let byPartner = Dictionary(grouping: counted) { partner(of: $0)! }
        var firstMs: [String: Int64] = [:]
        var askedCount: [String: Int] = [:]
        for question in state.questions.values {
            guard let partner = partner(of: question) else { continue }
            firstMs[partner] = min(firstMs[partner] ?? .max, question.submittedMs)
            askedCount[partner, default: 0] += 1
        }
        func returning(_ partner: String) -> Bool {
            guard let period else { return (askedCount[partner] ?? 0) > 1 }
            return CivilDate.date(milliseconds: firstMs[partner] ?? 0) < period.from
        }
        func cells(_ partners: [String]) -> [JSONValue] {
            let back = partners.filter(returning).count
            let asked = partners.flatMap { byPartner[$0] ?? [] }
            let matched = asked.filter { (state.matchesByQuestion[$0.id] ?? []).contains { state.matches[$0]?.status != .cancelled } }
            return [Self.integer(partners.count), Self.integer(partners.count - back), Self.integer(back),
                    Self.decimal(partners.isEmpty ? nil : Double(back) / Double(partners.count), digits: 2), Self.integer(asked.count), Self.integer(matched.count)]
        }
        let partners = byPartner.keys.sorted(by: EntityID.precedes)
        let columns = ["partners", "new", "returning", "repeat rate", "questions", "questions matched"]  // matched: with a match not cancelled
        let years = Dictionary(grouping: partners) { partner in
            Set((byPartner[partner] ?? []).map { String(CivilDate.date(milliseconds: $0.submittedMs).prefix(4)) })
        }
        let yearRows = Set(years.keys.flatMap { $0 }).sorted().map { year in
            [JSONValue.string(year)] + cells(partners.filter { partner in (byPartner[partner] ?? []).contains { CivilDate.date(milliseconds: $0.submittedMs).hasPrefix(year) } })
        }
        let kindRows = OrganisationKind.allCases.compactMap { kind -> [JSONValue]? in
            let ofKind = partners.filter { state.organisations.organisations[$0]?.kind == kind }
            return ofKind.isEmpty ? nil : [.string(kind.label), .string(kind.rawValue)] + cells(ofKind)
        }
        let places = Dictionary(grouping: partners) { state.organisations.organisations[$0]?.neighbourhood }
        let placeRows = places.keys.sorted { ($0.map(placeLabel) ?? "\u{FFFF}") < ($1.map(placeLabel) ?? "\u{FFFF}") }.map { place in
            [.string(place.map(placeLabel) ?? "(not known)"), place.map { .string($0.id) } ?? .null] + cells(places[place] ?? [])
        }
        let all = cells(partners)
        return report(
            "organisations", "Partner organisations: who asks, and who comes back",
            "Partners are the organisations (merged records as their survivor) with a question submitted in the period; new: their first question ever was in the period (without a period: they asked once); returning: they had asked before (without a period: more than once); repeat rate = returning / partners. Per year of submission, per kind and per the organisation's wijk (as registered). Free-text organisations not yet adopted are not counted.\(countedOnce)",
            figures: [("partners", all[0]), ("new partners", all[1]), ("returning partners", all[2]), ("repeat rate", all[3])],
            tables: [
                Report.Table(title: "Per year", columns: ["year"] + columns, rows: yearRows, chartColumn: 1),
                Report.Table(title: "Per kind", columns: ["kind", "kind id"] + columns, rows: kindRows, chartColumn: 2, idColumns: [1], dutchColumns: [0]),
                Report.Table(title: "Per wijk", columns: ["wijk", "wijk id"] + columns, rows: placeRows, chartColumn: 2, idColumns: [1], dutchColumns: [0]),
            ])
    }

    /// The organisation a question's requester is linked to, as its survivor when it was merged.
    func partner(of question: Question) -> String? {
        guard let id = question.requester.organisationID else { return nil }
        return state.organisations.organisations[id]?.mergedInto ?? id
    }
}
