import LMDSJSON

/// One project of the content, read once for every page that shows it.
struct Project {
    let id: String
    let title: String
    let json: JSONValue
    let district: String
    let placeLabel: String
    let themes: [(id: String, label: String)]
    let institution: (id: String, label: String)
    let year: Int64
    let period: String
    /// The outcome's recording time (ISO), when it has one.
    let recordedAt: String?

    init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let question = json["question"], let title = question["title"]?.stringValue,
            let district = question["district"]?.stringValue
        else { return nil }
        self.id = id
        self.title = title
        self.json = json
        self.district = district
        placeLabel = question["place"]?.stringValue ?? district
        themes = (question["themes"]?.arrayValue ?? []).compactMap { theme in
            guard let id = theme["id"]?.stringValue else { return nil }
            return (id, theme["label"]?.stringValue ?? id)
        }
        let institutionID = json["institution"]?["id"]?.stringValue ?? ""
        institution = (institutionID, json["institution"]?["label"]?.stringValue ?? institutionID)
        year = json["year"]?.integerValue ?? 0
        period = json["period"]?["label"]?.stringValue ?? ""
        recordedAt = json["outcome"]?["recordedAt"]?.stringValue
    }

    var summary: String? { json["outcome"]?["summary"]?.stringValue }

    /// What a card in a list shows.
    var card: [String: Any] {
        var card: [String: Any] = ["id": id, "title": title, "place": placeLabel, "institution": institution.label, "period": period]
        if let summary { card["summary"] = summary }
        return card
    }

    /// What the project's page shows.
    var page: [String: Any] {
        let question = json["question"] ?? .null
        var page: [String: Any] = [
            "id": id, "title": title, "description": question["description"]?.stringValue ?? "", "place": placeLabel,
            "districtID": district, "placeID": question["wijk"]?.stringValue ?? district, "institution": institution.label, "institutionID": institution.id,
            "programme": json["programme"]?.stringValue ?? "", "level": json["level"]?.stringValue ?? "",
            "offerTitle": json["offerTitle"]?.stringValue ?? "", "period": period, "year": year,
            "periodFrom": json["period"]?["from"]?.stringValue ?? "", "periodTo": json["period"]?["to"]?.stringValue ?? "",
            "themes": themes.enumerated().map { index, theme in ["id": theme.id, "label": theme.label, "last": index == themes.count - 1] as [String: Any] },
        ]
        if let students = json["students"]?.integerValue { page["students"] = students }
        if let outcome = json["outcome"], !outcome.isNull { page["outcome"] = Self.outcomePage(outcome) }
        return page
    }

    static func outcomePage(_ outcome: JSONValue) -> [String: Any] {
        let deliverables = (outcome["deliverables"]?.arrayValue ?? []).map { deliverable -> [String: Any] in
            var fields: [String: Any] = ["title": deliverable["title"]?.stringValue ?? "", "kind": kindLabel(deliverable["kind"]?.stringValue ?? "")]
            if let uri = deliverable["uri"]?.stringValue, isWebAddress(uri) { fields["uri"] = uri }
            if let from = deliverable["publicFrom"]?.stringValue { fields["publicFrom"] = from }
            return fields
        }
        let competences = (outcome["competences"]?.arrayValue ?? []).compactMap(\.stringValue)
        var page: [String: Any] = [
            "summary": outcome["summary"]?.stringValue ?? "", "recordedOn": outcome["recordedOn"]?.stringValue ?? "",
            "hasDeliverables": !deliverables.isEmpty, "deliverables": deliverables,
            "hasCompetences": !competences.isEmpty, "competences": competences.joined(separator: ", "),
        ]
        if let impact = outcome["impact"]?.stringValue { page["impact"] = impact }
        if let hours = outcome["hours"]?.integerValue { page["hours"] = hours }
        return page
    }

    /// Only web addresses become links: a `javascript:` or `file:` address in the log stays text.
    static func isWebAddress(_ text: String) -> Bool {
        let lower = text.lowercased()
        return (lower.hasPrefix("https://") || lower.hasPrefix("http://")) && !text.contains(where: \.isWhitespace)
    }

    /// The Dutch word for a kind of deliverable.
    static func kindLabel(_ kind: String) -> String {
        let labels = ["report": "rapport", "advice": "advies", "prototype": "prototype", "design": "ontwerp", "dataset": "dataset",
                      "event": "bijeenkomst", "video": "video", "other": "overig"]
        return labels[kind] ?? kind
    }
}

/// One page of an index: the projects of one wijk, theme, institution or year.
struct Group {
    let id: String
    let label: String
    let heading: String
    var projects: [Project]
    /// For a district: its wijken, each a page of its own in the same directory.
    var subgroups: [Group] = []
}

/// An index: its directory, its overview page's heading, and its groups.
struct Index {
    let directory: String
    let heading: String
    let intro: String
    /// What one group is, for the overview's table ("District").
    let noun: String
    let groups: [Group]
}

extension SiteRenderer {
    /// The four indexes: per district (with its wijken), theme, institution and year.
    var indexes: [Index] {
        let all = projects
        let districts = (content["districts"]?.arrayValue ?? []).compactMap { district -> Group? in
            guard let id = district["id"]?.stringValue, let label = district["label"]?.stringValue else { return nil }
            let here = all.filter { $0.district == id }
            let wijken = (district["wijken"]?.arrayValue ?? []).compactMap { wijk -> Group? in
                guard let wijkID = wijk["id"]?.stringValue, let wijkLabel = wijk["label"]?.stringValue else { return nil }
                return Group(id: wijkID, label: wijkLabel, heading: "Projecten in \(wijkLabel) (\(label))",
                             projects: here.filter { $0.json["question"]?["wijk"]?.stringValue == wijkID })
            }
            return Group(id: id, label: label, heading: "Projecten in \(label)", projects: here, subgroups: wijken)
        }
        let themes = (content["themes"]?.arrayValue ?? []).compactMap { theme -> Group? in
            guard let id = theme["id"]?.stringValue, let label = theme["label"]?.stringValue else { return nil }
            return Group(id: id, label: label, heading: "Projecten over \(label)", projects: all.filter { $0.themes.contains { $0.id == id } })
        }
        let institutions = (content["institutions"]?.arrayValue ?? []).compactMap { institution -> Group? in
            guard let id = institution["id"]?.stringValue, let label = institution["label"]?.stringValue else { return nil }
            return Group(id: id, label: label, heading: "Projecten van \(label)", projects: all.filter { $0.institution.id == id })
        }
        let years = Set(all.map(\.year)).sorted(by: >).map { year in
            Group(id: String(year), label: String(year), heading: "Projecten in \(year)", projects: all.filter { $0.year == year })
        }
        return [
            Index(directory: "wijken", heading: "Projecten per wijk", intro: "Waar in \(city) de vragen vandaan kwamen, per district en wijk.",
                  noun: "District", groups: districts),
            Index(directory: "themas", heading: "Projecten per thema", intro: "De projecten geordend naar het thema van de vraag.",
                  noun: "Thema", groups: themes),
            Index(directory: "instellingen", heading: "Projecten per instelling", intro: "Welke onderwijsinstellingen eraan werkten.",
                  noun: "Instelling", groups: institutions),
            Index(directory: "jaren", heading: "Projecten per jaar", intro: "De projecten naar het jaar waarin ze begonnen.",
                  noun: "Jaar", groups: years),
        ]
    }
}
