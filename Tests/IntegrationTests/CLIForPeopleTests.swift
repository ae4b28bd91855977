import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// What a coordinator reads from the real `lmds` against the real daemon (issue 17): global options, errors
/// that say what to do, confirmations that say what happened and what waits, labels and local times.
@Suite struct CLIForPeopleTests {
    static func cli(_ workspace: Workspace, _ arguments: [String]) throws -> ProcessResult {
        try run(Binaries.cli, arguments + ["--socket", workspace.socketPath])
    }

    /// Help text with its line wrapping undone: words separated by single spaces.
    static func unwrapped(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
    }

    /// Amsterdam's wall clock for a UTC time, by Foundation (an oracle independent of the CLI's C library calls).
    static func amsterdam(_ utc: String) -> String {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = parser.date(from: utc) ?? ISO8601DateFormatter().date(from: utc)!
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/Amsterdam")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    /// `--socket` and `--json` work before and after the command, nested commands included, and `lmds --help` lists them.
    @Test func socketAndJSONAreGlobal() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon, questions: 1)
        let socket = workspace.socketPath
        for arguments in [["--socket", socket, "--json", "status"], ["status", "--socket", socket, "--json"], ["--json", "status", "--socket", socket]] {
            let result = try run(Binaries.cli, arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect((try? JSONParser.parse(result.stdout.trimmingCharacters(in: .newlines)))?["eventCount"] != nil, "\(arguments): \(result.stdout)")
        }
        for arguments in [["--json", "--socket", socket, "question", "get", "Q-0001"], ["question", "get", "Q-0001", "--json", "--socket", socket],
                          ["--socket", socket, "question", "get", "--json", "Q-0001"]] {
            let result = try run(Binaries.cli, arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect((try? JSONParser.parse(result.stdout.trimmingCharacters(in: .newlines)))?["id"] == "Q-0001", "\(arguments): \(result.stdout)")
        }
        let help = try run(Binaries.cli, ["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--socket <socket>") && help.stdout.contains("--json"), "\(help.stdout)")
    }

    /// `lmds --help` and `lmds question submit --help` read as their golden files in Protocol/cli (`LMDS_UPDATE_GOLDEN=1` rewrites them).
    @Test func helpMatchesGoldenFiles() throws {
        for (arguments, name) in [(["--help"], "lmds-help.txt"), (["question", "submit", "--help"], "lmds-question-submit-help.txt")] {
            let result = try run(Binaries.cli, arguments, environment: ["COLUMNS": "100"])
            #expect(result.status == 0)
            let path = Binaries.repositoryRoot + "/Protocol/cli/" + name
            if ProcessInfo.processInfo.environment["LMDS_UPDATE_GOLDEN"] == "1" {
                try result.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            }
            #expect(result.stdout == (try String(contentsOfFile: path, encoding: .utf8)), "\(name) differs; rerun with LMDS_UPDATE_GOLDEN=1 if the change is meant")
        }
    }

    /// Missing flags are named all at once, before anything is sent; help says which are required and lists the choices.
    @Test func missingFlagsAndHelpThatSaysWhatIsRequired() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let decline = try Self.cli(workspace, ["decline", "P-0001"])
        #expect(decline.status == 2)
        #expect(decline.stderr.contains("missing --side <requester|education> and --reason <text>"), "\(decline.stderr)")
        let submit = try Self.cli(workspace, ["question", "submit", "--title", "Eenzaamheid", "--description", "Wat helpt?", "--neighbourhood", "Stevenshof"])
        #expect(submit.status == 2)
        #expect(submit.stderr.contains("missing --requester-kind <resident|group|organisation|municipality|company>"), "\(submit.stderr)")
        #expect(!submit.stderr.contains("{kind"), "no JSON shape: \(submit.stderr)")
        #expect(try Self.cli(workspace, ["propose"]).stderr.contains("missing QUESTION (Q-…) and OFFER (O-…)"))
        let nothing = try Self.cli(workspace, ["offer", "publish"])
        #expect(nothing.stderr.contains("missing --title <text>, --description <text>, --institution <id or name>, --programme <text>"), "\(nothing.stderr)")
        #expect(try daemon.call("system.status")["position"] == 0, "nothing was sent")
        let help = Self.unwrapped(try Self.cli(workspace, ["question", "submit", "--help"]).stdout)
        #expect(help.contains("Who asks (required): resident, group, organisation, municipality or company."), "\(help)")
        #expect(help.contains("Required (as flags or in --file): --title, --description, --neighbourhood, --requester-kind"), "\(help)")
        let record = Self.unwrapped(try Self.cli(workspace, ["outcome", "record", "--help"]).stdout)
        #expect(record.contains("report, advice, prototype, design, dataset, event, video or other"), "\(record)")
        #expect(Self.unwrapped(try Self.cli(workspace, ["decline", "--help"]).stdout).contains("The side that declines (required): requester or education."))
    }

