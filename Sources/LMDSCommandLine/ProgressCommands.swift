import ArgumentParser
import LMDSJSON
import LMDSProtocol

/// The commands of what happens along the way of a match: `lmds milestones`, `lmds milestone plan|done|revise`,
/// `lmds checkin` and `lmds feedback [submit]`.
extension LMDSCommand {
    struct Milestones: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A match's milestones (upcoming, due, overdue or completed), its health and check-ins.",
            discussion: "Example: lmds milestones M-0001 --as-of 2027-03-01")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The match, such as M-0001.") var match: String
        @Option(name: .customLong("as-of"), help: "As it stood then: a log position or a UTC date or time; statuses as of that time.") var asOf: String?

        func run() throws {
            var params: [String: JSONValue] = ["id": .string(match)]
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let result = try global.call("match.get", .object(params), flags: ["id": "MATCH", "asOf": "--as-of"])
            if global.json { return global.printJSON(result) }
            printProgress(result, view: try global.peopleView())
        }
    }

    struct MilestoneGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "milestone", abstract: "Plan, complete and revise a match's milestones (numbered within the match).",
            subcommands: [Plan.self, Done.self, Revise.self])

        struct Plan: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Replace a match's planned milestones (--item is required, once per milestone).",
                discussion: "Example: lmds milestone plan M-0001 --item \"Kick-off|2027-02-10\" --item \"Eindpresentatie|2027-06-20\"")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The match, such as M-0001.") var match: String
            @Option(name: .customLong("item"), help: "title|due date (YYYY-MM-DD), in order (repeatable).") var items: [String] = []

            func validate() throws { try requireFlags([("--item \"title|YYYY-MM-DD\"", !items.isEmpty)]) }

            func run() throws {
                let planned = try items.map { item -> JSONValue in
                    let parts = item.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                    guard parts.count == 2 else { throw ValidationError("--item \"\(item)\": expected title|YYYY-MM-DD") }
                    return ["title": .string(parts[0]), "due": .string(parts[1])]
                }
                try global.write("milestone.plan", ["match": .string(match), "items": .array(planned)], write, versioned: false,
                                 flags: ["match": "MATCH", "items": "--item", "items[].title": "--item", "items[].due": "--item"])
            }
        }

        struct Done: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Complete milestone NUMBER of a match.", discussion: "Example: lmds milestone done M-0001 2 --note \"Interviews afgerond\"")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The match, such as M-0001.") var match: String
            @Argument(help: "The milestone's number within the match.") var number: Int
            @Option(help: "A note (kept in the personal table, erasable).") var note: String?

            func run() throws {
                var params: [String: JSONValue] = ["match": .string(match), "milestone": .integer(Int64(number))]
                if let note { params["note"] = .string(note) }
                try global.write("milestone.complete", params, write, versioned: false, flags: ["match": "MATCH", "milestone": "NUMBER", "note": "--note"])
            }
        }

        struct Revise: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Move milestone NUMBER of a match to a new date (--due is required).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The match, such as M-0001.") var match: String
            @Argument(help: "The milestone's number within the match.") var number: Int
            @Option(help: "The new due date (YYYY-MM-DD).") var due: String?

            func validate() throws { try requireFlags([("--due <YYYY-MM-DD>", due != nil)]) }

            func run() throws {
                try global.write("milestone.revise", ["match": .string(match), "milestone": .integer(Int64(number)), "due": .string(due ?? "")], write,
                                 versioned: false, flags: ["match": "MATCH", "milestone": "NUMBER", "due": "--due"])
            }
        }
    }

    struct CheckinCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkin", abstract: "Record how a match is going (--health is required): on-track, at-risk or stalled.",
            discussion: "Example: lmds checkin M-0001 --health at-risk --note \"Interviews lopen achter\"")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The match, such as M-0001.") var match: String
        @Option(help: "on-track, at-risk or stalled.") var health: String?
        @Option(help: "A note (kept in the personal table, erasable).") var note: String?

        func validate() throws { try requireFlags([("--health <on-track|at-risk|stalled>", health != nil)]) }

        func run() throws {
            var params: [String: JSONValue] = ["match": .string(match), "health": .string(health ?? "")]
            if let note { params["note"] = .string(note) }
            try global.write("checkin.record", params, write, versioned: false, flags: ["match": "MATCH", "health": "--health", "note": "--note"])
        }
    }

    struct FeedbackGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "feedback", abstract: "Each side's feedback on a match: show what you may see (the default), or submit a side's answers.",
            subcommands: [Show.self, Submit.self], defaultSubcommand: Show.self)

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "A match's feedback as far as you may see it; hidden answers say why (blind until every expected side has answered).")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The match, such as M-0001.") var match: String
            @Option(name: .customLong("as-of"), help: "As it stood then: a log position or a UTC date or time.") var asOf: String?

            func run() throws {
                var params: [String: JSONValue] = ["match": .string(match)]
                if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
                let result = try global.call("feedback.get", .object(params), flags: ["match": "MATCH", "asOf": "--as-of"])
                if global.json { return global.printJSON(result) }
                printFeedback(result, view: try global.peopleView())
            }
        }

        struct Submit: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Submit one side's answers (--side, --moment and an --answer per question are required).",
                discussion: """
                    Example: lmds feedback submit M-0001 --side requester --moment end --answer satisfaction=5 --answer usefulness=4 \\
                      --answer learning=4 --answer collaboration=5 --answer again=5 --comment "Heel bruikbaar advies"
                    """)
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The match, such as M-0001.") var match: String
            @Option(help: "requester, education or students.") var side: String?
            @Option(help: "end or followup.") var moment: String?
            @Option(name: .customLong("answer"), help: "question=number (repeatable; lmds feedback M-0001 lists the questions).") var answers: [String] = []
            @Option(help: "A comment (kept in the personal table, erasable).") var comment: String?

            func validate() throws {
                try requireFlags([("--side <requester|education|students>", side != nil), ("--moment <end|followup>", moment != nil),
                                  ("--answer question=number", !answers.isEmpty)])
            }

            func run() throws {
                var given: [String: JSONValue] = [:]
                for answer in answers {
                    let parts = answer.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2, let number = Int64(parts[1]) else { throw ValidationError("--answer \"\(answer)\": expected question=number") }
                    given[parts[0]] = .integer(number)
                }
                var params: [String: JSONValue] = [
                    "match": .string(match), "side": .string(side ?? ""), "moment": .string(moment ?? ""), "answers": .object(given),
                ]
                if let comment { params["comment"] = .string(comment) }
                try global.write("feedback.submit", params, write, versioned: false,
                                 flags: ["match": "MATCH", "side": "--side", "moment": "--moment", "answers": "--answer", "comment": "--comment"])
            }
        }
    }
}

