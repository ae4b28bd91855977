import LMDSJSON

/// Renders `site.content`'s document into the files of a static website in Dutch: the home page with the
/// programme's figures, a page per project, indexes per wijk (with a schematic map), theme, institution
/// and year, the open questions, an Atom feed of outcomes and `projects.json`. Pure: the content and the
/// templates in, the files (path relative to the site's root, and text) out. It shows only what the content
/// holds, and the content holds only what the public may see (`PublicContent`).
public struct SiteRenderer: Sendable {
    public let content: JSONValue
    public let templates: SiteTemplates
    /// The address the site is served from (`https://example.nl/lmds/`), for the feed's absolute ids and
    /// links; without it the feed's links are relative to the feed.
    public let baseURL: String?

    /// The most outcomes the home page lists as the latest, and the feed holds.
    public static let latestOutcomesMax = 6
    public static let feedEntriesMax = 50

    public init(content: JSONValue, templates: SiteTemplates = .embedded, baseURL: String? = nil) {
        self.content = content
        self.templates = templates
        self.baseURL = baseURL.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
    }

    /// Every file of the site by path.
    public func files() -> [String: String] {
        var files: [String: String] = [:]
        for (name, text) in templates.assets { files[name] = text }
        files["index.html"] = home()
        for project in projects { files["projecten/\(project.id).html"] = projectPage(project) }
        for index in indexes {
            files[index.directory + "/index.html"] = overviewPage(index)
            // A district's wijken have pages of their own beside it (taxonomy ids are unique across both).
            for group in index.groups + index.groups.flatMap(\.subgroups) {
                files[index.directory + "/\(group.id).html"] = listingPage(group, in: index)
            }
        }
        files["open-vragen.html"] = openQuestionsPage()
        files["zoeken.html"] = searchPage()
        files["feed.xml"] = feed()
        files["projects.json"] = projectsJSON()
        return files
    }

    // MARK: The content, read

    var city: String { content["city"]?["label"]?.stringValue ?? "" }
    var projects: [Project] { (content["projects"]?.arrayValue ?? []).compactMap(Project.init(json:)) }

    /// What every page's header and footer need; `root` leads from the page back to the site's root.
    func common(root: String, title: String, description: String) -> [String: Any] {
        [
            "root": root, "city": city, "pageTitle": title, "documentTitle": "\(title) · Leren met de Stad \(city)", "description": description,
            "asOfDay": content["asOf"]?["publicDay"]?.stringValue ?? "",
        ]
    }

    /// Project cards for `cards.mustache`, newest outcome first.
    func cards(_ projects: [Project], root: String) -> [String: Any] {
        let sorted = projects.sorted { ($0.recordedAt ?? "", $0.id) > ($1.recordedAt ?? "", $1.id) }
        return ["hasProjects": !sorted.isEmpty, "projects": sorted.map { $0.card }, "root": root]
    }

    // MARK: Pages

    func home() -> String {
        let figures = content["figures"] ?? .null
        func count(_ key: String) -> Int64 { figures[key]?.integerValue ?? 0 }
        var rows: [[String: Any]] = [
            ["label": "vragen uit de stad", "value": count("questions")], ["label": "projecten", "value": count("projects")],
            ["label": "studenten", "value": count("students")], ["label": "uur studentenwerk", "value": count("hours")],
            ["label": "resultaten", "value": count("outcomes")], ["label": "wijken en districten bereikt", "value": count("places")],
        ]
        if let mean = figures["rating"]?["mean"]?.doubleValue, let rated = figures["rating"]?["outcomes"]?.integerValue {
            rows.append(["label": "gemiddelde waardering (1-5, over \(rated) projecten)", "value": Self.dutchDecimal(mean)])
        }
        // The themes with projects, most first (all themes are on the themes' index).
        let themeGroups = (indexes.first { $0.directory == "themas" }?.groups ?? []).filter { !$0.projects.isEmpty }
            .sorted { ($0.projects.count, $1.label) > ($1.projects.count, $0.label) }
        let latest = projects.filter { $0.recordedAt != nil }.sorted { ($0.recordedAt ?? "", $0.id) > ($1.recordedAt ?? "", $1.id) }
        var context = common(root: "", title: "Home", description: "Wat de vragen van \(city) opleverden: projecten, resultaten en cijfers.")
        context["figures"] = rows
        context["figuresTable"] = PageTemplates.table(
            caption: "De cijfers van het programma", columns: ["Wat", "Aantal"],
            rows: rows.map { PageTemplates.labelledNumberRow($0["label"] as? String ?? "", $0["value"] ?? "") })
        context["themeTable"] = PageTemplates.table(
            caption: "Openbare projecten per thema", columns: ["Thema", "Projecten"],
            rows: themeGroups.map { PageTemplates.labelledNumberRow($0.label, href: "themas/\($0.id).html", $0.projects.count) })
        context["hasThemes"] = !themeGroups.isEmpty
        context["themeChart"] = chart(themeGroups.map { ($0.label, $0.projects.count) }, id: "themas",
                                      title: "Openbare projecten per thema", noun: "thema")
        context["latest"] = cards(Array(latest.prefix(Self.latestOutcomesMax)), root: "")
        return templates.render("home", context)
    }

