import ArgumentParser
import LMDSJSON

/// `lmds organisations` and `lmds organisation register|revise|merge` (issue 11): partner organisations as records.
extension LMDSCommand {
    struct Organisations: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List partner organisations, filtered; a page at a time.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Words that must all appear in the name or website (case and accents ignored).") var text: String?
        @Option(help: "The kind, by id or Dutch label: \(OrganisationGroup.kinds).") var kind: String?
        @Option(help: "District or wijk, by id or name.") var neighbourhood: String?
        @Flag(help: "List merged organisations too.") var merged = false
        @Option(help: "At most this many (1 to 500).") var limit: Int = 50
        @Option(help: "Continue after this id (the `next` of the previous page).") var cursor: String?
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the list as it was then.") var asOf: String?

        func run() throws {
            var params: [String: JSONValue] = ["limit": .integer(Int64(limit))]
            for (key, value) in [("text", text), ("kind", kind), ("neighbourhood", neighbourhood), ("cursor", cursor)] {
                if let value { params[key] = .string(value) }
            }
            if merged { params["merged"] = true }
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let flags: FlagTable = ["text": "--text", "kind": "--kind", "neighbourhood": "--neighbourhood", "merged": "--merged",
                                    "limit": "--limit", "cursor": "--cursor", "asOf": "--as-of"]
            let result = try global.call("organisation.list", .object(params), flags: flags)
            if global.json { return global.printJSON(result) }
            let organisations = result["organisations"]?.arrayValue ?? []
            if organisations.isEmpty {
                print("no organisations match")
                return
            }
            let view = try global.peopleView()
            print(TextTable.render(headers: ["ID", "KIND", "NEIGHBOURHOOD", "NAME"], rows: organisations.map { organisation in
                [describe(organisation["id"]), describe(organisation["kindLabel"]), OrganisationGroup.place(organisation, view),
                 describe(organisation["name"]) + (organisation["mergedInto"]?.stringValue.map { " (merged into \($0))" } ?? "")]
            }))
            print(pageLine(result, count: organisations.count))
        }
    }

    struct OrganisationGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "organisation", abstract: "Register, revise or merge partner organisations.",
            subcommands: [Register.self, Revise.self, Merge.self, Adopt.self])

        /// The kinds' ids, for help texts.
        static let kinds = "resident-group, foundation-or-association, municipality, company, school, care-or-welfare, housing-corporation, other"

        /// An organisation's wijk, else its district, by label; "-" for none.
        static func place(_ organisation: JSONValue, _ view: PeopleView) -> String {
            guard let place = organisation["neighbourhood"], !place.isNull else { return "-" }
            return view.label("neighbourhood", place["wijk"]?.stringValue != nil ? place["wijk"] : place["district"])
        }

        struct Register: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Register a partner organisation (--kind is required); prints its id, such as G-0001.",
                discussion: "Example: lmds organisation register \"Bewonersvereniging Noord\" --kind resident-group --neighbourhood Noord")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The organisation's name.") var name: String
            @Option(help: "The kind, by id or Dutch label: \(OrganisationGroup.kinds).") var kind: String?
            @Option(help: "District or wijk, by id or name.") var neighbourhood: String?
            @Option(help: "Its web address (https://...).") var website: String?

            func validate() throws { try requireFlags([("--kind <kind>", kind != nil)]) }

            func run() throws {
                var params: [String: JSONValue] = ["name": .string(name), "kind": .string(kind ?? "")]
                if let neighbourhood { params["neighbourhood"] = .string(neighbourhood) }
                if let website { params["website"] = .string(website) }
                try global.write("organisation.register", params, write, versioned: false,
                                 flags: ["name": "NAME", "kind": "--kind", "neighbourhood": "--neighbourhood", "website": "--website"])
            }
        }

        struct Revise: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Change an organisation's name, kind, neighbourhood or website (--website \"\" clears it).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The organisation, such as G-0001.") var id: String
            @Option(help: "The new name.") var name: String?
            @Option(help: "The kind, by id or Dutch label: \(OrganisationGroup.kinds).") var kind: String?
            @Option(help: "District or wijk, by id or name.") var neighbourhood: String?
            @Option(help: "Its web address (https://...), or \"\" to clear it.") var website: String?

            func run() throws {
                var params: [String: JSONValue] = ["id": .string(id)]
                for (key, value) in [("name", name), ("kind", kind), ("neighbourhood", neighbourhood), ("website", website)] {
                    if let value { params[key] = .string(value) }
                }
                try global.write("organisation.revise", params, write,
                                 flags: ["id": "ID", "name": "--name", "kind": "--kind", "neighbourhood": "--neighbourhood", "website": "--website"])
            }
        }

        struct Adopt: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Turn the free-text organisations of earlier questions into records, in one append (linked by name, or registered).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions

            func run() throws {
                try global.write("organisation.adopt", [:], write, versioned: false)
            }
        }

        struct Merge: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Merge a duplicate organisation into a survivor (--into and --reason are required); the merged one points to the survivor.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The duplicate, such as G-0002.") var id: String
            @Option(help: "The organisation that survives (required).") var into: String?
            @Option(help: "Why (required).") var reason: String?

            func validate() throws { try requireFlags([("--into <id>", into != nil), ("--reason <text>", reason != nil)]) }

            func run() throws {
                try global.write("organisation.merge", ["into": .string(into ?? ""), "from": .string(id), "reason": .string(reason ?? "")], write,
                                 flags: ["into": "--into", "from": "ID", "reason": "--reason"])
            }
        }
    }
}

/// `lmds show G-0001`.
func printOrganisation(_ organisation: JSONValue, _ view: PeopleView) {
    var rows: [(String, String)] = [
        ("organisation", describe(organisation["id"])), ("name", describe(organisation["name"])), ("kind", describe(organisation["kindLabel"])),
        ("neighbourhood", LMDSCommand.OrganisationGroup.place(organisation, view)), ("website", describe(organisation["website"])),
        ("registered", describe(organisation["registeredAt"])), ("status", describe(organisation["status"])),
    ]
    if let into = organisation["mergedInto"]?.stringValue { rows.append(("merged into", into)) }
    let merged = (organisation["mergedFrom"]?.arrayValue ?? []).compactMap(\.stringValue)
    if !merged.isEmpty { rows.append(("merged from", merged.joined(separator: ", "))) }
    if let relationship = organisation["relationship"] {
        func list(_ key: String) -> String {
            let ids = (relationship[key]?.arrayValue ?? []).compactMap(\.stringValue)
            return ids.isEmpty ? "-" : ids.joined(separator: ", ")
        }
        let ratings = relationship["averageRatings"]
        rows += [("strength", describe(relationship["strength"])), ("questions", list("questions")), ("matches", list("matches")),
                 ("outcomes", list("outcomes")), ("completed projects", describe(relationship["completedProjects"])),
                 ("first collaboration", describe(relationship["firstCollaboration"])), ("last collaboration", describe(relationship["lastCollaboration"])),
                 ("average ratings", "requester \(describe(ratings?["requester"])), education \(describe(ratings?["education"]))")]
    }
    print(TextTable.keyValue(rows))
}
