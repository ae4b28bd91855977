import Domain
import LMDSJSON
import Testing

/// Given events, when questions are merged or split, then events or this error.
@Suite struct LineageDeciderTests {
    static func accept(_ id: String) -> Command { .question(.accept(id: id, title: nil, description: nil, expectedVersion: nil)) }
    static func merge(_ from: [String], into: String = "Q-0001") -> Command { .lineage(.merge(into: into, from: from, reason: "dubbel ingediend", expectedVersion: nil)) }
    static func split(_ titles: [String], id: String = "Q-0001") -> Command {
        .lineage(.split(id: id, parts: titles.map { QuestionDraft(title: $0, description: "Deel van de vraag") }, reason: "drie projecten in één", expectedVersion: nil))
    }

    /// Given an open survivor and a duplicate proposed to an offer, when the duplicate is merged, then it
    /// becomes merged with mergedInto and its pending proposal is withdrawn in the same append.
    @Test func mergeEndsTheDuplicateAndWithdrawsItsProposals() throws {
        let given = CollaborationDeciderTests.proposed() + [DeciderTests.submit("Eenzaamheid, nogmaals")]
        let decision = try CollaborationDeciderTests.decide(Self.merge(["Q-0001"], into: "Q-0002"), given: given)
        #expect(decision.entityID == "Q-0002")
        #expect(decision.events.map(\.type) == ["QuestionMerged", "ProposalWithdrawn"])
        #expect(decision.events[0].entityIDs == ["Q-0002", "Q-0001"], "the survivor first: the reply is about it")
        var state = try CollaborationDeciderTests.state(after: given)
        for event in decision.events { state.apply(event) }
        #expect(state.questions["Q-0001"]?.status == .merged && state.lineage.mergedInto["Q-0001"] == "Q-0002")
        #expect(state.lineage.links(of: "Q-0002")["mergedFrom"] == ["Q-0001"])
        #expect(state.proposals["P-0001"]?.status == .withdrawn && state.pendingProposals.isEmpty)
        #expect(DomainEvent(type: "QuestionMerged", data: decision.events[0].data) == decision.events[0])
    }

    /// Refused: a finished survivor, a duplicate that is matched or unknown, an empty or repeating list, the survivor itself.
    @Test func mergeRefusals() throws {
        let two = [DeciderTests.submit(), DeciderTests.submit("Tweede")]
        #expect(CollaborationDeciderTests.refusal(Self.merge([]), given: two)?.field == "from")
        #expect(CollaborationDeciderTests.refusal(Self.merge(["Q-0002", "Q-0002"]), given: two)?.field == "from")
        #expect(CollaborationDeciderTests.refusal(Self.merge(["Q-0001"]), given: two)?.field == "from")
        #expect(CollaborationDeciderTests.refusal(Self.merge(["Q-0009"]), given: two)?.code == .notFound)
        let rejected = two + [.question(.reject(id: "Q-0001", reason: "buiten Leiden", expectedVersion: nil))]
        #expect(CollaborationDeciderTests.refusal(Self.merge(["Q-0002"]), given: rejected)?.state == "rejected")
        let matched = CollaborationDeciderTests.agreed() + [DeciderTests.submit("Tweede")]
        #expect(CollaborationDeciderTests.refusal(Self.merge(["Q-0001"], into: "Q-0002"), given: matched)?.state == "matched")
    }

    /// Given an open question, when it is split in two, then two new questions in its state (submitted, then
    /// accepted) with its requester and contact, and the original becomes split listing them.
    @Test func splitMakesPartsInTheOriginalsState() throws {
        let given = [DeciderTests.submit(), Self.accept("Q-0001")]
        let decision = try CollaborationDeciderTests.decide(Self.split(["Ontmoeting", "Vervoer"]), given: given)
        #expect(decision.events.map(\.type) == ["QuestionSplit", "QuestionSubmitted", "QuestionSubmitted", "QuestionAccepted", "QuestionAccepted"])
        #expect(decision.events[0].entityIDs.first == decision.entityID)
        #expect(decision.personalData.isEmpty, "the parts share the original's contact; no personal data is written again")
        var state = try CollaborationDeciderTests.state(after: given)
        for event in decision.events { state.apply(event) }
        #expect(state.questions["Q-0002"]?.status == .open && state.questions["Q-0003"]?.title == "Vervoer")
        #expect(state.questions["Q-0002"]?.requester == state.questions["Q-0001"]?.requester.copied)
        #expect(state.questions["Q-0001"]?.status == .split && state.lineage.parts["Q-0001"] == ["Q-0002", "Q-0003"])
        #expect(state.lineage.splitFrom["Q-0003"] == "Q-0001" && state.questionCount == 3 && state.contactCount == 1)
    }

    /// Refused: one part, a part with an empty title (named by its index), a matched question.
    @Test func splitRefusals() throws {
        #expect(CollaborationDeciderTests.refusal(Self.split(["Alleen"]), given: [DeciderTests.submit()])?.field == "parts")
        #expect(CollaborationDeciderTests.refusal(Self.split(["Een", " "]), given: [DeciderTests.submit()])?.field == "parts[1].title")
        #expect(CollaborationDeciderTests.refusal(Self.split(["Een", "Twee"]), given: CollaborationDeciderTests.agreed())?.state == "matched")
    }
}
