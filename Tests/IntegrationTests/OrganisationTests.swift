import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// Partner organisations as records through the real daemon, CLI and LMDB file.
@Suite struct OrganisationTests {
    static func cli(_ workspace: Workspace, _ arguments: [String]) throws -> ProcessResult {
        try run(Binaries.cli, arguments + ["--socket", workspace.socketPath])
    }

    /// Organisations registered through the CLI and the socket (Dutch names and labels round-trip), a name in
    /// use once folded refused with the record that has it, a revision, the list's filters, a merge through
    /// the CLI (the merged one points to the survivor, both histories show it), a note on an organisation,
    /// `lmds show` and `lmds organisations`; all of it the same after a restart, and `replay --check` agrees.
    @Test func registerReviseListAndMerge() throws {
        let workspace = Workspace()
        var daemon = try DaemonProcess(workspace: workspace)
        let registered = try Self.cli(workspace, ["organisation", "register", "Stichting Café Ëlan", "--kind", "Stichting of vereniging",
                                                  "--neighbourhood", "Bos- en Gasthuisdistrict", "--website", "https://elan.example"])
        #expect(registered.status == 0 && registered.stdout.contains("G-0001 registered: Stichting Café Ëlan"), "\(registered.stdout) \(registered.stderr)")
        let head = try daemon.call("system.status")["position"]
        guard case .failure(let duplicate) = try daemon.client().call("organisation.register", ["name": "  stichting cafe   ELAN", "kind": "other"]) else {
            Issue.record("a name in use, folded, must be refused")
            return
        }
        #expect(duplicate.code == RPCErrorCode.conflict && duplicate.data?["existing"] == "G-0001")
        guard case .failure(let kind) = try daemon.client().call("organisation.register", ["name": "Iets", "kind": "woningcorp"]) else {
            Issue.record("an unknown kind must be refused")
            return
        }
        #expect(kind.code == RPCErrorCode.validation && kind.data?["field"] == "kind")
        #expect(try daemon.call("system.status")["position"] == head, "refusals append nothing")

        let second = try daemon.call("organisation.register", ["name": "Elan Leiden", "kind": "school", "neighbourhood": "Stevenshof"])
        #expect(second["id"] == "G-0002" && second["status"] == "registered" && second["version"] == 1)
        let revised = try daemon.call("organisation.revise", ["id": "G-0002", "kind": "foundation-or-association", "expectedVersion": 1])
        #expect(revised["version"] == 2)
        let foundations = try daemon.call("organisation.list", ["kind": "Stichting of vereniging"])
        #expect(foundations["total"] == 2)
        let inDistrict = try daemon.call("organisation.list", ["neighbourhood": "Bos- en Gasthuisdistrict", "text": "élan"])
        #expect(inDistrict["organisations"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["G-0001"])
        let first = inDistrict["organisations"]?.arrayValue?.first
        #expect(first?["kindLabel"] == "Stichting of vereniging" && first?["name"] == "Stichting Café Ëlan")

        let merged = try Self.cli(workspace, ["organisation", "merge", "G-0002", "--into", "G-0001", "--reason", "Dezelfde stichting"])
        #expect(merged.status == 0 && merged.stdout.contains("G-0002 merged into G-0001"), "\(merged.stdout) \(merged.stderr)")
        _ = try daemon.call("note.add", ["entity": "G-0001", "text": "Contactpersoon wisselt in maart"])
        for id in ["G-0001", "G-0002"] {
            let history = try daemon.call("history.get", ["id": .string(id)])["events"]?.arrayValue ?? []
            #expect(history.contains { $0["type"] == "OrganisationMerged" && $0["summary"]?.stringValue?.contains("G-0002 merged into G-0001") == true },
                    "\(id)'s history shows the merge")
        }
        #expect(try daemon.call("organisation.list")["total"] == 1, "merged records are listed only with merged: true")
        let shown = try Self.cli(workspace, ["show", "G-0001"])
        #expect(shown.status == 0 && shown.stdout.contains("Stichting Café Ëlan") && shown.stdout.contains("merged from") && shown.stdout.contains("G-0002")
                && shown.stdout.contains("Contactpersoon wisselt in maart"), "\(shown.stdout) \(shown.stderr)")
        let listed = try Self.cli(workspace, ["organisations", "--merged"])
        #expect(listed.status == 0 && listed.stdout.contains("(merged into G-0001)") && listed.stdout.contains("Stichting of vereniging"), "\(listed.stdout)")

        let before = try daemon.call("organisation.get", ["id": "G-0002"])
        #expect(before["status"] == "merged" && before["mergedInto"] == "G-0001")
        #expect(daemon.stop() == 0)
        daemon = try DaemonProcess(workspace: workspace)
        #expect(try daemon.call("organisation.get", ["id": "G-0002"]) == before)
        #expect(try daemon.call("organisation.get", ["id": "G-0001"])["mergedFrom"] == ["G-0002"])
        let check = try run(Binaries.daemon, ["replay", "--check", "--data-dir", workspace.dataDirectory, "--socket", workspace.socketPath])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
    }

    /// A requester's organisation named as text registers a record in the submission's own append (the reply
    /// and the CLI say so); the same name folded, or the record's id, links to it; the log holds one
    /// QuestionSubmitted per submission, and `organisation.adopt` finds nothing left to adopt.
    @Test func requesterOrganisationsBecomeRecords() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let submitted = try Self.cli(workspace, ["question", "submit", "--title", "Eenzaamheid", "--description", "Wat helpt?", "--neighbourhood", "Stevenshof",
                                                 "--requester-kind", "group", "--organisation", "Bewonersgroep Stevenshof"])
        #expect(submitted.status == 0 && submitted.stdout.contains("organisation G-0001 registered"), "\(submitted.stdout) \(submitted.stderr)")
        #expect(try daemon.call("system.status")["position"] == 1, "one event: the registration travels inside QuestionSubmitted")
        let params: JSONValue = ["title": "Groen", "description": "Meer groen", "neighbourhood": "Stevenshof",
                                 "requester": ["kind": "group", "organisation": "bewonersgroep  stevenshof"]]
        let linked = try daemon.call("question.submit", params)
        #expect(linked["organisation"] == ["id": "G-0001", "name": "bewonersgroep  stevenshof", "registered": false])
        let byID = try Self.cli(workspace, ["question", "submit", "--title", "Spelen", "--description", "Een speelplek", "--neighbourhood", "Stevenshof",
                                            "--requester-kind", "organisation", "--organisation", "G-0001"])
        #expect(byID.status == 0 && byID.stdout.contains("linked to organisation G-0001"), "\(byID.stdout) \(byID.stderr)")
        #expect(try daemon.call("question.get", ["id": "Q-0003"])["requester"]?["organisationId"] == "G-0001")
        #expect(try daemon.call("organisation.get", ["id": "G-0001"])["kindLabel"] == "Bewonersgroep")
        guard case .failure(let nothing) = try daemon.client().call("organisation.adopt", [:]) else {
            Issue.record("a log written with records has nothing to adopt")
            return
        }
        #expect(nothing.code == RPCErrorCode.conflict && nothing.data?["state"] == "adopted")
    }

    /// `report.get organisations`: partners, new and returning (without a period: asked once, or more), the repeat
    /// rate, per kind and per wijk, in all five formats and through the CLI.
    @Test func organisationsReport() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        for (title, organisation) in [("Eenzaamheid", "Bewonersgroep Noord"), ("Groen", "bewonersgroep noord"), ("Spelen", "Woonstichting Ëlan")] {
            _ = try daemon.call("question.submit", ["title": .string(title), "description": "Wat helpt?", "neighbourhood": "Stevenshof",
                                                    "requester": ["kind": "group", "organisation": .string(organisation)]])
        }
        _ = try daemon.call("organisation.revise", ["id": "G-0002", "kind": "housing-corporation", "neighbourhood": "Stevenshof"])
        let report = try daemon.call("report.get", ["name": "organisations"])["report"]
        let figures = Dictionary(uniqueKeysWithValues: (report?["figures"]?.arrayValue ?? []).compactMap { figure in
            figure["label"]?.stringValue.map { ($0, figure["value"] ?? .null) }
        })
        #expect(figures["partners"] == 2 && figures["new partners"] == 1 && figures["returning partners"] == 1 && figures["repeat rate"] == 0.5,
                "\(figures)")
        let kinds = report?["tables"]?.arrayValue?.first { $0["title"] == "Per kind" }?["rows"]?.arrayValue ?? []
        #expect(kinds.map { $0.arrayValue?.first } == ["Bewonersgroep", "Woningcorporatie"])
        for format in ["text", "csv", "markdown", "html"] {
            let content = try daemon.call("report.get", ["name": "organisations", "format": .string(format)])["content"]?.stringValue ?? ""
            #expect(content.contains("Woningcorporatie"), "\(format): \(content)")
        }
        let cli = try Self.cli(workspace, ["report", "organisations"])
        #expect(cli.status == 0 && cli.stdout.contains("repeat rate"), "\(cli.stdout) \(cli.stderr)")
    }

    /// Contacts are people: a requester whose e-mail (any case) or phone matches a contact is linked to it, and the
    /// reply says so (a retry repeats the first reply); the log holds no address; `person.merge` joins a duplicate
    /// (the history lists both's questions, the duplicate's details find the person); after `person.erase` the same
    /// address makes a new contact (the lookup was erased with the details).
    @Test func requestersAreLinkedToTheirContact() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        func submit(_ title: String, email: String?, phone: String? = nil, requestID: String? = nil) throws -> JSONValue {
            var requester: [String: JSONValue] = ["kind": "resident", "name": "Anouk de Vriës"]
            if let email { requester["email"] = .string(email) }
            if let phone { requester["phone"] = .string(phone) }
            var params: [String: JSONValue] = ["title": .string(title), "description": "Wat helpt?", "neighbourhood": "Stevenshof", "requester": .object(requester)]
            if let requestID { params["requestId"] = .string(requestID) }
            return try daemon.call("question.submit", .object(params))
        }
        let first = try submit("Eenzaamheid", email: "anouk@example.nl", phone: "06-1234 5678", requestID: "first")
        let retried = try submit("Eenzaamheid", email: "anouk@example.nl", requestID: "first")
        #expect(first["contact"] == nil && retried == first, "a retry is not a link")
        let again = try submit("Groen", email: " Anouk@Example.NL ")
        #expect(again["contact"] == ["id": "C-0001", "existing": true])
        let byPhone = try submit("Spelen", email: nil, phone: "0612345678")
        #expect(byPhone["contact"] == ["id": "C-0001", "existing": true])
        #expect(try daemon.call("question.get", ["id": "Q-0003"])["requester"]?["contact"] == "C-0001")
        let history = try daemon.call("history.get", ["id": "C-0001"])["events"]?.arrayValue ?? []
        #expect(history.filter { $0["type"] == "QuestionSubmitted" }.count == 3, "the contact's history lists all their questions")
        let log = try daemon.call("events.read", ["from": 1, "limit": 100])
        #expect(!"\(log)".lowercased().contains("anouk@example.nl") && !"\(log)".contains("12345678"), "no address or number in the log")
        // Asked once more with other details: a second contact, which person.merge joins to the first.
        _ = try submit("Verkeer", email: "a.devries@example.nl")
        let merged = try daemon.call("person.merge", ["into": "C-0001", "from": "C-0002"])
        #expect(merged["id"] == "C-0001")
        let joined = try daemon.call("history.get", ["id": "C-0001"])["events"]?.arrayValue ?? []
        #expect(joined.filter { $0["type"] == "QuestionSubmitted" }.count == 4 && joined.contains { $0["type"] == "ContactsMerged" })
        #expect(try submit("Nog een", email: "a.devries@example.nl")["contact"] == ["id": "C-0001", "existing": true], "the duplicate's details find the person")
        _ = try daemon.call("person.erase", ["id": "C-0001"])
        let afterErasure = try submit("Opnieuw", email: "anouk@example.nl")
        let renewed = try daemon.call("question.get", ["id": "Q-0006"])["requester"]?["contact"]
        #expect(afterErasure["contact"] == nil && renewed == "C-0003")
    }
}

