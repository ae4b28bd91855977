/// The notification aggregate's decider: a delivery attempt recorded by the notifier (or an admin).
enum NotificationDecider {
    static func decide(_ command: NotificationCommand, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        switch command {
        case .record(let attempt):
            guard context.issuer.role == "notifier" || context.issuer.role == "admin" else {
                throw DomainError(.forbidden, "only the notifier records deliveries")
            }
            switch attempt.subject {
            case .reminder(let id):
                guard state.reminders.reminders[id] != nil else { throw .notFound(id) }
            case .event(let position):
                guard position >= 1 else { throw .validation("event", "must be a log position, 1 or more") }
            }
            guard !attempt.message.isEmpty, attempt.message.utf8.count <= NotificationLimits.messageBytesMax,
                !attempt.message.contains(where: \.isWhitespace)
            else { throw .validation("message", "must be a message key without spaces, at most \(NotificationLimits.messageBytesMax) bytes") }
            guard (1...NotificationLimits.attemptsMax).contains(attempt.attempt) else {
                throw .validation("attempt", "must be 1 to \(NotificationLimits.attemptsMax)")
            }
            if let failure = attempt.failure { try Decider.checkText("reason", failure, bytesMax: NotificationLimits.reasonBytesMax) }
            let event: NotificationEvent = attempt.failure == nil ? .notificationDelivered(attempt) : .notificationFailed(attempt)
            let entityID: String
            switch attempt.subject {
            case .reminder(let id): entityID = id
            case .event(let position): entityID = "event \(position)"
            }
            return Decision(events: [.notification(event)], personalData: [:], entityID: entityID)
        }
    }
}
