import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// Reports, time travel, offline replay, export and import through the real daemon, CLI and LMDB file.
@Suite struct ReportTests {
    /// A small pipeline: 2 questions, 2 offers, one match delivered with an outcome.
    static func seed(_ daemon: DaemonProcess) throws {
        try CollaborationTests.seed(daemon)
        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "requester"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "education"])
        _ = try daemon.call("match.start", ["id": "M-0001", "students": 4, "startedOn": "2027-02-08"])
        _ = try daemon.call("outcome.record", [
            "match": "M-0001", "summary": "Advies aan de bewonersvereniging.", "hours": 560, "competences": ["interviewen", "rapporteren"],
            "ratings": ["requester": 5, "education": 4],
            "deliverables": [["kind": "report", "title": "Openbaar rapport", "visibility": "public", "uri": "https://example.nl/rapport.pdf"],
                             ["kind": "dataset", "title": "Interne data", "visibility": "internal"]],
        ])
    }

    /// Every report's HTML page (report.mustache with the site's partials) parses as HTML5 with html5lib in strict
    /// mode, is English with one h1, and shows its figures and tables as tables.
    static func checkHTMLPages(_ daemon: DaemonProcess, in workspace: Workspace) throws {
        let pages = workspace.path + "/report-pages"
        try FileManager.default.createDirectory(atPath: pages, withIntermediateDirectories: true)
        let names = ["overview", "neighbourhoods", "institutions", "themes", "talent", "outcomes", "followups", "workload", "feedback",
                     "reminders", "organisations"]
        for name in names {
            let html = try daemon.call("report.get", ["name": .string(name), "format": "html"])["content"]?.stringValue ?? ""
            #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">") && html.components(separatedBy: "<h1").count == 2, "\(name)")
            #expect(html.contains("<table>") && html.contains("<style>") && !html.contains("<link"), "\(name)")
            _ = FileManager.default.createFile(atPath: pages + "/\(name).html", contents: Data(html.utf8))
        }
        let parsed = try run("/usr/bin/env", ["python3", Binaries.repositoryRoot + "/Tests/IntegrationTests/check-site.py", "--html-only", pages])
        #expect(parsed.status == 0 && parsed.stdout.contains("\(names.count) pages parse as HTML5"), "\(parsed.stdout)\(parsed.stderr)")
    }

    /// Every report in every format; figures as defined; an asOf report stays identical after later events.
    @Test func reportsInEveryFormatAndTimeTravel() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try Self.seed(daemon)
        let overview = try daemon.call("report.get", ["name": "overview", "format": "json"])["report"]
        let figures = Dictionary(uniqueKeysWithValues: (overview?["figures"]?.arrayValue ?? []).compactMap { figure in
            figure["label"]?.stringValue.map { ($0, figure["value"] ?? .null) }
        })
        #expect(figures["questions"] == 2)
        #expect(figures["match rate"]?.doubleValue == 0.5)
        #expect(figures["outcomes recorded"] == 1)
        let wijken = try daemon.call("report.get", ["name": "neighbourhoods", "format": "csv"])["content"]?.stringValue ?? ""
        #expect(wijken.contains("Stevenshof") && wijken.hasPrefix("# neighbourhoods: Per wijk\r\n"))
        let talent = try daemon.call("report.get", ["name": "talent", "format": "text"])["content"]?.stringValue ?? ""
        #expect(talent.contains("interviewen (1)") && talent.contains("560"))
        for name in ["overview", "neighbourhoods", "institutions", "themes", "talent", "outcomes", "followups"] {
            for format in ["text", "csv", "markdown", "html"] {
                let content = try daemon.call("report.get", ["name": .string(name), "format": .string(format)])["content"]?.stringValue ?? ""
                #expect(!content.isEmpty, "\(name) \(format)")
                if format == "html" {
                    // Nothing is loaded from elsewhere (links to deliverables are links, not loads).
                    #expect(content.hasPrefix("<!DOCTYPE html>") && !content.contains("src=\"http") && !content.contains("<link"))
                }
            }
        }
        let html = try daemon.call("report.get", ["name": "themes", "format": "html"])["content"]?.stringValue ?? ""
        #expect(html.contains("<svg") && html.contains("Eenzaamheid"))
        try Self.checkHTMLPages(daemon, in: workspace)

        // As of position 4 (two questions and two offers): later events change nothing in it.
        let before = try daemon.call("report.get", ["name": "overview", "format": "json", "asOf": 4])
        _ = try daemon.call("question.withdraw", ["id": "Q-0002", "reason": "opgelost"])
        let after = try daemon.call("report.get", ["name": "overview", "format": "json", "asOf": 4])
        #expect(before == after)
        #expect(before["report"]?["figures"]?.arrayValue?.first?["value"] == 2)

        // A period that excludes everything counts nothing.
        let empty = try daemon.call("report.get", ["name": "overview", "format": "json", "from": "2020-01-01", "to": "2020-12-31"])
        #expect(empty["report"]?["figures"]?.arrayValue?.first?["value"] == 0)
        guard case .failure(let unknown) = try daemon.client().call("report.get", ["name": "weather"]) else {
            Issue.record("an unknown report was made")
            return
        }
        #expect(unknown.code == RPCErrorCode.validation && unknown.data?["field"] == "name")

        // The CLI writes a file; the offline replay prints the same report straight from the LMDB file.
        let file = workspace.path + "/outcomes.md"
        let cli = try run(Binaries.cli, ["report", "outcomes", "--format", "markdown", "--output", file, "--socket", workspace.socketPath])
        #expect(cli.status == 0)
        let written = try String(contentsOfFile: file, encoding: .utf8)
        #expect(written.contains("Openbaar rapport") && written.contains("Interne data (internal)"))
        let offline = try run(Binaries.daemon, ["replay", "--data-dir", workspace.dataDirectory, "--report", "overview", "--as-of", "4", "--format", "json"])
        #expect(offline.status == 0, "\(offline.stderr)")
        #expect(try JSONParser.parse(offline.stdout) == before["report"])
        #expect(daemon.stop() == 0)
    }

    /// `lmdsd replay --check` proves a full replay equals the running daemon's read models, also where the
    /// word list splits compounds into themes (the replay reads the same list as the daemon).
    @Test func replayCheckMatchesTheDaemon() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try Self.seed(daemon)
        _ = try daemon.call("question.submit", [
            "title": "Geldzorgen en de energierekening", "description": "Buurthuisjes, schooltuinen en ouderenwerk: de vaste lasten en de geldzorgen lopen op.",
            "neighbourhood": "Stevenshof", "requester": ["kind": "resident"],
        ])
        let check = try run(Binaries.daemon, ["replay", "--check", "--data-dir", workspace.dataDirectory, "--socket", workspace.socketPath])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("same"))
        let status = try daemon.call("system.status", ["digest": true])
        #expect(status["readModels"]?["digest"]?.stringValue?.count == 64)
        #expect(daemon.stop() == 0)
    }

    /// An export rebuilds the data directory with every hash as exported; a resumed export adds only new
    /// events; an altered export is refused at the first altered position.
    @Test func exportImportRoundTrip() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try Self.seed(daemon)
        let file = workspace.path + "/export.ndjson"
        #expect(try run(Binaries.cli, ["export", "--output", file, "--socket", workspace.socketPath]).status == 0)
        _ = try daemon.call("question.withdraw", ["id": "Q-0002", "reason": "opgelost"])
        let resumed = try run(Binaries.cli, ["export", "--output", file, "--socket", workspace.socketPath])
        #expect(resumed.stdout.contains("exported 1 events"), "\(resumed.stdout)")
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        let head = try daemon.call("system.status")
        // The header line names the log; one line per event follows.
        #expect(Int64(lines.count) == (head["position"]?.integerValue ?? 0) + 1)
        #expect(try JSONParser.parse(String(lines[0])) == ["lmdsExport": 1, "logId": head["logId"] ?? .null])
        let report = try daemon.call("report.get", ["name": "outcomes", "format": "csv"])["content"]
        #expect(daemon.stop() == 0)
        // Restored into a new workspace, the log has the same head hash and gives the same reports.
        let second = Workspace()
        let imported = try run(Binaries.daemon, ["import", "--data-dir", second.dataDirectory, file])
        #expect(imported.status == 0, "\(imported.stderr)")
        let restoredDaemon = try DaemonProcess(workspace: second)
        let restoredStatus = try restoredDaemon.call("system.status")
        #expect(restoredStatus["headHash"] == head["headHash"] && restoredStatus["position"] == head["position"])
        #expect(restoredStatus["logId"] == head["logId"], "the rebuilt log is the same log")
        #expect(try restoredDaemon.call("report.get", ["name": "outcomes", "format": "csv"])["content"] == report)
        #expect(restoredDaemon.stop() == 0)
        var altered = lines.map(String.init)
        altered[1] = altered[1].replacingOccurrences(of: "Vraag 1", with: "Vraag 9")
        let bad = workspace.path + "/altered.ndjson"
        try (altered.joined(separator: "\n") + "\n").write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try run(Binaries.daemon, ["import", "--data-dir", workspace.path + "/refused", bad])
        #expect(refused.status == 1 && refused.stderr.contains("position 1"))
        #expect(!FileManager.default.fileExists(atPath: workspace.path + "/refused"), "a refused import leaves nothing behind")
        // An export made before exports had a header still imports, as a log with an identity of its own.
        let old = workspace.path + "/old.ndjson"
        try (lines.dropFirst().joined(separator: "\n") + "\n").write(toFile: old, atomically: true, encoding: .utf8)
        let oldImport = try run(Binaries.daemon, ["import", "--data-dir", workspace.path + "/old", old])
        #expect(oldImport.status == 0 && oldImport.stdout.contains("identity of its own"), "\(oldImport.stderr)")
    }
}
