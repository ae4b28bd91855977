import Foundation
import LMDSJSON
import LMDSProtocol
import LMDSTestSupport
import Testing

/// `question.get` and `offer.get` of the current state are answered from a cache of rendered results;
/// through the real socket, every cached answer must equal the answer rendered afresh from a replay of
/// the log (`asOf` the head), whatever writes came before.
@Suite struct ReplyCacheTests {
    /// A seeded random walk of writes (submissions, intake, revisions, offers, proposals and consents,
    /// erasures), each followed by reads: the first read fills the cache, the second is answered from it,
    /// and both must equal the replayed answer.
    @Test func cachedReadsEqualAFreshReplayAfterEveryKindOfWrite() throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("ReplyCacheTests seed \(seed)")
        var random = SplitMix64(seed: seed)
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let client = try daemon.client()
        var questions = 0
        var offers = 0
        var proposals = 0
        for step in 0..<160 {
            let pick = Int(random.next() % 9)
            let question = "Q-" + String(format: "%04d", 1 + Int(random.next() % UInt64(max(questions, 1))))
            let offer = "O-" + String(format: "%04d", 1 + Int(random.next() % UInt64(max(offers, 1))))
            switch pick {
            case 0 where questions < 12, 1 where questions == 0:
                questions += 1
                _ = try daemon.call("question.submit", QuestionTests.submitParams(questions, neighbourhood: step % 2 == 0 ? "Stevenshof" : "Bos- en Gasthuisdistrict"))
            case 1:
                _ = try client.call("question.accept", ["id": .string(question)])
            case 2:
                _ = try client.call("question.revise", ["id": .string(question), "title": .string("Herzien \(step): ontmoeting voor ouderen")])
            case 3 where offers < 4, 4 where offers == 0:
                offers += 1
                _ = try daemon.call("offer.publish", OfferTests.publish)
            case 4:
                _ = try client.call("offer.revise", ["id": .string(offer), "title": .string("Minor \(step): wijkgericht werken")])
            case 5:
                if case .success = try client.call("proposal.create", ["question": .string(question), "offer": .string(offer)]) { proposals += 1 }
            case 6 where proposals > 0:
                let proposal = "P-" + String(format: "%04d", 1 + Int(random.next() % UInt64(proposals)))
                _ = try client.call("proposal.accept", ["id": .string(proposal), "side": random.next() % 2 == 0 ? "requester" : "education"])
            case 7 where questions > 0 && random.next() % 4 == 0:
                _ = try client.call("person.erase", ["id": .string("C-" + String(format: "%04d", 1 + Int(random.next() % UInt64(questions))))])
            default:
                break
            }
            let head = try daemon.call("system.status")["position"] ?? .null
            for (method, id) in [("question.get", question), ("offer.get", offer)] {
                let first = try client.call(method, ["id": .string(id)])
                let second = try client.call(method, ["id": .string(id)])
                let replayed = try client.call(method, ["id": .string(id), "asOf": head])
                #expect(first == replayed, "step \(step), \(method) \(id), seed \(seed)")
                #expect(second == replayed, "step \(step), \(method) \(id) from the cache, seed \(seed)")
            }
        }
        #expect(try daemon.call("audit.verify")["intact"] == true)
    }

    /// The cache is used: a read fills it, a write to that question empties its entry, and a read with
    /// `asOf` (a replay) never enters it.
    @Test func aReadFillsTheCacheAndAWriteToTheEntityEmptiesIt() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        _ = try daemon.call("question.submit", QuestionTests.submitParams(1))
        _ = try daemon.call("question.submit", QuestionTests.submitParams(2))
        #expect(try daemon.call("system.status")["cachedReplies"] == 0)
        _ = try daemon.call("question.get", ["id": "Q-0001", "asOf": 2])
        #expect(try daemon.call("system.status")["cachedReplies"] == 0)
        _ = try daemon.call("question.get", ["id": "Q-0001"])
        _ = try daemon.call("question.get", ["id": "Q-0002"])
        #expect(try daemon.call("system.status")["cachedReplies"] == 2)
        _ = try daemon.call("question.accept", ["id": "Q-0001", "title": "Ontmoeten in de Stevenshof, met café"])
        #expect(try daemon.call("system.status")["cachedReplies"] == 1)
        #expect(try daemon.call("question.get", ["id": "Q-0001"])["title"] == "Ontmoeten in de Stevenshof, met café")
        #expect(try daemon.call("question.get", ["id": "Q-0001"])["title"] == "Ontmoeten in de Stevenshof, met café")
        // A new question writes personal data: every result with contact details goes.
        _ = try daemon.call("question.submit", QuestionTests.submitParams(3))
        #expect(try daemon.call("system.status")["cachedReplies"] == 0)
    }
}
