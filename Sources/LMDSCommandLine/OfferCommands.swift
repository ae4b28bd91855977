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
                    Example: lmds offer publish --title "Minor Sociale Innovatie" --description "..." \\
                      --institution "Hogeschool Leiden" --programme "Social Work" --level hbo --kind minor \\
                      --from 2027-02-01 --to 2027-06-30 --period-label "2026-2027 S2" --capacity 3 --theme loneliness
                    """)
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Option(help: "A JSON file with offer.publish's params (flags given as well override it).") var file: String?
            @Option var title: String?
            @Option var description: String?
            @Option(help: "Institution id or name (lmds taxonomy lists them).") var institution: String?
            @Option var programme: String?
            @Option(help: "mbo, hbo, wo-bachelor or wo-master.") var level: String?
            @Option(help: "course, minor, thesis, internship, research or event.") var kind: String?
            @Option(name: .customLong("theme")) var themes: [String] = []
            @Option(name: .customLong("discipline")) var disciplines: [String] = []
            @Option(help: "First day (YYYY-MM-DD).") var from: String?
            @Option(help: "Last day (YYYY-MM-DD).") var to: String?
            @Option(name: .customLong("period-label"), help: "The period's name, such as \"2026-2027 S2\".") var periodLabel: String?
            @Option(help: "How many questions it can take.") var capacity: Int?
            @Option(name: .customLong("team-size")) var teamSize: Int?
            @Option(name: .customLong("contact-name")) var contactName: String?
            @Option(name: .customLong("contact-email")) var contactEmail: String?
            @Option(name: .customLong("contact-phone")) var contactPhone: String?

            func run() throws {
                var params: [String: JSONValue] = [:]
                if let file {
                    guard let text = readTextFile(file), case .object(let members)? = try? JSONParser.parse(text) else {
                        throw ValidationError("\(file) must hold a JSON object")
                    }
                    params = members
                }
                for (key, value) in [("title", title), ("description", description), ("institution", institution),
                                     ("programme", programme), ("level", level), ("kind", kind)] {
                    if let value { params[key] = .string(value) }
                }
                for (key, values) in [("themes", themes), ("disciplines", disciplines)] where !values.isEmpty {
                    params[key] = .array(values.map { .string($0) })
                }
                if from != nil || to != nil {
                    guard let from, let to else { throw ValidationError("give both --from and --to") }
                    params["period"] = ["from": .string(from), "to": .string(to), "label": periodLabel.map { .string($0) } ?? .null]
                }
                if let capacity { params["capacity"] = .integer(Int64(capacity)) }
                if let teamSize { params["teamSize"] = .integer(Int64(teamSize)) }
                var contact = params["contact"]?.objectValue ?? [:]
                for (key, value) in [("name", contactName), ("email", contactEmail), ("phone", contactPhone)] {
                    if let value { contact[key] = .string(value) }
                }
                if !contact.isEmpty { params["contact"] = .object(contact) }
                try global.write("offer.publish", params, write, versioned: false)
            }
        }

        struct Revise: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Change fields of an offer.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument var id: String
            @Option var title: String?
            @Option var description: String?
            @Option var programme: String?
            @Option var capacity: Int?
            @Option(name: .customLong("team-size")) var teamSize: Int?

            func run() throws {
                var params: [String: JSONValue] = ["id": .string(id)]
                for (key, value) in [("title", title), ("description", description), ("programme", programme)] {
                    if let value { params[key] = .string(value) }
                }
                if let capacity { params["capacity"] = .integer(Int64(capacity)) }
                if let teamSize { params["teamSize"] = .integer(Int64(teamSize)) }
                try global.write("offer.revise", params, write)
            }
        }

        struct Close: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Close an offer: it takes no more questions.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument var id: String
            @Option var reason: String?

            func run() throws {
                var params: [String: JSONValue] = ["id": .string(id)]
                if let reason { params["reason"] = .string(reason) }
                try global.write("offer.close", params, write)
            }
        }

        struct Withdraw: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Withdraw an offer.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument var id: String
            @Option var reason: String

            func run() throws {
                try global.write("offer.withdraw", ["id": .string(id), "reason": .string(reason)], write)
            }
        }
    }

    struct Offers: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List offers, filtered; a page at a time.")
        @OptionGroup var global: GlobalOptions
        @Option var status: String?
        @Option var institution: String?
        @Option var level: String?
        @Option var kind: String?
        @Option var theme: String?
        @Option var discipline: String?
        @Option(help: "A period label (\"2026-2027 S2\") or a date inside the period.") var period: String?
        @Option var text: String?
        @Option var limit: Int = 50
        @Option var cursor: String?
        @Option(name: .customLong("as-of")) var asOf: String?

        func run() throws {
            var params: [String: JSONValue] = ["limit": .integer(Int64(limit))]
            for (key, value) in [("status", status), ("institution", institution), ("level", level), ("kind", kind), ("theme", theme),
                                 ("discipline", discipline), ("period", period), ("text", text), ("cursor", cursor)] {
                if let value { params[key] = .string(value) }
            }
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let result = try global.call("offer.list", .object(params))
            if global.json { return global.printJSON(result) }
            let offers = result["offers"]?.arrayValue ?? []
            if offers.isEmpty {
                print("no offers match")
                return
            }
            print(TextTable.render(headers: ["ID", "STATUS", "INSTITUTION", "LEVEL", "KIND", "PERIOD", "CAP", "TITLE"], rows: offers.map { offer in
                ["id", "status", "institution", "level", "kind", "period", "capacity", "title"].map { describe(offer[$0]) }
            }))
            print("\(offers.count) of \(describe(result["total"]))" + (result["next"]?.stringValue.map { "; more with --cursor \($0)" } ?? ""))
        }
    }
}

/// How `lmds show O-...` prints an offer.
func printOffer(_ offer: JSONValue) {
    var rows: [(String, String)] = [
        ("offer", "\(describe(offer["id"])) (\(describe(offer["status"])), version \(describe(offer["version"])))"),
        ("title", describe(offer["title"])),
        ("institution", "\(describe(offer["institution"])), \(describe(offer["programme"])), \(describe(offer["level"]))"),
        ("kind", describe(offer["kind"])),
        ("period", "\(describe(offer["period"]?["from"])) to \(describe(offer["period"]?["to"]))" + (offer["period"]?["label"]?.stringValue.map { " (\($0))" } ?? "")),
        ("capacity", "\(describe(offer["capacity"])) questions, teams of \(describe(offer["teamSize"]))"),
        ("themes", (offer["themes"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")),
        ("disciplines", (offer["disciplines"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")),
        ("published", describe(offer["publishedAt"])),
    ]
    if let details = offer["contactDetails"], !details.isNull {
        rows.append(("contact", "\(describe(details["name"])) <\(describe(details["email"]))> [\(describe(offer["contact"]))]"))
    }
    if let reason = offer["closingReason"]?.stringValue { rows.append(("reason", reason)) }
    print(TextTable.keyValue(rows))
    print()
    print(describe(offer["description"]))
}
