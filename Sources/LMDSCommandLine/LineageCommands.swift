import ArgumentParser
import LMDSJSON

/// `lmds question merge` and `lmds question split` (issue 11).
extension LMDSCommand.Question {
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge duplicate questions into a survivor (--into and --reason are required); their pending proposals are withdrawn.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The questions to merge, such as Q-0007.") var ids: [String]
        @Option(help: "The question that survives (required).") var into: String?
        @Option(help: "Why (required).") var reason: String?

        func validate() throws {
            try requireFlags([("--into <id>", into != nil), ("--reason <text>", reason != nil)])
            if ids.isEmpty { throw ValidationError("name at least one question to merge") }
        }

        func run() throws {
            try global.write("question.merge", ["into": .string(into ?? ""), "from": .array(ids.map { .string($0) }), "reason": .string(reason ?? "")],
                             write, flags: ["into": "--into", "from": "IDS", "reason": "--reason"])
        }
    }

    struct Split: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split a question into parts (each --part \"Titel|Beschrijving\"; --reason is required); the parts keep its requester.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The question, such as Q-0012.") var id: String
        @Option(help: "A part as \"Titel|Beschrijving\" (two or more).") var part: [String] = []
        @Option(help: "Why (required).") var reason: String?

        func validate() throws {
            try requireFlags([("--reason <text>", reason != nil)])
            for text in part where !text.contains("|") { throw ValidationError("--part \"\(text)\": expected \"Titel|Beschrijving\"") }
        }

        func run() throws {
            let parts: [JSONValue] = part.map { text in
                let pieces = text.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                return ["title": .string(pieces[0]), "description": .string(pieces.count > 1 ? pieces[1] : "")]
            }
            try global.write("question.split", ["id": .string(id), "parts": .array(parts), "reason": .string(reason ?? "")], write,
                             flags: ["id": "ID", "parts": "--part", "reason": "--reason"])
        }
    }
}
