import Domain
import LMDSJSON
import LMDSProtocol
import NIOCore

/// `notification.record`: the notifier's report of one delivery attempt, appended as
/// `NotificationDelivered` or `NotificationFailed`. The notifier derives `requestId` from the message and
/// the attempt, so that a retry after a crash appends nothing.
extension Dispatcher {
    /// `notification.record` in the route table.
    static let notificationRoutes: [Route] = [.answer("notification.record", Dispatcher.answerNotificationRecord)]

    /// `notification.record`: a write whose reply says the outcome recorded and the position.
    func answerNotificationRecord(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let attempt = try Self.notificationAttempt(&params)
        let outcome: JSONValue = attempt.failure == nil ? "delivered" : "failed"
        return write(.notification(.record(attempt)), &params, caller: context.caller, on: context.eventLoop).map { result in
            ["outcome": outcome, "position": result["position"] ?? .null]
        }
    }

    /// The attempt `notification.record`'s params describe: a `reminder` or an `event`, and how it went.
    static func notificationAttempt(_ params: inout Params) throws(RPCError) -> NotificationAttempt {
        let reminder = try params.string("reminder", bytesMax: 32)
        let event = try params.integer("event", in: 1...Int64.max)
        let subject: NotificationSubject
        switch (reminder, event) {
        case (let id?, nil): subject = .reminder(id)
        case (nil, let position?): subject = .event(position: position)
        default: throw RPCError.invalidParams(field: "reminder", "give either reminder (an A- id) or event (a log position)")
        }
        let channelText = try requiredString(&params, "channel", bytesMax: 16)
        guard let channel = NotificationChannel(rawValue: channelText) else {
            throw RPCError.validation(field: "channel", "one of \(NotificationChannel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let message = try requiredString(&params, "message", bytesMax: NotificationLimits.messageBytesMax)
        guard let attempt = try params.integer("attempt", in: 1...Int64(NotificationLimits.attemptsMax)) else {
            throw RPCError.invalidParams(field: "attempt", "required")
        }
        let outcome = try requiredString(&params, "outcome", bytesMax: 16)
        let reason = try params.string("reason", bytesMax: NotificationLimits.reasonBytesMax)
        switch (outcome, reason) {
        case ("delivered", nil): break
        case ("failed", .some): break
        case ("delivered", .some): throw RPCError.validation(field: "reason", "only a failed attempt has a reason")
        case ("failed", nil): throw RPCError.invalidParams(field: "reason", "required for a failed attempt")
        default: throw RPCError.validation(field: "outcome", "one of delivered, failed")
        }
        return NotificationAttempt(subject: subject, channel: channel, message: message, attempt: Int(attempt), failure: reason)
    }
}
