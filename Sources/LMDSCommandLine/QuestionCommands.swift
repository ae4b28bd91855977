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
    /// Calls a domain write with `params` plus the write options, and prints its result.
    func write(_ method: String, _ params: [String: JSONValue], _ options: WriteOptions, versioned: Bool = true) throws {
        if !versioned && options.expectedVersion != nil {
            throw ValidationError("--expected-version does not apply here: \(method) creates or erases, it does not change a version")
        }
        var params = params
        options.apply(to: &params, versioned: versioned)
        printWrite(try call(method, .object(params)), global: self)
    }
}

/// Prints a write's result: one sentence for people, the raw result with `--json`.
func printWrite(_ result: JSONValue, global: GlobalOptions) {
    if global.json { return global.printJSON(result) }
    var text = "\(describe(result["id"])) \(describe(result["status"]))"
    var details: [String] = []
    if let version = result["version"]?.integerValue { details.append("version \(version)") }
    if let position = result["position"]?.integerValue { details.append("log position \(position)") }
    if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
    if let match = result["match"]?.stringValue { text += "; match \(match)" }
    // Only the recording of an outcome (its version 1) raised its follow-up questions.
    if result["status"]?.stringValue == "recorded" && result["version"]?.integerValue == 1 {
        let followUps = (result["followUps"]?.arrayValue ?? []).compactMap(\.stringValue)
        if !followUps.isEmpty { text += "; new follow-up questions \(followUps.joined(separator: ", "))" }
        if let due = result["followUpDue"]?.stringValue { text += "; follow-up check due \(due)" }
    }
    print(text)
}

/// `asOf` from the command line: a log position or a UTC date/time, passed on as the daemon expects.
func asOfValue(_ text: String?) -> JSONValue? {
    guard let text else { return nil }
    if let position = Int64(text) { return .integer(position) }
    return .string(text)
}

