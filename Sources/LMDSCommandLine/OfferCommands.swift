import ArgumentParser
import LMDSJSON
import LMDSProtocol

extension LMDSCommand {
    struct Offer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish and manage education offers: courses, minors, theses, internships, research, events.",
            subcommands: [Publish.self, Get.self, Revise.self, Close.self, Withdraw.self])

        /// `lmds offer get O-…`: the offer in full, as `lmds show` prints it.
        struct Get: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show one offer in full (the same as lmds show O-…).")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The offer's id, O-0001.") var id: String
            @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: as it was then.") var asOf: String?

            func validate() throws {
                guard id.hasPrefix("O-") else { throw ValidationError("\(id) is not an offer id (O-…); lmds show takes any id") }
            }

            func run() throws { try Show.show(id: id, asOf: asOf, global: global) }
        }

        struct Publish: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Publish an offer (flags, or --file with offer.publish's params as JSON).",
                discussion: """
                    Required (as flags or in --file): --title, --description, --institution,
                    --programme, --level, --kind, --capacity, --from and --to.
                    Example:
                      lmds offer publish --title "Minor Sociale Innovatie" --description "..." \\
                        --institution "Hogeschool Leiden" --programme "Social Work" \\
                        --level hbo --kind minor --from 2027-02-01 --to 2027-06-30 \\
                        --period-label "2026-2027 S2" --capacity 3 --theme loneliness
                    """)
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Option(help: "A JSON file with offer.publish's params (flags given as well override it).") var file: String?
            @Option(help: "The offer's title (required).") var title: String?
            @Option(help: "What the students do (required).") var description: String?
            @Option(help: "Institution id or name (required; lmds taxonomy lists them).") var institution: String?
            @Option(help: "The study programme, such as \"Social Work\" (required).") var programme: String?
            @Option(help: "A level the institution teaches, by id or label (required): \(Choices.levels).") var level: String?
            @Option(help: "The kind of offer (required): \(Choices.offerKinds).") var kind: String?
            @Option(name: .customLong("theme"), help: "A theme, by id or label; repeat for more.") var themes: [String] = []
            @Option(name: .customLong("discipline"), help: "A discipline, by id or label; repeat for more.") var disciplines: [String] = []
            @Option(help: "First day (YYYY-MM-DD; required).") var from: String?
            @Option(help: "Last day (YYYY-MM-DD; required).") var to: String?
            @Option(name: .customLong("period-label"), help: "The period's name, such as \"2026-2027 S2\".") var periodLabel: String?
            @Option(help: "How many questions it can take, 1 to 100 (required).") var capacity: Int?
            @Option(name: .customLong("team-size"), help: "How many students work on it.") var teamSize: Int?
            @Option(name: .customLong("contact-name"), help: "The contact person (kept out of the log).") var contactName: String?
            @Option(name: .customLong("contact-email"), help: "The contact's e-mail (kept out of the log).") var contactEmail: String?
            @Option(name: .customLong("contact-phone"), help: "The contact's phone (kept out of the log).") var contactPhone: String?
            @Option(name: .customLong("milestone"), help: "title|days after the match starts: the milestone template (repeatable, in order).")
            var milestones: [String] = []

            /// offer.publish's params by this command's flags.
            static let flags: FlagTable = [
                "title": "--title", "description": "--description", "institution": "--institution", "programme": "--programme",
                "level": "--level", "kind": "--kind", "themes": "--theme", "disciplines": "--discipline", "period": "--from and --to",
                "period.from": "--from", "period.to": "--to", "period.label": "--period-label", "capacity": "--capacity",
                "teamSize": "--team-size", "contact": "--contact-name", "contact.name": "--contact-name", "contact.email": "--contact-email",
                "contact.phone": "--contact-phone", "milestones": "--milestone",
            ]

            func validate() throws {
                let params = try self.params()
                try requireFlags([
                    ("--title <text>", params["title"] != nil), ("--description <text>", params["description"] != nil),
                    ("--institution <id or name>", params["institution"] != nil), ("--programme <text>", params["programme"] != nil),
                    ("--level <level>", params["level"] != nil), ("--kind <\(Choices.offerKinds.replacing(", ", with: "|").replacing(" or ", with: "|"))>", params["kind"] != nil),
                    ("--capacity <1-100>", params["capacity"] != nil), ("--from <YYYY-MM-DD>", params["period"]?["from"] != nil),
                    ("--to <YYYY-MM-DD>", params["period"]?["to"] != nil),
                ])
            }

            /// The params: the file's, with the flags given laid over them.
            func params() throws -> [String: JSONValue] {
                var params = try fileParams(file)
                for (key, value) in [("title", title), ("description", description), ("institution", institution),
                                     ("programme", programme), ("level", level), ("kind", kind)] {
                    if let value { params[key] = .string(value) }
                }
                for (key, values) in [("themes", themes), ("disciplines", disciplines)] where !values.isEmpty {
                    params[key] = .array(values.map { .string($0) })
                }
                if from != nil || to != nil || periodLabel != nil {
                    var period = params["period"]?.objectValue ?? [:]
                    for (key, value) in [("from", from), ("to", to), ("label", periodLabel)] {
                        if let value { period[key] = .string(value) }
                    }
                    params["period"] = .object(period)
                }
                if let capacity { params["capacity"] = .integer(Int64(capacity)) }
                if let teamSize { params["teamSize"] = .integer(Int64(teamSize)) }
                var contact = params["contact"]?.objectValue ?? [:]
                for (key, value) in [("name", contactName), ("email", contactEmail), ("phone", contactPhone)] {
                    if let value { contact[key] = .string(value) }
                }
                if !contact.isEmpty { params["contact"] = .object(contact) }
                if !milestones.isEmpty { params["milestones"] = try milestoneTemplate(milestones) }
                return params
            }

            func run() throws {
                try global.write("offer.publish", try params(), write, versioned: false, flags: Self.flags)
            }
        }

        struct Revise: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Change fields of an offer.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The offer, such as O-0001.") var id: String
            @Option var title: String?
            @Option var description: String?
            @Option var programme: String?
            @Option(help: "How many questions it can take, 1 to 100.") var capacity: Int?
            @Option(name: .customLong("team-size"), help: "How many students work on it.") var teamSize: Int?
            @Option(name: .customLong("milestone"), help: "title|days after the match starts: a new milestone template (repeatable, in order).")
            var milestones: [String] = []
            @Flag(name: .customLong("no-milestones"), help: "Remove the milestone template.") var noMilestones = false

            static let flags: FlagTable = [
                "id": "ID", "title": "--title", "description": "--description", "programme": "--programme", "capacity": "--capacity",
                "teamSize": "--team-size", "milestones": "--milestone",
            ]

            func run() throws {
                var params: [String: JSONValue] = ["id": .string(id)]
                for (key, value) in [("title", title), ("description", description), ("programme", programme)] {
                    if let value { params[key] = .string(value) }
                }
                if let capacity { params["capacity"] = .integer(Int64(capacity)) }
                if let teamSize { params["teamSize"] = .integer(Int64(teamSize)) }
                if noMilestones { params["milestones"] = [] } else if !milestones.isEmpty { params["milestones"] = try milestoneTemplate(milestones) }
                try global.write("offer.revise", params, write, flags: Self.flags)
            }
        }

        struct Close: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Close an offer: it takes no more questions.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The offer, such as O-0001.") var id: String
            @Option(help: "Why.") var reason: String?

            func run() throws {
                var params: [String: JSONValue] = ["id": .string(id)]
                if let reason { params["reason"] = .string(reason) }
                try global.write("offer.close", params, write, flags: ["id": "ID", "reason": "--reason"])
            }
        }

        struct Withdraw: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Withdraw an offer (--reason is required).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The offer, such as O-0001.") var id: String
            @Option(help: "Why (required).") var reason: String?

            func validate() throws { try requireFlags([("--reason <text>", reason != nil)]) }

            func run() throws {
                try global.write("offer.withdraw", ["id": .string(id), "reason": .string(reason ?? "")], write, flags: ["id": "ID", "reason": "--reason"])
            }
        }
    }

    struct Offers: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List offers, filtered; a page at a time; with the places left of each.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The status: \(Choices.offerStatuses).") var status: String?
        @Option(help: "An institution, by id or name.") var institution: String?
        @Option(help: "A level, by id or label: \(Choices.levels).") var level: String?
        @Option(help: "The kind: \(Choices.offerKinds).") var kind: String?
        @Option(help: "A theme, by id or label.") var theme: String?
        @Option(help: "A discipline, by id or label.") var discipline: String?
        @Option(help: "A period label (\"2026-2027 S2\") or a date inside the period.") var period: String?
        @Option(help: "Words that must all appear (case and accents ignored).") var text: String?
        @Option(help: "At most this many (1 to 500).") var limit: Int = 50
        @Option(help: "Continue after this id (the `next` of the previous page).") var cursor: String?
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the list as it was then.") var asOf: String?

        static let flags: FlagTable = [
            "status": "--status", "institution": "--institution", "level": "--level", "kind": "--kind", "theme": "--theme",
            "discipline": "--discipline", "period": "--period", "text": "--text", "limit": "--limit", "cursor": "--cursor", "asOf": "--as-of",
        ]

        func run() throws {
            var params: [String: JSONValue] = ["limit": .integer(Int64(limit))]
            for (key, value) in [("status", status), ("institution", institution), ("level", level), ("kind", kind), ("theme", theme),
                                 ("discipline", discipline), ("period", period), ("text", text), ("cursor", cursor)] {
                if let value { params[key] = .string(value) }
            }
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let result = try global.call("offer.list", .object(params), flags: Self.flags)
            if global.json { return global.printJSON(result) }
            let offers = result["offers"]?.arrayValue ?? []
            if offers.isEmpty {
                print("no offers match")
                return
            }
            let view = try global.peopleView()
            print(TextTable.render(headers: ["ID", "STATUS", "INSTITUTION", "LEVEL", "KIND", "PERIOD", "CAPACITY", "LEFT", "TITLE"], rows: offers.map { offer in
                [describe(offer["id"]), describe(offer["status"]), view.label("institution", offer["institution"]), view.label("level", offer["level"]),
                 describe(offer["kind"]), describe(offer["period"]), describe(offer["capacity"]), placesLeft(offer), describe(offer["title"])]
            }))
            print(pageLine(result, count: offers.count))
        }
    }
}

