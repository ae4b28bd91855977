import Crypto
import Domain
import LMDSJSON
import Matching
import Reports

/// The read models the core keeps beside the log: the domain state and the projections folded with it.
///
/// This is the one list of projections. Each one is applied live to every event the core decides (`apply`),
/// rebuilt from a folded state at start-up, after a snapshot load and after a failed append (`init(state:…)`),
/// and digested for `lmdsd replay --check` (`digestHex`), all here. A feature's read model is added as a
/// stored property and one line in each of these three places. The state itself is the fold the projections
/// read; it is saved in the snapshot, and the projections are rebuilt from it when a snapshot is loaded.
/// (The read models filled from committed records only, each entity's log positions and the replies
/// remembered for retries, are `CommittedHistory`.)
public struct ReadModels: Sendable {
    public private(set) var state: DomainState
    /// The matcher's indexes and slots, kept current with every event.
    public private(set) var matching: MatchingIndex
    /// The overview report's figures, kept current with every event (a live overview reads them).
    public private(set) var overview: OverviewProjection
    /// The stem and concepts of words the live index has analysed: saves the stemming of familiar words.
    private var analysisWords = TextAnalyzer.WordCache(wordsMax: CoreLimits.analysisWordsCachedMax)

    /// Read models of a folded state, with the matching index built from it (`ParallelIndexBuild` builds one
    /// faster at start-up and passes it in).
    public init(state: DomainState, matching: MatchingIndex, overview: OverviewProjection? = nil) {
        self.state = state
        self.matching = matching
        self.overview = overview ?? OverviewProjection(state: state)
    }

    /// Empty read models, for an empty log.
    public init(analyzer: TextAnalyzer) {
        self.init(state: DomainState(), matching: MatchingIndex(analyzer: analyzer), overview: OverviewProjection())
    }

    /// Applies one event to the state and every projection: each projection sees the state before the event
    /// (`willApply`) and after it (`didApply`).
    /// `prepared`: analyses of texts the index will analyse, made beforehand on another thread (by the text).
    public mutating func apply(_ event: DomainEvent, prepared: [String: TextAnalyzer.Analysis] = [:]) {
        matching.willApply(event, to: state)
        let overviewPrior = overview.willApply(event, to: state)
        state.apply(event)
        matching.afterApplying(event, to: state, words: &analysisWords, prepared: prepared)
        overview.didApply(event, to: state, prior: overviewPrior)
    }

    /// SHA-256 (lowercase hex) over the canonical JSON of the state and of every projection's `digestJSON`:
    /// read models kept current event by event and read models rebuilt from the log digest the same unless
    /// an incremental structure drifted.
    public var digestHex: String {
        Self.digestHex(state: state, projections: ["matching": matching.digestJSON, "overview": overview.digestJSON])
    }

    /// The digest of a state and its projections' `digestJSON` by name. The state's parts kept apart from its
    /// canonical JSON (the publication marks) are digested under their own names.
    static func digestHex(state: DomainState, projections: [String: JSONValue]) -> String {
        var document = projections
        document["state"] = state.canonicalJSON
        document["publication"] = state.publication.canonicalJSON
        // Only once there are any, so that the digest of a log without reminders is what it was before them.
        if !state.reminders.reminders.isEmpty { document["reminders"] = state.reminders.json }
        if !state.notifications.isEmpty { document["notifications"] = state.notifications.json }
        return Hex.encode(Array(SHA256.hash(data: JSONWriter.canonicalBytes(.object(document)))))
    }

}
