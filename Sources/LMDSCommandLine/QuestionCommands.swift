import ArgumentParser
import LMDSJSON
import LMDSProtocol

#if canImport(Glibc)
import Glibc
#endif

/// Options every domain write takes.
struct WriteOptions: ParsableArguments {
    @Option(name: .customLong("request-id"), help: "Idempotency key: a retry with the same key returns the first result and appends nothing.")
    var requestID: String?

    @Option(name: .customLong("expected-version"), help: "Refuse (conflict) unless the entity is at this version.")
    var expectedVersion: Int?

    /// Adds `requestId` and `expectedVersion` to `params` when given.
    func apply(to params: inout [String: JSONValue], versioned: Bool = true) {
        if let requestID { params["requestId"] = .string(requestID) }
        if versioned, let expectedVersion { params["expectedVersion"] = .integer(Int64(expectedVersion)) }
    }
}

extension GlobalOptions {
    /// Calls a domain write with `params` plus the write options, and prints what it did (`Confirmation`),
    /// or the result with `--json`. Errors name the command's `flags`.
    func write(_ method: String, _ params: [String: JSONValue], _ options: WriteOptions, versioned: Bool = true, flags: FlagTable = [:]) throws {
        if !versioned && options.expectedVersion != nil {
            throw ValidationError("--expected-version does not apply here: \(CommandNames.byMethod[method] ?? method) creates or erases, it does not change a version")
        }
        var params = params
        options.apply(to: &params, versioned: versioned)
        let result = try call(method, .object(params), flags: flags)
        if json { return printJSON(result) }
        print(try confirmation(method, .object(params), result).line)
    }

    /// The confirmation of a write, with the one read of the entity it may need (never for `--json`).
    func confirmation(_ method: String, _ params: JSONValue, _ result: JSONValue) throws -> Confirmation {
        let entity = try Confirmation.readNeeded(method: method, params: params, result: result).map { try call($0.method, $0.params) }
        return Confirmation(method: method, params: params, result: result, entity: entity)
    }
}

/// `asOf` from the command line: a log position or a UTC date/time, passed on as the daemon expects.
func asOfValue(_ text: String?) -> JSONValue? {
    guard let text else { return nil }
    if let position = Int64(text) { return .integer(position) }
    return .string(text)
}

/// The values the daemon accepts where a flag takes one of a few words, for help texts (the method pages in
/// Protocol/methods list the same).
enum Choices {
    static let requesterKinds = "resident, group, organisation, municipality or company"
    static let levels = "mbo, hbo, wo-bachelor or wo-master in Leiden (lmds taxonomy lists the city's)"
    static let sizes = "small, medium (the default) or large"
    static let sides = "requester or education"
    static let offerKinds = "course, minor, thesis, internship, research or event"
    static let deliverableKinds = "report, advice, prototype, design, dataset, event, video or other"
    static let visibilities = "public, internal (the default) or embargo"
    static let used = "yes, partly or no"
    static let questionStatuses = "submitted, open, matched, completed, rejected, referred, withdrawn, merged or split"
    static let offerStatuses = "published, full, closed or withdrawn"
    static let linkStatuses = "proposals: proposed, accepted, declined, withdrawn or expired; matches: agreed, started, delivered, closed or cancelled; outcomes: recorded or followed-up"
    static let followupStatuses = "open (due or overdue), pending, due, overdue, done or all"
    static let reports = "overview, neighbourhoods, institutions, themes, talent, outcomes, followups, workload, feedback, reminders or organisations"
    static let formats = "text (the default), json, csv, markdown or html"
}

