import Domain
import LMDSJSON
import Synchronization

/// The rendered results of `question.get` and `offer.get` on the current state, as canonical JSON bytes,
/// so that repeated reads answer on the event loop: no hop to the `DomainProcessor`, no new rendering.
///
/// Correctness rests on invalidation by the processor, the only writer of the state: every event applied
/// drops the entries of the entities it names (every change to a question or an offer is an event naming
/// it), a decision that writes personal data drops every entry that shows contact details, and a rebuild
/// drops everything. A reader that rendered from the state stores its result only if nothing was
/// invalidated since it took that state (the `epoch`), so a result rendered before a change never
/// outlives it.
public final class ReplyCache: Sendable {
    /// Which read a result answers.
    public enum Kind: UInt8, Sendable {
        case question
        case offer
    }

    public struct Key: Hashable, Sendable {
        public var kind: Kind
        public var id: String
        /// Whether the result shows contact details (staff roles) or not.
        public var withContact: Bool

        public init(kind: Kind, id: String, withContact: Bool) {
            self.kind = kind
            self.id = id
            self.withContact = withContact
        }
    }

    /// An entity of a kind: what one event's invalidation names.
    private struct Entity: Hashable {
        var kind: Kind
        var id: String
    }

    private struct Contents {
        /// Results without contact details, and with them (dropped as a whole when personal data changes,
        /// which costs no more than the reads that filled it).
        var plain: [Entity: [UInt8]] = [:]
        var withContact: [Entity: [UInt8]] = [:]
        /// Counts invalidations; a result is stored only if none happened since its state was read.
        var epoch: UInt64 = 0
    }

    private let contents = Mutex(Contents())
    let entriesMax: Int

    public init(entriesMax: Int = CoreLimits.replyCacheEntriesMax) {
        precondition(entriesMax > 0, "a reply cache holds at least one entry")
        self.entriesMax = entriesMax
    }

    /// The stored result for `key`, if any.
    public func result(_ key: Key) -> [UInt8]? {
        contents.withLock { contents in
            let entity = Entity(kind: key.kind, id: key.id)
            return key.withContact ? contents.withContact[entity] : contents.plain[entity]
        }
    }

    /// The current epoch: read together with the state a result is rendered from.
    public var epoch: UInt64 {
        contents.withLock { $0.epoch }
    }

    /// How many results are stored (for tests and `system.status`).
    public var count: Int {
        contents.withLock { $0.plain.count + $0.withContact.count }
    }

    /// Stores a result rendered from the state as of `epoch`, unless something was invalidated since.
    public func store(_ result: [UInt8], for key: Key, renderedAt epoch: UInt64) {
        contents.withLock { contents in
            guard contents.epoch == epoch else { return }
            if contents.plain.count + contents.withContact.count >= entriesMax {
                contents.plain = [:]
                contents.withContact = [:]
            }
            let entity = Entity(kind: key.kind, id: key.id)
            if key.withContact { contents.withContact[entity] = result } else { contents.plain[entity] = result }
        }
    }

    /// Drops the results about `ids` (and, when `personalData` changed, every result with contact details).
    public func invalidate(_ ids: some Sequence<String>, personalData: Bool) {
        contents.withLock { contents in
            contents.epoch &+= 1
            if personalData && !contents.withContact.isEmpty { contents.withContact = [:] }
            guard !contents.plain.isEmpty || !contents.withContact.isEmpty else { return }
            for id in ids {
                for kind in [Kind.question, .offer] {
                    contents.plain.removeValue(forKey: Entity(kind: kind, id: id))
                    contents.withContact.removeValue(forKey: Entity(kind: kind, id: id))
                }
            }
        }
    }

    /// Drops every result (the state was rebuilt).
    public func removeAll() {
        contents.withLock { contents in
            contents.epoch &+= 1
            contents.plain = [:]
            contents.withContact = [:]
        }
    }
}

extension DomainState {
    /// The offers whose rendering (`placesLeft`, `proposalsPending`) `event` changes without naming them:
    /// the offer of a proposal or match it names. The reply cache drops them with the entities it names.
    public func offersShowing(_ event: DomainEvent) -> [String] {
        guard case .collaboration(let collaboration) = event else { return [] }
        switch collaboration {
        case .proposalConsented(let id, _), .proposalAccepted(let id, _), .proposalDeclined(let id, _, _), .proposalWithdrawn(let id, _),
            .proposalExpired(let id):
            return proposals[id].map { [$0.offer] } ?? []
        case .matchStarted(let id, _, _), .matchCancelled(let id, _), .matchDelivered(let id, _), .matchClosed(let id, _):
            return matches[id].map { [$0.offer] } ?? []
        case .proposalCreated, .matchAgreed, .questionMatched, .questionCompleted, .questionReopened, .offerFilled, .offerReopened,
            .outcomeRecorded, .outcomeRevised, .followUpRecorded:
            return []
        }
    }
}
