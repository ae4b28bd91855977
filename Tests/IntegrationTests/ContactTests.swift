import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// Contacts are people (issue 11) through the real daemon, CLI and LMDB file: imports linked by e-mail or
/// phone, concurrent submissions, a contact's record, and `lmds person merge`.
@Suite struct ContactTests {
    static func cli(_ workspace: Workspace, _ arguments: [String]) throws -> ProcessResult {
        try run(Binaries.cli, arguments + ["--socket", workspace.socketPath])
    }

    /// `question.submit` params from a requester with these details.
    static func submission(_ title: String, email: String?, phone: String? = nil, organisation: String? = nil) -> JSONValue {
        var requester: [String: JSONValue] = ["kind": organisation == nil ? "resident" : "organisation", "name": "Anouk de Vriës"]
        if let email { requester["email"] = .string(email) }
        if let phone { requester["phone"] = .string(phone) }
        if let organisation { requester["organisation"] = .string(organisation) }
        return ["title": .string(title), "description": "Wat helpt?", "neighbourhood": "Stevenshof", "requester": .object(requester)]
    }

    /// An import's rows are linked to the contact an existing requester already is (by e-mail in any case, or by
    /// phone), two rows with one new address become one contact, and the reply and `lmds import` say which rows
    /// were linked to which contact; a retry of the import says the same.
    @Test func importedRowsAreLinkedToContacts() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try daemon.call("question.submit", Self.submission("Eerder", email: "anouk@example.nl", phone: "06-1234 5678"))
        let file = workspace.write("vragen.csv", "Titel;Omschrijving;Soort aanvrager;Naam;E-mail;Telefoon;Wijk\n"
            + "Groen;Meer bomen;bewoner;Anouk;Anouk@Example.NL;;Stevenshof\n"
            + "Spelen;Een speeltuin;bewoner;Piet;piet@example.nl;;Stevenshof\n"
            + "Verkeer;Te hard rijden;bewoner;Piet;PIET@example.nl;;Stevenshof\n"
            + "Bankjes;Om te zitten;bewoner;Anouk;;0612345678;Stevenshof\n"
            + "Licht;Donkere straat;bewoner;Joke;joke@example.nl;;Stevenshof\n")
        let imported = try Self.cli(workspace, ["import", "questions", file])
        #expect(imported.status == 0, "\(imported.stdout) \(imported.stderr)")
        #expect(imported.stdout.contains("line 2 (Q-0002) linked to existing contact C-0001"), "\(imported.stdout)")
        #expect(imported.stdout.contains("line 4 (Q-0004) linked to contact C-0002, as line 3"), "\(imported.stdout)")
        #expect(imported.stdout.contains("line 5 (Q-0005) linked to existing contact C-0001"), "\(imported.stdout)")
        #expect(!imported.stdout.contains("line 6"), "a new requester is not linked")
        let contacts = try (1...6).map { try daemon.call("question.get", ["id": .string("Q-000\($0)")])["requester"]?["contact"] }
        #expect(contacts == ["C-0001", "C-0001", "C-0002", "C-0002", "C-0001", "C-0003"])

