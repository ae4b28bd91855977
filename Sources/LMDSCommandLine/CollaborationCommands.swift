import ArgumentParser
import LMDSJSON
import LMDSProtocol

/// The filters every list of proposals, matches and outcomes takes, as `*.list` params.
struct LinkFilterOptions: ParsableArguments {
    @Option var status: String?
    @Option(help: "Only those of this question.") var question: String?
    @Option(help: "Only those of this offer.") var offer: String?
    @Option(help: "The question's district or wijk.") var neighbourhood: String?
    @Option(help: "The offer's institution.") var institution: String?
    @Option var theme: String?
    @Option var discipline: String?
    @Option(help: "The offer's level.") var level: String?
    @Option(help: "The offer's period: a label (\"2026-2027 S2\") or a date inside it.") var period: String?
    @Option(help: "Words that must all appear (case and accents ignored).") var text: String?
    @Option var limit: Int = 50
    @Option(help: "Continue after this id (the `next` of the previous page).") var cursor: String?
    @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the list as it was then.") var asOf: String?

    var params: JSONValue {
        var params: [String: JSONValue] = ["limit": .integer(Int64(limit))]
        for (key, value) in [("status", status), ("question", question), ("offer", offer), ("neighbourhood", neighbourhood),
                             ("institution", institution), ("theme", theme), ("discipline", discipline), ("level", level),
                             ("period", period), ("text", text), ("cursor", cursor)] {
            if let value { params[key] = .string(value) }
        }
        if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
        return .object(params)
    }
}

/// Prints one page of a list as a table, with the paging line under it.
func printPage(_ result: JSONValue, key: String, columns: [(header: String, field: String)], empty: String, global: GlobalOptions) {
    if global.json { return global.printJSON(result) }
    let items = result[key]?.arrayValue ?? []
    if items.isEmpty {
        print(empty)
        return
    }
    print(TextTable.render(headers: columns.map(\.header), rows: items.map { item in columns.map { describe(item[$0.field]) } }))
    print("\(items.count) of \(describe(result["total"]))" + (result["next"]?.stringValue.map { "; more with --cursor \($0)" } ?? ""))
}

