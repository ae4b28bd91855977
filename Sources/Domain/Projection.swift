import LMDSJSON

/// A read model folded from the domain's events beside the state: the matching index, the overview's
/// figures, and each read model a feature adds.
///
/// The core keeps one list of them (`ReadModels` in LMDSCore) and treats every one the same way: applied
/// live to each event it decides (so the next command and read see it), rebuilt from a folded state at
/// start-up and after a failed append, and digested for `lmdsd replay --check` (a projection kept current
/// event by event and one rebuilt from the log must digest the same, or one of them drifted). Projections
/// are pure: no I/O, no clock, no randomness; what they need comes in with the event and the state.
public protocol Projection: Sendable {
    /// What the projection must keep of the state before an event changes it (the statuses it moves away
    /// from); `Void` when it needs nothing.
    associatedtype Prior: Sendable = Void

    /// Called before the state applies `event`, with the state as it was: reads (or takes out) what the
    /// event is about to change.
    mutating func willApply(_ event: DomainEvent, to state: DomainState) -> Prior

    /// Called after the state applied `event`, with the state after it and what `willApply` returned.
    mutating func didApply(_ event: DomainEvent, to state: DomainState, prior: Prior)

    /// The projection's contents as canonical JSON (ids sorted), for the read-model digest.
    var digestJSON: JSONValue { get }
}

extension Projection where Prior == Void {
    public mutating func willApply(_ event: DomainEvent, to state: DomainState) {}
}