/// An offer's `placesLeft`, or "?" from a daemon that does not send it.
func placesLeft(_ offer: JSONValue) -> String {
    offer["placesLeft"]?.integerValue.map(String.init) ?? "?"
}

/// How `lmds show O-...` prints an offer.
func printOffer(_ offer: JSONValue, _ view: PeopleView) {
    var rows: [(String, String)] = [
        ("offer", "\(describe(offer["id"])) (\(describe(offer["status"])), version \(describe(offer["version"])))"),
        ("title", describe(offer["title"])),
        ("institution", "\(view.label("institution", offer["institution"])), \(describe(offer["programme"])), \(view.label("level", offer["level"]))"),
        ("kind", describe(offer["kind"])),
        ("period", "\(describe(offer["period"]?["from"])) to \(describe(offer["period"]?["to"]))" + (offer["period"]?["label"]?.stringValue.map { " (\($0))" } ?? "")),
        ("capacity", "\(English.count(Int(offer["capacity"]?.integerValue ?? 0), "question")), \(placesLeft(offer)) left; teams of \(describe(offer["teamSize"]))"),
        ("themes", view.labels("theme", offer["themes"])),
        ("disciplines", view.labels("discipline", offer["disciplines"])),
        ("published", view.time(offer["publishedAt"])),
    ]
    if let pending = offer["proposalsPending"]?.integerValue { rows.append(("proposals", "\(English.count(Int(pending), "proposal")) waiting for consent")) }
    if let details = offer["contactDetails"], !details.isNull {
        rows.append(("contact", "\(describe(details["name"])) <\(describe(details["email"]))> [\(describe(offer["contact"]))]"))
    }
    if let reason = offer["closingReason"]?.stringValue { rows.append(("reason", reason)) }
    print(TextTable.keyValue(rows))
    print()
    print(describe(offer["description"]))
}