    /// The daemon's errors name the command's flag (`--from`, not `window.from`) and the CLI command, not the method.
    @Test func errorsNameFlagsAndCommands() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon, questions: 1)
        let window = try Self.cli(workspace, [
            "question", "submit", "--title", "Vraag", "--description", "Wat helpt?", "--neighbourhood", "Stevenshof", "--requester-kind", "resident",
            "--from", "2027-02-30", "--to", "2027-03-30",
        ])
        #expect(window.status == 1)
        #expect(window.stderr.hasPrefix("lmds: --from: "), "\(window.stderr)")
        #expect(!window.stderr.contains("window.from"), "\(window.stderr)")
        let theme = try Self.cli(workspace, [
            "question", "submit", "--title", "Vraag", "--description", "Wat helpt?", "--neighbourhood", "Stevenshof", "--requester-kind", "resident",
            "--theme", "no-such-theme",
        ])
        #expect(theme.status == 1)
        #expect(theme.stderr.contains("--theme"), "\(theme.stderr)")
        #expect(!theme.stderr.contains("taxonomy.get"), "\(theme.stderr)")
        // A wrong kind of id: the CLI names what the id is and the command that takes it.
        let wrongKind = try Self.cli(workspace, ["accept", "Q-0001", "--side", "requester"])
        #expect(wrongKind.status == 1)
        #expect(wrongKind.stderr.contains("Q-0001 is a question") && wrongKind.stderr.contains("try `lmds question accept Q-0001`"), "\(wrongKind.stderr)")
        // Two ids the wrong way round are put back in the order the command takes them.
        let swapped = try Self.cli(workspace, ["propose", "O-0001", "Q-0001"])
        #expect(swapped.status == 1 && swapped.stderr.contains("the two ids are the other way round: try `lmds propose Q-0001 O-0001`"), "\(swapped.stderr)")
        // A refused transition lists the commands the state allows.
        let reject = try Self.cli(workspace, ["question", "reject", "Q-0001", "--reason", "x"])
        #expect(reject.status == 1 && reject.stderr.contains("Q-0001 is open"), "\(reject.stderr)")
        #expect(reject.stderr.contains("allowed now") && reject.stderr.contains("`lmds question withdraw Q-0001`"), "\(reject.stderr)")
        // A near miss is offered; an unknown period is refused naming the known ones.
        let near = try Self.cli(workspace, ["questions", "--theme", "jeugd"])
        #expect(near.status == 1 && near.stderr.contains("did you mean") && near.stderr.contains("Jeugd en jongeren"), "\(near.stderr)")
        #expect(try Self.cli(workspace, ["questions", "--level", "HBO"]).status == 0)
        let period = try Self.cli(workspace, ["plan", "--period", "2026/2027 S2"])
        #expect(period.status == 1 && period.stderr.contains("--period") && period.stderr.contains("2026-2027 S2"), "\(period.stderr)")
    }

    /// Each write says what was done and what waits now; history says "an organisation" and "1 event".
    @Test func confirmationsSayWhatHappenedAndWhatWaits() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let submit = try Self.cli(workspace, [
            "question", "submit", "--title", "Eenzaamheid in de Stevenshof", "--description", "Wat helpt?", "--neighbourhood", "Stevenshof",
            "--requester-kind", "organisation", "--organisation", "Buurthuis De Kooi", "--theme", "loneliness",
        ])
        #expect(submit.stdout == "Q-0001 submitted (version 1, log position 1); waiting for intake (lmds question accept Q-0001)"
                + "; organisation G-0001 registered (lmds show G-0001)\n", "\(submit.stderr)")
        let revise = try Self.cli(workspace, ["question", "revise", "Q-0001", "--title", "Eenzaamheid onder ouderen in de Stevenshof"])
        #expect(revise.stdout.hasPrefix("Q-0001 revised (version 2, log position 2); still in intake"), "\(revise.stdout)")
        let json = try Self.cli(workspace, ["question", "revise", "Q-0001", "--size", "small", "--json"])
        #expect((try? JSONParser.parse(json.stdout.trimmingCharacters(in: .newlines)))?["version"] == 3, "--json prints the result: \(json.stdout)")
        #expect(try Self.cli(workspace, ["question", "accept", "Q-0001"]).stdout.hasPrefix("Q-0001 accepted after intake (version 4, log position 4); open for proposals"))
        _ = try daemon.call("offer.publish", OfferTests.publish)
        let propose = try Self.cli(workspace, ["propose", "Q-0001", "O-0001"])
        #expect(propose.stdout.contains("P-0001 proposed") && propose.stdout.contains("waiting for both sides"), "\(propose.stdout)")
        let first = try Self.cli(workspace, ["accept", "P-0001", "--side", "requester"])
        #expect(first.stdout.hasPrefix("P-0001: the requester agreed") && first.stdout.contains("; waiting for the education side"), "\(first.stdout)")
        let second = try Self.cli(workspace, ["accept", "P-0001", "--side", "education"])
        #expect(second.stdout.hasPrefix("P-0001 accepted by both sides: match M-0001 agreed"), "\(second.stdout)")
        let history = try Self.cli(workspace, ["history", "Q-0001"])
        #expect(history.stdout.contains("submitted by an organisation (Buurthuis De Kooi) in Stevenshof"), "\(history.stdout)")
        _ = try daemon.call("offer.publish", OfferTests.publish)
        #expect(try Self.cli(workspace, ["history", "O-0002"]).stdout.hasPrefix("history of O-0002: 1 event\n"))
    }

    /// Tables and `lmds show` use the taxonomy's labels and Amsterdam's time; `--json` keeps ids and UTC.
    @Test func labelsAndLocalTimesForPeople() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon, questions: 1)
        let questions = try Self.cli(workspace, ["questions"])
        // The seeded question names a district (no wijk): its label stands in the NEIGHBOURHOOD column.
        let firstRow = questions.stdout.split(separator: "\n").dropFirst().first.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(firstRow?.dropFirst(2).first == "Stevenshof", "\(questions.stdout)")
        #expect(questions.stdout.contains("Eenzaamheid"), "\(questions.stdout)")
        #expect(!questions.stdout.contains("loneliness"), "\(questions.stdout)")
        let submittedAt = try #require(try daemon.call("question.get", ["id": "Q-0001"])["submittedAt"]?.stringValue)
        let show = try Self.cli(workspace, ["show", "Q-0001"])
        #expect(show.stdout.contains("themes:        Eenzaamheid"), "\(show.stdout)")
        #expect(show.stdout.contains("disciplines:   Sociologie"), "\(show.stdout)")
        #expect(show.stdout.contains("submitted:     \(Self.amsterdam(submittedAt))\n"), "\(show.stdout)")
        let json = try Self.cli(workspace, ["show", "Q-0001", "--json"])
        #expect(json.stdout.contains("\"loneliness\"") && json.stdout.contains(submittedAt))
        let offers = try Self.cli(workspace, ["offers"])
        #expect(offers.stdout.contains("Hogeschool Leiden") && offers.stdout.contains("CAPACITY") && offers.stdout.contains("LEFT"), "\(offers.stdout)")
        let offer = try daemon.call("offer.get", ["id": "O-0001"])
        let left = try #require(offer["placesLeft"]?.integerValue)
        #expect(offers.stdout.split(separator: "\n").dropFirst().first?.contains("  1         \(left)  ") == true, "\(offers.stdout)")
        let logID = try #require(try daemon.call("system.status")["logId"]?.stringValue)
        let status = try Self.cli(workspace, ["status"])
        #expect(status.stdout.contains(logID) && status.stdout.contains("Europe/Amsterdam"), "\(status.stdout)")
        let history = try Self.cli(workspace, ["history", "Q-0001"])
        let time = try #require(try daemon.call("history.get", ["id": "Q-0001"])["events"]?.arrayValue?.first?["time"]?.stringValue)
        #expect(history.stdout.contains(Self.amsterdam(time)) && history.stdout.contains("in Stevenshof"), "\(history.stdout)")
    }

    /// `lmds events` without --limit shows the latest 20 and says how to see earlier ones.
    @Test func eventsShowsTheLatestTwenty() throws {
        let workspace = Workspace()
        try seedLog(workspace, count: 30)
        let daemon = try DaemonProcess(workspace: workspace)
        _ = daemon
        let events = try Self.cli(workspace, ["events"])
        let lines = events.stdout.split(separator: "\n")
        #expect(lines.count == 22, "\(events.stdout)")
        #expect(lines[1].hasPrefix("11 "), "\(events.stdout)")
        #expect(lines.last == "the latest 20 events of 30; earlier ones with lmds events --from 1 --limit 10", "\(events.stdout)")
        #expect(try Self.cli(workspace, ["events", "--from", "1", "--limit", "5"]).stdout.split(separator: "\n").count == 7)
    }

    /// A proposal declined by the education side shows who declined it and no expiry (it showed "education: waiting").
    @Test func declinedProposalShowsWhoDeclinedAndNoExpiry() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon, questions: 1)
        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001"])
        let decline = try Self.cli(workspace, ["decline", "P-0001", "--side", "education", "--reason", "Past niet in het rooster"])
        #expect(decline.stdout.hasPrefix("P-0001 declined by the education side"), "\(decline.stdout)")
        let show = try Self.cli(workspace, ["show", "P-0001"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("consents:    requester: no answer, education: declined"), "\(show.stdout)")
        #expect(show.stdout.contains("declined by: the education side"), "\(show.stdout)")
        #expect(!show.stdout.contains("waiting") && !show.stdout.contains("expires"), "\(show.stdout)")
        let pending = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0002"])
        let open = try Self.cli(workspace, ["show", try #require(pending["id"]?.stringValue)])
        #expect(open.stdout.contains("requester: waiting, education: waiting") && open.stdout.contains("expires:"), "\(open.stdout)")
    }

    /// `lmds report` sends `all: true` with --all; a start outside the offer's period is refused naming
    /// `--started-on`, and with `--force` accepted with the reply's warning on stderr and exit 0.
    @Test func reportAllAndWarnings() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon, questions: 1)
        let all = try Self.cli(workspace, ["report", "neighbourhoods", "--all"])
        #expect(all.status == 0, "\(all.stderr)")
        let some = try Self.cli(workspace, ["report", "neighbourhoods"])
        #expect(all.stdout.split(separator: "\n").count > some.stdout.split(separator: "\n").count, "\(some.stdout)")
        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "requester"])
        _ = try daemon.call("proposal.accept", ["id": "P-0001", "side": "education"])
        let refused = try Self.cli(workspace, ["start", "M-0001", "--students", "3", "--started-on", "2026-12-01"])
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("lmds: --started-on: 2026-12-01 is 62 days before the period of O-0001"), "\(refused.stderr)")
        #expect(refused.stderr.contains("or --force to start it on this date anyway"), "\(refused.stderr)")
        let start = try Self.cli(workspace, ["start", "M-0001", "--students", "3", "--started-on", "2026-12-01", "--force"])
        #expect(start.status == 0, "\(start.stderr)")
        #expect(start.stdout.hasPrefix("M-0001 started on 2026-12-01 with 3 students (version 2, log position"), "\(start.stdout)")
        #expect(start.stdout.contains("; waiting for its outcome (lmds outcome record M-0001)"), "\(start.stdout)")
        #expect(start.stderr.hasPrefix("warning: ") && start.stderr.contains("62 days before the period"), "\(start.stderr)")
    }

    /// `lmds suggest` says when nothing fits on topic, and marks questions already matched or waiting on a proposal.
    @Test func suggestSaysNoGoodMatchAndWhatIsEngaged() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try CollaborationTests.seed(daemon, questions: 1)
        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0001"])
        // Another offer like O-0001: the question proposed to O-0001 is suggested for it, marked as waiting.
        let twin = try #require(try daemon.call("offer.publish", OfferTests.publish)["id"]?.stringValue)
        let forOffer = try Self.cli(workspace, ["suggest", twin])
        #expect(forOffer.status == 0 && forOffer.stdout.contains("Q-0001") && forOffer.stdout.contains("(waiting on a proposal)"), "\(forOffer.stdout)")
        _ = try daemon.call("question.submit", [
            "title": "Fietsparkeren rond het station", "description": "De fietsenrekken bij het station staan altijd vol.",
            "neighbourhood": "Stationsdistrict", "requester": ["kind": "resident"], "levels": ["hbo"],
            "window": ["from": "2027-02-01", "to": "2027-06-30"],
        ])
        _ = try daemon.call("question.accept", ["id": "Q-0002"])
        let offTopic = try Self.cli(workspace, ["suggest", "Q-0002"])
        #expect(offTopic.status == 0, "\(offTopic.stderr)")
        #expect(offTopic.stdout.contains("no good match: none of these shares a theme"), "\(offTopic.stdout)")
        #expect(offTopic.stdout.contains("1. O-0001") && offTopic.stdout.contains("(no topic in common)"), "\(offTopic.stdout)")
    }
}
