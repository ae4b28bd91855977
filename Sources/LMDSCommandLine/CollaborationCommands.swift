import ArgumentParser
import LMDSJSON
import LMDSProtocol

/// The filters every list of proposals, matches and outcomes takes, as `*.list` params.
struct LinkFilterOptions: ParsableArguments {
    @Option(help: "The status; \(Choices.linkStatuses).") var status: String?
    @Option(help: "Only those of this question.") var question: String?
    @Option(help: "Only those of this offer.") var offer: String?
    @Option(help: "The question's district or wijk.") var neighbourhood: String?
    @Option(help: "The offer's institution.") var institution: String?
    @Option(help: "A theme, by id or label.") var theme: String?
    @Option(help: "A discipline, by id or label.") var discipline: String?
    @Option(help: "The offer's level, by id or label: \(Choices.levels).") var level: String?
    @Option(help: "The offer's period: a label (\"2026-2027 S2\") or a date inside it.") var period: String?
    @Option(help: "Words that must all appear (case and accents ignored).") var text: String?
    @Option(help: "At most this many (1 to 500).") var limit: Int = 50
    @Option(help: "Continue after this id (the `next` of the previous page).") var cursor: String?
    @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the list as it was then.") var asOf: String?

    /// The lists' params by these flags.
    static let flags: FlagTable = [
        "status": "--status", "question": "--question", "offer": "--offer", "neighbourhood": "--neighbourhood", "institution": "--institution",
        "theme": "--theme", "discipline": "--discipline", "level": "--level", "period": "--period", "text": "--text", "limit": "--limit",
        "cursor": "--cursor", "asOf": "--as-of",
    ]

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

/// Prints one page of a list as a table, with the paging line under it; each column's cell from its item
/// and the people view (labels, times).
func printPage(_ result: JSONValue, key: String, columns: [(header: String, cell: (JSONValue, PeopleView) -> String)], empty: String,
               global: GlobalOptions) throws {
    if global.json { return global.printJSON(result) }
    let items = result[key]?.arrayValue ?? []
    if items.isEmpty {
        print(empty)
        return
    }
    let view = try global.peopleView()
    print(TextTable.render(headers: columns.map(\.header), rows: items.map { item in columns.map { $0.cell(item, view) } }))
    print(pageLine(result, count: items.count))
}

/// A column that shows a member as it is.
func plain(_ field: String) -> (JSONValue, PeopleView) -> String { { item, _ in describe(item[field]) } }

extension LMDSCommand {
    struct Propose: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose a question to an offer; both sides must then accept (lmds accept) before it expires.",
            discussion: "Example: lmds propose Q-0001 O-0002 --note \"Past bij de wijkaanpak van de minor\"")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The question, such as Q-0001 (required).") var question: String?
        @Argument(help: "The offer, such as O-0002 (required).") var offer: String?
        @Option(help: "Why this match: a note for both sides.") var note: String?

        static let flags: FlagTable = ["question": "QUESTION", "offer": "OFFER", "note": "--note"]

        func validate() throws { try requireFlags([("QUESTION (Q-…)", question != nil), ("OFFER (O-…)", offer != nil)]) }