extension LMDSCommand {
    struct Question: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take questions from the city through intake: submit, accept, reject, revise, refer, withdraw.",
            subcommands: [Submit.self, Get.self, Accept.self, Reject.self, Revise.self, Refer.self, Withdraw.self])

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
                    Example: lmds question submit --title "Eenzaamheid in de Stevenshof" --description "..." \\
                      --neighbourhood Stevenshof --requester-kind group --organisation "Bewonersvereniging" \\
                      --name "Anouk de Vries" --email anouk@example.nl --theme loneliness --level hbo
                    The requester's name, e-mail and phone go to the personal table, never into the log.
                    """)
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Option(help: "A JSON file with question.submit's params (flags given as well override it).") var file: String?
            @Option var title: String?
            @Option var description: String?
            @Option(help: "District or wijk, by id or name (lmds taxonomy lists them).") var neighbourhood: String?
            @Option(name: .customLong("requester-kind"), help: "resident, group, organisation, municipality or company.") var requesterKind: String?
            @Option var organisation: String?
            @Option(help: "The requester's name (kept out of the log).") var name: String?
            @Option var email: String?
            @Option var phone: String?
            @Option(name: .customLong("theme"), help: "A theme id; repeat for more.") var themes: [String] = []
            @Option(name: .customLong("discipline"), help: "A discipline id; repeat for more.") var disciplines: [String] = []
            @Option(name: .customLong("level"), help: "mbo, hbo, wo-bachelor or wo-master; repeat for more.") var levels: [String] = []
            @Option(help: "First day the work can start (YYYY-MM-DD).") var from: String?
            @Option(help: "Last day (YYYY-MM-DD).") var to: String?
            @Option(help: "small, medium or large.") var size: String?

            func run() throws {
                var params: [String: JSONValue] = [:]
                if let file {
                    guard let text = readTextFile(file) else { throw ValidationError("cannot read \(file)") }
                    do {
                        guard case .object(let members) = try JSONParser.parse(text) else { throw ValidationError("\(file) must hold a JSON object") }
                        params = members
                    } catch let error as JSONParseError {
                        throw ValidationError("\(file) is not valid JSON: \(error)")
                    }
                }
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
                try global.write("question.submit", params, write, versioned: false)
            }
        }

        struct Accept: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Intake done: the question becomes open (optionally re-articulated).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The question, such as Q-0001.") var id: String
            @Option(help: "A re-articulated title.") var title: String?
            @Option(help: "A re-articulated description.") var description: String?

            func run() throws {
                var params: [String: JSONValue] = ["id": .string(id)]
                if let title { params["title"] = .string(title) }
                if let description { params["description"] = .string(description) }
                try global.write("question.accept", params, write)
            }
        }

        struct Reject: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Reject a submitted question.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument var id: String
            @Option var reason: String

            func run() throws {
                try global.write("question.reject", ["id": .string(id), "reason": .string(reason)], write)
            }
        }

        struct Revise: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Change fields of a submitted or open question.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument var id: String
            @Option var title: String?
            @Option var description: String?
            @Option var neighbourhood: String?
            @Option(name: .customLong("theme")) var themes: [String] = []
            @Option(name: .customLong("discipline")) var disciplines: [String] = []
            @Option(name: .customLong("level")) var levels: [String] = []
            @Option var size: String?

            func run() throws {
                var params: [String: JSONValue] = ["id": .string(id)]
                for (key, value) in [("title", title), ("description", description), ("neighbourhood", neighbourhood), ("size", size)] {
                    if let value { params[key] = .string(value) }
                }
                for (key, values) in [("themes", themes), ("disciplines", disciplines), ("levels", levels)] where !values.isEmpty {
                    params[key] = .array(values.map { .string($0) })
                }
                try global.write("question.revise", params, write)
            }
        }

        struct Refer: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Refer a question to another programme or city.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument var id: String
            @Option var to: String
            @Option var reason: String

            func run() throws {
                try global.write("question.refer", ["id": .string(id), "to": .string(to), "reason": .string(reason)], write)
            }
        }

        struct Withdraw: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Withdraw a question that is not finished.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument var id: String
            @Option var reason: String

            func run() throws {
                try global.write("question.withdraw", ["id": .string(id), "reason": .string(reason)], write)
            }
        }
    }

    struct Questions: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List questions, filtered; a page at a time.")
        @OptionGroup var global: GlobalOptions
        @Option var status: String?
        @Option(help: "District or wijk.") var neighbourhood: String?
        @Option var theme: String?
        @Option var discipline: String?
        @Option var level: String?
        @Option(help: "Proposed or matched to an offer of this institution.") var institution: String?
        @Option(help: "A date inside the question's window, or the period of an offer it was proposed to.") var period: String?
        @Option(help: "Words that must all appear in title or description (case and accents ignored).") var text: String?
        @Option var limit: Int = 50
        @Option(help: "Continue after this id (the `next` of the previous page).") var cursor: String?
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the list as it was then.") var asOf: String?

        func run() throws {
            var params: [String: JSONValue] = ["limit": .integer(Int64(limit))]
            for (key, value) in [("status", status), ("neighbourhood", neighbourhood), ("theme", theme), ("discipline", discipline),
                                 ("level", level), ("institution", institution), ("period", period), ("text", text), ("cursor", cursor)] {
                if let value { params[key] = .string(value) }
            }
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let result = try global.call("question.list", .object(params))
            if global.json { return global.printJSON(result) }
            let questions = result["questions"]?.arrayValue ?? []
            if questions.isEmpty {
                print("no questions match")
                return
            }
            print(TextTable.render(headers: ["ID", "STATUS", "NEIGHBOURHOOD", "THEMES", "TITLE"], rows: questions.map { question in
                let place = question["wijk"]?.stringValue ?? question["district"]?.stringValue ?? "?"
                let themes = (question["themes"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
                return [describe(question["id"]), describe(question["status"]), place, themes, describe(question["title"])]
            }))
            print("\(questions.count) of \(describe(result["total"]))" + (result["next"]?.stringValue.map { "; more with --cursor \($0)" } ?? ""))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one question (Q-), offer (O-), proposal (P-), match (M-), outcome (R-) or contact (C-) in full.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Q-0001, O-0001, P-0001, M-0001, R-0001 or C-0001.") var id: String
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: as it was then.") var asOf: String?

        func run() throws { try Self.show(id: id, asOf: asOf, global: global) }

        /// Prints the entity `id` names (by its prefix), as it was at `asOf` when given.
        static func show(id: String, asOf: String?, global: GlobalOptions) throws {
            if id.hasPrefix("C-") {
                let person = try global.call("person.get", ["id": .string(id)])
                if global.json { return global.printJSON(person) }
                print(TextTable.keyValue([("contact", id), ("name", describe(person["name"])), ("email", describe(person["email"])),
                                          ("phone", describe(person["phone"]))]))
                return
            }
            var params: [String: JSONValue] = ["id": .string(id)]
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let printers: [(prefix: String, method: String, print: (JSONValue) -> Void)] = [
                ("O-", "offer.get", printOffer), ("P-", "proposal.get", printProposal), ("M-", "match.get", printMatch),
                ("R-", "outcome.get", printOutcome),
            ]
            if let printer = printers.first(where: { id.hasPrefix($0.prefix) }) {
                let entity = try global.call(printer.method, .object(params))
                return global.json ? global.printJSON(entity) : printer.print(entity)
            }
            let question = try global.call("question.get", .object(params))
            if global.json { return global.printJSON(question) }
            let requester = question["requester"]
            var who = describe(requester?["kind"])
            if let organisation = requester?["organisation"]?.stringValue { who += ", \(organisation)" }
            if let name = requester?["name"]?.stringValue { who += ", \(name)" }
            if let email = requester?["email"]?.stringValue { who += " <\(email)>" }
            if let contact = requester?["contact"]?.stringValue { who += " [\(contact)]" }
            let place = [question["neighbourhood"]?["wijk"]?.stringValue, question["neighbourhood"]?["district"]?.stringValue].compactMap { $0 }.joined(separator: ", ")
            var rows: [(String, String)] = [
                ("question", "\(describe(question["id"])) (\(describe(question["status"])), version \(describe(question["version"])))"),
                ("title", describe(question["title"])),
                ("neighbourhood", place),
                ("requester", who),
                ("themes", (question["themes"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")),
                ("disciplines", (question["disciplines"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")),
                ("levels", (question["levels"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")),
                ("size", describe(question["size"])),
                ("submitted", describe(question["submittedAt"])),
            ]
            if let window = question["window"], !window.isNull { rows.append(("window", "\(describe(window["from"])) to \(describe(window["to"]))")) }
            if let reason = question["closingReason"]?.stringValue { rows.append(("reason", reason)) }
            if let referred = question["referredTo"]?.stringValue { rows.append(("referred to", referred)) }
            if let outcome = question["followUpOf"]?.stringValue { rows.append(("follow-up of", outcome)) }
            print(TextTable.keyValue(rows))
            print()
            print(describe(question["description"]))
        }
    }

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a contact's personal details (right to be forgotten); history then shows \"erased\".")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The contact, such as C-0001.") var id: String

        func run() throws {
            try global.write("person.erase", ["id": .string(id)], write, versioned: false)
        }
    }
}

/// A small text file's contents (at most 16 MiB, UTF-8), or `nil`.
func readTextFile(_ path: String) -> String? {
    guard case .success(let bytes) = SmallFile.read(path, bytesMax: 16 << 20) else { return nil }
    return String(validating: bytes, as: UTF8.self)
}
