import Dispatch
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import Matching
import NIOConcurrencyHelpers
import Reports

#if canImport(Glibc)
import Glibc
#endif

/// Runs domain commands: decide on the current state, append the events (with their personal data) and
/// reply once they are durable. Commands are decided one at a time on a state that already holds the
/// events of commands still committing, so appends from many clients share group commits; each append
/// carries the head position it was decided on, so if one fails, those decided after it fail too, and
/// the state is rebuilt from the log before the next command (the log is the truth).
actor DomainProcessor {
    /// How many request ids are remembered for idempotent retries (the most recent ones). Each costs
    /// roughly 200 bytes; a retry of an older request would be executed again.
    static let requestIDsRememberedMax = 100_000

    let log: EventLog
    let taxonomy: Taxonomy
    let policy: DomainPolicy
    let clock: any Clock
    let eventIDs: any EventIDSource

    private(set) var state = DomainState()
    /// The matcher's indexes, kept current with every event applied to `state`.
    private(set) var matchingIndex: MatchingIndex
    /// The overview report's figures, kept current with every event (a live overview reads them).
    private(set) var overview = OverviewProjection()
    let matcher: Matcher
    /// The text analysis the index uses (the city's keywords), for indexes of past states.
    nonisolated let analyzer: TextAnalyzer
    /// The position the next append follows: the log's head plus everything decided but not yet committed.
    private var expectedHead: UInt64 = 0
    private var results: [String: JSONValue] = [:]
    private var resultOrder: [String] = []
    private var resultOrderStart = 0
    private var needsRebuild = false
    /// True while a rebuild awaits its index build (the actor runs other calls meanwhile): commands wait for
    /// it in `rebuildWhenIdle`, as they waited when the build blocked the actor.
    private var rebuilding = false
    /// Appends handed to the log and not yet answered, and callers waiting for them all to be answered.
    private var appendsInFlight = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Callers of `waitUntilCommitted`, woken after every append is answered to look at the head again.
    private var commitWaiters: [CheckedContinuation<Void, Never>] = []
    /// Counts rebuilds: a failure of an append decided before the last rebuild says nothing about the
    /// rebuilt state and must not ask for another.
    private(set) var generation = 0
    /// After an expiry append fails (a full disk), expiries wait until this time instead of retrying every second.
    private var expiryPausedUntilMs: Int64 = 0
    /// Set when an append failed because the disk (or the log's configured maximum) is full: the bytes free
    /// then, and when. Until space is freed, writes are refused at once without being decided, so that a
    /// full disk costs one rebuild of the state, not one per refused write (found by `scripts/torture
    /// disk-full`: each refused write re-read the whole log while every other caller waited).
    private var storageFull: (freeBytes: Int?, atMs: Int64)?
    /// How much more space than at the failure lets writes try again.
    static let storageFullHeadroomBytes = 1 << 20
    /// How long writes are refused after a storage-full failure when no space appears (a log at its
    /// configured maximum size frees none): then one write tries again.
    static let storageFullRetryMs: Int64 = 5_000
    /// Log positions of the events that name each entity id, for `history.get`; filled from committed
    /// records only (so it never lists an event that did not reach the log).
    private var entityPositions: [String: [UInt64]] = [:]
    /// The stem and concepts of words the live index has analysed: saves the stemming of familiar words.
    private var analysisWords = TextAnalyzer.WordCache(wordsMax: ServerLimits.analysisWordsCachedMax)
    /// Callers waiting for a request id that is being executed right now: a retry that arrives while the
    /// first attempt commits gets the first attempt's outcome instead of being executed twice.
    private var inFlight: [String: [CheckedContinuation<JSONValue, any Error>]] = [:]
    /// Rendered `question.get` / `offer.get` results of the current state, read without a hop to this
    /// actor; this actor invalidates them as it changes the state (see `ReplyCache`).
    nonisolated let replyCache = ReplyCache()
    /// Where the start-up snapshot lives (the data directory); nil: none is read or written.
    let snapshotDirectory: String?
    /// Events committed between background snapshots.
    let snapshotEventsInterval: UInt64
    /// Receives one line about each snapshot saved in the background, or why it failed (the daemon's log).
    let report: @Sendable (String) -> Void
    /// The position of the last snapshot saved or loaded, and the background save running, if any.
    private var lastSnapshotPosition: UInt64 = 0
    private var snapshotSave: Task<Void, Never>?

    init(
        log: EventLog, taxonomy: Taxonomy, policy: DomainPolicy, weights: MatchingWeights, clock: any Clock, eventIDs: any EventIDSource,
        snapshotDirectory: String? = nil, snapshotEventsInterval: UInt64 = ServerLimits.snapshotEventsInterval, lexicon: DutchLexicon? = nil,
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
        self.matchingIndex = MatchingIndex(analyzer: analyzer)
        self.clock = clock
        self.eventIDs = eventIDs
    }

    /// How a rebuild went, for the daemon's log.
    struct RebuildSummary: Sendable {
        /// The head the read models reflect.
        var head: UInt64
        /// The snapshot's position when one was loaded; events after it were replayed.
        var snapshotPosition: UInt64?
        /// Why the snapshot file was not used, when there was one.
        var snapshotProblem: String?
        var eventsReplayed: UInt64
        var loadMs: Int64
        var replayMs: Int64
        var indexMs: Int64

        var description: String {
            var text = snapshotPosition.map { "snapshot at position \($0) loaded in \(loadMs) ms, " } ?? ""
            if let snapshotProblem { text += "snapshot not used (\(snapshotProblem)), " }
            return text + "\(eventsReplayed) events replayed in \(replayMs) ms, matching index and overview built in \(indexMs) ms"
        }
    }

    /// Rebuilds the read models from the log: from the snapshot (when there is one for this log) and the
    /// events after it, or from the whole log.
    @discardableResult
    func rebuild(usingSnapshot: Bool = true) async throws(EventLogError) -> RebuildSummary {
        rebuilding = true
        defer {
            rebuilding = false
            if appendsInFlight == 0 { resumeIdleWaiters() }
        }
        let startMs = clock.nowMs()
        var start = Replay()
        var summary = RebuildSummary(head: 0, eventsReplayed: 0, loadMs: 0, replayMs: 0, indexMs: 0)
        var snapshot: SnapshotFile.StatePart?
        let analyzer = matchingIndex.analyzer
        // The questions' texts are analysed on another thread from the moment the snapshot's questions
        // are read (the analysis is most of the index's cost), while the rest is read here.
        var analysis: TextAnalysisInBackground?
        let loaded = usingSnapshot ? loadSnapshot { questions in analysis = TextAnalysisInBackground(questions: questions, analyzer: analyzer) } : .success(nil)
        switch loaded {
        case .success(let part?):
            start = Replay(state: part.state, head: part.position, headTimeMs: part.headTimeMs)
            snapshot = part
        case .success(nil):
            break
        case .failure(let problem):
            summary.snapshotProblem = problem.reason
        }
        let loadedMs = clock.nowMs()
        // After a snapshot, `replay` holds the tail's positions and replies only; the snapshot's are merged below.
        var replay = try Self.replay(log: log, upTo: nil, continuing: start)
        let replayedMs = clock.nowMs()
        // The matching index and the overview are built from the final state on other threads while the
        // rest of the snapshot (positions, replies) is read here.
        let final = replay.state
        let built = ResultSlots<MatchingIndex>(count: 1)
        let building = DispatchGroup()
        let earlier = analysis
        let questionsUnchanged = snapshot != nil && replay.head == start.head
        let offers = ResultSlots<[String: TextAnalyzer.Analysis]>(count: 1)
        let offersAnalysed = DispatchGroup()
        offersAnalysed.enter()
        DispatchQueue.global().async(group: building) {
            let index = earlier.map { earlier in
                ParallelIndexBuild.index(analyzer: analyzer, state: final, earlier: earlier, questionsUnchanged: questionsUnchanged) {
                    offersAnalysed.wait()
                    return offers.get(0)
                }
            } ?? ParallelIndexBuild.index(analyzer: analyzer, state: final)
            built.set(0, index)
        }
        let builtOverview = OverviewProjection(state: final)
        // The offers' analyses, which the index needs after every question's.
        var cache = TextAnalyzer.WordCache()
        offers.set(0, earlier == nil ? [:] : Dictionary(
            uniqueKeysWithValues: final.offers.values.map { ($0.id, analyzer.analyze(MatchingIndex.indexedText($0), cache: &cache)) }))
        offersAnalysed.leave()
        if let snapshot {
            do throws(SnapshotFileError) {
                var rest = try SnapshotFile.decodeRest(snapshot)
                for (entity, positions) in replay.entityPositions { rest.entityPositions[entity, default: []].append(contentsOf: positions) }
                replay.entityPositions = rest.entityPositions
                replay.results = rest.results + replay.results
                summary.snapshotPosition = snapshot.position
                lastSnapshotPosition = snapshot.position
            } catch {
                await Self.finished(building)
                var fallback = try await rebuild(usingSnapshot: false)
                fallback.snapshotProblem = error.reason
                return fallback
            }
        }
        // This thread's own part is done: it helps analyse what is left before waiting.
        analysis?.help()
        await Self.finished(building)
        state = replay.state
        overview = builtOverview
        replyCache.removeAll()
        matchingIndex = built.get(0)
        entityPositions = replay.entityPositions
        results = [:]
        resultOrder = []
        resultOrderStart = 0
        for (requestID, result) in replay.results { remember(requestID, result) }
        expectedHead = replay.head
        needsRebuild = false
        generation += 1
        summary.head = replay.head
        summary.eventsReplayed = replay.head - start.head
        summary.loadMs = loadedMs - startMs
        summary.replayMs = replayedMs - loadedMs
        summary.indexMs = clock.nowMs() - replayedMs
        return summary
    }

    /// Waits for the work in `group`, which runs on Dispatch's threads, without blocking the actor's thread
    /// (the notification resumes the rebuild as soon as the work is done: start-up takes no longer).
    private static func finished(_ group: DispatchGroup) async {
        await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }
    }

    /// The snapshot in the data directory, if there is one and it belongs to this log: the log holds its
    /// position with the same hash (a snapshot of another log, or of a log since restored from an older
    /// backup, is not used).
    private func loadSnapshot(afterQuestions: ([String: Question]) -> Void) -> Result<SnapshotFile.StatePart?, SnapshotFileError> {
        guard let snapshotDirectory else { return .success(nil) }
        do throws(SnapshotFileError) {
            guard let bytes = try SnapshotFile.read(directory: snapshotDirectory) else { return .success(nil) }
            let snapshot = try SnapshotFile.decodeState(bytes, afterQuestions: afterQuestions)
            let record: EventRecord?
            do {
                record = try log.record(at: snapshot.position)
            } catch {
                throw SnapshotFileError(reason: "its position \(snapshot.position) cannot be read: \(error)")
            }
            guard snapshot.position == 0 || record?.hash == snapshot.hash else {
                throw SnapshotFileError(reason: "it was taken of another log (position \(snapshot.position) differs)")
            }
            return .success(snapshot)
        } catch {
            return .failure(error)
        }
    }

    /// The read models as of the log's head, when nothing is in flight (so that they are exactly the
    /// log's up to there); nil otherwise.
    private func captureSnapshot() -> ReadModelSnapshot? {
        let head = log.head
        guard appendsInFlight == 0, !needsRebuild, head.position == expectedHead else { return nil }
        let ordered = resultOrder[resultOrderStart...].compactMap { id in results[id].map { (id, $0) } }
        let headTimeMs = head.position == 0 ? 0 : ((try? log.record(at: head.position))??.timeMs ?? 0)
        return ReadModelSnapshot(
            position: head.position, hash: head.hash, headTimeMs: headTimeMs, state: state, entityPositions: entityPositions,
            results: ordered)
    }

    /// Saves a snapshot in the background when `ServerLimits.snapshotEventsInterval` events were committed
    /// since the last one and nothing is in flight. The copies of the state it takes share storage until
    /// the next write, which then copies the tables it changes once.
    private func saveSnapshotIfDue() {
        guard let snapshotDirectory, snapshotSave == nil, expectedHead >= lastSnapshotPosition + snapshotEventsInterval,
              let snapshot = captureSnapshot() else { return }
        lastSnapshotPosition = snapshot.position
        let report = self.report
        let clock = self.clock
        snapshotSave = Task.detached(priority: .background) { [weak self] in
            report(Self.save(snapshot, directory: snapshotDirectory, clock: clock))
            await self?.snapshotSaved()
        }
    }

    private func snapshotSaved() { snapshotSave = nil }

    /// Returns once the background snapshot being saved, if any, is written.
    func waitForBackgroundSnapshot() async { await snapshotSave?.value }

    /// Writes a snapshot; returns a line for the log saying what was written or why not.
    private static func save(_ snapshot: ReadModelSnapshot, directory: String, clock: any Clock) -> String {
        let startedMs = clock.nowMs()
        let bytes = SnapshotFile.encode(snapshot)
        do throws(SnapshotFileError) {
            try SnapshotFile.write(bytes, directory: directory)
        } catch {
            return "snapshot at position \(snapshot.position) not saved: \(error)"
        }
        let elapsedMs = clock.nowMs() - startedMs
        return "snapshot saved at position \(snapshot.position): \(bytes.count / 1_000_000) MB in \(elapsedMs) ms"
    }

    /// Saves a snapshot of the read models now (at shutdown, after the last write was answered), after any
    /// background save; returns a line for the log, or nil when there is nothing new to save.
    func saveSnapshot() async -> String? {
        await snapshotSave?.value
        guard let snapshotDirectory, expectedHead != lastSnapshotPosition, let snapshot = captureSnapshot() else { return nil }
        lastSnapshotPosition = snapshot.position
        let clock = self.clock
        return await Task.detached { Self.save(snapshot, directory: snapshotDirectory, clock: clock) }.value
    }

    /// Where a replay stops.
    enum AsOf: Sendable, Hashable {
        case position(UInt64)
        case timeMs(Int64)
    }

    struct Replay {
        var state = DomainState()
        var entityPositions: [String: [UInt64]] = [:]
        var results: [(String, JSONValue)] = []
        var head: UInt64 = 0
        /// The time of the last record replayed (0 for an empty log).
        var headTimeMs: Int64 = 0
    }

    /// Folds the log through `evolve` up to `upTo`: what start-up, rebuilds and `asOf` reads share.
    /// A command's events are contiguous and share its request id; the reply it got is about the entity
    /// its first event names, as of its last event, and is rebuilt that way for retries.
    static func replay(log: EventLog, upTo: AsOf?) throws(EventLogError) -> Replay {
        try replay(log: log, upTo: upTo, continuing: Replay())
    }

    /// The fold continued from `start` (a snapshot's read models at `start.head`) with the events after it.
    static func replay(log: EventLog, upTo: AsOf?, continuing start: Replay) throws(EventLogError) -> Replay {
        var replay = start
        var request: (id: String, entity: String, position: UInt64, warnings: [DomainWarning])?
        func finishRequest() {
            guard let finished = request else { return }
            replay.results.append((finished.id, result(state: replay.state, entityID: finished.entity, position: finished.position,
                                                       warnings: finished.warnings)))
            request = nil
        }
        try ParallelReplay.forEach(log: log, from: start.head + 1, upTo: upTo) { record, event in
            for entity in record.entityIDs { replay.entityPositions[entity, default: []].append(record.position) }
            if let event {
                if let current = request, current.id == record.requestID, current.position + 1 == record.position {
                    request?.position = record.position
                } else {
                    finishRequest()
                    if let requestID = record.requestID, let entity = event.entityIDs.first {
                        request = (requestID, entity, record.position, [])
                    }
                }
                replay.state.apply(event)
                if request != nil { request?.warnings += DomainWarning.about(event, state: replay.state) }
            } else {
                finishRequest()
            }
            replay.head = record.position
            replay.headTimeMs = record.timeMs
        }
        finishRequest()
        return replay
    }

    /// The reply to a write: the entity, its status and version after the command, the log position, and
    /// `warnings` when the command did something the caller may not have meant (`DomainWarning`).
    static func result(state: DomainState, entityID: String, position: UInt64, warnings: [DomainWarning]) -> JSONValue {
        let result = entityResult(state: state, entityID: entityID, position: position)
        guard !warnings.isEmpty, case .object(var members) = result else { return result }
        members["warnings"] = .array(warnings.map(\.json))
        return .object(members)
    }

    private static func entityResult(state: DomainState, entityID: String, position: UInt64) -> JSONValue {
        if let question = state.questions[entityID] {
            return ["id": .string(entityID), "status": .string(question.status.rawValue), "version": .integer(Int64(question.version)),
                    "position": .integer(Int64(position))]
        }
        if let offer = state.offers[entityID] {
            return ["id": .string(entityID), "status": .string(offer.status.rawValue), "version": .integer(Int64(offer.version)),
                    "position": .integer(Int64(position))]
        }
        if let proposal = state.proposals[entityID] {
            return ["id": .string(entityID), "status": .string(proposal.status.rawValue), "version": .integer(Int64(proposal.version)),
                    "position": .integer(Int64(position)), "match": proposal.match.map { .string($0) } ?? .null]
        }
        if let match = state.matches[entityID] {
            return ["id": .string(entityID), "status": .string(match.status.rawValue), "version": .integer(Int64(match.version)),
                    "position": .integer(Int64(position))]
        }
        if let outcome = state.outcomes[entityID] {
            return ["id": .string(entityID), "status": .string(outcome.followUp == nil ? "recorded" : "followed-up"),
                    "version": .integer(Int64(outcome.version)), "position": .integer(Int64(position)),
                    "match": .string(outcome.match), "followUps": .array(outcome.followUps.map { .string($0) }),
                    "followUpDue": .string(outcome.followUpDue)]
        }
        if let reminder = state.reminders.reminders[entityID] {
            return ["id": .string(entityID), "status": .string(reminder.status.rawValue), "version": .integer(Int64(reminder.version)),
                    "position": .integer(Int64(position))]
        }
        let status = state.erasedContacts.contains(entityID) ? "erased" : "stored"
        return ["id": .string(entityID), "status": .string(status), "position": .integer(Int64(position))]
    }

    /// Executes a write. A retry with a `requestID` already seen returns the first result and appends nothing.
    func execute(_ command: Command, actor: EventActor, issuer: CommandIssuer, requestID: String?) async throws -> JSONValue {
        guard let requestID else { return try await decideAndAppend(command, actor: actor, issuer: issuer, requestID: nil) }
        if let earlier = results[requestID] { return earlier }
        if inFlight[requestID] != nil {
            return try await withCheckedThrowingContinuation { continuation in inFlight[requestID, default: []].append(continuation) }
        }
        inFlight[requestID] = []
        let outcome: Result<JSONValue, any Error>
        do {
            outcome = .success(try await decideAndAppend(command, actor: actor, issuer: issuer, requestID: requestID))
        } catch {
            outcome = .failure(error)
        }
        for waiter in inFlight.removeValue(forKey: requestID) ?? [] { waiter.resume(with: outcome) }
        return try outcome.get()
    }

    private func decideAndAppend(_ command: Command, actor: EventActor, issuer: CommandIssuer, requestID: String?) async throws -> JSONValue {
        try await decideAndAppendReturningDecision(command, actor: actor, issuer: issuer, requestID: requestID).0
    }

    private func decideAndAppendReturningDecision(
        _ command: Command, actor: EventActor, issuer: CommandIssuer, requestID: String?
    ) async throws -> (JSONValue, Decision) {
        try refuseWhileStorageIsFull()
        if needsRebuild { try await rebuildWhenIdle() }
        let nowMs = clock.nowMs()
        let decision: Decision
        do {
            decision = try Decider.decide(command, state: state, taxonomy: taxonomy, nowMs: nowMs, issuer: issuer, policy: policy)
        } catch {
            throw Self.rpcError(error)
        }
        guard !decision.events.isEmpty else { return (JSONValue.null, decision) }
        let proposed = decision.events.map { event in
            ProposedEvent(
                eventID: eventIDs.nextEventID(), type: event.type, timeMs: nowMs, actor: actor, requestID: requestID,
                entityIDs: event.entityIDs, data: event.data)
        }
        let sideWrites = decision.personalData.sorted { $0.key < $1.key }.map { key, record in
            SideWrite(key: key, operation: record.map { .put(JSONWriter.canonicalBytes($0.json)) } ?? .delete)
        }
        let expected = expectedHead
        // The commit starts now, and the state, the matching index and the overview are brought up to date
        // while the log's writer syncs it: the index upkeep (text analysis) overlaps the disk's flush
        // instead of preceding it. Nothing suspends before the events are applied, so the next command is
        // still decided on a state that holds them.
        let decidedIn = generation
        let commit = beginAppend(proposed, AppendOptions(expectedPosition: expected, sideWrites: sideWrites))
        for event in decision.events {
            matchingIndex.beforeApplying(event, to: state)
            let overviewBefore = overview.beforeApplying(event, to: state)
            state.apply(event)
            matchingIndex.afterApplying(event, to: state, words: &analysisWords)
            overview.afterApplying(event, to: state, before: overviewBefore)
        }
        expectedHead += UInt64(proposed.count)
        // Cached renderings of what changed go now, and again once the commit is answered: a reader that
        // rendered contact details between the two read the personal data as it was before the commit.
        let changed = decision.events.flatMap(\.entityIDs) + decision.events.flatMap { state.offersShowing($0) }
        replyCache.invalidate(changed, personalData: !sideWrites.isEmpty)
        defer { replyCache.invalidate(changed, personalData: !sideWrites.isEmpty) }
        // The reply describes the entity as this command left it (not as later commands, decided while this
        // one commits, leave it): the same reply a retry gets after a restart.
        let warnings = decision.events.flatMap { DomainWarning.about($0, state: state) }
        let before = Self.result(state: state, entityID: decision.entityID, position: expected + UInt64(proposed.count), warnings: warnings)
        let records = try await finishAppend(commit, decidedIn: decidedIn)
        index(records)
        var result = before
        if case .object(var members) = result, let position = records.last?.position {
            members["position"] = .integer(Int64(position))
            result = .object(members)
        }
        if let requestID { remember(requestID, result) }
        if appendsInFlight == 0 { saveSnapshotIfDue() }
        return (result, decision)
    }

    /// Appends `ProposalExpired` for every proposal whose consent time ran out; returns their ids. The
    /// daemon calls it on a timer; it goes through the same decide-and-append path as every command.
    func expireDue() async throws -> [String] {
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
    private func decideSystemCommand(_ command: Command) async throws -> Decision {
        do {
            return try await decideAndAppendReturningDecision(command, actor: Self.daemonActor, issuer: .staff, requestID: nil).1
        } catch {
            // Most likely a full disk: try again in half a minute rather than replaying every second.
            expiryPausedUntilMs = clock.nowMs() + Self.expiryRetryMs
            throw error
        }
    }

    /// Appends `ReminderRaised` for every reminder rule whose threshold passed (each at most once per rule,
    /// entity and deadline); returns their ids. The daemon calls it on the expiry timer; like an expiry it
    /// goes through the same decide-and-append path as every command, and pauses after a failed append.
    func raiseDueReminders() async throws -> [String] {
        guard clock.nowMs() >= expiryPausedUntilMs else { return [] }
        let decision = try await decideSystemCommand(.reminder(.raiseDue))
        return decision.events.compactMap { event in
            if case .reminder(.reminderRaised(let reminder)) = event { return reminder.id }
            return nil
        }
    }

    /// Runs a matching read on the current state and the live index (kept current event by event), inside
    /// the actor so that the index is never copied.
    func withMatching(_ body: @Sendable (DomainState, MatchingIndex, Matcher) throws -> JSONValue) async rethrows -> JSONValue {
        await settleForReads()
        return try body(state, matchingIndex, matcher)
    }

    /// Each command decided on the current state and the ones before it, appending nothing (a dry run).
    func decideEach(_ commands: [Command], issuer: CommandIssuer) -> [Result<Decision, DomainError>] {
        Decider.decideEach(commands, state: state, taxonomy: taxonomy, nowMs: clock.nowMs(), issuer: issuer, policy: policy)
    }

    /// The live overview (no period, no `asOf`) from the projection kept current, built inside the actor.
    func liveOverview(policy: DomainPolicy, nowMs: Int64, presentation: ReportBuilder.Presentation) async -> (report: Report, generation: Int) {
        await settleForReads()
        let report = ReportBuilder(state: state, taxonomy: taxonomy, policy: policy, asOfPosition: expectedHead, nowMs: nowMs, period: nil,
                                   seesAll: true, presentation: presentation)
            .overview(from: overview)
        return (report, generation)
    }

    /// The current state, the position it reflects (which may still be committing; see `waitUntilCommitted`)
    /// and the rebuild it belongs to.
    func stateAndPosition() -> (state: DomainState, position: UInt64, generation: Int) { (state, expectedHead, generation) }

    /// Waits until the log has committed every position up to `position`, which this processor decided in
    /// rebuild `generation`.
    /// - Returns: false when an append it waited for failed instead: the state of that rebuild held events
    ///   the log does not, and the positions may be taken by others.
    func waitUntilCommitted(through position: UInt64, generation decidedIn: Int) async -> Bool {
        while true {
            guard decidedIn == generation && !needsRebuild else { return false }
            if log.head.position >= position { return true }
            guard appendsInFlight > 0 else { return false }
            await withCheckedContinuation { commitWaiters.append($0) }
        }
    }

    /// The current state and the reply cache's epoch as of it: a result rendered from this state may be
    /// stored in the cache under that epoch.
    func stateForReplies() async -> (state: DomainState, epoch: UInt64) {
        await settleForReads()
        return (state, replyCache.epoch)
    }

    /// The result remembered for a request id, if it was executed (and not yet forgotten).
    func rememberedResult(_ requestID: String) -> JSONValue? { results[requestID] }

    /// The state, the matching index and the position they reflect, for work too long to do on the actor
    /// (a plan, a digest): the copies share storage until the next write changes it.
    func snapshot() async -> (position: UInt64, state: DomainState, index: MatchingIndex, overview: OverviewProjection) {
        await settleForReads()
        return (expectedHead, state, matchingIndex, overview)
    }

    /// Waits, before a read of the state, for a rebuild that an append's failure made due: while it runs (the
    /// actor takes other calls while the index is built) or waits for the appends in flight, the state
    /// still holds the events the log refused, and a read must not show them. Normally returns at once.
    private func settleForReads() async {
        guard needsRebuild || rebuilding else { return }
        // A rebuild that fails leaves `needsRebuild` set: the next write (or read) tries again; this read
        // then answers from the state it has, as before the failure.
        try? await rebuildWhenIdle()
    }

    /// The actor recorded for what the daemon does by itself (expiries).
    static let daemonActor = EventActor(uid: UInt32(getuid()), userName: "lmdsd", role: "system")

    /// Appends an event that is not a domain command (such as `BackupTaken`) in the same order as commands.
    func appendSystemEvent(_ event: ProposedEvent) async throws -> [EventRecord] {
        if needsRebuild { try await rebuildWhenIdle() }
        let expected = expectedHead
        expectedHead += 1
        let records = try await appendTracked([event], AppendOptions(expectedPosition: expected))
        index(records)
        if appendsInFlight == 0 { saveSnapshotIfDue() }
        return records
    }

    /// How long expiries pause after their append failed.
    static let expiryRetryMs: Int64 = 30_000

    /// Hands events to the log and waits for the commit, counting appends in flight. A failure means the
    /// state holds events the log does not: the state is rebuilt before the next command, unless the
    /// failed append was decided before a rebuild that already happened.
    private func appendTracked(_ events: [ProposedEvent], _ options: AppendOptions) async throws -> [EventRecord] {
        let decidedIn = generation
        let commit = beginAppend(events, options)
        return try await finishAppend(commit, decidedIn: decidedIn)
    }

    /// Hands events to the log without waiting, counting the append in flight. Called on this actor, so
    /// appends reach the log's queue in the order they were decided. Every call is followed by
    /// `finishAppend`.
    private func beginAppend(_ events: [ProposedEvent], _ options: AppendOptions) -> PendingCommit {
        appendsInFlight += 1
        let commit = PendingCommit()
        log.append(events, options: options) { result in commit.complete(result) }
        return commit
    }

    /// Waits for an append begun by `beginAppend` (decided in rebuild `decidedIn`) to commit.
    private func finishAppend(_ commit: PendingCommit, decidedIn: Int) async throws -> [EventRecord] {
        defer {
            appendsInFlight -= 1
            let woken = commitWaiters
            commitWaiters = []
            for waiter in woken { waiter.resume() }
            if appendsInFlight == 0 { resumeIdleWaiters() }
        }
        do {
            return try await commit.value()
        } catch {
            if decidedIn == generation { needsRebuild = true }
            if let logError = error as? EventLogError, logError.code == .storageFull { storageFull = (log.freeBytes(), clock.nowMs()) }
            // Rebuild as soon as nothing is in flight, so that reads stop showing what was not written.
            if needsRebuild && appendsInFlight == 1 { _ = try? await rebuild() }
            throw error
        }
    }

    /// Refuses a write at once while the storage is known to be full (see `storageFull`).
    private func refuseWhileStorageIsFull() throws(EventLogError) {
        guard let full = storageFull else { return }
        var freed = false
        if let before = full.freeBytes, let now = log.freeBytes() { freed = now >= before + Self.storageFullHeadroomBytes }
        if freed || clock.nowMs() - full.atMs >= Self.storageFullRetryMs {
            storageFull = nil
            return
        }
        throw EventLogError(.storageFull, "the disk holding the log is full; writes resume once space is freed, without a restart")
    }

    /// Wakes the callers of `rebuildWhenIdle`, who look again whether anything is in flight.
    private func resumeIdleWaiters() {
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// Rebuilds once every append in flight has been answered: a rebuild that read the log while an earlier
    /// append was still committing would lose that append from the state (and its reply).
    private func rebuildWhenIdle() async throws {
        while appendsInFlight > 0 || rebuilding {
            await withCheckedContinuation { idleWaiters.append($0) }
        }
        guard needsRebuild else { return }
        try await rebuild()
    }

    private func index(_ records: [EventRecord]) {
        for record in records {
            for entity in record.entityIDs { entityPositions[entity, default: []].append(record.position) }
        }
    }

    /// The positions of every committed event in `id`'s history (the entity and what is linked to it), in
    /// log order; `nil` when the id names nothing.
    func historyPositions(of id: String) -> [UInt64]? {
        let scope = state.historyScope(of: id)
        var positions = Set<UInt64>()
        for entity in scope { positions.formUnion(entityPositions[entity] ?? []) }
        guard !positions.isEmpty else { return nil }
        return positions.sorted()
    }


    private func remember(_ requestID: String, _ result: JSONValue) {
        if results.updateValue(result, forKey: requestID) == nil { resultOrder.append(requestID) }
        if resultOrder.count - resultOrderStart > Self.requestIDsRememberedMax {
            results.removeValue(forKey: resultOrder[resultOrderStart])
            resultOrderStart += 1
            if resultOrderStart > 4096 {
                resultOrder.removeFirst(resultOrderStart)
                resultOrderStart = 0
            }
        }
    }

    /// The result of `body`, a domain check or lookup, with its refusal as a JSON-RPC error.
    static func answering<Result>(_ body: () throws(DomainError) -> Result) throws(RPCError) -> Result {
        do throws(DomainError) {
            return try body()
        } catch {
            throw rpcError(error)
        }
    }

    /// The one place where domain refusals become JSON-RPC errors.
    static func rpcError(_ error: DomainError) -> RPCError {
        switch error.code {
        case .notFound:
            return RPCError.notFound(error.entityID ?? error.message)
        case .conflict:
            return RPCError.conflict(error.message, state: error.state).adding(error.details)
        case .validation:
            let field = error.field ?? "params"
            let reason = error.message.hasPrefix(field + ": ") ? String(error.message.dropFirst(field.count + 2)) : error.message
            return RPCError.validation(field: field, reason).adding(error.details)
        case .forbidden:
            return RPCError(code: RPCErrorCode.forbidden, message: "Forbidden: \(error.message)", data: ["reason": .string(error.message)])
        }
    }
}

/// An append handed to the log and not yet awaited: the log's writer may report the commit before or
/// after the processor starts waiting for it, and either order delivers the result exactly once.
final class PendingCommit: Sendable {
    private enum Stage {
        case waitingForBoth
        case committed(Result<[EventRecord], EventLogError>)
        case awaited(CheckedContinuation<[EventRecord], any Error>)
        case done
    }

    private let stage = NIOLockedValueBox(Stage.waitingForBoth)

    /// Called once by the log's writer with the commit's outcome.
    func complete(_ result: Result<[EventRecord], EventLogError>) {
        let waiter: CheckedContinuation<[EventRecord], any Error>? = stage.withLockedValue { stage in
            switch stage {
            case .waitingForBoth:
                stage = .committed(result)
                return nil
            case .awaited(let continuation):
                stage = .done
                return continuation
            case .committed, .done:
                preconditionFailure("an append completed twice")
            }
        }
        waiter?.resume(with: result.mapError { $0 as any Error })
    }

    /// The records once committed, or the log's error.
    func value() async throws -> [EventRecord] {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<[EventRecord], EventLogError>? = stage.withLockedValue { stage in
                switch stage {
                case .waitingForBoth:
                    stage = .awaited(continuation)
                    return nil
                case .committed(let result):
                    stage = .done
                    return result
                case .awaited, .done:
                    preconditionFailure("an append awaited twice")
                }
            }
            if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
        }
    }
}