extension LMDSCommand {
    struct Question: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take questions from the city through intake: submit, accept, reject, revise, refer, withdraw, merge, split; publish on the public site.",
            subcommands: [Submit.self, Get.self, Accept.self, Reject.self, Revise.self, Refer.self, Withdraw.self, Merge.self, Split.self, Publish.self])

        /// `lmds question get Q-…`: the question in full, as `lmds show` prints it (scripts call it by this name).
        struct Get: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show one question in full (the same as lmds show Q-…).")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The question's id, Q-0001.") var id: String
            @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: as it was then.") var asOf: String?

            func validate() throws {
                guard id.hasPrefix("Q-") else { throw ValidationError("\(id) is not a question id (Q-…); lmds show takes any id") }
            }

            func run() throws { try Show.show(id: id, asOf: asOf, global: global) }
        }

        struct Submit: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Submit a question (flags, or --file with question.submit's params as JSON).",
                discussion: """
                    Required (as flags or in --file): --title, --description, --neighbourhood,
                    --requester-kind, and --organisation for the kinds organisation,
                    municipality and company.
                    Example:
                      lmds question submit --title "Eenzaamheid in de Stevenshof" \\
                        --description "..." --neighbourhood Stevenshof \\
                        --requester-kind group --organisation "Bewonersvereniging" \\
                        --name "Anouk de Vries" --email anouk@example.nl \\
                        --theme loneliness --level hbo
                    The requester's name, e-mail and phone go to the personal table,
                    never into the log.
                    """)
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Option(help: "A JSON file with question.submit's params (flags given as well override it).") var file: String?
            @Option(help: "The question's title (required).") var title: String?
            @Option(help: "What the requester asks (required).") var description: String?
            @Option(help: "District or wijk, by id or name (required; lmds taxonomy lists them).") var neighbourhood: String?
            @Option(name: .customLong("requester-kind"), help: "Who asks (required): \(Choices.requesterKinds).") var requesterKind: String?
            @Option(help: "The requester's organisation (required for organisation, municipality and company).") var organisation: String?
            @Option(help: "The requester's name (kept out of the log).") var name: String?
            @Option(help: "The requester's e-mail (kept out of the log).") var email: String?
            @Option(help: "The requester's phone (kept out of the log).") var phone: String?
            @Option(name: .customLong("theme"), help: "A theme, by id or label; repeat for more (lmds taxonomy lists them).") var themes: [String] = []
            @Option(name: .customLong("discipline"), help: "A discipline, by id or label; repeat for more.") var disciplines: [String] = []
            @Option(name: .customLong("level"), help: "A level, by id or label: \(Choices.levels); repeat for more.") var levels: [String] = []
            @Option(help: "First day the work can start (YYYY-MM-DD; with --to).") var from: String?
            @Option(help: "Last day (YYYY-MM-DD; with --from).") var to: String?
            @Option(help: "How big: \(Choices.sizes).") var size: String?

            /// question.submit's params by this command's flags.
            static let flags: FlagTable = [
                "title": "--title", "description": "--description", "neighbourhood": "--neighbourhood", "requester": "--requester-kind",
                "requester.kind": "--requester-kind", "requester.organisation": "--organisation", "requester.name": "--name",
                "requester.email": "--email", "requester.phone": "--phone", "themes": "--theme", "disciplines": "--discipline",
                "levels": "--level", "window": "--from and --to", "window.from": "--from", "window.to": "--to", "size": "--size",
            ]

            func validate() throws {
                let params = try self.params()
                let kind = params["requester"]?["kind"]?.stringValue
                try requireFlags([
                    ("--title <text>", params["title"] != nil), ("--description <text>", params["description"] != nil),
                    ("--neighbourhood <district or wijk>", params["neighbourhood"] != nil),
                    ("--requester-kind <\(Choices.requesterKinds.replacing(", ", with: "|").replacing(" or ", with: "|"))>", kind != nil),
                    ("--organisation <name> (for \(English.withArticle(kind ?? "organisation")))",
                     !["organisation", "municipality", "company"].contains(kind ?? "") || params["requester"]?["organisation"] != nil),
                ])
            }

            /// The params: the file's, with the flags given laid over them.
            func params() throws -> [String: JSONValue] {
                var params = try fileParams(file)
                var requester = params["requester"]?.objectValue ?? [:]
                for (key, value) in [("kind", requesterKind), ("organisation", organisation), ("name", name), ("email", email), ("phone", phone)] {
                    if let value { requester[key] = .string(value) }
                }
                if !requester.isEmpty { params["requester"] = .object(requester) }
                for (key, value) in [("title", title), ("description", description), ("neighbourhood", neighbourhood), ("size", size)] {
                    if let value { params[key] = .string(value) }
                }
                for (key, values) in [("themes", themes), ("disciplines", disciplines), ("levels", levels)] where !values.isEmpty {
                    params[key] = .array(values.map { .string($0) })
                }
                if from != nil || to != nil {
                    guard let from, let to else { throw ValidationError("give both --from and --to") }
                    params["window"] = ["from": .string(from), "to": .string(to)]
                }
                return params
            }

            func run() throws {
                try global.write("question.submit", try params(), write, versioned: false, flags: Self.flags)
            }
        }

        struct Accept: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Intake done: the question becomes open (optionally re-articulated).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The question, such as Q-0001.") var id: String
            @Option(help: "A re-articulated title.") var title: String?
            @Option(help: "A re-articulated description.") var description: String?

            static let flags: FlagTable = ["id": "ID", "title": "--title", "description": "--description"]

            func run() throws {
                var params: [String: JSONValue] = ["id": .string(id)]
                if let title { params["title"] = .string(title) }
                if let description { params["description"] = .string(description) }
                try global.write("question.accept", params, write, flags: Self.flags)
            }
        }

        struct Reject: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Reject a submitted question (--reason is required).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The question, such as Q-0001.") var id: String
            @Option(help: "Why (required).") var reason: String?

            static let flags: FlagTable = ["id": "ID", "reason": "--reason"]

            func validate() throws { try requireFlags([("--reason <text>", reason != nil)]) }

            func run() throws {
                try global.write("question.reject", ["id": .string(id), "reason": .string(reason ?? "")], write, flags: Self.flags)
            }
        }

        struct Revise: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Change fields of a submitted or open question.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The question, such as Q-0001.") var id: String
            @Option var title: String?
            @Option var description: String?
            @Option(help: "District or wijk, by id or name.") var neighbourhood: String?
            @Option(name: .customLong("theme"), help: "A theme, by id or label; repeat for more.") var themes: [String] = []
            @Option(name: .customLong("discipline"), help: "A discipline, by id or label; repeat for more.") var disciplines: [String] = []
            @Option(name: .customLong("level"), help: "A level, by id or label: \(Choices.levels); repeat for more.") var levels: [String] = []
            @Option(help: "How big: \(Choices.sizes).") var size: String?

            static let flags: FlagTable = [
                "id": "ID", "title": "--title", "description": "--description", "neighbourhood": "--neighbourhood", "themes": "--theme",
                "disciplines": "--discipline", "levels": "--level", "size": "--size",
            ]

            func run() throws {
                var params: [String: JSONValue] = ["id": .string(id)]
                for (key, value) in [("title", title), ("description", description), ("neighbourhood", neighbourhood), ("size", size)] {
                    if let value { params[key] = .string(value) }
                }
                for (key, values) in [("themes", themes), ("disciplines", disciplines), ("levels", levels)] where !values.isEmpty {
                    params[key] = .array(values.map { .string($0) })
                }
                try global.write("question.revise", params, write, flags: Self.flags)
            }
        }

        struct Refer: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Refer a question to another programme or city (--to and --reason are required).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The question, such as Q-0001.") var id: String
            @Option(help: "The programme or city it goes to (required).") var to: String?
            @Option(help: "Why (required).") var reason: String?

            static let flags: FlagTable = ["id": "ID", "to": "--to", "reason": "--reason"]

            func validate() throws { try requireFlags([("--to <programme or city>", to != nil), ("--reason <text>", reason != nil)]) }

            func run() throws {
                try global.write("question.refer", ["id": .string(id), "to": .string(to ?? ""), "reason": .string(reason ?? "")], write, flags: Self.flags)
            }
        }

        struct Withdraw: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Withdraw a question that is not finished (--reason is required).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The question, such as Q-0001.") var id: String
            @Option(help: "Why (required).") var reason: String?

            static let flags: FlagTable = ["id": "ID", "reason": "--reason"]

            func validate() throws { try requireFlags([("--reason <text>", reason != nil)]) }

            func run() throws {
                try global.write("question.withdraw", ["id": .string(id), "reason": .string(reason ?? "")], write, flags: Self.flags)
            }
        }
    }

    struct Questions: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List questions, filtered; a page at a time.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The status: \(Choices.questionStatuses).") var status: String?
        @Option(help: "District or wijk, by id or name.") var neighbourhood: String?
        @Option(help: "A theme, by id or label (lmds taxonomy lists them).") var theme: String?
        @Option(help: "A discipline, by id or label.") var discipline: String?
        @Option(help: "A level, by id or label: \(Choices.levels).") var level: String?
        @Option(help: "Proposed or matched to an offer of this institution (id or name).") var institution: String?
        @Option(help: "A date inside the question's window, or the period of an offer it was proposed to.") var period: String?
        @Option(help: "Words that must all appear in title or description (case and accents ignored).") var text: String?
        @Option(help: "Owned by this user.") var owner: String?
        @Flag(help: "Owned by nobody.") var unowned = false
        @Option(help: "At most this many (1 to 500).") var limit: Int = 50
        @Option(help: "Continue after this id (the `next` of the previous page).") var cursor: String?
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the list as it was then.") var asOf: String?

        static let flags: FlagTable = [
            "status": "--status", "neighbourhood": "--neighbourhood", "theme": "--theme", "discipline": "--discipline", "level": "--level",
            "institution": "--institution", "period": "--period", "text": "--text", "limit": "--limit", "cursor": "--cursor", "asOf": "--as-of",
            "owner": "--owner",
        ]

        func validate() throws {
            if unowned && owner != nil { throw ValidationError("give --owner or --unowned, not both") }
        }

        func run() throws {
            var params: [String: JSONValue] = ["limit": .integer(Int64(limit))]
            if let owner = unowned ? "none" : owner { params["owner"] = .string(owner) }
            for (key, value) in [("status", status), ("neighbourhood", neighbourhood), ("theme", theme), ("discipline", discipline),
                                 ("level", level), ("institution", institution), ("period", period), ("text", text), ("cursor", cursor)] {
                if let value { params[key] = .string(value) }
            }
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let result = try global.call("question.list", .object(params), flags: Self.flags)
            if global.json { return global.printJSON(result) }
            let questions = result["questions"]?.arrayValue ?? []
            if questions.isEmpty {
                print("no questions match")
                return
            }
            let view = try global.peopleView()
            print(TextTable.render(headers: ["ID", "STATUS", "NEIGHBOURHOOD", "THEMES", "TITLE"], rows: questions.map { question in
                // The wijk when there is one, else the district (`nil` would be JSON's null here, not Optional's).
                let place = view.label("neighbourhood", question["wijk"]?.stringValue != nil ? question["wijk"] : question["district"])
                return [describe(question["id"]), describe(question["status"]), place, view.labels("theme", question["themes"]), describe(question["title"])]
            }))
            print(pageLine(result, count: questions.count))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one question (Q-), offer (O-), proposal (P-), match (M-), outcome (R-), organisation (G-) or contact (C-) in full.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Q-0001, O-0001, P-0001, M-0001, R-0001, G-0001 or C-0001.") var id: String
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: as it was then.") var asOf: String?

        func run() throws { try Self.show(id: id, asOf: asOf, global: global) }

        /// Prints the entity `id` names (by its prefix), as it was at `asOf` when given.
        static func show(id: String, asOf: String?, global: GlobalOptions) throws {
            let flags: FlagTable = ["id": "ID", "asOf": "--as-of"]
            if id.hasPrefix("C-") {
                let person = try global.call("person.get", ["id": .string(id)], flags: flags)
                if global.json { return global.printJSON(person) }
                print(TextTable.keyValue([("contact", id), ("name", describe(person["name"])), ("email", describe(person["email"])),
                                          ("phone", describe(person["phone"]))] + contactRecordRows(person)))
                return
            }
            var params: [String: JSONValue] = ["id": .string(id)]
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let printers: [(prefix: String, method: String, print: (JSONValue, PeopleView) -> Void)] = [
                ("O-", "offer.get", printOffer), ("P-", "proposal.get", printProposal), ("M-", "match.get", printMatch),
                ("R-", "outcome.get", printOutcome), ("G-", "organisation.get", printOrganisation),
            ]
            let printer = printers.first { id.hasPrefix($0.prefix) } ?? ("Q-", "question.get", printQuestion)
            let entity = try global.call(printer.method, .object(params), flags: flags)
            if global.json { return global.printJSON(entity) }
            let view = try global.peopleView()
            printer.print(entity, view)
            try global.printNotesIfAny(id, view)
        }
    }

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a contact's personal details, or a note or feedback comment (T-0001) (right to be forgotten); history then shows \"erased\".")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The contact, such as C-0001, a note, such as N-0001, or a text, such as T-0001.") var id: String
        @Option(help: "Why a note's text is erased (required for a note).") var reason: String?

        func validate() throws {
            if id.hasPrefix("N-") && reason == nil { throw ValidationError("erasing a note needs --reason") }
            if !id.hasPrefix("N-") && reason != nil { throw ValidationError("--reason applies to notes (N-0001) only") }
        }

        func run() throws {
            if id.hasPrefix("N-") {
                return try global.write("note.erase", ["id": .string(id), "reason": .string(reason ?? "")], write, versioned: false,
                                        flags: ["id": "ID", "reason": "--reason"])
            }
            try global.write(id.hasPrefix("T-") ? "text.erase" : "person.erase", ["id": .string(id)], write, versioned: false, flags: ["id": "ID"])
        }
    }
}

