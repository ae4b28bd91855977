import Domain
import Foundation
import LMDSJSON
@testable import Reports
import Testing

/// The desk (what waits on whom) and the workload report, on a state built through the decider.
@Suite struct DeskViewTests {
    static let day: Int64 = 86_400_000
    static let start = ReportBuilderTests.start
    static let policy: DomainPolicy = {
        var policy = DomainPolicy.default
        policy.users = ["alice": ConfiguredUser(role: "coordinator", institution: nil), "root": ConfiguredUser(role: "admin", institution: nil),
                        "carol": ConfiguredUser(role: "coordinator", institution: nil)]
        return policy
    }()

    /// Q-0001 open, owned by alice, proposed to O-0001 (Hogeschool Leiden) with no consent yet; Q-0002 in
    /// intake, unowned; Q-0003 in intake, owned by root; Q-0004 open, owned by alice, no proposal.
    static func state() throws -> DomainState {
        var state = DomainState()
        func run(_ command: Command, at time: Int64) throws {
            for event in try Decider.decide(command, state: state, taxonomy: ReportBuilderTests.leiden, nowMs: time, policy: policy).events {
                state.apply(event)
            }
        }
        func submit(_ title: String) -> Command {
            .question(.submit(SubmitQuestion(title: title, description: "Beschrijving", requesterKind: "resident", organisation: nil,
                                           contact: ContactDetails(name: nil, email: nil, phone: nil), neighbourhood: "Stevenshof",
                                           themes: ["loneliness"], disciplines: [], levels: [], window: nil, size: nil)))
        }
        func accept(_ id: String) -> Command { .question(.accept(id: id, title: nil, description: nil, expectedVersion: nil)) }
        func assign(_ id: String, _ owner: String) -> Command { .desk(.assign(id: id, owner: owner, expectedVersion: nil)) }
        try run(submit("Eenzaamheid"), at: start)
        try run(accept("Q-0001"), at: start + day)
        try run(assign("Q-0001", "alice"), at: start + day)
        try run(.offer(.publish(PublishOffer(title: "Minor", description: "x", institution: "Hogeschool Leiden", programme: "Social Work", level: "hbo",
                                           kind: "minor", disciplines: [], themes: ["loneliness"],
                                           period: Period(window: DateWindow(from: "2026-09-01", to: "2027-06-30"), label: "2026-2027"),
                                           capacity: 2, teamSize: nil, contact: ContactDetails(name: nil, email: nil, phone: nil)))), at: start)
        try run(.proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)), at: start + 2 * day)
        try run(submit("Parkeren"), at: start + 3 * day)
        try run(submit("Groen"), at: start + 4 * day)
        try run(assign("Q-0003", "root"), at: start + 4 * day)
        try run(submit("Spelen"), at: start + 5 * day)
        try run(accept("Q-0004"), at: start + 6 * day)
        try run(assign("Q-0004", "alice"), at: start + 6 * day)
        return state
    }

    static func desk(_ state: DomainState) -> DeskView {
        DeskView(state: state, policy: policy, nowMs: start + 10 * day, lastEventMs: ["Q-0004": start + 6 * day])
    }

    /// A coordinator sees what they own and the unowned intake, by kind, each with why and since when.
    @Test func coordinatorSeesOwnedAndUnownedIntake() throws {
        let items = Self.desk(try Self.state()).items(for: DeskView.Person(name: "alice", role: "coordinator", institution: nil))
        #expect(items.map(\.kind) == [.intake, .unproposed, .consent])
        #expect(items.map(\.entity) == ["Q-0002", "Q-0004", "P-0001"])
        #expect(items[1].since == "2026-09-27T14:13:20.000Z" && items[2].why.contains("requester and education sides"))
        let root = Self.desk(try Self.state()).items(for: DeskView.Person(name: "root", role: "admin", institution: nil))
        #expect(root.map(\.entity) == ["Q-0002", "Q-0003"], "oldest first: Q-0002 was submitted before Q-0003")
    }

    /// An educator sees the proposals waiting on their institution's side, and nothing of another institution.
    @Test func educatorSeesTheirInstitution() throws {
        let state = try Self.state()
        #expect(Self.desk(state).items(for: DeskView.Person(name: "bob", role: "educator", institution: "hogeschool-leiden")).map(\.entity) == ["P-0001"])
        #expect(Self.desk(state).items(for: DeskView.Person(name: "dirk", role: "educator", institution: "mborijnland")).isEmpty)
        #expect(Self.desk(state).items(for: DeskView.Person(name: "vera", role: "viewer", institution: nil)).isEmpty)
    }

    /// The workload report: a row per configured coordinator (carol owns nothing) and one for the unowned questions.
    @Test func workloadRows() throws {
        let builder = ReportBuilder(state: try Self.state(), taxonomy: ReportBuilderTests.leiden, policy: Self.policy, asOfPosition: 12,
                                    nowMs: Self.start + 10 * Self.day, period: nil, seesAll: true)
        let report = try #require(builder.build("workload"))
        let rows = report.tables[0].rows
        #expect(rows.map { $0[0] } == ["alice", "carol", "root", "(unowned)"])
        #expect(rows[0] == ["alice", 0, 2, 0, 0, 0, 2, 0, 0])
        #expect(rows[2] == ["root", 1, 0, 0, 0, 0, 1, 0, 0])
        #expect(rows[3] == ["(unowned)", 1, 0, 0, 0, 0, 1, 0, 0])
        #expect(ReportBuilderTests.figure(report, "unowned questions not finished") == 1)
        for format in ReportFormat.allCases { #expect(!format.render(report).isEmpty) }
    }
}

/// Reports count a merged or split question once, as its survivor or its parts, and say so.
@Suite struct CountedOnceTests {
    /// A duplicate merged into its survivor counts once; the overview from the live projection says the same.
    @Test func mergedQuestionsCountOnce() throws {
        var state = try ReportBuilderTests.state()
        var projection = OverviewProjection(state: state)
        // Q-0003 asks what Q-0002 asks; it is merged into Q-0002.
        let duplicate = Command.question(.submit(SubmitQuestion(
            title: "Parkeren, nogmaals", description: "Beschrijving", requesterKind: "resident", organisation: nil,
            contact: ContactDetails(name: nil, email: nil, phone: nil), neighbourhood: "Merenwijk", themes: ["loneliness"], disciplines: [], levels: [],
            window: nil, size: nil)))
        let merge = Command.lineage(.merge(into: "Q-0002", from: ["Q-0003"], reason: "dubbel", expectedVersion: nil))
        for command in [duplicate, merge] {
            for event in try Decider.decide(command, state: state, taxonomy: ReportBuilderTests.leiden, nowMs: ReportBuilderTests.start + 32 * ReportBuilderTests.day).events {
                let before = projection.willApply(event, to: state)
                state.apply(event)
                projection.didApply(event, to: state, prior: before)
            }
        }
        let builder = ReportBuilder(state: state, taxonomy: ReportBuilderTests.leiden, policy: .default, asOfPosition: 13,
                                    nowMs: ReportBuilderTests.start + 50 * ReportBuilderTests.day, period: nil, seesAll: true)
        let overview = try #require(builder.build("overview"))
        #expect(ReportBuilderTests.figure(overview, "questions") == 2, "Q-0003 counts as Q-0002")
        #expect(overview.description.contains("Merged and split questions count once"))
        #expect(!overview.tables[0].rows.contains { $0[0] == "merged" })
        #expect(builder.overview(from: projection) == overview)
        #expect(ReportBuilderTests.figure(builder.build("neighbourhoods"), "questions") == 2)
    }
}
