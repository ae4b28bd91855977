import ArgumentParser
import LMDSJSON
import LMDSProtocol

/// The coordinator's desk: owners (`lmds assign`), what waits on whom (`lmds desk`), notes (`lmds note`,
/// `lmds notes`; `lmds erase N-0001 --reason ...` erases one).
extension LMDSCommand {
    struct Assign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a coordinator or admin the owner of a question, or release it with --none.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The question, such as Q-0001.") var id: String
        @Argument(help: "The owner's user name (a coordinator or admin in the daemon's config).") var owner: String?
        @Flag(help: "Release the question: nobody owns it.") var none = false

        func validate() throws {
            if none == (owner != nil) { throw ValidationError("give either an OWNER or --none") }
        }

        func run() throws {
            try global.write("question.assign", ["id": .string(id), "owner": owner.map { .string($0) } ?? .null], write,
                             flags: ["id": "ID", "owner": "OWNER"])
        }
    }

    struct Desk: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What waits on you (or, for admins, on --for USER) now: by kind, oldest first, with why and since when.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("for"), help: "Another configured user's desk (admins only).") var user: String?
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the desk as it was then.") var asOf: String?

        func run() throws {
            var params: [String: JSONValue] = [:]
            if let user { params["for"] = .string(user) }
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let desk = try global.call("desk.get", .object(params), flags: ["for": "--for", "asOf": "--as-of"])
            if global.json { return global.printJSON(desk) }
            let view = try global.peopleView()
            print("desk of \(describe(desk["for"])) (\(describe(desk["role"]))): \(English.count(Int(desk["total"]?.integerValue ?? 0), "item"))")
            for kind in desk["kinds"]?.arrayValue ?? [] {
                let items = kind["items"]?.arrayValue ?? []
                guard !items.isEmpty else { continue }
                print()
                print("\(Self.headings[describe(kind["kind"])] ?? describe(kind["kind"])) (\(describe(kind["total"])))")
                print(TextTable.render(headers: ["SINCE", "ID", "QUESTION", "OWNER", "WHY"], rows: items.map { item in
                    let since = item["since"]?.stringValue.map { $0.count == 10 ? $0 : view.time(.string($0)) } ?? "-"
                    return [since, describe(item["entity"]), describe(item["question"]), describe(item["owner"]), describe(item["why"])]
                }))
            }
        }

        static let headings = [
            "intake": "In intake", "unproposed": "Open, no proposal", "consent": "Waiting for consent",
            "notStarted": "Agreed, not started", "overdue": "Past their period without an outcome", "followUp": "Follow-up checks due",
        ]
    }

    struct NoteCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "note",
            abstract: "Add an internal note to a question, offer, proposal, match, outcome or organisation (its text stays out of the log).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "Q-0001, O-0001, P-0001, M-0001 or R-0001.") var entity: String
        @Argument(help: "The note's text.") var text: String

        func run() throws {
            try global.write("note.add", ["entity": .string(entity), "text": .string(text)], write, versioned: false,
                             flags: ["entity": "ENTITY", "text": "TEXT"])
        }
    }

    struct Notes: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an entity's internal notes, oldest first.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Q-0001, O-0001, P-0001, M-0001 or R-0001.") var entity: String
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the notes as they were then.") var asOf: String?

        func run() throws {
            var params: [String: JSONValue] = ["entity": .string(entity)]
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let result = try global.call("note.list", .object(params), flags: ["entity": "ENTITY", "asOf": "--as-of"])
            if global.json { return global.printJSON(result) }
            let notes = result["notes"]?.arrayValue ?? []
            if notes.isEmpty { return print("no notes on \(entity)") }
            printNotes(notes, try global.peopleView())
        }
    }
}

/// Notes as people read them: id, time, author, then the text (or that it was erased, and why).
func printNotes(_ notes: [JSONValue], _ view: PeopleView) {
    print(TextTable.render(headers: ["NOTE", "ADDED", "BY", "TEXT"], rows: notes.map { note in
        let text = note["text"]?.stringValue ?? "(erased: \(describe(note["erasedReason"])))"
        return [describe(note["id"]), view.time(note["addedAt"]), describe(note["author"]), text]
    }))
}

extension GlobalOptions {
    /// Prints an entity's notes under `lmds show`, when there are any and the caller may read them
    /// (viewers may not: then nothing is printed).
    func printNotesIfAny(_ entity: String, _ view: PeopleView) throws {
        guard case .success(let result) = try invoke(try connect(), "note.list", ["entity": .string(entity)]),
            let notes = result["notes"]?.arrayValue, !notes.isEmpty
        else { return }
        print()
        print("notes")
        printNotes(notes, view)
    }
}