    func projectPage(_ project: Project) -> String {
        var context = common(root: "../", title: project.title, description: "Project \(project.id): \(project.title)")
        for (key, value) in project.page { context[key] = value }
        context["districtLabel"] = (content["districts"]?.arrayValue ?? []).first { $0["id"]?.stringValue == project.district }?["label"]?.stringValue
            ?? project.district
        return templates.render("project", context)
    }

    func overviewPage(_ index: Index) -> String {
        var context = common(root: "../", title: index.heading, description: index.intro)
        context["heading"] = index.heading
        context["intro"] = index.intro
        context["groupTable"] = PageTemplates.table(
            caption: "Openbare projecten per \(index.noun.lowercased())", columns: [index.noun, "Projecten"],
            rows: index.groups.map { PageTemplates.labelledNumberRow($0.label, href: "../\(index.directory)/\($0.id).html", $0.projects.count) })
        if index.directory == "wijken", let svg = map(index.groups, root: "../") {
            context["map"] = ["svg": svg, "city": city] as [String: Any]
        }
        return templates.render("overview", context)
    }

    func listingPage(_ group: Group, in index: Index) -> String {
        var context = common(root: "../", title: group.heading, description: group.heading)
        context["heading"] = group.heading
        context["parentPath"] = "index.html"
        context["parentLabel"] = index.heading
        context["hasSubgroups"] = !group.subgroups.isEmpty
        context["subgroups"] = group.subgroups.map { ["id": $0.id, "label": $0.label, "count": $0.projects.count] as [String: Any] }
        for (key, value) in cards(group.projects, root: "../") { context[key] = value }
        return templates.render("listing", context)
    }

    func openQuestionsPage() -> String {
        let questions = (content["openQuestions"]?.arrayValue ?? []).map { question -> [String: Any] in
            var fields: [String: Any] = [
                "title": question["title"]?.stringValue ?? "", "description": question["description"]?.stringValue ?? "",
                "place": question["place"]?.stringValue ?? "",
                "themeLabels": (question["themes"]?.arrayValue ?? []).compactMap { $0["label"]?.stringValue }.joined(separator: ", "),
            ]
            if let from = question["window"]?["from"]?.stringValue, let to = question["window"]?["to"]?.stringValue {
                fields["window"] = ["from": from, "to": to]
            }
            return fields
        }
        var context = common(root: "", title: "Open vragen", description: "Vragen uit \(city) die nog een opleiding zoeken.")
        context["hasQuestions"] = !questions.isEmpty
        context["questions"] = questions
        return templates.render("open-questions", context)
    }

    /// Every project, newest outcome first, each with the text the search filters on (`zoeken.js`); without
    /// a script the page is the list of all projects.
    func searchPage() -> String {
        let listed = (cards(projects, root: "")["projects"] as? [[String: Any]]) ?? []
        let byID = Dictionary(projects.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var context = common(root: "", title: "Zoeken", description: "Zoek in de projecten van Leren met de Stad \(city).")
        context["count"] = listed.count
        context["projects"] = listed.map { card -> [String: Any] in
            var card = card
            if let project = (card["id"] as? String).flatMap({ byID[$0] }) {
                card["searchText"] = ([project.title, project.placeLabel, project.institution.label, project.period, project.summary ?? ""]
                    + project.themes.map(\.label)).joined(separator: " ").lowercased()
            }
            return card
        }
        return templates.render("search", context)
    }

    /// A number with a decimal comma, as Dutch readers write it.
    static func dutchDecimal(_ value: Double) -> String {
        String((value * 10).rounded() / 10).split(separator: ".").joined(separator: ",")
    }
}
