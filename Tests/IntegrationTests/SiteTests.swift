import Foundation
import LMDSJSON
import LMDSProtocol
import Site
import Testing

/// The public showcase site through the real daemon, CLI and LMDB file: a demo-like log rendered by
/// `lmds site` and `lmdsd site`, parsed as HTML5, searched for anything not public, rebuilt incrementally,
/// and looked at by headless Chromium.
@Suite(.serialized) struct SiteTests {
    /// What the seeded log holds that the public must never see.
    struct Secrets {
        var people: [String] = []
        let notes = ["Notitie: de vraagsteller belt liever niet", "Afgesloten na een goed gesprek met mevrouw", "Gebruikt in de wijkagenda volgens de buurtregisseur"]
        let internalTitle = "Interviewtranscripten met namen"
        let embargoedTomorrow = "Advies aan de woningcorporatie (embargo tot morgen)"
        let embargoedToday = "Advies aan de gemeente (embargo tot vandaag)"
        var unpublishedTitle = ""
    }

    static func today(offsetDays: Int64 = 0) -> String {
        let seconds = Int64(Date().timeIntervalSince1970) + offsetDays * 86_400
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// The demo's 32 questions and 16 offers with their people, six accepted, four published; two projects
    /// delivered (one of an unpublished question) with public, internal and embargoed deliverables, notes and ratings.
    static func seed(_ daemon: DaemonProcess) throws -> Secrets {
        var secrets = Secrets()
        let data = Binaries.repositoryRoot + "/scripts/demo-data/"
        for (file, method) in [("questions.jsonl", "question.submit"), ("offers.jsonl", "offer.publish")] {
            for line in try String(contentsOfFile: data + file, encoding: .utf8).split(separator: "\n") {
                let params = try JSONParser.parse(String(line))
                for person in [params["requester"], params["contact"]].compactMap({ $0 }) {
                    secrets.people += ["name", "email", "phone"].compactMap { person[$0]?.stringValue }
                }
                _ = try daemon.call(method, params)
            }
        }
        for id in ["Q-0001", "Q-0002", "Q-0003", "Q-0005", "Q-0006", "Q-0008"] { _ = try daemon.call("question.accept", ["id": .string(id)]) }
        for id in ["Q-0001", "Q-0002", "Q-0003", "Q-0005"] { _ = try daemon.call("question.publish", ["id": .string(id), "public": true]) }
        secrets.unpublishedTitle = try daemon.call("question.get", ["id": "Q-0006"])["title"]?.stringValue ?? ""
        for (index, question) in ["Q-0001", "Q-0006"].enumerated() {
            let proposal = try daemon.call("proposal.create", ["question": .string(question), "offer": "O-0001", "note": .string(secrets.notes[0])])
            let proposalID = proposal["id"] ?? .null
            _ = try daemon.call("proposal.accept", ["id": proposalID, "side": "requester"])
            let match = try daemon.call("proposal.accept", ["id": proposalID, "side": "education"])["match"] ?? .null
            _ = try daemon.call("match.start", ["id": match, "students": 4, "startedOn": "2027-02-03"])
            let outcome = try daemon.call("outcome.record", [
                "match": match, "summary": .string("Het team sprak veertig bewoners (project \(index + 1))."), "hours": 560, "students": 4,
                "ratings": ["requester": 2, "education": 5], "impact": "Er komt een buurtkamer.",
                "deliverables": [
                    ["kind": "report", "title": .string("Eindrapport project \(index + 1)"), "visibility": "public", "uri": "https://example.nl/rapport.pdf"],
                    ["kind": "dataset", "title": .string(secrets.internalTitle), "visibility": "internal"],
                    ["kind": "advice", "title": .string(secrets.embargoedTomorrow), "visibility": "embargo", "embargoUntil": .string(today(offsetDays: 1))],
                    ["kind": "advice", "title": .string(secrets.embargoedToday), "visibility": "embargo", "embargoUntil": .string(today())],
                ],
            ])
            _ = try daemon.call("match.close", ["id": match, "note": .string(secrets.notes[1])])
            _ = try daemon.call("followup.record", ["outcome": outcome["id"] ?? .null, "used": "yes", "note": .string(secrets.notes[2])])
        }
        return secrets
    }

    /// Every file of a site directory by path (without the manifest).
    static func files(_ directory: String) throws -> [String: String] {
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue,
                path != ".lmds-site-files"
            else { continue }
            files[path] = try String(contentsOfFile: directory + "/" + path, encoding: .utf8)
        }
        return files
    }

