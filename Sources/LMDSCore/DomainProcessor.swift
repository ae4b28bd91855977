import Dispatch
import Domain
import EventLog
import LMDSJSON
import Matching
import Reports
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs domain commands: decide on the current state, append the events (with their personal data) and
/// reply once they are durable. Commands are decided one at a time on a state that already holds the
/// events of commands still committing, so appends from many clients share group commits; each append
/// carries the head position it was decided on, so if one fails, those decided after it fail too, and
/// the state is rebuilt from the log before the next command (the log is the truth).
public actor DomainProcessor {
    /// How many request ids are remembered for idempotent retries (the most recent ones). Each costs
    /// roughly 200 bytes; a retry of an older request would be executed again.
    static let requestIDsRememberedMax = 100_000

    public nonisolated let log: EventLog
    public nonisolated let taxonomy: Taxonomy
    public nonisolated let policy: DomainPolicy
    public nonisolated let clock: any Clock
    public nonisolated let eventIDs: any EventIDSource

    /// The state and its projections, applied live (see `ReadModels`).
    var models: ReadModels
    /// The current state (with the events of commands still committing).
    public var state: DomainState { models.state }
    public nonisolated let matcher: Matcher
    /// The text analysis the index uses (the city's keywords), for indexes of past states.
    public nonisolated let analyzer: TextAnalyzer
    /// The position the next append follows: the log's head plus everything decided but not yet committed.
    var expectedHead: UInt64 = 0
    var results: [String: WriteResult] = [:]
    var resultOrder: [String] = []
    var resultOrderStart = 0
    var needsRebuild = false
    /// True while a rebuild awaits its index build (the actor runs other calls meanwhile): commands wait for
    /// it in `rebuildWhenIdle`, as they waited when the build blocked the actor.
    var rebuilding = false
    /// Appends handed to the log and not yet answered, and callers waiting for them all to be answered.
    var appendsInFlight = 0
    var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Callers of `waitUntilCommitted`, woken after every append is answered to look at the head again.
    var commitWaiters: [CheckedContinuation<Void, Never>] = []
    /// Counts rebuilds: a failure of an append decided before the last rebuild says nothing about the
    /// rebuilt state and must not ask for another.
    public internal(set) var generation = 0
    /// After an expiry append fails (a full disk), expiries wait until this time instead of retrying every second.
    var expiryPausedUntilMs: Int64 = 0
    /// Set when an append failed because the disk (or the log's configured maximum) is full: the bytes free
    /// then, and when. Until space is freed, writes are refused at once without being decided, so that a
    /// full disk costs one rebuild of the state, not one per refused write (found by `scripts/torture
    /// disk-full`: each refused write re-read the whole log while every other caller waited).
    var storageFull: (freeBytes: Int?, atMs: Int64)?
    /// How much more space than at the failure lets writes try again.
    static let storageFullHeadroomBytes = 1 << 20
    /// How long writes are refused after a storage-full failure when no space appears (a log at its
    /// configured maximum size frees none): then one write tries again.
    static let storageFullRetryMs: Int64 = 5_000
    /// Log positions of the events that name each entity id, for `history.get`; filled from committed
    /// records only (so it never lists an event that did not reach the log).
    var entityPositions: [String: [UInt64]] = [:]
    /// Callers waiting for a request id that is being executed right now: a retry that arrives while the
    /// first attempt commits gets the first attempt's outcome instead of being executed twice.
    var inFlight: [String: [CheckedContinuation<Result<WriteResult?, CoreError>, Never>]] = [:]
    /// Rendered `question.get` / `offer.get` results of the current state, read without a hop to this
    /// actor; this actor invalidates them as it changes the state (see `ReplyCache`).
    public nonisolated let replyCache = ReplyCache()
    /// Commands handed to `execute(_:actor:issuer:requestID:reply:)` and not yet taken up by this actor.
    nonisolated let commandsWaiting = Atomic<Int>(0)
    /// The words the event loops' analyses (`prepareAnalyses`) have seen, shared by them under a lock (an
    /// uncached analysis costs about twice a cached one).
    nonisolated let preparedWords = Mutex(TextAnalyzer.WordCache(wordsMax: CoreLimits.preparedWordsCachedMax))
    /// Where the start-up snapshot lives (the data directory); nil: none is read or written.
    let snapshotDirectory: String?
    /// Events committed between background snapshots.
    let snapshotEventsInterval: UInt64
    /// Receives one line about each snapshot saved in the background, or why it failed (the daemon's log).
    let report: @Sendable (String) -> Void
    /// The position of the last snapshot saved or loaded, and the background save running, if any.
    var lastSnapshotPosition: UInt64 = 0
    var snapshotSave: Task<Void, Never>?
    /// The lookup keys (`ContactLookup`) of appends still committing, read before the personal table.
    var pendingLookups = PendingLookups()

    public init(
        log: EventLog, taxonomy: Taxonomy, policy: DomainPolicy, weights: MatchingWeights, clock: any Clock, eventIDs: any EventIDSource,
        snapshotDirectory: String? = nil, snapshotEventsInterval: UInt64 = CoreLimits.snapshotEventsInterval, lexicon: DutchLexicon? = nil,
        report: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.snapshotDirectory = snapshotDirectory
        self.snapshotEventsInterval = snapshotEventsInterval
        self.report = report
        self.log = log
        self.taxonomy = taxonomy
        self.policy = policy
        self.matcher = Matcher(taxonomy: taxonomy, weights: weights)
        self.analyzer = TextAnalyzer(taxonomy: taxonomy, lexicon: lexicon)
        self.models = ReadModels(analyzer: analyzer)
        self.clock = clock
        self.eventIDs = eventIDs
    }

    /// Executes a write: the walk of one command through the core. A retry with a `requestID` already seen
    /// returns the first result and appends nothing; a retry arriving while the first attempt commits waits
    /// for that attempt's outcome. nil: the command decided nothing to append.
    ///
    /// `early`: answered from the log's writer thread once the commit is durable, when it can (see
    /// `decideAndAppend`). `prepared`: text analyses made before this actor took the command up; passed (even
    /// empty) only by `execute(_:actor:issuer:requestID:reply:)`, which counts the command in `commandsWaiting`
    /// until this point.
    public func execute(
        _ command: Command, actor: EventActor, issuer: CommandIssuer, requestID: String?, early: WriteReply? = nil,
        prepared: [String: TextAnalyzer.Analysis]? = nil
    ) async throws(CoreError) -> WriteResult? {
        if prepared != nil { commandsWaiting.subtract(1, ordering: .relaxed) }
        let prepared = prepared ?? [:]
        guard let requestID else {
            return try await decideAndAppend(command, actor: actor, issuer: issuer, requestID: nil, early: early, prepared: prepared).result
        }
        if let earlier = results[requestID] { return earlier }
        if inFlight[requestID] != nil {
            return try await withCheckedContinuation { continuation in inFlight[requestID, default: []].append(continuation) }.get()
        }
        inFlight[requestID] = []
        let outcome: Result<WriteResult?, CoreError>
        do throws(CoreError) {
            outcome = .success(try await decideAndAppend(command, actor: actor, issuer: issuer, requestID: requestID, early: early, prepared: prepared).result)
        } catch {
            outcome = .failure(error)
        }
        for waiter in inFlight.removeValue(forKey: requestID) ?? [] { waiter.resume(returning: outcome) }
        return try outcome.get()
    }

    /// Executes a write and answers `reply` exactly once: with the result as soon as the commit is durable
    /// (from the log's writer thread, while this actor takes the commit in: one executor hop less between
    /// the disk's flush and the reply), or else with what `execute` returns or throws.
    public nonisolated func execute(
        _ command: Command, actor: EventActor, issuer: CommandIssuer, requestID: String?,
        reply: @escaping @Sendable (Result<WriteResult?, CoreError>) -> Void
    ) {
        let once = WriteReply(reply)
        let prepared = prepareAnalyses(command)
        commandsWaiting.add(1, ordering: .relaxed)
        Task {
            do throws(CoreError) {
                once.deliver(.success(try await execute(command, actor: actor, issuer: issuer, requestID: requestID, early: once, prepared: prepared)))
            } catch {
                once.deliver(.failure(error))
            }
        }
    }

    /// The analysis of the text a submitted question will be indexed by, made on the calling thread (an event
    /// loop) when other commands are waiting for this actor: the actor, the one place commands are decided,
    /// is then the bottleneck, and the text analysis is half of its work per submission. With nothing waiting
    /// the actor analyses the text itself while the log flushes (free for one client), and this returns none.
    nonisolated func prepareAnalyses(_ command: Command) -> [String: TextAnalyzer.Analysis] {
        guard commandsWaiting.load(ordering: .relaxed) > 0, case .question(.submit(let submit)) = command else { return [:] }
        let text = MatchingIndex.indexedText(title: submit.title, description: submit.description)
        let analyzer = self.analyzer
        return [text: preparedWords.withLock { words in analyzer.analyze(text, cache: &words) }]
    }

    /// Decides `given` on the current state (with the contacts the lookup finds, `resolvingContactLookups`),
    /// hands its events (and personal data) to the log, applies them to the read models while the log commits,
    /// and returns once they are durable (answering `early` from the writer's thread when it can: see
    /// `PendingCommit.answerOnCommit`).
    func decideAndAppend(
        _ given: Command, actor: EventActor, issuer: CommandIssuer, requestID: String?, early: WriteReply? = nil,
        prepared: [String: TextAnalyzer.Analysis] = [:]
    ) async throws(CoreError) -> (result: WriteResult?, decision: Decision) {
        let command: Command
        do throws(EventLogError) {
            try refuseWhileStorageIsFull()
            if needsRebuild { try await rebuildWhenIdle() }
            // Nothing suspends from here until the events are applied and their lookup keys pending.
            command = try resolvingContactLookups(given)
        } catch {
            throw .storage(error)
        }
        let nowMs = clock.nowMs()
        let decision: Decision
        do throws(DomainError) {
            decision = try Decider.decide(command, state: state, taxonomy: taxonomy, nowMs: nowMs, issuer: issuer, policy: policy)
        } catch {
            throw .refused(error)
        }
        guard !decision.events.isEmpty else { return (nil, decision) }
        let proposed = decision.events.map { event in
            ProposedEvent(
                eventID: eventIDs.nextEventID(), type: event.type, timeMs: nowMs, actor: actor, requestID: requestID,
                entityIDs: event.entityIDs, data: event.data)
        }
        let sideWrites = decision.personalData.sorted { $0.key < $1.key }.map { key, record in
            SideWrite(key: key, operation: record.map { .put(JSONWriter.canonicalBytes($0.json)) } ?? .delete)
        }
        let expected = expectedHead
        // The commit starts now, and the read models are brought up to date while the log's writer syncs it:
        // the index upkeep (text analysis) overlaps the disk's flush instead of preceding it. Nothing
        // suspends before the events are applied, so the next command is decided on a state that holds them.
        let decidedIn = generation
        let commit = beginAppend(proposed, AppendOptions(expectedPosition: expected, sideWrites: sideWrites))
        let submission = WriteResult.submissionDetails(of: decision.events, before: state)
        for event in decision.events { models.apply(event, prepared: prepared) }
        expectedHead += UInt64(proposed.count)
        let lookupsPending = pendingLookups.record(decision)
        defer { pendingLookups.forget(lookupsPending) }
        // Cached renderings of what changed go now, and again once the commit is answered: a reader that
        // rendered contact details between the two read the personal data as it was before the commit.
        let changed = decision.events.flatMap(\.entityIDs) + decision.events.flatMap { state.offersShowing($0) }
        replyCache.invalidate(changed, personalData: !sideWrites.isEmpty)
        defer { replyCache.invalidate(changed, personalData: !sideWrites.isEmpty) }
        // The reply describes the entity as this command left it (not as later commands, decided while this
        // one commits, leave it): the same reply a retry gets after a restart.
        let warnings = decision.events.flatMap { DomainWarning.about($0, state: state) }
        var result = WriteResult.about(decision.entityID, in: state, position: expected + UInt64(proposed.count), warnings: warnings)
        if let submission { result.details = submission }
        if let early {
            let answered = result
            let replyCache = self.replyCache
            let personalData = !sideWrites.isEmpty
            commit.answerOnCommit { records in
                replyCache.invalidate(changed, personalData: personalData)
                var committed = answered
                if let position = records.last?.position { committed.position = position }
                early.deliver(.success(committed))
            }
        }
        let records: [EventRecord]
        do throws(EventLogError) {
            records = try await finishAppend(commit, decidedIn: decidedIn)
        } catch {
            throw .storage(error)
        }
        index(records)
        if let position = records.last?.position { result.position = position }
        if let requestID { remember(requestID, result) }
        if appendsInFlight == 0 { saveSnapshotIfDue() }
        return (result, decision)
    }

    /// Appends `ProposalExpired` for every proposal whose consent time ran out; returns their ids. The
    /// daemon calls it on a timer; it goes through the same decide-and-append path as every command.
    public func expireDue() async throws(CoreError) -> [String] {
        let nowMs = clock.nowMs()
        guard nowMs >= expiryPausedUntilMs else { return [] }
        let due = state.pendingProposals.contains { (state.proposals[$0]?.expiresMs ?? .max) <= nowMs }
        guard due else { return [] }
        let decision = try await decideSystemCommand(.proposal(.expireDue))
        return decision.events.compactMap { event in
            if case .collaboration(.proposalExpired(let id)) = event { return id }
            return nil
        }
    }

    /// Decides and appends a command the daemon issues by itself on its timer (expiries, reminders), as
    /// `lmdsd (system)`. After a failed append these pause for `expiryRetryMs`.
    private func decideSystemCommand(_ command: Command) async throws(CoreError) -> Decision {
        do throws(CoreError) {
            return try await decideAndAppend(command, actor: Self.daemonActor, issuer: .staff, requestID: nil).decision
        } catch {
            // Most likely a full disk: try again in half a minute rather than replaying every second.
            expiryPausedUntilMs = clock.nowMs() + Self.expiryRetryMs
            throw error
        }
    }

    /// Appends `ReminderRaised` for every reminder rule whose threshold passed (each at most once per rule,
    /// entity and deadline); returns their ids. The daemon calls it on the expiry timer; like an expiry it
    /// goes through the same decide-and-append path as every command, and pauses after a failed append.
    public func raiseDueReminders() async throws(CoreError) -> [String] {
        guard clock.nowMs() >= expiryPausedUntilMs else { return [] }
        let decision = try await decideSystemCommand(.reminder(.raiseDue))
        return decision.events.compactMap { event in
            if case .reminder(.reminderRaised(let reminder)) = event { return reminder.id }
            return nil
        }
    }

    /// Runs a matching read on the current state and the live index (kept current event by event), inside
    /// the actor so that the index is never copied.
    public func withMatching<Result: Sendable, Failure: Error>(
        _ body: @Sendable (DomainState, MatchingIndex, Matcher) throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        await settleForReads()
        return try body(state, models.matching, matcher)
    }

    /// Each command decided on the current state and the ones before it, appending nothing (a dry run).
    public func decideEach(_ commands: [Command], issuer: CommandIssuer) -> [Result<Decision, DomainError>] {
        Decider.decideEach(commands, state: state, taxonomy: taxonomy, nowMs: clock.nowMs(), issuer: issuer, policy: policy)
    }

    /// The live overview (no period, no `asOf`) from the projection kept current, built inside the actor.
    public func liveOverview(policy: DomainPolicy, nowMs: Int64, presentation: ReportBuilder.Presentation) async -> (report: Report, generation: Int) {
        await settleForReads()
        let report = ReportBuilder(state: state, taxonomy: taxonomy, policy: policy, asOfPosition: expectedHead, nowMs: nowMs, period: nil,
                                   seesAll: true, presentation: presentation)
            .overview(from: models.overview)
        return (report, generation)
    }

    /// The current state, the position it reflects (which may still be committing; see `waitUntilCommitted`)
    /// and the rebuild it belongs to.
    public func stateAndPosition() -> (state: DomainState, position: UInt64, generation: Int) { (state, expectedHead, generation) }

    /// Waits until the log has committed every position up to `position`, which this processor decided in
    /// rebuild `generation`.
    /// - Returns: false when an append it waited for failed instead: the state of that rebuild held events
    ///   the log does not, and the positions may be taken by others.
    public func waitUntilCommitted(through position: UInt64, generation decidedIn: Int) async -> Bool {
        while true {
            guard decidedIn == generation && !needsRebuild else { return false }
            if log.head.position >= position { return true }
            guard appendsInFlight > 0 else { return false }
            await withCheckedContinuation { commitWaiters.append($0) }
        }
    }

    /// The current state and the reply cache's epoch as of it: a result rendered from this state may be
    /// stored in the cache under that epoch.
    public func stateForReplies() async -> (state: DomainState, epoch: UInt64) {
        await settleForReads()
        return (state, replyCache.epoch)
    }

    /// The result remembered for a request id, if it was executed (and not yet forgotten).
    public func rememberedResult(_ requestID: String) -> WriteResult? { results[requestID] }

    /// The read models and the position they reflect, for work too long to do on the actor (a plan, a
    /// digest): the copies share storage until the next write changes it.
    public func snapshot() async -> (position: UInt64, models: ReadModels) {
        await settleForReads()
        return (expectedHead, models)
    }

    /// Waits, before a read of the state, for a rebuild that an append's failure made due: while it runs (the
    /// actor takes other calls while the index is built) or waits for the appends in flight, the state
    /// still holds the events the log refused, and a read must not show them. Normally returns at once.
    func settleForReads() async {
        guard needsRebuild || rebuilding else { return }
        // A rebuild that fails leaves `needsRebuild` set: the next write (or read) tries again; this read
        // then answers from the state it has, as before the failure.
        try? await rebuildWhenIdle()
    }

}
