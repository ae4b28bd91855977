import ArgumentParser
import LMDSJSON

/// `lmds person merge` (issue 11): contacts are people, and one person who asked with other details is joined
/// to the contact they already are.
extension LMDSCommand {
    struct PersonGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "person", abstract: "Join duplicate contacts (see also lmds show C-0001, lmds history C-0001, lmds erase C-0001).",
            subcommands: [Merge.self])

        struct Merge: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Merge a duplicate contact into the contact that survives (--into is required); it cannot be undone.",
                discussion: """
                    The duplicate's questions then count as the survivor's, its history joins the survivor's, and a requester \
                    with the duplicate's e-mail address or phone number is linked to the survivor. Both keep their details. \
                    Example: lmds person merge C-0007 --into C-0003
                    """)
            @OptionGroup var global: GlobalOptions
            @OptionGroup var write: WriteOptions
            @Argument(help: "The duplicate, such as C-0007.") var id: String
            @Option(help: "The contact that survives, such as C-0003 (required).") var into: String?

            func validate() throws { try requireFlags([("--into <id>", into != nil)]) }

            func run() throws {
                try global.write("person.merge", ["into": .string(into ?? ""), "from": .string(id)], write, versioned: false,
                                 flags: ["into": "--into", "from": "ID"])
            }
        }
    }
}

/// What `lmds show C-0001` and `lmds history C-0001` print about a contact beyond its details: its questions,
/// offers and organisations (`person.get`, `history.get`), and the contact it was merged into.
func contactRecordRows(_ record: JSONValue) -> [(String, String)] {
    func ids(_ key: String) -> String {
        let ids = (record[key]?.arrayValue ?? []).compactMap(\.stringValue)
        return ids.isEmpty ? "-" : ids.joined(separator: ", ")
    }
    let organisations = (record["organisations"]?.arrayValue ?? []).map { organisation in
        organisation["id"]?.stringValue.map { "\($0) \(describe(organisation["name"]))" } ?? "\(describe(organisation["name"])) (no record)"
    }
    var rows = [("questions", ids("questions")), ("offers", ids("offers")),
                ("organisations", organisations.isEmpty ? "-" : organisations.joined(separator: "; "))]
    if let survivor = record["mergedInto"]?.stringValue { rows.append(("merged into", survivor)) }
    return rows
}