    /// The site of a demo-like log: complete, valid HTML5, every internal link and asset resolving, nothing
    /// that is not public in any file, the embargo of today lifted and tomorrow's not.
    @Test func theDemoLogMakesAValidSiteWithNothingPrivate() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let secrets = try Self.seed(daemon)
        let output = workspace.path + "/site"
        let built = try run(Binaries.cli, ["site", "--output", output, "--socket", workspace.socketPath])
        #expect(built.status == 0, "\(built.stderr)")
        let files = try Self.files(output)
        #expect(built.stdout.contains("\(files.count) of \(files.count) files written"), "\(built.stdout)")
        for path in ["index.html", "projecten/M-0001.html", "wijken/index.html", "wijken/stevenshof.html", "open-vragen.html", "feed.xml", "projects.json", "style.css"] {
            #expect(files[path] != nil, "\(path) is missing")
        }
        #expect(files["projecten/M-0002.html"] == nil, "the project of an unpublished question has no page")

        // Nothing private anywhere, in any file.
        let everything = files.values.joined(separator: "\n")
        for secret in secrets.people + secrets.notes + [secrets.internalTitle, secrets.embargoedTomorrow, secrets.unpublishedTitle] {
            #expect(!everything.contains(secret), "\(secret) is on the public site")
        }
        #expect(!everything.contains("C-0001") && !everything.contains("\"ratings\""))
        let project = try #require(files["projecten/M-0001.html"])
        #expect(project.contains(secrets.embargoedToday) && project.contains("Eindrapport project 1"))
        let open = try #require(files["open-vragen.html"])
        let published = try daemon.call("question.get", ["id": "Q-0002"])["title"]?.stringValue ?? "?"
        let acceptedOnly = try daemon.call("question.get", ["id": "Q-0008"])["title"]?.stringValue ?? "?"
        #expect(open.contains(published) && !everything.contains(acceptedOnly), "open questions: only the published ones")
        #expect(try JSONParser.parse(try #require(files["projects.json"]))["projects"]?.arrayValue?.count == 1)

