import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// match.suggest and match.plan through the real daemon and CLI, on part of the labelled Dutch set.
@Suite struct MatchingIntegrationTests {
    static let labelled = Binaries.repositoryRoot + "/Tests/MatchingTests/Labelled"

    static func lines(_ name: String) throws -> [String] {
        try String(contentsOfFile: labelled + "/" + name, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// Loads the labelled offers and the first `questions` questions (accepted) through the socket.
    static func load(_ daemon: DaemonProcess, questions: Int) throws {
        let client = try daemon.client()
        for line in try lines("offers.jsonl") {
            guard case .success = try client.call("offer.publish", try JSONParser.parse(line)) else { throw TestFailure("offer.publish failed") }
        }
        for (number, line) in try lines("questions.jsonl").prefix(questions).enumerated() {
            guard case .success = try client.call("question.submit", try JSONParser.parse(line)),
                case .success = try client.call("question.accept", ["id": .string(String(format: "Q-%04d", number + 1))])
            else { throw TestFailure("question.submit failed") }
        }
        _ = try client.call("offer.close", ["id": "O-0009"])
    }

    /// Suggestions rank the coordinator's choice first for these questions, explain themselves, exclude
    /// the closed offer with its reason, work both ways, and the CLI prints the reasons in words.
    @Test func suggestBothWaysWithReasons() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try Self.load(daemon, questions: 12)
        let expected = try JSONParser.parse(String(contentsOfFile: Self.labelled + "/expected.json", encoding: .utf8))
        let head = try #require(try daemon.call("system.status")["position"]?.integerValue)
        var firstRight = 0
        for number in 1...12 {
            let id = String(format: "Q-%04d", number)
            let result = try daemon.call("match.suggest", ["question": .string(id), "limit": 3, "explain": true])
            let ranked = (result["suggestions"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            let wanted = (expected["questions"]?[id]?.arrayValue ?? []).compactMap(\.stringValue)
            if let top = ranked.first, wanted.contains(top) { firstRight += 1 }
            #expect(ranked.contains { wanted.contains($0) }, "\(id): \(wanted) not in the top 3 \(ranked)")
            let excluded = result["excluded"]?.arrayValue ?? []
            #expect(excluded.contains { $0["id"] == "O-0009" && ($0["reason"]?.stringValue ?? "").contains("closed") })
            for suggestion in result["suggestions"]?.arrayValue ?? [] {
                let shares = (suggestion["reasons"]?.arrayValue ?? []).compactMap { $0["share"]?.doubleValue }
                #expect(shares.count == 8)
                #expect(abs(shares.reduce(0, +) - (suggestion["score"]?.doubleValue ?? -1)) < 0.01)
            }
        }
        #expect(firstRight >= 9, "top-1 on these 12 questions: \(firstRight)")
        let reverse = try daemon.call("match.suggest", ["offer": "O-0002", "limit": 5])
        #expect((reverse["suggestions"]?.arrayValue ?? []).contains { $0["id"] == "Q-0001" }, "\(reverse)")
        #expect(try daemon.call("system.status")["position"]?.integerValue == head, "suggestions append nothing")

        let cli = try run(Binaries.cli, ["suggest", "Q-0001", "--limit", "2", "--explain", "--socket", workspace.socketPath])
        #expect(cli.status == 0)
        #expect(cli.stdout.contains("1. O-0") && cli.stdout.contains("FACTOR") && cli.stdout.contains("excluded:"), "\(cli.stdout)")
        guard case .failure(let conflict) = try daemon.client().call("match.suggest", ["question": "Q-0044"]) else {
            Issue.record("a question that does not exist got suggestions")
            return
        }
        #expect(conflict.code == RPCErrorCode.notFound)
        guard case .failure(let both) = try daemon.client().call("match.suggest", ["question": "Q-0001", "offer": "O-0001"]) else {
            Issue.record("question and offer together were accepted")
            return
        }
        #expect(both.code == RPCErrorCode.invalidParams)
        #expect(daemon.stop() == 0)
    }

    /// A question no offer shares a topic with gets `noGoodMatch` and words saying so; for an offer, a
    /// question waiting on a proposal is marked `proposed` and one without any engagement is not marked.
    @Test func noGoodMatchAndEngagementAreSaid() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try Self.load(daemon, questions: 3)
        let lonely = try daemon.call("match.suggest", ["question": "Q-0001", "limit": 3])
        #expect(lonely["noGoodMatch"] == .bool(false), "\(lonely)")
        _ = try daemon.call("question.submit", [
            "title": "Ons kerkkoor zoekt een dirigent", "description": "Het koor zingt elke zondag in de dienst; de dirigent stopt na Pasen.",
            "requester": ["kind": "resident"], "neighbourhood": "Pieterswijk", "levels": ["hbo"],
            "window": ["from": "2027-02-01", "to": "2027-06-30"],
        ])
        _ = try daemon.call("question.accept", ["id": "Q-0004"])
        let choir = try daemon.call("match.suggest", ["question": "Q-0004", "limit": 3])
        #expect(choir["noGoodMatch"] == .bool(true), "\(choir)")
        let first = try #require(choir["suggestions"]?.arrayValue?.first)
        #expect(first["topical"] == .bool(false), "\(first)")
        #expect((first["reasons"]?.arrayValue ?? []).contains { ($0["detail"]?.stringValue ?? "").contains("no good match") })

        _ = try daemon.call("proposal.create", ["question": "Q-0001", "offer": "O-0002"])
        let forOffer = try daemon.call("match.suggest", ["offer": "O-0003", "limit": 10])
        let items = forOffer["suggestions"]?.arrayValue ?? []
        #expect(items.first { $0["id"] == "Q-0001" }?["engagement"] == .string("proposed"), "\(forOffer)")
        #expect(items.first { $0["id"] == "Q-0003" }?["engagement"] == nil, "\(forOffer)")
        #expect(daemon.stop() == 0)
    }

    /// The daemon reads the Dutch word list at start-up and says so; without it, it says what is missing in
    /// one line and serves as before, and a compound then names no concept of its first part.
    @Test func dutchWordListIsLoadedOrItsAbsenceSaid() throws {
        let question: JSONValue = [
            "title": "Ouderenwerk in de wijk", "description": "Wie helpt ons?", "requester": ["kind": "resident"], "neighbourhood": "Pieterswijk",
        ]
        var reasons: [String: String] = [:]
        for (name, environment) in [("with", [String: String]()), ("without", ["LMDS_DUTCH_WORDS": "/nonexistent/dutch"])] {
            let workspace = Workspace()
            let daemon = try DaemonProcess(workspace: workspace, environment: environment)
            try Self.load(daemon, questions: 0)
            _ = try daemon.call("question.submit", question)
            _ = try daemon.call("question.accept", ["id": "Q-0001"])
            let result = try daemon.call("match.suggest", ["question": "Q-0001", "limit": 1])
            reasons[name] = result["suggestions"]?.arrayValue?.first?["reasons"]?.arrayValue?.first?["detail"]?.stringValue
            #expect(daemon.stop() == 0)
            let lines = daemon.stderr.split(separator: "\n").filter { $0.contains("Dutch word list") }
            #expect(lines.count == 1, "\(daemon.stderr)")
            if name == "with" {
                #expect(lines.first?.contains("words read in") == true, "\(lines)")
            } else {
                #expect(lines.first?.contains("no Dutch word list at /nonexistent/dutch (install the Debian package wdutch)") == true, "\(lines)")
            }
        }
        #expect(reasons["with"]?.contains("Ouderen en vergrijzing (inferred from \"ouderen\")") == true, "\(reasons)")
        #expect(reasons["without"]?.contains("Ouderen") != true, "\(reasons)")
    }

    /// A plan respects capacities, appends nothing; with propose it makes every proposal in one append,
    /// and a second plan leaves those pairs out (already proposed).
    @Test func planThenPropose() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        try Self.load(daemon, questions: 20)
        let head = try daemon.call("system.status")["position"]?.integerValue ?? 0
        let plan = try daemon.call("match.plan", ["period": "2026-2027 S2", "minScore": 0.3])
        let pairs = plan["pairs"]?.arrayValue ?? []
        #expect(!pairs.isEmpty)
        var perOffer: [String: Int] = [:]
        for pair in pairs { perOffer[pair["offer"]?.stringValue ?? "", default: 0] += 1 }
        for (offer, count) in perOffer {
            let capacity = try daemon.call("offer.get", ["id": .string(offer)])["capacity"]?.integerValue ?? 0
            #expect(Int64(count) <= capacity, "\(offer) planned \(count) times, capacity \(capacity)")
        }
        #expect(try daemon.call("system.status")["position"]?.integerValue == head, "a plan appends nothing")

        let proposed = try run(Binaries.cli, [
            "plan", "--period", "2026-2027 S2", "--min-score", "0.3", "--propose", "--request-id", "plan-s2", "--socket", workspace.socketPath])
        #expect(proposed.status == 0 && proposed.stdout.contains("PROPOSAL") && proposed.stdout.contains("P-0001"), "\(proposed.stdout) \(proposed.stderr)")
        let after = try daemon.call("system.status")["position"]?.integerValue ?? 0
        // A retry with the same requestId appends nothing and names the proposals the first attempt made,
        // even though the plan itself has changed (those pairs are now proposed).
        let retry = try daemon.call("match.plan", ["period": "2026-2027 S2", "minScore": 0.3, "propose": true, "requestId": "plan-s2"])
        #expect(try daemon.call("system.status")["position"]?.integerValue == after)
        let retried = (retry["pairs"]?.arrayValue ?? []).map { "\($0["proposal"]?.stringValue ?? "")=\($0["question"]?.stringValue ?? "")|\($0["offer"]?.stringValue ?? "")" }
        let made = try (1...pairs.count).map { number -> String in
            let proposal = try daemon.call("proposal.get", ["id": .string(String(format: "P-%04d", number))])
            return "\(proposal["id"]?.stringValue ?? "")=\(proposal["question"]?.stringValue ?? "")|\(proposal["offer"]?.stringValue ?? "")"
        }
        #expect(retried == made)
        #expect(after == head + Int64(pairs.count), "one ProposalCreated per pair")
        let events = try daemon.call("events.read", ["from": .integer(head + 1), "limit": .integer(Int64(pairs.count))])["events"]?.arrayValue ?? []
        #expect(Set(events.compactMap { $0["type"]?.stringValue }) == ["ProposalCreated"])
        #expect(Set(events.compactMap { $0["requestId"]?.stringValue }).count <= 1)
        #expect(try daemon.call("proposal.list", ["status": "proposed"])["total"]?.integerValue == Int64(pairs.count))
        let again = try daemon.call("match.plan", ["period": "2026-2027 S2", "minScore": 0.3])
        let againPairs = Set((again["pairs"]?.arrayValue ?? []).map { "\($0["question"]?.stringValue ?? "")|\($0["offer"]?.stringValue ?? "")" })
        let firstPairs = Set(pairs.map { "\($0["question"]?.stringValue ?? "")|\($0["offer"]?.stringValue ?? "")" })
        #expect(againPairs.isDisjoint(with: firstPairs), "proposed pairs are not planned again")
        #expect(daemon.stop() == 0)
    }
}