/// `--milestone "title|days"` flags as `offer.publish`'s and `offer.revise`'s `milestones`.
func milestoneTemplate(_ items: [String]) throws -> JSONValue {
    .array(try items.map { item in
        let parts = item.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let days = Int64(parts[1]) else { throw ValidationError("--milestone \"\(item)\": expected title|days after the start") }
        return ["title": .string(parts[0]), "dayOffset": .integer(days)]
    })
}

/// How `lmds milestones` prints a match's milestones, health and check-ins.
func printProgress(_ match: JSONValue, view: PeopleView) {
    print("\(describe(match["id"])) (\(describe(match["status"]))): \(describe(match["questionTitle"]))")
    print("health: \(match["health"]?.stringValue ?? "no check-in yet")")
    let milestones = match["milestones"]?.arrayValue ?? []
    if milestones.isEmpty {
        print("no milestones planned (lmds milestone plan \(describe(match["id"])) --item \"title|YYYY-MM-DD\")")
    } else {
        print(TextTable.render(headers: ["#", "MILESTONE", "DUE", "STATUS", "COMPLETED", "NOTE"], rows: milestones.map { milestone in
            [describe(milestone["number"]), describe(milestone["title"]), describe(milestone["due"]), describe(milestone["status"]),
             describe(milestone["completedOn"]), describe(milestone["note"])]
        }))
    }
    let checkIns = match["checkIns"]?.arrayValue ?? []
    guard !checkIns.isEmpty else { return }
    print("check-ins:")
    print(TextTable.render(headers: ["#", "HEALTH", "RECORDED", "NOTE"], rows: checkIns.map { checkIn in
        [describe(checkIn["number"]), describe(checkIn["health"]), view.time(checkIn["recordedAt"]), describe(checkIn["note"])]
    }))
}

/// How `lmds feedback` prints what the caller may see: per moment, each side's answers or why they are hidden.
func printFeedback(_ feedback: JSONValue, view: PeopleView) {
    let expected = (feedback["expectedSides"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " and ")
    print("\(describe(feedback["match"])): feedback from every side, blind until \(expected) have answered or \(describe(feedback["windowDays"])) days have passed")
    for moment in feedback["moments"]?.arrayValue ?? [] {
        let name = describe(moment["moment"])
        let sides = (moment["sides"]?.arrayValue ?? []).filter { $0["submitted"]?.boolValue == true }
        guard !sides.isEmpty else {
            print("\(name): no answers yet")
            continue
        }
        print("\(name): \(moment["revealed"]?.boolValue == true ? "shown" : "blind")"
              + (moment["windowClosesOn"]?.stringValue.map { ", window closes on \($0)" } ?? ""))
        for side in sides {
            let when = view.time(side["submittedAt"])
            guard case .object(let answers)? = side["answers"] else {
                print("  \(describe(side["side"])): answered \(when) (hidden)")
                continue
            }
            let text = answers.sorted { $0.key < $1.key }.map { "\($0.key) \(describe($0.value))" }.joined(separator: ", ")
            print("  \(describe(side["side"])) (\(when)): \(text)" + (side["comment"]?.stringValue.map { "; comment: \($0)" } ?? ""))
        }
        if let hidden = moment["hidden"]?.stringValue { print("  hidden: \(hidden)") }
    }
}
