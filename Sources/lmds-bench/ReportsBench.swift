import Domain
import EventLog
import Foundation
import LMDSJSON
import LMDSTestSupport
import Reports

/// `lmds-bench reports`: the overview report from an offline replay of a log of realistic domain events
/// (questions through intake, offers, proposals with both consents, matches, outcomes), next to a plain
/// scan of the same log, and the live report on the state in memory.
///
///     lmds-bench reports --dir D [--events 1000000] [--repeats 20]
func runReports(_ options: Options) async throws {
    let directory = try options.string("dir")
    let target = try options.positiveInteger("events", default: 1_000_000)
    let repeats = try options.positiveInteger("repeats", default: 20)
    let fill = try await fillDomainLog(directory: directory, events: target)
    let (taxonomy, state, projection, nowMs, fillSeconds) = (fill.taxonomy, fill.state, fill.projection, fill.nowMs, fill.seconds)

    // Offline: open read-only, replay every event into the state, build and render the overview.
    let reader = try EventLog.open(EventLogConfiguration(directory: directory, readOnly: true))
    var scanned = 0
    let scanStarted = nowNanoseconds()
    try reader.scan(from: 1) { record throws(EventLogError) -> Bool in
        if case .object(let members) = try record.data() { scanned &+= members.count }
        return true
    }
    let scanSeconds = Double(nowNanoseconds() - scanStarted) / 1e9
    let replayStarted = nowNanoseconds()
    var replayed = DomainState()
    var head: UInt64 = 0
    try reader.scan(from: 1) { record throws(EventLogError) -> Bool in
        if let event = DomainEvent(type: record.type, data: try record.data()) { replayed.apply(event) }
        head = record.position
        return true
    }
    let offlineBuilder = ReportBuilder(state: replayed, taxonomy: taxonomy, policy: .default, asOfPosition: head, nowMs: nowMs, period: nil, seesAll: true)
    guard let offlineReport = offlineBuilder.build("overview") else { throw BenchFailure("no overview") }
    let offlineText = ReportFormat.text.render(offlineReport)
    let offlineSeconds = Double(nowNanoseconds() - replayStarted) / 1e9
    reader.close()
    guard replayed == state, !offlineText.isEmpty else { throw BenchFailure("the offline replay differs from the state that was written") }

    // Live: the overview as report.get computes it without asOf or period, from the projection kept current
    // event by event; and, for comparison, by walking the whole state (what a period or asOf needs).
    let builder = ReportBuilder(state: state, taxonomy: taxonomy, policy: .default, asOfPosition: head, nowMs: nowMs, period: nil, seesAll: true)
    guard builder.overview(from: projection) == builder.build("overview") else { throw BenchFailure("the projection's overview differs from the walk's") }
    var latencies: [UInt64] = []
    var walkLatencies: [UInt64] = []
    for _ in 0..<repeats {
        var started = nowNanoseconds()
        _ = ReportFormat.json.render(builder.overview(from: projection))
        latencies.append(nowNanoseconds() - started)
        started = nowNanoseconds()
        guard let walked = builder.build("overview") else { throw BenchFailure("no overview") }
        _ = ReportFormat.json.render(walked)
        walkLatencies.append(nowNanoseconds() - started)
    }
    latencies.sort()
    walkLatencies.sort()
    emit([
        "workload": "reports", "events": .integer(Int64(head)), "questions": .integer(Int64(state.questionCount)),
        "outcomes": .integer(Int64(state.outcomeCount)), "fillSeconds": .double(rounded(fillSeconds, 2)),
        "scanSeconds": .double(rounded(scanSeconds, 3)), "offlineOverviewSeconds": .double(rounded(offlineSeconds, 3)),
        "liveOverviewP50Ms": .double(rounded(Double(quantile(latencies, 0.5)) / 1e6, 2)),
        "liveOverviewP99Ms": .double(rounded(Double(quantile(latencies, 0.99)) / 1e6, 2)),
        "walkOverviewP50Ms": .double(rounded(Double(quantile(walkLatencies, 0.5)) / 1e6, 2)),
    ])
}

/// A log filled with realistic domain events, and the state and overview projection that wrote it.
struct DomainFill {
    let taxonomy: Taxonomy
    let state: DomainState
    let projection: OverviewProjection
    /// The time of the last event written.
    let nowMs: Int64
    let seconds: Double
    let events: Int
}

