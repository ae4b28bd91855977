import Domain
import LMDSJSON
import Testing

/// Given a reminder, when the notifier records a delivery attempt, then NotificationDelivered or
/// NotificationFailed, or this error.
@Suite struct NotificationDeciderTests {
    static let notifier = CommandIssuer(role: "notifier", institution: nil)

    static func stateWithReminder() throws -> DomainState {
        var state = try ReminderDeciderTests.state(after: [DeciderTests.submit()])
        _ = try ReminderDeciderTests.raise(&state, at: DeciderTests.now + 7 * ReminderDeciderTests.dayMs)
        return state
    }

    static func attempt(_ subject: NotificationSubject = .reminder("A-0001"), message: String = "<A-0001.c0ffee@lmds>", attempt: Int = 1,
                        failure: String? = nil) -> Command {
        .notification(.record(NotificationAttempt(subject: subject, channel: .email, message: message, attempt: attempt, failure: failure)))
    }

    static func refusal(_ command: Command, state: DomainState, issuer: CommandIssuer = notifier) -> DomainError? {
        do throws(DomainError) {
            _ = try Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now, issuer: issuer)
            return nil
        } catch {
            return error
        }
    }

    /// A delivery of a reminder is NotificationDelivered naming it; the state counts the message once per
    /// reminder however often it is delivered; a failure is NotificationFailed with its reason.
    @Test func deliveriesAndFailuresAreRecorded() throws {
        var state = try Self.stateWithReminder()
        for command in [Self.attempt(), Self.attempt(attempt: 2), Self.attempt(attempt: 3, failure: "sendmail exited 75")] {
            let decision = try Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now, issuer: Self.notifier)
            #expect(decision.events.count == 1 && decision.events.first?.entityIDs == ["A-0001"])
            for event in decision.events { state.apply(event) }
        }
        #expect(state.notifications.deliveredCount == 2 && state.notifications.failedCount == 1)
        #expect(state.notifications.deliveredByReminder == ["A-0001": ["<A-0001.c0ffee@lmds>"]])
        let event = try Decider.decide(Self.attempt(.event(position: 12)), state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now,
                                       issuer: Self.notifier).events
        #expect(event.first?.type == "NotificationDelivered" && event.first?.entityIDs == [])
        for recorded in event + [.notification(.notificationFailed(NotificationAttempt(
            subject: .reminder("A-0001"), channel: .webhook, message: "d-1", attempt: 4, failure: "HTTP 503")))] {
            #expect(DomainEvent(type: recorded.type, data: recorded.data) == recorded)
        }
    }

    /// Only the notifier (or an admin) records; an unknown reminder is not found; a message key with a space,
    /// an attempt out of range or an empty reason is refused by field.
    @Test func refusals() throws {
        let state = try Self.stateWithReminder()
        #expect(Self.refusal(Self.attempt(), state: state, issuer: .staff)?.code == .forbidden)
        #expect(Self.refusal(Self.attempt(), state: state, issuer: CommandIssuer(role: "admin", institution: nil)) == nil)
        #expect(Self.refusal(Self.attempt(.reminder("A-0009")), state: state)?.code == .notFound)
        #expect(Self.refusal(Self.attempt(message: "two words"), state: state)?.field == "message")
        #expect(Self.refusal(Self.attempt(attempt: 0), state: state)?.field == "attempt")
        #expect(Self.refusal(Self.attempt(failure: " "), state: state)?.field == "reason")
        #expect(Self.refusal(Self.attempt(.event(position: 0)), state: state)?.field == "event")
    }
}

extension NotificationDeciderTests {
    /// A requester who opts in at submission is stored with `notify` (in the event only then), which reads
    /// back from the log and passes to follow-up questions; opting in without an e-mail address is refused.
    @Test func requesterOptInAtSubmission() throws {
        guard case .question(.submit(var submit)) = DeciderTests.submit() else { return }
        submit.notify = true
        let decision = try Decider.decide(.question(.submit(submit)), state: DomainState(), taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now)
        let event = try #require(decision.events.first)
        #expect(event.data["requester"]?["notify"] == true)
        guard case .questionSubmitted(let question)? = DomainEvent(type: event.type, data: event.data) else {
            Issue.record("QuestionSubmitted did not read back")
            return
        }
        #expect(question.requester.notify)
        let plain = try Decider.decide(DeciderTests.submit(), state: DomainState(), taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now)
        #expect(plain.events.first?.data["requester"]?["notify"] == nil, "absent unless opted in")
        submit.contact = ContactDetails(name: "Anouk", email: nil, phone: "071-1234567")
        do throws(DomainError) {
            _ = try Decider.decide(.question(.submit(submit)), state: DomainState(), taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now)
            Issue.record("opting in without an e-mail address was accepted")
        } catch {
            #expect(error.field == "requester.notify")
        }
    }
}