/// How `lmds show Q-...` prints a question.
func printQuestion(_ question: JSONValue, _ view: PeopleView) {
    let requester = question["requester"]
    var who = describe(requester?["kind"])
    if let organisation = requester?["organisation"]?.stringValue { who += ", \(organisation)" }
    if let name = requester?["name"]?.stringValue { who += ", \(name)" }
    if let email = requester?["email"]?.stringValue { who += " <\(email)>" }
    if let contact = requester?["contact"]?.stringValue { who += " [\(contact)]" }
    let place = [question["neighbourhood"]?["wijk"], question["neighbourhood"]?["district"]].compactMap { $0?.stringValue }
        .map { view.label("neighbourhood", .string($0)) }.joined(separator: ", ")
    var rows: [(String, String)] = [
        ("question", "\(describe(question["id"])) (\(describe(question["status"])), version \(describe(question["version"])))"),
        ("title", describe(question["title"])),
        ("neighbourhood", place),
        ("requester", who),
        ("themes", view.labels("theme", question["themes"])),
        ("disciplines", view.labels("discipline", question["disciplines"])),
        ("levels", view.labels("level", question["levels"])),
        ("size", describe(question["size"])),
        ("submitted", view.time(question["submittedAt"])),
        ("owner", question["owner"]?.stringValue ?? "nobody"),
    ]
    if let window = question["window"], !window.isNull { rows.append(("window", "\(describe(window["from"])) to \(describe(window["to"]))")) }
    if let reason = question["closingReason"]?.stringValue { rows.append(("reason", reason)) }
    if let referred = question["referredTo"]?.stringValue { rows.append(("referred to", referred)) }
    if let outcome = question["followUpOf"]?.stringValue { rows.append(("follow-up of", outcome)) }
    if let survivor = question["mergedInto"]?.stringValue { rows.append(("merged into", survivor)) }
    if let original = question["splitFrom"]?.stringValue { rows.append(("split from", original)) }
    for (key, label) in [("mergedFrom", "merged from"), ("parts", "parts")] {
        let ids = (question[key]?.arrayValue ?? []).compactMap(\.stringValue)
        if !ids.isEmpty { rows.append((label, ids.joined(separator: ", "))) }
    }
    print(TextTable.keyValue(rows))
    print()
    print(describe(question["description"]))
}

/// "3 of 12; more with --cursor Q-0003" under a page of a list.
func pageLine(_ result: JSONValue, count: Int) -> String {
    "\(count) of \(describe(result["total"]))" + (result["next"]?.stringValue.map { "; more with --cursor \($0)" } ?? "")
}

/// The params in a `--file` (a JSON object), or none without one.
/// - Throws: `ValidationError` naming the file when it cannot be read or holds no JSON object.
func fileParams(_ file: String?) throws -> [String: JSONValue] {
    guard let file else { return [:] }
    guard let text = readTextFile(file) else { throw ValidationError("cannot read \(file)") }
    do {
        guard case .object(let members) = try JSONParser.parse(text) else { throw ValidationError("\(file) must hold a JSON object") }
        return members
    } catch let error as JSONParseError {
        throw ValidationError("\(file) is not valid JSON: \(error)")
    }
}

/// A small text file's contents (at most 16 MiB, UTF-8), or `nil`.
func readTextFile(_ path: String) -> String? {
    guard case .success(let bytes) = SmallFile.read(path, bytesMax: 16 << 20) else { return nil }
    return String(validating: bytes, as: UTF8.self)
}
