import Domain
import LMDSJSON
import Testing

/// Given events, when `question.publish`, then `QuestionPublicationChanged` or this error.
@Suite struct PublicationDeciderTests {
    static func publish(_ id: String = "Q-0001", _ isPublic: Bool = true) -> Command { .publication(.publish(question: id, isPublic: isPublic)) }
    static let open = [DeciderTests.submit(), Command.question(.accept(id: "Q-0001", title: nil, description: nil, expectedVersion: nil))]

    /// An open question is not public until marked; marking it records the event, and the state says so.
    @Test func anOpenQuestionIsMarkedPublic() throws {
        let before = try CollaborationDeciderTests.state(after: Self.open)
        #expect(!before.publication.isPublic("Q-0001"))
        let decision = try CollaborationDeciderTests.decide(Self.publish(), given: Self.open)
        #expect(decision.events == [.publication(.questionPublicationChanged(id: "Q-0001", isPublic: true))])
        #expect(decision.events.first?.type == "QuestionPublicationChanged" && decision.events.first?.entityIDs == ["Q-0001"])
        let after = try CollaborationDeciderTests.state(after: Self.open + [Self.publish()])
        #expect(after.publication.isPublic("Q-0001"))
        #expect(try CollaborationDeciderTests.state(after: Self.open + [Self.publish(), Self.publish("Q-0001", false)]).publication.publicQuestions.isEmpty)
    }

    /// The stored event reads back as the same event.
    @Test func theEventRoundTrips() {
        let event = DomainEvent.publication(.questionPublicationChanged(id: "Q-0007", isPublic: false))
        #expect(DomainEvent(type: event.type, data: event.data) == event)
        #expect(event.data == ["id": "Q-0007", "public": false])
        #expect(EventSummary.line(type: event.type, data: event.data) == "Q-0007 taken off the public site")
    }

    /// A submitted question (intake not done) cannot be published; the refusal names its state and what it allows.
    @Test func aSubmittedQuestionCannotBePublished() {
        let error = CollaborationDeciderTests.refusal(Self.publish(), given: [DeciderTests.submit()])
        #expect(error?.code == .conflict && error?.state == "submitted")
        let rejected = CollaborationDeciderTests.refusal(Self.publish(), given: [DeciderTests.submit(), .question(.reject(id: "Q-0001", reason: "geen vraag", expectedVersion: nil))])
        #expect(rejected?.code == .conflict && rejected?.state == "rejected")
    }

    /// Marking twice, or taking back a mark never given, is a conflict; an unknown question is not found.
    @Test func repeatsAndUnknownQuestionsAreRefused() {
        #expect(CollaborationDeciderTests.refusal(Self.publish(), given: Self.open + [Self.publish()])?.state == "public")
        #expect(CollaborationDeciderTests.refusal(Self.publish("Q-0001", false), given: Self.open)?.state == "not public")
        #expect(CollaborationDeciderTests.refusal(Self.publish("Q-0009"), given: Self.open)?.code == .notFound)
    }
}