        func run() throws {
            var params: [String: JSONValue] = ["question": .string(question ?? ""), "offer": .string(offer ?? "")]
            if let note { params["note"] = .string(note) }
            try global.write("proposal.create", params, write, versioned: false, flags: Self.flags)
        }
    }

    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept a proposal for one side (--side is required); when both sides have, the match is agreed.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The proposal, such as P-0001.") var id: String
        @Option(help: "The side that accepts (required): \(Choices.sides).") var side: String?

        static let flags: FlagTable = ["id": "ID", "side": "--side"]

        func validate() throws { try requireFlags([("--side <requester|education>", side != nil)]) }

        func run() throws {
            try global.write("proposal.accept", ["id": .string(id), "side": .string(side ?? "")], write, flags: Self.flags)
        }
    }

    struct Decline: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decline a proposal for one side, with the reason (--side and --reason are required).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The proposal, such as P-0001.") var id: String
        @Option(help: "The side that declines (required): \(Choices.sides).") var side: String?
        @Option(help: "Why (required).") var reason: String?

        static let flags: FlagTable = ["id": "ID", "side": "--side", "reason": "--reason"]

        func validate() throws { try requireFlags([("--side <requester|education>", side != nil), ("--reason <text>", reason != nil)]) }

        func run() throws {
            try global.write("proposal.decline", ["id": .string(id), "side": .string(side ?? ""), "reason": .string(reason ?? "")], write, flags: Self.flags)
        }
    }

    struct ProposalGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "proposal", abstract: "Manage proposals (see also propose, accept, decline).", subcommands: [Withdraw.self])

        struct Withdraw: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Withdraw a pending proposal, with the reason (--reason is required).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The proposal, such as P-0001.") var id: String
            @Option(help: "Why (required).") var reason: String?

            func validate() throws { try requireFlags([("--reason <text>", reason != nil)]) }

            func run() throws {
                try global.write("proposal.withdraw", ["id": .string(id), "reason": .string(reason ?? "")], write, flags: ["id": "ID", "reason": "--reason"])
            }
        }
    }

    struct Proposals: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List proposals, filtered; a page at a time.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var filter: LinkFilterOptions

        func run() throws {
            var result = try global.call("proposal.list", filter.params, flags: LinkFilterOptions.flags)
            if !global.json, var page = result.objectValue {
                page["proposals"] = .array((page["proposals"]?.arrayValue ?? []).map { row in
                    guard var members = row.objectValue else { return row }
                    let consents = ["requester", "education"].filter { row["consents"]?[$0]?.boolValue == true }
                    members["consents"] = .string(consents.isEmpty ? "-" : consents.joined(separator: "+"))
                    return .object(members)
                })
                result = .object(page)
            }
            try printPage(result, key: "proposals", columns: [("ID", plain("id")), ("STATUS", plain("status")), ("QUESTION", plain("question")),
                                                              ("OFFER", plain("offer")), ("CONSENTS", plain("consents")),
                                                              ("EXPIRES", { $0["status"] == "proposed" ? $1.time($0["expiresAt"]) : "-" }),
                                                              ("QUESTION TITLE", plain("questionTitle"))],
                          empty: "no proposals match", global: global)
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start an agreed match: the team begins (--students is required).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The match, such as M-0001.") var id: String
        @Option(help: "How many students form the team, 1 to 500 (required).") var students: Int?
        @Option(name: .customLong("started-on"), help: "The start date (YYYY-MM-DD; default: today). It must lie within the offer's period, unless --force.") var startedOn: String?
        @Flag(help: "Start even when the start date lies outside the offer's period (the reply then warns).") var force = false

        static let flags: FlagTable = ["id": "ID", "students": "--students", "startedOn": "--started-on", "start": "--started-on", "force": "--force"]

        func validate() throws { try requireFlags([("--students <1-500>", students != nil)]) }

        func run() throws {
            var params: [String: JSONValue] = ["id": .string(id), "students": .integer(Int64(students ?? 0))]
            if let startedOn { params["startedOn"] = .string(startedOn) }
            if force { params["force"] = .bool(true) }
            try global.write("match.start", params, write, flags: Self.flags)
        }
    }

    struct MatchGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "match", abstract: "Manage matches: start, cancel, close.", subcommands: [Start.self, Cancel.self, Close.self])

        struct Cancel: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Cancel an agreed or started match, with the reason (--reason is required).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The match, such as M-0001.") var id: String
            @Option(help: "Why (required).") var reason: String?

            func validate() throws { try requireFlags([("--reason <text>", reason != nil)]) }

            func run() throws {
                try global.write("match.cancel", ["id": .string(id), "reason": .string(reason ?? "")], write, flags: ["id": "ID", "reason": "--reason"])
            }
        }

        struct Close: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Close a delivered match.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The match, such as M-0001.") var id: String
            @Option(help: "A closing note.") var note: String?

            func run() throws {
                var params: [String: JSONValue] = ["id": .string(id)]
                if let note { params["note"] = .string(note) }
                try global.write("match.close", params, write, flags: ["id": "ID", "note": "--note"])
            }
        }
    }

    struct Matches: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List matches, filtered; a page at a time.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var filter: LinkFilterOptions
        @Option(help: "Only matches whose latest check-in says on-track, at-risk or stalled.") var health: String?

        func run() throws {
            var params = filter.params.objectValue ?? [:]
            if let health { params["health"] = .string(health) }
            var flags = LinkFilterOptions.flags
            flags["health"] = "--health"
            try printPage(try global.call("match.list", .object(params), flags: flags), key: "matches",
                          columns: [("ID", plain("id")), ("STATUS", plain("status")), ("QUESTION", plain("question")), ("OFFER", plain("offer")),
                                    ("INSTITUTION", { $1.label("institution", $0["institution"]) }), ("STUDENTS", plain("students")),
                                    ("HEALTH", plain("health")), ("OUTCOME", plain("outcome")), ("QUESTION TITLE", plain("questionTitle"))],
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

            func validate() throws { try requireFlags([("--summary <text>", try content.params()["summary"] != nil)]) }

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
                try global.write("outcome.record", params, write, versioned: false, flags: OutcomeContentOptions.flags.merging(["match": "MATCH", "followUps": "--follow-up"]) { $1 })
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
                try global.write("outcome.revise", params, write, flags: OutcomeContentOptions.flags.merging(["id": "ID"]) { $1 })
            }
        }
    }

    struct Outcomes: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List outcomes, filtered; a page at a time.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var filter: LinkFilterOptions

        func run() throws {
            try printPage(try global.call("outcome.list", filter.params, flags: LinkFilterOptions.flags), key: "outcomes",
                          columns: [("ID", plain("id")), ("MATCH", plain("match")), ("QUESTION", plain("question")), ("OFFER", plain("offer")),
                                    ("DELIVERABLES", plain("deliverables")), ("FOLLOW-UP DUE", plain("followUpDue")), ("USED", plain("followUp")),
                                    ("QUESTION TITLE", plain("questionTitle"))],
                          empty: "no outcomes match", global: global)
        }
    }

    struct Followups: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "followups", abstract: "List follow-up checks of outcomes: due and overdue by default.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The checks: \(Choices.followupStatuses).") var status: String?
        @Option(help: "Judge on this date (YYYY-MM-DD; default: today).") var on: String?
        @Option(help: "At most this many (1 to 500).") var limit: Int = 50
        @Option(help: "Continue after this id (the `next` of the previous page).") var cursor: String?
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the checks as they stood then.") var asOf: String?

        func run() throws {
            var params: [String: JSONValue] = ["limit": .integer(Int64(limit))]
            for (key, value) in [("status", status), ("on", on), ("cursor", cursor)] {
                if let value { params[key] = .string(value) }
            }
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let result = try global.call("followup.list", .object(params),
                                         flags: ["status": "--status", "on": "--on", "limit": "--limit", "cursor": "--cursor", "asOf": "--as-of"])
            if !global.json { print("follow-up checks on \(describe(result["on"])):") }
            try printPage(result, key: "followUps",
                          columns: [("OUTCOME", plain("outcome")), ("DUE", plain("due")), ("STATUS", plain("status")), ("USED", plain("used")),
                                    ("QUESTION", plain("question")), ("QUESTION TITLE", plain("questionTitle"))],
                          empty: "no follow-up checks match", global: global)
        }
    }

    struct FollowupGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "followup", abstract: "Record follow-up checks.", subcommands: [Record.self])

        struct Record: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Record whether the requester used what was delivered (--used is required).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The outcome, such as R-0001.") var outcome: String
            @Option(help: "Whether it was used (required): \(Choices.used).") var used: String?
            @Option(help: "What was learned.") var note: String?

            static let flags: FlagTable = ["outcome": "OUTCOME", "used": "--used", "note": "--note"]

            func validate() throws { try requireFlags([("--used <yes|partly|no>", used != nil)]) }

            func run() throws {
                var params: [String: JSONValue] = ["outcome": .string(outcome), "used": .string(used ?? "")]
                if let note { params["note"] = .string(note) }
                try global.write("followup.record", params, write, versioned: false, flags: Self.flags)
            }
        }
    }
}