/// Fills `directory` with about `events` domain events: the whole pipeline (offers, questions through
/// intake, proposals with both consents, matches, outcomes), decided and applied as the daemon does and
/// appended in commands of about 1,000 events. A daemon started on the directory replays it as its own log.
func fillDomainLog(directory: String, events: Int) async throws -> DomainFill {
    guard let taxonomyText = Taxonomy.embedded["leiden"] else { throw BenchFailure("no built-in taxonomy") }
    let taxonomy = try Taxonomy(json: JSONParser.parse(taxonomyText))

    // Fill: the pipeline, decided and applied as the daemon does, appended in commands of about 1,000 events.
    let log = try EventLog.open(EventLogConfiguration(directory: directory))
    var state = DomainState()
    var projection = OverviewProjection()
    var pending: [ProposedEvent] = []
    var written = 0
    var nowMs: Int64 = 1_790_000_000_000
    var random = SplitMix64(seed: 11)
    let actor = EventActor(uid: 0, userName: "bench", role: "admin")
    func run(_ command: Command) throws {
        nowMs += 60_000
        for event in try Decider.decide(command, state: state, taxonomy: taxonomy, nowMs: nowMs).events {
            let before = projection.willApply(event, to: state)
            state.apply(event)
            projection.didApply(event, to: state, prior: before)
            var bytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            bytes[6] = (bytes[6] & 0x0F) | 0x40
            bytes[8] = (bytes[8] & 0x3F) | 0x80
            pending.append(ProposedEvent(eventID: EventID(bytes: bytes), type: event.type, timeMs: nowMs, actor: actor, requestID: nil,
                                         entityIDs: event.entityIDs, data: event.data))
        }
    }
    func flush() async throws {
        guard !pending.isEmpty else { return }
        _ = try await log.append(pending)
        written += pending.count
        pending.removeAll(keepingCapacity: true)
    }
    let districts = taxonomy.districts.map(\.id)
    let themes = taxonomy.themes.map(\.id)
    let fillStarted = nowNanoseconds()
    var cycle = 0
    while written + pending.count < events {
        cycle += 1
        if cycle % 4 == 1 {
            try run(.offer(.publish(PublishOffer(
                title: "Minor Wijkgericht werken \(cycle)", description: "Studenten werken een semester in een Leidse wijk.", institution: "hogeschool-leiden",
                programme: "Social Work", level: "hbo", kind: "minor", disciplines: ["social-work"], themes: [themes[cycle % themes.count]],
                period: Period(window: DateWindow(from: "2027-02-01", to: "2027-06-30"), label: "2026-2027 S2"), capacity: 4, teamSize: 4,
                contact: ContactDetails(name: nil, email: nil, phone: nil)))))
        }
        let offer = EntityID.make("O", state.offerCount)
        try run(.question(.submit(SubmitQuestion(
            title: "Vraag \(cycle) uit de wijk", description: "Bewoners zoeken hulp bij een vraagstuk in hun buurt; café, ëxtra tekst.",
            requesterKind: "resident", organisation: nil, contact: ContactDetails(name: nil, email: nil, phone: nil),
            neighbourhood: districts[cycle % districts.count], themes: [themes[cycle % themes.count]], disciplines: [], levels: ["hbo"],
            window: DateWindow(from: "2027-01-15", to: "2027-07-31"), size: nil))))
        let question = EntityID.make("Q", state.questionCount)
        try run(.question(.accept(id: question, title: nil, description: nil, expectedVersion: nil)))
        if cycle % 3 != 0, state.offers[offer]?.status == .published {
            try run(.proposal(.create(question: question, offer: offer, note: nil)))
            let proposal = EntityID.make("P", state.proposalCount)
            try run(.proposal(.accept(id: proposal, side: .requester, expectedVersion: nil)))
            try run(.proposal(.accept(id: proposal, side: .education, expectedVersion: nil)))
            let match = EntityID.make("M", state.matchCount)
            try run(.match(.start(id: match, students: 4, startedOn: "2027-02-08", expectedVersion: nil)))
            try run(.outcome(.record(match: match, content: OutcomeContent(
                summary: "Het team sprak bewoners en gaf advies.", deliverables: [Deliverable(kind: "report", title: "Rapport", uri: nil, visibility: .public, embargoUntil: nil)],
                hours: 400, competences: ["interviewen"], ratings: Ratings(requester: 4, education: 5)), followUps: [])))
        }
        if pending.count >= 1000 { try await flush() }
    }
    try await flush()
    let seconds = Double(nowNanoseconds() - fillStarted) / 1e9
    log.close()
    return DomainFill(taxonomy: taxonomy, state: state, projection: projection, nowMs: nowMs, seconds: seconds, events: written)

}

/// `lmds-bench fill-domain --dir D --events N`: a log of realistic domain events for a daemon to start on.
func runFillDomain(_ options: Options) async throws {
    let fill = try await fillDomainLog(directory: try options.string("dir"), events: try options.positiveInteger("events"))
    emit([
        "workload": "fill-domain", "events": .integer(Int64(fill.events)), "questions": .integer(Int64(fill.state.questionCount)),
        "offers": .integer(Int64(fill.state.offerCount)), "seconds": .double(rounded(fill.seconds, 2)),
    ])
}
