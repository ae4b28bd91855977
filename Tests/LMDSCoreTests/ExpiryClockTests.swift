import Domain
import EventLog
import Foundation
import LMDSTestSupport
import Matching
import Synchronization
import Testing
@testable import LMDSCore

/// A clock the test moves by hand.
final class ManualClock: Clock {
    private let milliseconds: Mutex<Int64>

    init(_ start: Int64) { milliseconds = Mutex(start) }

    func nowMs() -> Int64 { milliseconds.withLock { $0 } }

    func advance(byMs elapsed: Int64) { milliseconds.withLock { $0 += elapsed } }
}

/// Proposal expiry through the core with an injected clock: no waiting for real time to pass.
@Suite struct ExpiryClockTests {
    /// Given a proposal created with 21 days to consent, when the clock is a minute short of that nothing
    /// expires, and when it passes the deadline `expireDue` appends `ProposalExpired` once, by the system.
    @Test func aProposalExpiresExactlyWhenTheInjectedClockPassesItsDeadline() async throws {
        let directory = NSTemporaryDirectory() + "lmds-expiry-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog.open(EventLogConfiguration(directory: directory))
        defer { log.close() }
        let clock = ManualClock(1_800_000_000_000)
        let processor = DomainProcessor(log: log, taxonomy: DomainFixtures.leiden, policy: DomainPolicy(proposalExpiryDays: 21),
                                        weights: MatchingWeights(), clock: clock, eventIDs: RandomEventIDSource())
        try await processor.rebuild()
        let actor = EventActor(uid: 0, userName: "test", role: "coordinator")
        func run(_ command: Command) async throws { _ = try await processor.execute(command, actor: actor, issuer: .staff, requestID: nil) }
        try await run(DomainFixtures.submit(1))
        try await run(.question(.accept(id: "Q-0001", title: nil, description: nil, expectedVersion: nil)))
        try await run(.offer(.publish(PublishOffer(
            title: "Minor Sociale Innovatie", description: "Wijkvraagstukken.", institution: "Hogeschool Leiden", programme: "Social Work",
            level: "hbo", kind: "minor", disciplines: ["social-work"], themes: [],
            period: Period(window: DateWindow(from: "2027-02-01", to: "2027-06-30"), label: "2026-2027 S2"), capacity: 2, teamSize: 4,
            contact: ContactDetails(name: nil, email: nil, phone: nil)))))
        try await run(.proposal(.create(question: "Q-0001", offer: "O-0001", note: nil)))
        let created = log.head.position
        clock.advance(byMs: 21 * 86_400_000 - 60_000)
        #expect(try await processor.expireDue().isEmpty, "a minute before the deadline nothing expires")
        #expect(log.head.position == created)
        clock.advance(byMs: 60_000)
        #expect(try await processor.expireDue() == ["P-0001"])
        #expect(try await processor.expireDue().isEmpty, "expired once")
        let last = try #require(try log.record(at: log.head.position))
        #expect(last.type == "ProposalExpired" && last.actor.role == "system" && last.timeMs == clock.nowMs())
        #expect(await processor.state.proposals["P-0001"]?.status == .expired)
    }
}