        // Every internal link and asset resolves; every page parses as HTML5 (html5lib, strict) and the feed as XML.
        for (path, text) in files where path.hasSuffix(".html") {
            #expect(text.contains("<html lang=\"nl\">") && text.components(separatedBy: "<h1").count == 2, "\(path)")
            for target in SiteLinks.targets(in: text) where !target.hasPrefix("http") && !target.hasPrefix("#") {
                #expect(files[SiteLinks.resolve(target, from: path)] != nil, "\(path) links to \(target), which is not in the site")
            }
        }
        let parsed = try run("/usr/bin/env", ["python3", Binaries.repositoryRoot + "/Tests/IntegrationTests/check-site.py", output])
        #expect(parsed.status == 0, "\(parsed.stdout)\(parsed.stderr)")
        #expect(parsed.stdout.contains("\(files.filter { $0.key.hasSuffix(".html") }.count) pages parse as HTML5"), "\(parsed.stdout)")
        #expect(daemon.stop() == 0)
    }

    /// A rebuild after new events rewrites only the pages they touch and says so; an unpublished question
    /// and its project disappear; `--as-of` gives the site as it stood; `lmdsd site` writes the same files offline.
    @Test func rebuildsAreIncrementalAndOfflineEqualsOnline() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try Self.seed(daemon)
        let output = workspace.path + "/site"
        #expect(try run(Binaries.cli, ["site", "--output", output, "--socket", workspace.socketPath]).status == 0)
        let total = try Self.files(output).count
        let again = try run(Binaries.cli, ["site", "--output", output, "--socket", workspace.socketPath, "--json"])
        #expect(try JSONParser.parse(again.stdout)["written"] == 0, "nothing new, nothing written: \(again.stdout)")

        let title = try daemon.call("question.get", ["id": "Q-0001"])["title"]?.stringValue ?? "?"
        let position = try daemon.call("system.status")["position"]?.integerValue ?? 0
        _ = try daemon.call("question.publish", ["id": "Q-0001", "public": false])
        let rebuilt = try JSONParser.parse(try run(Binaries.cli, ["site", "--output", output, "--socket", workspace.socketPath, "--json"]).stdout)
        let written = rebuilt["written"]?.integerValue ?? 0
        #expect(written > 0 && written < Int64(total) / 2, "only the touched pages: \(rebuilt)")
        #expect((rebuilt["removed"]?.integerValue ?? 0) >= 1 && !FileManager.default.fileExists(atPath: output + "/projecten/M-0001.html"),
                "the project's page is removed")
        #expect(!(try Self.files(output).values.contains { $0.contains(title) }), "an unpublished question never appears")

        // As of the position before the unpublishing: online and offline give the same files.
        let online = workspace.path + "/online", offline = workspace.path + "/offline"
        #expect(try run(Binaries.cli, ["site", "--output", online, "--as-of", String(position), "--socket", workspace.socketPath]).status == 0)
        let written2 = try run(Binaries.daemon, ["site", "--data-dir", workspace.dataDirectory, "--output", offline, "--as-of", String(position)])
        #expect(written2.status == 0, "\(written2.stderr)")
        let onlineFiles = try Self.files(online)
        #expect(onlineFiles == (try Self.files(offline)))
        #expect(onlineFiles["projecten/M-0001.html"]?.contains(title) == true)
        #expect(daemon.stop() == 0)
    }

    /// A templates directory of a city's own in the workspace: the shipped files (no map) with one change.
    static func templatesDirectory(in workspace: Workspace, replacing original: String, with replacement: String) throws -> String {
        let templates = workspace.path + "/templates"
        try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: true)
        for (name, text) in SiteTemplates.embeddedFiles {
            _ = FileManager.default.createFile(atPath: templates + "/" + name, contents: Data(text.replacingOccurrences(of: original, with: replacement).utf8))
        }
        return templates
    }

    /// `lmdsd site --templates DIR` renders offline from the LMDB file with a city's own templates (and only
    /// its maps), as `lmds site --templates` does; a directory that lacks a template is refused, naming the
    /// file, before anything is written.
    @Test func offlineSiteTakesATemplatesDirectory() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try Self.seed(daemon)
        let templates = try Self.templatesDirectory(in: workspace, replacing: "De cijfers</h2>", with: "Cijfers van de stad</h2>")
        let output = workspace.path + "/offline"
        let built = try run(Binaries.daemon, ["site", "--data-dir", workspace.dataDirectory, "--output", output, "--templates", templates])
        #expect(built.status == 0, "\(built.stderr)")
        let home = try String(contentsOfFile: output + "/index.html", encoding: .utf8)
        #expect(home.contains("Cijfers van de stad</h2>") && !home.contains("De cijfers</h2>"))
        // No map file in the directory: no map on the wijken index, the table stays.
        let wijken = try String(contentsOfFile: output + "/wijken/index.html", encoding: .utf8)
        #expect(!wijken.contains("<svg") && wijken.contains("<table>"))

        try FileManager.default.removeItem(atPath: templates + "/home.mustache")
        let refused = try run(Binaries.daemon, ["site", "--data-dir", workspace.dataDirectory, "--output", workspace.path + "/none", "--templates", templates])
        #expect(refused.status != 0 && refused.stderr.contains("--templates \(templates): the templates lack home.mustache"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.path + "/none"))
        #expect(daemon.stop() == 0)
    }

    /// `lmds site --follow` rebuilds after each new event (events.subscribe); `--templates DIR` renders with a
    /// city's own templates.
    @Test func followKeepsTheSiteCurrentAndTemplatesCanBeReplaced() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try Self.seed(daemon)
        let output = workspace.path + "/site"
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: Binaries.cli)
        follower.arguments = ["site", "--output", output, "--follow", "--socket", workspace.socketPath]
        let builds = workspace.write("follower.out", "")
        follower.standardOutput = FileHandle(forWritingAtPath: builds)
        follower.standardError = FileHandle.nullDevice
        try follower.run()
        defer { if follower.isRunning { follower.terminate(); follower.waitUntilExit() } }
        let title = try daemon.call("question.get", ["id": "Q-0008"])["title"]?.stringValue ?? "?"
        func openQuestions() -> String { (try? String(contentsOfFile: output + "/open-vragen.html", encoding: .utf8)) ?? "" }
        // The first build, then an event: the follower rebuilds without being asked.
        try Self.waitFor("the first build") { openQuestions().contains("<h1>") }
        #expect(!openQuestions().contains(title))
        _ = try daemon.call("question.publish", ["id": "Q-0008"])
        try Self.waitFor("the rebuild after question.publish") { openQuestions().contains(title) }
        // A burst of 40 events: the follower keeps up, builds through the head, never more builds than events
        // (a build covers every event before it, and their notifications are passed over).
        func buildCount() -> Int { ((try? String(contentsOfFile: builds, encoding: .utf8)) ?? "").split(separator: "\n").count }
        let before = buildCount()
        let client = try daemon.client()
        for index in 0..<40 {
            _ = try client.call("question.submit", ["title": .string("Vraag \(index)"), "description": "Wat?", "neighbourhood": "Stevenshof",
                                                    "requester": ["kind": "resident"]]).get()
        }
        let head = try daemon.call("system.status")["position"]?.integerValue ?? 0
        try Self.waitFor("the build through the burst") {
            ((try? String(contentsOfFile: builds, encoding: .utf8)) ?? "").contains("site at log position \(head) ")
        }
        #expect(buildCount() - before <= 40, "at most one build per event")
        follower.terminate()
        follower.waitUntilExit()

        // A templates directory of its own: the shipped files with one change.
        let templates = try Self.templatesDirectory(in: workspace, replacing: "De cijfers</h2>", with: "Onze cijfers</h2>")
        let custom = workspace.path + "/custom"
        let built = try run(Binaries.cli, ["site", "--output", custom, "--templates", templates, "--socket", workspace.socketPath])
        #expect(built.status == 0, "\(built.stderr)")
        let home = try String(contentsOfFile: custom + "/index.html", encoding: .utf8)
        #expect(home.contains("Onze cijfers</h2>"))
        // No map file in the directory: no map, the table stays.
        let wijken = try String(contentsOfFile: custom + "/wijken/index.html", encoding: .utf8)
        #expect(!wijken.contains("<svg") && wijken.contains("<table>"))
        #expect(daemon.stop() == 0)
    }

    /// Waits up to 20 s for `condition`, checking every 50 ms (the follower is another process: no clock to inject).
    static func waitFor(_ what: String, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(20)
        while !condition() {
            guard Date() < deadline else { throw TestFailure("\(what) did not happen within 20 s") }
            usleep(50_000)
        }
    }

    /// `question.publish` is refused for a question still in intake, for a viewer, and for a bad param,
    /// naming the field, appending nothing.
    @Test func publishRefusals() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try daemon.call("question.submit", ["title": "Een vraag", "description": "Wat?", "neighbourhood": "Stevenshof", "requester": ["kind": "resident"]])
        let before = try daemon.call("system.status")["position"]
        guard case .failure(let submitted) = try daemon.client().call("question.publish", ["id": "Q-0001"]) else {
            Issue.record("a submitted question was published")
            return
        }
        #expect(submitted.code == RPCErrorCode.conflict && submitted.data?["state"] == "submitted")
        guard case .failure(let wrongType) = try daemon.client().call("question.publish", ["id": "Q-0001", "public": "ja"]) else {
            Issue.record("public: \"ja\" was taken")
            return
        }
        #expect(wrongType.code == RPCErrorCode.invalidParams && wrongType.data?["field"] == "public")
        guard case .failure(let wrongKind) = try daemon.client().call("question.publish", ["id": "O-0001"]) else {
            Issue.record("an offer id was taken")
            return
        }
        #expect(wrongKind.code == RPCErrorCode.validation && wrongKind.data?["field"] == "id")
        #expect(try daemon.call("system.status")["position"] == before, "nothing was appended")
        #expect(daemon.stop() == 0)
    }

    /// Headless Chromium shows the home page, a project page and a wijk index at 1280 and 375 px wide
    /// without anything wider than the viewport.
    @Test func nothingOverflowsAt1280And375Pixels() throws {
        let chromium = "/usr/bin/chromium"
        try #require(FileManager.default.isExecutableFile(atPath: chromium), "Debian's chromium is not installed (scripts/test installs it)")
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try Self.seed(daemon)
        let output = workspace.path + "/site"
        #expect(try run(Binaries.cli, ["site", "--output", output, "--socket", workspace.socketPath]).status == 0)
        #expect(daemon.stop() == 0)
        for page in ["index.html", "projecten/M-0001.html", "wijken/index.html"] {
            for width in [1280, 375] {
                let measured = try Self.measure(page: output + "/" + page, width: width, in: workspace, chromium: chromium)
                #expect(measured.scroll <= width && measured.client == width, "\(page) at \(width) px: content \(measured.scroll) px wide")
                let shot = workspace.path + "/shot-\(width).png"
                let taken = try run(chromium, Self.chromiumFlags + ["--window-size=\(width),900", "--screenshot=\(shot)", "file://\(output)/\(page)"], timeoutSeconds: 60)
                #expect(taken.status == 0 && ((try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0) > 10_000, "\(taken.stderr)")
            }
        }
    }

    /// The site's service and timer pass `systemd-analyze verify` (the binary path pointed at a real file) and
    /// the service's exposure rating is 2.0 or lower.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "needs systemd-analyze"))
    func siteUnitsVerifyAndAreHardened() throws {
        let workspace = Workspace()
        for name in ["lmds-site.service", "lmds-site.timer"] {
            let text = try String(contentsOfFile: Binaries.repositoryRoot + "/systemd/" + name, encoding: .utf8)
            _ = workspace.write(name, text.replacingOccurrences(of: "/usr/bin/lmds ", with: Binaries.cli + " "))
        }
        let verify = try run("/usr/bin/systemd-analyze", ["verify", workspace.path + "/lmds-site.service", workspace.path + "/lmds-site.timer"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let security = try run("/usr/bin/systemd-analyze", ["security", "--offline=true", workspace.path + "/lmds-site.service"])
        let overall = security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
        let exposure = try #require(overall.split(separator: " ").compactMap { Double($0) }.first, "no exposure score in: \(security.stdout)")
        #expect(exposure <= 2.0, "exposure \(exposure)")

        // scripts/install lays them out beside lmdsd's units, pointed at the prefix's lmds.
        let stage = workspace.path + "/stage"
        let installed = try run(Binaries.repositoryRoot + "/scripts/install", [
            "--no-build", "--bin-dir", Binaries.directory, "--destdir", stage, "--prefix", "/usr/local",
        ])
        #expect(installed.status == 0, "\(installed.stdout)\(installed.stderr)")
        let service = try String(contentsOfFile: stage + "/usr/local/lib/systemd/system/lmds-site.service", encoding: .utf8)
        #expect(service.contains("ExecStart=/usr/local/bin/lmds site "))
        #expect(FileManager.default.fileExists(atPath: stage + "/usr/local/lib/systemd/system/lmds-site.timer"))
    }

    /// The optional search (zoeken.js) filters the list of zoeken.html as one types; the list is whole without it.
    @Test func theSearchFiltersTheProjects() throws {
        let chromium = "/usr/bin/chromium"
        try #require(FileManager.default.isExecutableFile(atPath: chromium), "Debian's chromium is not installed (scripts/test installs it)")
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try Self.seed(daemon)
        for id in ["Q-0002", "Q-0003"] {
            let proposal = try daemon.call("proposal.create", ["question": .string(id), "offer": "O-0002"])["id"] ?? .null
            _ = try daemon.call("proposal.accept", ["id": proposal, "side": "requester"])
            _ = try daemon.call("proposal.accept", ["id": proposal, "side": "education"])
        }
        let place = try daemon.call("question.get", ["id": "Q-0002"])["neighbourhood"]?["wijk"]?.stringValue ?? "?"
        let output = workspace.path + "/site"
        #expect(try run(Binaries.cli, ["site", "--output", output, "--socket", workspace.socketPath]).status == 0)
        #expect(daemon.stop() == 0)
        let label = try JSONParser.parse(try String(contentsOfFile: output + "/projects.json", encoding: .utf8))["projects"]?.arrayValue?
            .first { $0["question"]?["wijk"]?.stringValue == place }?["question"]?["place"]?.stringValue ?? "?"
        let wrapper = workspace.write("search.html", """
            <!DOCTYPE html><html><head><title>pending</title></head><body><iframe id="page" src="file://\(output)/zoeken.html"></iframe><script>
            document.getElementById('page').onload = function () {
              var page = this.contentDocument, input = page.getElementById('zoekterm');
              var all = page.querySelectorAll('#resultaten > li').length;
              input.value = '\(label.lowercased())'; input.dispatchEvent(new Event('input'));
              document.title = 'searched ' + all + ' ' + page.querySelectorAll('#resultaten > li:not([hidden])').length;
            };
            </script></body></html>
            """)
        let dumped = try run(chromium, Self.chromiumFlags + ["--virtual-time-budget=5000", "--dump-dom", "file://\(wrapper)"], timeoutSeconds: 60)
        #expect(dumped.stdout.contains("<title>searched 3 1</title>"), "three projects, one in \(label): \(dumped.stdout.prefix(400))")
    }

    static let chromiumFlags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--allow-file-access-from-files"]

    /// The page's scroll width and the viewport's width at `width` px, measured by a wrapper page whose script
    /// reads them from the page in an iframe (the site itself has no script) and puts them in its title.
    static func measure(page: String, width: Int, in workspace: Workspace, chromium: String) throws -> (scroll: Int, client: Int) {
        let wrapper = workspace.write("measure-\(width).html", """
            <!DOCTYPE html><html><head><title>pending</title><style>body{margin:0}iframe{border:0;width:\(width)px;height:900px}</style></head>
            <body><iframe id="page" src="file://\(page)"></iframe><script>
            document.getElementById('page').onload = function () {
              var root = this.contentDocument.documentElement;
              document.title = 'measured ' + root.scrollWidth + ' ' + root.clientWidth;
            };
            </script></body></html>
            """)
        let dumped = try run(chromium, chromiumFlags + ["--window-size=\(width + 40),900", "--virtual-time-budget=5000", "--dump-dom", "file://\(wrapper)"],
                             timeoutSeconds: 60)
        guard let range = dumped.stdout.range(of: "<title>measured ") else { throw TestFailure("no measurement of \(page): \(dumped.stdout.prefix(300)) \(dumped.stderr.suffix(300))") }
        let numbers = dumped.stdout[range.upperBound...].prefix { $0 != "<" }.split(separator: " ").compactMap { Int($0) }
        guard numbers.count == 2 else { throw TestFailure("unreadable measurement of \(page)") }
        return (numbers[0], numbers[1])
    }
}
