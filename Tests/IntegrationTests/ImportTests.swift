import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// `lmds import questions|offers FILE.csv` through the real CLI and daemon.
@Suite struct CSVImportTests {
    static let questions = "\u{FEFF}Titel;Omschrijving;Soort aanvrager;Organisatie;Naam;E-mail;Wijk;Thema's;Niveaus;Van;Tot\n"
        + "\"Eenzaamheid; ouderen\";\"Ouderen in de \"\"Stevenshof\"\" zien elkaar weinig, ook in het café\";bewonersgroep;Buurtvereniging;Anouk;anouk@example.nl;Stevenshof;loneliness|elderly;hbo;2027-02-01;2027-06-30\n"
        + "Parkeren;Te weinig plek;bewoner;;;;Atlantis;mobility;hbo;2027-02-01;2027-06-30\n"
        + "Bomen;Meer groen;bewoner;;;;Bos- en Gasthuisdistrict;biodiversity;;2027-02-30;2027-06-30\n"

    /// A dry run names every bad row by line and column; a real import with bad rows imports nothing;
    /// a clean file imports all rows in one append, Dutch text byte for byte.
    @Test func questionsAllOrNothing() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let file = workspace.write("vragen.csv", Self.questions)
        let dry = try run(Binaries.cli, ["import", "questions", file, "--dry-run", "--socket", workspace.socketPath])
        #expect(dry.status == 1)
        #expect(dry.stdout.contains("line 3, column for neighbourhood") && dry.stdout.contains("Atlantis"), "\(dry.stdout)")
        #expect(dry.stdout.contains("line 4, column for window.from"))
        #expect(!dry.stdout.contains("line 2"), "the first row is valid")
        let real = try run(Binaries.cli, ["import", "questions", file, "--socket", workspace.socketPath])
        #expect(real.status == 1 && real.stdout.contains("nothing imported"))
        #expect(try daemon.call("system.status")["position"] == 0)

        let clean = workspace.write("schoon.csv", Self.questions.split(separator: "\n").prefix(2).joined(separator: "\n") + "\n")
        let imported = try run(Binaries.cli, ["import", "questions", clean, "--socket", workspace.socketPath])
        #expect(imported.status == 0 && imported.stdout.contains("imported 1 question (Q-0001..Q-0001)"), "\(imported.stdout) \(imported.stderr)")
        let question = try daemon.call("question.get", ["id": "Q-0001"])
        #expect(question["title"] == "Eenzaamheid; ouderen")
        #expect(question["description"] == "Ouderen in de \"Stevenshof\" zien elkaar weinig, ook in het café")
        #expect(question["requester"]?["kind"] == "group" && question["themes"] == ["loneliness", "elderly"])
        #expect(daemon.stop() == 0)
    }

    /// Offers from a comma-separated file with English headers; a row naming an unknown institution is
    /// refused with its line, and nothing of the file is imported.
    @Test func offersCommaSeparated() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let header = "title,description,institution,programme,level,kind,themes,from,to,period,capacity\n"
        let good = "Minor Wijkzorg,\"Zorg, welzijn en wonen\",Hogeschool Leiden,Social Work,hbo,minor,care,2027-02-01,2027-06-30,2026-2027 S2,3\n"
        let bad = "Onderzoek,Iets,Sorbonne,Sociologie,wo-master,research,,2027-02-01,2027-06-30,,2\n"
        let both = workspace.write("aanbod.csv", header + good + bad)
        let refused = try run(Binaries.cli, ["import", "offers", both, "--socket", workspace.socketPath])
        #expect(refused.status == 1 && refused.stdout.contains("line 3, column for institution"), "\(refused.stdout)")
        #expect(try daemon.call("system.status")["position"] == 0)
        let fine = workspace.write("goed.csv", header + good)
        #expect(try run(Binaries.cli, ["import", "offers", fine, "--socket", workspace.socketPath]).status == 0)
        #expect(try daemon.call("offer.get", ["id": "O-0001"])["description"] == "Zorg, welzijn en wonen")
        #expect(daemon.stop() == 0)
    }
}
