import LMDSJSON

/// Something a write did that the caller may not have meant, said in its reply: a match started outside
/// its offer's period (with `force`), a follow-up check recorded before it is due. The write happened.
///
/// Derived from the events a command appended and the state, never stored: the daemon's reply and the
/// reply rebuilt for a retry after a restart say the same.
public struct DomainWarning: Sendable, Hashable {
    /// The param (or, when no param gave the value, the fact) the warning is about.
    public let field: String
    /// A sentence for the person who sent the command.
    public let reason: String

    public init(field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    /// The warning as its reply's JSON: `{"field", "reason"}`.
    public var json: JSONValue { ["field": .string(field), "reason": .string(reason)] }

    /// What `event` warrants a warning about, judged on `state` (before or after the event: what it reads
    /// does not change with it).
    public static func about(_ event: DomainEvent, state: DomainState) -> [DomainWarning] {
        guard case .collaboration(let collaboration) = event else { return [] }
        switch collaboration {
        case .matchStarted(let id, _, let startedOn):
            guard let match = state.matches[id], let offer = state.offers[match.offer],
                let outside = outsidePeriod(startedOn, offer: offer) else { return [] }
            return [DomainWarning(field: "startedOn", outside)]
        case .followUpRecorded(let id, _, _, let recordedMs):
            guard let outcome = state.outcomes[id] else { return [] }
            let early = CivilDate.days(from: CivilDate.date(milliseconds: recordedMs), to: outcome.followUpDue)
            guard early > 0 else { return [] }
            return [DomainWarning(field: "date", "recorded \(early) day\(early == 1 ? "" : "s") before it is due (\(outcome.followUpDue))")]
        case .proposalCreated, .proposalConsented, .proposalAccepted, .proposalDeclined, .proposalWithdrawn, .proposalExpired,
            .matchAgreed, .matchDelivered, .matchCancelled, .matchClosed, .questionMatched, .questionCompleted, .questionReopened,
            .offerFilled, .offerReopened, .outcomeRecorded, .outcomeRevised:
            return []
        }
    }

    /// How `date` lies outside `offer`'s period, when it does: "2026-12-07 is 56 days before the period of
    /// O-0003 (2027-02-01 to 2027-06-30)"; nil inside it.
    public static func outsidePeriod(_ date: String, offer: Offer) -> String? {
        let window = offer.period.window
        let name = "the period of \(offer.id) (\(offer.period.label.map { "\($0): " } ?? "")\(window.from) to \(window.to))"
        if date < window.from {
            let days = CivilDate.days(from: date, to: window.from)
            return "\(date) is \(days) day\(days == 1 ? "" : "s") before \(name)"
        }
        if date > window.to {
            let days = CivilDate.days(from: window.to, to: date)
            return "\(date) is \(days) day\(days == 1 ? "" : "s") after \(name)"
        }
        return nil
    }
}
