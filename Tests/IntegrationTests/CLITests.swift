import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// The real `lmds` binary against the real daemon.
@Suite struct CLITests {
    func lmds(_ daemon: DaemonProcess, _ arguments: [String]) throws -> ProcessResult {
        try run(Binaries.cli, arguments + ["--socket", daemon.workspace.socketPath])
    }

    /// `lmds status` prints an aligned table; `--json` prints the raw result.
    @Test func statusAsTableAndJSON() throws {
        let workspace = Workspace()
        try seedLog(workspace, count: 5)
        let daemon = try DaemonProcess(workspace: workspace)
        let table = try lmds(daemon, ["status"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("head position:  5"))
        #expect(table.stdout.contains("data directory: \(workspace.dataDirectory)"))
        let json = try lmds(daemon, ["status", "--json"])
        let parsed = try JSONParser.parse(json.stdout.trimmingCharacters(in: .newlines))
        #expect(parsed["eventCount"] == 5)
    }

    /// Exit codes: 0 ok, 1 daemon error, 2 usage, 3 unreachable (naming the socket tried).
    @Test func exitCodes() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        #expect(try lmds(daemon, ["ping"]).status == 0)
        let error = try lmds(daemon, ["call", "no.such.method"])
        #expect(error.status == 1)
        #expect(error.stderr.contains("Method not found: no.such.method"))
        #expect(try lmds(daemon, ["frobnicate"]).status == 2)
        #expect(try lmds(daemon, ["events", "--limit", "0"]).status == 2)
        #expect(try lmds(daemon, ["call", "system.ping", "{not json"]).status == 2)
        let unreachable = try run(Binaries.cli, ["status", "--socket", workspace.path + "/absent.sock"])
        #expect(unreachable.status == 3)
        #expect(unreachable.stderr.contains(workspace.path + "/absent.sock"))
        #expect(unreachable.stderr.contains("lmdsd"))
        let fromEnvironment = try run(Binaries.cli, ["ping"], environment: ["LMDS_SOCKET": workspace.socketPath])
        #expect(fromEnvironment.status == 0)
    }

    /// `lmds events` lists events as a table; `lmds call` passes raw params.
    @Test func eventsAndCall() throws {
        let workspace = Workspace()
        try seedLog(workspace, count: 3)
        let daemon = try DaemonProcess(workspace: workspace)
        let events = try lmds(daemon, ["events"])
        #expect(events.status == 0)
        let lines = events.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("POSITION") == true)
        #expect(lines.count == 4)
        #expect(lines[1].contains("SeedAppended"))
        let call = try lmds(daemon, ["call", "events.read", #"{"from": 3, "limit": 1}"#, "--json"])
        let parsed = try JSONParser.parse(call.stdout.trimmingCharacters(in: .newlines))
        #expect(parsed["events"]?.arrayValue?.first?["position"] == 3)
    }

    /// `lmds audit verify` and `lmds backup` report in sentences and exit 0.
    @Test func auditAndBackup() throws {
        let workspace = Workspace()
        try seedLog(workspace, count: 50)
        let daemon = try DaemonProcess(workspace: workspace)
        let verify = try lmds(daemon, ["audit", "verify"])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("the log is intact: 50 records checked"))
        let backup = try lmds(daemon, ["backup", workspace.path + "/copy"])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("position 50"))
        #expect(backup.stdout.contains("verified"))
        let again = try lmds(daemon, ["backup", workspace.path + "/copy"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("not empty"))
    }

    /// `lmds events --follow` prints catch-up events, then live ones as they are committed.
    @Test func eventsFollowStreamsLiveEvents() throws {
        let workspace = Workspace()
        try seedLog(workspace, count: 2)
        let daemon = try DaemonProcess(workspace: workspace)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.cli)
        process.arguments = ["events", "--follow", "--from", "1", "--json", "--socket", workspace.socketPath]
        let outputPath = workspace.path + "/follow.out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        _ = try daemon.call("admin.backup", ["path": .string(workspace.path + "/copy")])
        var text = ""
        let deadline = Date().addingTimeInterval(15)
        while text.split(separator: "\n").count < 3 && Date() < deadline {
            usleep(20_000)
            text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        }
        let events = try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(events.map { $0["position"] } == [1, 2, 3])
        #expect(events.last?["type"] == "BackupTaken")
    }
}

/// The city taxonomy through the daemon: the built-in Leiden one, another city's file, and a bad file.
@Suite struct TaxonomyIntegrationTests {
    /// `taxonomy.get` returns the built-in Leiden taxonomy; `lmds taxonomy` prints districts with their wijken.
    @Test func servesBuiltInLeidenTaxonomy() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let taxonomy = try daemon.call("taxonomy.get")
        #expect(taxonomy["city"]?["label"] == "Leiden")
        #expect(taxonomy["neighbourhoods"]?.arrayValue?.count == 10)
        let table = try run(Binaries.cli, ["taxonomy", "--socket", workspace.socketPath])
        #expect(table.status == 0)
        #expect(table.stdout.contains("Leiden: 10 districts"))
        #expect(table.stdout.contains("Bos- en Gasthuisdistrict"))
        #expect(table.stdout.contains("mboRijnland"))
        #expect(daemon.stderr.contains("city Leiden: 10 districts"))
    }

    /// Another city is another file: `--taxonomy` (or the config's `taxonomy`) replaces Leiden, no code change.
    @Test func servesAnotherCitysFile() throws {
        let workspace = Workspace()
        let delft = workspace.write("delft.json", """
            {"schemaVersion": 1, "city": {"id": "delft", "label": "Delft"},
             "neighbourhoods": [{"id": "binnenstad", "label": "Binnenstad", "wijken": [{"id": "centrum", "label": "Centrum"}, {"id": "zuidpoort", "label": "Zuidpoort"}]}],
             "institutions": [{"id": "tu-delft", "label": "TU Delft", "levels": ["wo-master"]}],
             "levels": [{"id": "wo-master", "label": "wo-master"}],
             "themes": [{"id": "water", "label": "Water", "keywords": ["water", "gracht"]}],
             "disciplines": [{"id": "civil-engineering", "label": "Civiele techniek", "keywords": ["civiel"]}]}
            """)
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"taxonomy": "\#(delft)"}"#)
        let taxonomy = try daemon.call("taxonomy.get")
        #expect(taxonomy["city"]?["label"] == "Delft")
        #expect(taxonomy["institutions"]?.arrayValue?.first?["label"] == "TU Delft")
    }

    /// A taxonomy with a mistake stops the daemon at start-up, naming the file and the JSON path.
    @Test func refusesBadTaxonomy() throws {
        let workspace = Workspace()
        let bad = workspace.write("bad.json", #"{"schemaVersion": 1, "city": {"id": "x", "label": "X"}, "neighbourhoods": []}"#)
        let result = try run(Binaries.daemon, ["--data-dir", workspace.dataDirectory, "--socket", workspace.socketPath, "--taxonomy", bad])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(bad): neighbourhoods: must not be empty"))
    }
}