extension LMDSCommand {
    struct Propose: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose a question to an offer; both sides must then accept (lmds accept) before it expires.",
            discussion: "Example: lmds propose Q-0001 O-0002 --note \"Past bij de wijkaanpak van de minor\"")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The question, such as Q-0001.") var question: String
        @Argument(help: "The offer, such as O-0002.") var offer: String
        @Option(help: "Why this match: a note for both sides.") var note: String?

        func run() throws {
            var params: [String: JSONValue] = ["question": .string(question), "offer": .string(offer)]
            if let note { params["note"] = .string(note) }
            try global.write("proposal.create", params, write, versioned: false)
        }
    }

    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept a proposal for one side; when both sides have, the match is agreed.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The proposal, such as P-0001.") var id: String
        @Option(help: "requester or education.") var side: String

        func run() throws {
            try global.write("proposal.accept", ["id": .string(id), "side": .string(side)], write)
        }
    }

    struct Decline: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decline a proposal for one side, with the reason.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The proposal, such as P-0001.") var id: String
        @Option(help: "requester or education.") var side: String
        @Option var reason: String

        func run() throws {
            try global.write("proposal.decline", ["id": .string(id), "side": .string(side), "reason": .string(reason)], write)
        }
    }

    struct ProposalGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "proposal", abstract: "Manage proposals (see also propose, accept, decline).", subcommands: [Withdraw.self])

        struct Withdraw: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Withdraw a pending proposal, with the reason.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument var id: String
            @Option var reason: String

            func run() throws {
                try global.write("proposal.withdraw", ["id": .string(id), "reason": .string(reason)], write)
            }
        }
    }

    struct Proposals: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List proposals, filtered; a page at a time.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var filter: LinkFilterOptions

        func run() throws {
            var result = try global.call("proposal.list", filter.params)
            if !global.json, var page = result.objectValue {
                page["proposals"] = .array((page["proposals"]?.arrayValue ?? []).map { row in
                    guard var members = row.objectValue else { return row }
                    let consents = ["requester", "education"].filter { row["consents"]?[$0]?.boolValue == true }
                    members["consents"] = .string(consents.isEmpty ? "-" : consents.joined(separator: "+"))
                    return .object(members)
                })
                result = .object(page)
            }
            printPage(result, key: "proposals", columns: [("ID", "id"), ("STATUS", "status"), ("QUESTION", "question"), ("OFFER", "offer"),
                                                          ("CONSENTS", "consents"), ("EXPIRES", "expiresAt"), ("QUESTION TITLE", "questionTitle")],
                      empty: "no proposals match", global: global)
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start an agreed match: the team begins.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The match, such as M-0001.") var id: String
        @Option(help: "How many students form the team.") var students: Int
        @Option(name: .customLong("started-on"), help: "The start date (YYYY-MM-DD; default: today).") var startedOn: String?

        func run() throws {
            var params: [String: JSONValue] = ["id": .string(id), "students": .integer(Int64(students))]
            if let startedOn { params["startedOn"] = .string(startedOn) }
            try global.write("match.start", params, write)
        }
    }

    struct MatchGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "match", abstract: "Manage matches: start, cancel, close.", subcommands: [Start.self, Cancel.self, Close.self])

        struct Cancel: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Cancel an agreed or started match, with the reason.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument var id: String
            @Option var reason: String

            func run() throws {
                try global.write("match.cancel", ["id": .string(id), "reason": .string(reason)], write)
            }
        }

        struct Close: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Close a delivered match.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument var id: String
            @Option var note: String?

            func run() throws {
                var params: [String: JSONValue] = ["id": .string(id)]
                if let note { params["note"] = .string(note) }
                try global.write("match.close", params, write)
            }
        }
    }

    struct Matches: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List matches, filtered; a page at a time.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var filter: LinkFilterOptions

        func run() throws {
            printPage(try global.call("match.list", filter.params), key: "matches",
                      columns: [("ID", "id"), ("STATUS", "status"), ("QUESTION", "question"), ("OFFER", "offer"), ("INSTITUTION", "institution"),
                                ("STUDENTS", "students"), ("OUTCOME", "outcome"), ("QUESTION TITLE", "questionTitle")],
                      empty: "no matches match", global: global)
        }
    }

    struct OutcomeGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "outcome", abstract: "Record and revise what a match delivered.", subcommands: [Record.self, Revise.self])

        struct Record: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Record the outcome of a started match (flags, or --file with outcome.record's params as JSON).",
                discussion: """
                    Example: lmds outcome record M-0001 --summary "Advies over ontmoetingsplekken" \\
                      --deliverable "report|Eindrapport|https://example.nl/r.pdf|public" \\
                      --deliverable "dataset|Interviews|https://example.nl/d|embargo|2027-09-01" \\
                      --students 4 --hours 560 --competence "interviewen" --rating-requester 5 --rating-education 4 \\
                      --follow-up "Een buurtkamer in de Stevenshof|Waar en hoe kan een buurtkamer komen?"
                    """)
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @OptionGroup var content: OutcomeContentOptions
            @Argument(help: "The match, such as M-0001.") var match: String
            @Option(name: .customLong("follow-up"), help: "title|description of a new question it raised (repeatable).") var followUps: [String] = []

            func run() throws {
                var params = try content.params()
                params["match"] = .string(match)
                if !followUps.isEmpty {
                    params["followUps"] = .array(try followUps.map { text in
                        let parts = text.split(separator: "|", maxSplits: 1).map(String.init)
                        guard parts.count == 2 else { throw ValidationError("--follow-up \"\(text)\": expected title|description") }
                        return ["title": .string(parts[0]), "description": .string(parts[1])]
                    })
                }
                try global.write("outcome.record", params, write, versioned: false)
            }
        }

        struct Revise: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Change fields of a recorded outcome (follow-up questions cannot be added).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @OptionGroup var content: OutcomeContentOptions
            @Argument(help: "The outcome, such as R-0001.") var id: String

            func run() throws {
                var params = try content.params()
                params["id"] = .string(id)
                try global.write("outcome.revise", params, write)
            }
        }
    }

    struct Outcomes: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List outcomes, filtered; a page at a time.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var filter: LinkFilterOptions

        func run() throws {
            printPage(try global.call("outcome.list", filter.params), key: "outcomes",
                      columns: [("ID", "id"), ("MATCH", "match"), ("QUESTION", "question"), ("OFFER", "offer"), ("DELIVERABLES", "deliverables"),
                                ("FOLLOW-UP DUE", "followUpDue"), ("USED", "followUp"), ("QUESTION TITLE", "questionTitle")],
                      empty: "no outcomes match", global: global)
        }
    }

    struct Followups: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "followups", abstract: "List follow-up checks of outcomes: due and overdue by default.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "open (due or overdue), pending, due, overdue, done or all.") var status: String?
        @Option(help: "Judge on this date (YYYY-MM-DD; default: today).") var on: String?
        @Option var limit: Int = 50
        @Option var cursor: String?
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the checks as they stood then.") var asOf: String?

        func run() throws {
            var params: [String: JSONValue] = ["limit": .integer(Int64(limit))]
            for (key, value) in [("status", status), ("on", on), ("cursor", cursor)] {
                if let value { params[key] = .string(value) }
            }
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let result = try global.call("followup.list", .object(params))
            if !global.json { print("follow-up checks on \(describe(result["on"])):") }
            printPage(result, key: "followUps",
                      columns: [("OUTCOME", "outcome"), ("DUE", "due"), ("STATUS", "status"), ("USED", "used"), ("QUESTION", "question"),
                                ("QUESTION TITLE", "questionTitle")],
                      empty: "no follow-up checks match", global: global)
        }
    }

    struct FollowupGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "followup", abstract: "Record follow-up checks.", subcommands: [Record.self])

        struct Record: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Record whether the requester used what was delivered.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The outcome, such as R-0001.") var outcome: String
            @Option(help: "yes, partly or no.") var used: String
            @Option var note: String?

            func run() throws {
                var params: [String: JSONValue] = ["outcome": .string(outcome), "used": .string(used)]
                if let note { params["note"] = .string(note) }
                try global.write("followup.record", params, write, versioned: false)
            }
        }
    }
}

