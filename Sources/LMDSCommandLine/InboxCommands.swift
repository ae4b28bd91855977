import ArgumentParser
import LMDSJSON
import LMDSProtocol

extension LMDSCommand {
    /// `lmds inbox`: the caller's reminders (deadlines passed), and `lmds inbox ack` to mark one seen.
    struct Inbox: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Your reminders: deadlines that passed (intake, consent, expiry, start, outcome, follow-up).",
            discussion: """
                Example: lmds inbox; lmds inbox --all; lmds inbox ack A-0001
                A reminder is resolved by the event that answers it (the consent, the start, the outcome).
                """,
            subcommands: [List.self, Ack.self], defaultSubcommand: List.self)

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List your open reminders (--all: acknowledged and resolved ones too).")
            @OptionGroup var global: GlobalOptions
            @Option(name: .customLong("for"), help: "Another person's reminders, by user name (admins only).") var user: String?
            @Flag(help: "Include acknowledged and resolved reminders.") var all = false
            @Option(help: "Only this rule: \(Choices.reminderRules).") var rule: String?
            @Option(help: "At most this many (1 to 500).") var limit: Int = 50
            @Option(help: "Continue after this id (the `next` of the previous page).") var cursor: String?

            func run() throws {
                var params: [String: JSONValue] = ["status": all ? "all" : "open", "limit": .integer(Int64(limit))]
                for (key, value) in [("for", user), ("rule", rule), ("cursor", cursor)] {
                    if let value { params[key] = .string(value) }
                }
                let result = try global.call("reminder.list", .object(params),
                                             flags: ["for": "--for", "rule": "--rule", "limit": "--limit", "cursor": "--cursor"])
                if !global.json { print("reminders for \(result["for"]?.stringValue ?? "everyone"):") }
                try printPage(result, key: "reminders",
                              columns: [("REMINDER", plain("id")), ("RULE", plain("rule")), ("ABOUT", plain("entity")),
                                        ("DUE", { item, view in view.time(item["dueAt"]) }), ("STATUS", plain("status")),
                                        ("FOR", { item, _ in Self.recipients(item["recipients"]) })],
                              empty: all ? "no reminders" : "no open reminders", global: global)
            }

            /// "coordinators, educators of universiteit-leiden, requester C-0001".
            static func recipients(_ value: JSONValue?) -> String {
                (value?.arrayValue ?? []).map { recipient in
                    switch recipient["role"]?.stringValue {
                    case "coordinator": return "coordinators"
                    case "educator": return "educators of \(describe(recipient["institution"]))"
                    case "requester": return "requester \(describe(recipient["contact"]))"
                    default: return describe(recipient["user"])
                    }
                }.joined(separator: ", ")
            }
        }

        struct Ack: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Acknowledge a reminder: you saw it (it stays until resolved).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The reminder, such as A-0001.") var id: String

            func run() throws {
                try global.write("reminder.acknowledge", ["id": .string(id)], write, versioned: false, flags: ["id": "ID"])
            }
        }
    }
}

extension Choices {
    static let reminderRules = "intake-waiting, consent-waiting, expiry-warning, not-started, outcome-missing, follow-up-due, milestone-overdue, match-stalled"
}
