import Domain
import LMDSJSON
import Testing

/// Given events, when an assignment or a note command, then events or this error.
@Suite struct DeskDeciderTests {
    /// alice and root own questions; bob is an educator; nobody a viewer.
    static let policy: DomainPolicy = {
        var policy = DomainPolicy.default
        policy.users = ["alice": ConfiguredUser(role: "coordinator", institution: nil), "root": ConfiguredUser(role: "admin", institution: nil),
                        "bob": ConfiguredUser(role: "educator", institution: "hogeschool-leiden"), "nobody": ConfiguredUser(role: "viewer", institution: nil)]
        return policy
    }()

    static func assign(_ owner: String?, version: Int? = nil) -> Command { .desk(.assign(id: "Q-0001", owner: owner, expectedVersion: version)) }

    static func decide(_ command: Command, given: [Command]) throws -> Decision {
        try CollaborationDeciderTests.decide(command, given: given, policy: policy)
    }

    static func refusal(_ command: Command, given: [Command]) -> DomainError? {
        CollaborationDeciderTests.refusal(command, given: given, policy: policy)
    }

    /// Given a question, when it is assigned to a configured coordinator, then QuestionAssigned with the owner,
    /// and applying it records the owner and counts as a change of the question (its version).
    @Test func assignRecordsTheOwner() throws {
        let decision = try Self.decide(Self.assign("alice", version: 1), given: [DeciderTests.submit()])
        #expect(decision.events == [.desk(.questionAssigned(id: "Q-0001", owner: "alice", previous: nil, assignedMs: DeciderTests.now))])
        #expect(decision.events[0].type == "QuestionAssigned" && decision.events[0].entityIDs == ["Q-0001"])
        var state = try CollaborationDeciderTests.state(after: [DeciderTests.submit()])
        state.apply(decision.events[0])
        #expect(state.owner(of: "Q-0001") == "alice" && state.questions["Q-0001"]?.version == 2)
        let stored = DomainEvent(type: "QuestionAssigned", data: decision.events[0].data)
        #expect(stored == decision.events[0])
    }

    /// An owner moves from one coordinator to another (the event names the previous one), and is released with nil.
    @Test func reassignAndRelease() throws {
        let given = [DeciderTests.submit(), Self.assign("alice")]
        #expect(try Self.decide(Self.assign("root"), given: given).events
            == [.desk(.questionAssigned(id: "Q-0001", owner: "root", previous: "alice", assignedMs: DeciderTests.now))])
        #expect(try Self.decide(Self.assign(nil), given: given).events
            == [.desk(.questionAssigned(id: "Q-0001", owner: nil, previous: "alice", assignedMs: DeciderTests.now))])
    }

    /// Refused: an unknown user, an educator or viewer, the same owner again, releasing nobody, a finished
    /// question, a stale version, an unknown question.
    @Test func assignRefusals() throws {
        let given = [DeciderTests.submit()]
        #expect(Self.refusal(Self.assign("eve"), given: given)?.field == "owner")
        let educator = Self.refusal(Self.assign("bob"), given: given)
        #expect(educator?.field == "owner" && educator?.details["role"] == "educator")
        #expect(Self.refusal(Self.assign("nobody"), given: given)?.field == "owner")
        #expect(Self.refusal(Self.assign("alice"), given: given + [Self.assign("alice")])?.code == .conflict)
        #expect(Self.refusal(Self.assign(nil), given: given)?.code == .conflict)
        let rejected = given + [.question(.reject(id: "Q-0001", reason: "buiten Leiden", expectedVersion: nil))]
        #expect(Self.refusal(Self.assign("alice"), given: rejected)?.state == "rejected")
        #expect(Self.refusal(Self.assign("alice", version: 7), given: given)?.code == .conflict)
        #expect(Self.refusal(Self.assign("alice"), given: [])?.code == .notFound)
    }

    /// A note's text goes to the personal table under N-0001; the event holds the SHA-256 of its UTF-8 bytes,
    /// the author and the entity, never the text.
    @Test func noteTextStaysOutOfTheLog() throws {
        let text = "Gebeld met de bewonersgroep; ze willen pas na de zomer starten. Café ë"
        let decision = try Self.decide(.desk(.addNote(entity: "Q-0001", text: text, author: "alice")), given: [DeciderTests.submit()])
        #expect(decision.entityID == "N-0001")
        #expect(decision.personalData == ["N-0001": .text(text)])
        let stored = JSONWriter.canonicalString(decision.events[0].data)
        #expect(!stored.contains("bewonersgroep") && stored.contains(PersonalRecord.sha256Hex(text)) && stored.contains("alice"))
        #expect(decision.events[0].entityIDs == ["N-0001", "Q-0001"])
        #expect(DomainEvent(type: "NoteAdded", data: decision.events[0].data) == decision.events[0])
    }

    /// Notes only on entities that exist; never empty; an erased note cannot be erased again.
    @Test func noteRefusalsAndErasure() throws {
        let given = [DeciderTests.submit()]
        #expect(Self.refusal(.desk(.addNote(entity: "Q-0009", text: "x", author: "alice")), given: given)?.code == .notFound)
        #expect(Self.refusal(.desk(.addNote(entity: "zomaar", text: "x", author: "alice")), given: given)?.field == "entity")
        #expect(Self.refusal(.desk(.addNote(entity: "Q-0001", text: "  ", author: "alice")), given: given)?.field == "text")
        let noted = given + [.desk(.addNote(entity: "Q-0001", text: "Bellen", author: "alice"))]
        let erased = try Self.decide(.desk(.eraseNote(id: "N-0001", reason: "verzoek van de bewoner")), given: noted)
        #expect(erased.events == [.desk(.noteErased(id: "N-0001", entity: "Q-0001", reason: "verzoek van de bewoner"))])
        let erasure: [String: PersonalRecord?] = ["N-0001": nil]
        #expect(erased.personalData == erasure)
        #expect(Self.refusal(.desk(.eraseNote(id: "N-0001", reason: "nog eens")), given: noted + [.desk(.eraseNote(id: "N-0001", reason: "weg"))])?.state == "erased")
        #expect(Self.refusal(.desk(.eraseNote(id: "N-0002", reason: "weg")), given: noted)?.code == .notFound)
    }
}