/// The fields of an outcome as flags, or a JSON file with them.
struct OutcomeContentOptions: ParsableArguments {
    @Option(help: "A JSON file with the params (flags given as well override it).") var file: String?
    @Option var summary: String?
    @Option(name: .customLong("deliverable"), help: "kind|title|uri|visibility|embargoUntil (visibility public, internal or embargo; repeatable).")
    var deliverables: [String] = []
    @Option var students: Int?
    @Option var hours: Int?
    @Option(name: .customLong("competence"), help: "A competence the students developed (repeatable).") var competences: [String] = []
    @Option(name: .customLong("rating-requester"), help: "1-5.") var ratingRequester: Int?
    @Option(name: .customLong("rating-education"), help: "1-5.") var ratingEducation: Int?
    @Option(help: "What it meant for the neighbourhood.") var impact: String?

    func params() throws -> [String: JSONValue] {
        var params: [String: JSONValue] = [:]
        if let file {
            guard let text = readTextFile(file), case .object(let members)? = try? JSONParser.parse(text) else {
                throw ValidationError("\(file) must hold a JSON object")
            }
            params = members
        }
        if let summary { params["summary"] = .string(summary) }
        if let impact { params["impact"] = .string(impact) }
        if let students { params["students"] = .integer(Int64(students)) }
        if let hours { params["hours"] = .integer(Int64(hours)) }
        if !competences.isEmpty { params["competences"] = .array(competences.map { .string($0) }) }
        if ratingRequester != nil || ratingEducation != nil {
            var ratings = params["ratings"]?.objectValue ?? [:]
            if let ratingRequester { ratings["requester"] = .integer(Int64(ratingRequester)) }
            if let ratingEducation { ratings["education"] = .integer(Int64(ratingEducation)) }
            params["ratings"] = .object(ratings)
        }
        if !deliverables.isEmpty {
            params["deliverables"] = .array(try deliverables.map { text in
                let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 2, parts.count <= 5 else {
                    throw ValidationError("--deliverable \"\(text)\": expected kind|title|uri|visibility|embargoUntil")
                }
                var deliverable: [String: JSONValue] = ["kind": .string(parts[0]), "title": .string(parts[1])]
                for (index, key) in [(2, "uri"), (3, "visibility"), (4, "embargoUntil")] where parts.count > index && !parts[index].isEmpty {
                    deliverable[key] = .string(parts[index])
                }
                return .object(deliverable)
            })
        }
        return params
    }
}