        let rows: JSONValue = [Self.submission("Nog een", email: "joke@example.nl"), Self.submission("Nieuw", email: "kees@example.nl"),
                               Self.submission("Weer", email: nil, phone: "+31 71 000"), Self.submission("Ook", email: "KEES@example.nl", phone: "+31-71-000")]
        let result = try daemon.call("import.questions", ["rows": rows, "requestId": "import-2"])
        let expected: JSONValue = [
            ["row": 0, "id": "Q-0007", "contact": "C-0003", "existing": true],
            ["row": 3, "id": "Q-0010", "contact": "C-0004", "existing": false, "sameAsRow": 1],
        ]
        #expect(result["linked"] == expected, "\(result)")
        let retried = try daemon.call("import.questions", ["rows": rows, "requestId": "import-2"])
        #expect(retried["linked"] == expected && retried["ids"] == result["ids"], "\(retried)")
        #expect(try daemon.call("question.get", ["id": "Q-0009"])["requester"]?["contact"] == "C-0005", "another number is another person")
        #expect(daemon.stop() == 0)
    }

    /// Submissions with one new e-mail address fired at once over many connections (every request sent
    /// before any reply is read) make one contact: every question's requester is C-0001, and all but one reply
    /// say it was an existing contact.
    @Test func concurrentSubmissionsMakeOneContact() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let clients = try (0..<24).map { _ in try daemon.client() }
        for (index, client) in clients.enumerated() {
            let request: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "question.submit",
                                      "params": Self.submission("Vraag \(index)", email: index % 2 == 0 ? "nieuw@example.nl" : "Nieuw@Example.nl ")]
            try client.sendRaw(Array((JSONWriter.canonicalString(request) + "\n").utf8))
        }
        let answered = try clients.compactMap { client in try client.readMessage()["result"] }
        #expect(answered.count == clients.count)
        let contacts = try answered.map { reply in try daemon.call("question.get", ["id": reply["id"] ?? .null])["requester"]?["contact"] }
        #expect(Set(contacts.compactMap { $0?.stringValue }) == ["C-0001"], "\(contacts)")
        #expect(answered.filter { $0["contact"] == ["id": "C-0001", "existing": true] }.count == clients.count - 1)
        #expect(daemon.stop() == 0)
    }

    /// A contact's history and `person.get` list all their questions (with a merged duplicate's) and the
    /// organisations those name, by id and record name; `lmds history C-0001` and `lmds show C-0001` print them,
    /// Dutch names byte for byte.
    @Test func aContactsHistoryListsQuestionsAndOrganisations() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try daemon.call("organisation.register", ["name": "Stichting Café Ëlan", "kind": "foundation-or-association"])
        _ = try daemon.call("question.submit", Self.submission("Eenzaamheid", email: "anouk@example.nl", organisation: "stichting cafe elan"))
        _ = try daemon.call("question.submit", Self.submission("Groen", email: "anouk@example.nl", organisation: "Bos- en Gasthuisdistrict Bewoners"))
        _ = try daemon.call("question.submit", Self.submission("Spelen", email: "a.devries@example.nl"))
        _ = try daemon.call("person.merge", ["into": "C-0001", "from": "C-0002"])
        let history = try daemon.call("history.get", ["id": "C-0001"])
        #expect(history["questions"] == ["Q-0001", "Q-0002", "Q-0003"] && history["offers"] == [])
        let organisations: JSONValue = [["id": "G-0001", "name": "Stichting Café Ëlan"], ["id": "G-0002", "name": "Bos- en Gasthuisdistrict Bewoners"]]
        #expect(history["organisations"] == organisations, "\(history)")
        let before = try daemon.call("history.get", ["id": "C-0001", "asOf": 2])
        #expect(before["questions"] == ["Q-0001"] && before["organisations"] == [["id": "G-0001", "name": "Stichting Café Ëlan"]], "\(before)")
        let person = try daemon.call("person.get", ["id": "C-0001"])
        #expect(person["questions"] == history["questions"] && person["organisations"] == organisations && person["email"] == "anouk@example.nl")
        #expect(try daemon.call("person.get", ["id": "C-0002"])["mergedInto"] == "C-0001")
        for command in [["history", "C-0001"], ["show", "C-0001"]] {
            let printed = try Self.cli(workspace, command)
            #expect(printed.status == 0 && printed.stdout.contains("Q-0001, Q-0002, Q-0003")
                    && printed.stdout.contains("G-0001 Stichting Café Ëlan; G-0002 Bos- en Gasthuisdistrict Bewoners"), "\(printed.stdout) \(printed.stderr)")
        }
        #expect(daemon.stop() == 0)
    }

    /// `lmds person merge C-0002 --into C-0001` merges and says so in English; without --into it is a usage
    /// error; merging it again is refused with the daemon's reason and appends nothing.
    @Test func personMergeFromTheCommandLine() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try daemon.call("question.submit", Self.submission("Eenzaamheid", email: "anouk@example.nl"))
        _ = try daemon.call("question.submit", Self.submission("Groen", email: "a.devries@example.nl"))
        let usage = try Self.cli(workspace, ["person", "merge", "C-0002"])
        #expect(usage.status == 2 && usage.stderr.contains("--into"), "\(usage.stdout) \(usage.stderr)")
        let merged = try Self.cli(workspace, ["person", "merge", "C-0002", "--into", "C-0001"])
        #expect(merged.status == 0 && merged.stdout.contains("C-0002 merged into C-0001") && merged.stdout.contains("lmds history C-0001"),
                "\(merged.stdout) \(merged.stderr)")
        let head = try daemon.call("system.status")["position"]
        let again = try Self.cli(workspace, ["person", "merge", "C-0002", "--into", "C-0001"])
        #expect(again.status == 1 && again.stderr.contains("C-0002 was merged into C-0001"), "\(again.stdout) \(again.stderr)")
        #expect(try daemon.call("system.status")["position"] == head)
        let linked = try Self.cli(workspace, ["question", "submit", "--title", "Spelen", "--description", "Wat helpt?", "--neighbourhood", "Stevenshof",
                                              "--requester-kind", "resident", "--email", "a.devries@example.nl"])
        #expect(linked.stdout.contains("the requester is contact C-0001, who asked before"), "\(linked.stdout) \(linked.stderr)")
        #expect(daemon.stop() == 0)
    }
}