/// The fields of an outcome as flags, or a JSON file with them.
struct OutcomeContentOptions: ParsableArguments {
    @Option(help: "A JSON file with the params (flags given as well override it).") var file: String?
    @Option(help: "What the collaboration delivered (required to record).") var summary: String?
    @Option(name: .customLong("deliverable"), help: """
        kind|title|uri|visibility|embargoUntil, repeatable; kind: \(Choices.deliverableKinds); visibility: \(Choices.visibilities); \
        embargoUntil (YYYY-MM-DD) only with embargo.
        """)
    var deliverables: [String] = []
    @Option(help: "How many students took part (default: the team's size).") var students: Int?
    @Option(help: "Hours spent, all students together.") var hours: Int?
    @Option(name: .customLong("competence"), help: "A competence the students developed (repeatable).") var competences: [String] = []
    @Option(name: .customLong("rating-requester"), help: "1-5.") var ratingRequester: Int?
    @Option(name: .customLong("rating-education"), help: "1-5.") var ratingEducation: Int?
    @Option(help: "What it meant for the neighbourhood.") var impact: String?

    /// outcome.record's and outcome.revise's params by these flags.
    static let flags: FlagTable = [
        "summary": "--summary", "deliverables": "--deliverable", "students": "--students", "hours": "--hours", "competences": "--competence",
        "ratings.requester": "--rating-requester", "ratings.education": "--rating-education", "ratings": "--rating-requester", "impact": "--impact",
    ]

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

/// How `lmds show P-...` prints a proposal: while it is pending, each side's consent and the expiry; once
/// it is decided, who declined (or that it was withdrawn or expired) and no expiry.
func printProposal(_ proposal: JSONValue, _ view: PeopleView) {
    var rows: [(String, String)] = [
        ("proposal", "\(describe(proposal["id"])) (\(describe(proposal["status"])), version \(describe(proposal["version"])))"),
        ("question", "\(describe(proposal["question"])): \(describe(proposal["questionTitle"]))"),
        ("offer", "\(describe(proposal["offer"])): \(describe(proposal["offerTitle"]))"),
        ("consents", proposalConsents(proposal)),
        ("created", view.time(proposal["createdAt"])),
    ]
    if proposal["status"]?.stringValue == "proposed" { rows.append(("expires", view.time(proposal["expiresAt"]))) }
    if let note = proposal["note"]?.stringValue { rows.append(("note", note)) }
    if let match = proposal["match"]?.stringValue { rows.append(("match", match)) }
    if let side = proposal["declinedBy"]?.stringValue { rows.append(("declined by", Confirmation.side(side))) }
    if let reason = proposal["closingReason"]?.stringValue { rows.append(("reason", reason)) }
    print(TextTable.keyValue(rows))
}

/// Each side's answer to a proposal: "accepted", "waiting" while it is pending, "declined" for the side that
/// declined, and for a proposal withdrawn or expired "no answer" instead of "waiting".
func proposalConsents(_ proposal: JSONValue) -> String {
    let status = proposal["status"]?.stringValue ?? "?"
    return ["requester", "education"].map { side in
        let answer: String
        if proposal["consents"]?[side]?.boolValue == true {
            answer = "accepted"
        } else if proposal["declinedBy"]?.stringValue == side {
            answer = "declined"
        } else {
            answer = status == "proposed" ? "waiting" : "no answer"
        }
        return "\(side): \(answer)"
    }.joined(separator: ", ")
}

/// How `lmds show M-...` prints a match.
func printMatch(_ match: JSONValue, _ view: PeopleView) {
    var rows: [(String, String)] = [
        ("match", "\(describe(match["id"])) (\(describe(match["status"])), version \(describe(match["version"])))"),
        ("question", "\(describe(match["question"])): \(describe(match["questionTitle"]))"),
        ("offer", "\(describe(match["offer"])): \(describe(match["offerTitle"])) (\(view.label("institution", match["institution"])))"),
        ("proposal", describe(match["proposal"])),
        ("agreed", view.time(match["agreedAt"])),
    ]
    if let students = match["students"]?.integerValue {
        rows.append(("team", "\(English.count(Int(students), "student")), started \(describe(match["startedOn"]))"))
    }
    if let outcome = match["outcome"]?.stringValue { rows.append(("outcome", outcome)) }
    if let reason = match["closingReason"]?.stringValue { rows.append(("reason", reason)) }
    print(TextTable.keyValue(rows))
}

/// How `lmds show R-...` prints an outcome.
func printOutcome(_ outcome: JSONValue, _ view: PeopleView) {
    var rows: [(String, String)] = [
        ("outcome", "\(describe(outcome["id"])) (version \(describe(outcome["version"])))"),
        ("match", describe(outcome["match"])),
        ("question", "\(describe(outcome["question"])): \(describe(outcome["questionTitle"]))"),
        ("offer", "\(describe(outcome["offer"])): \(describe(outcome["offerTitle"]))"),
        ("recorded", view.time(outcome["recordedAt"])),
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
    if let withheld = outcome["withheld"]?.integerValue, withheld > 0 {
        rows.append(("withheld", English.count(Int(withheld), "internal or embargoed deliverable")))
    }
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