/// How `lmds show P-...` prints a proposal.
func printProposal(_ proposal: JSONValue) {
    let consents = ["requester", "education"].map { "\($0): \(proposal["consents"]?[$0]?.boolValue == true ? "accepted" : "waiting")" }
    var rows: [(String, String)] = [
        ("proposal", "\(describe(proposal["id"])) (\(describe(proposal["status"])), version \(describe(proposal["version"])))"),
        ("question", "\(describe(proposal["question"])): \(describe(proposal["questionTitle"]))"),
        ("offer", "\(describe(proposal["offer"])): \(describe(proposal["offerTitle"]))"),
        ("consents", consents.joined(separator: ", ")),
        ("created", describe(proposal["createdAt"])),
        ("expires", describe(proposal["expiresAt"])),
    ]
    if let note = proposal["note"]?.stringValue { rows.append(("note", note)) }
    if let match = proposal["match"]?.stringValue { rows.append(("match", match)) }
    if let side = proposal["declinedBy"]?.stringValue { rows.append(("declined by", side)) }
    if let reason = proposal["closingReason"]?.stringValue { rows.append(("reason", reason)) }
    print(TextTable.keyValue(rows))
}

/// How `lmds show M-...` prints a match.
func printMatch(_ match: JSONValue) {
    var rows: [(String, String)] = [
        ("match", "\(describe(match["id"])) (\(describe(match["status"])), version \(describe(match["version"])))"),
        ("question", "\(describe(match["question"])): \(describe(match["questionTitle"]))"),
        ("offer", "\(describe(match["offer"])): \(describe(match["offerTitle"])) (\(describe(match["institution"])))"),
        ("proposal", describe(match["proposal"])),
        ("agreed", describe(match["agreedAt"])),
    ]
    if let students = match["students"]?.integerValue { rows.append(("team", "\(students) students, started \(describe(match["startedOn"]))")) }
    if let outcome = match["outcome"]?.stringValue { rows.append(("outcome", outcome)) }
    if let reason = match["closingReason"]?.stringValue { rows.append(("reason", reason)) }
    print(TextTable.keyValue(rows))
}

/// How `lmds show R-...` prints an outcome.
func printOutcome(_ outcome: JSONValue) {
    var rows: [(String, String)] = [
        ("outcome", "\(describe(outcome["id"])) (version \(describe(outcome["version"])))"),
        ("match", describe(outcome["match"])),
        ("question", "\(describe(outcome["question"])): \(describe(outcome["questionTitle"]))"),
        ("offer", "\(describe(outcome["offer"])): \(describe(outcome["offerTitle"]))"),
        ("recorded", describe(outcome["recordedAt"])),
        ("team", "\(describe(outcome["students"])) students, \(describe(outcome["hours"])) hours"),
        ("competences", (outcome["competences"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")),
        ("ratings", "requester \(describe(outcome["ratings"]?["requester"])), education \(describe(outcome["ratings"]?["education"]))"),
    ]
    for deliverable in outcome["deliverables"]?.arrayValue ?? [] {
        var text = "[\(describe(deliverable["kind"]))] \(describe(deliverable["title"])), \(describe(deliverable["visibility"]))"
        if let until = deliverable["embargoUntil"]?.stringValue { text += " until \(until)" }
        if let uri = deliverable["uri"]?.stringValue { text += " <\(uri)>" }
        rows.append(("deliverable", text))
    }
    if let withheld = outcome["withheld"]?.integerValue, withheld > 0 { rows.append(("withheld", "\(withheld) internal or embargoed deliverable(s)")) }
    if let impact = outcome["impact"]?.stringValue { rows.append(("impact", impact)) }
    let followUps = (outcome["followUps"]?.arrayValue ?? []).compactMap(\.stringValue)
    if !followUps.isEmpty { rows.append(("new questions", followUps.joined(separator: ", "))) }
    var check = "due \(describe(outcome["followUpDue"])) (\(describe(outcome["followUpStatus"])))"
    if let used = outcome["followUp"]?["used"]?.stringValue {
        check += ": used \(used)" + (outcome["followUp"]?["note"]?.stringValue.map { ", \($0)" } ?? "")
    }
    rows.append(("follow-up", check))
    print(TextTable.keyValue(rows))
    print()
    print(describe(outcome["summary"]))
}
