import Domain
import EventLog
import Foundation
import LMDSJSON
import LMDSTestSupport
import Matching
import Testing
@testable import LMDSCore

/// The contact lookup read inside the processor's serialised write pipeline (`ContactLookup`).
@Suite struct ContactLookupCoreTests {
    static func submit(_ number: Int, email: String) -> Command {
        .question(.submit(SubmitQuestion(
            title: "Vraag \(number)", description: "Beschrijving", requesterKind: "resident", organisation: nil,
            contact: ContactDetails(name: "Anouk de Vriës", email: email, phone: nil), neighbourhood: "Stevenshof", themes: [], disciplines: [],
            levels: [], window: nil, size: nil)))
    }

    /// A processor on a fresh log in a temporary directory (removed by the caller).
    static func processor(_ directory: String) async throws -> (DomainProcessor, EventLog) {
        let log = try EventLog.open(EventLogConfiguration(directory: directory))
        let processor = DomainProcessor(log: log, taxonomy: DomainFixtures.leiden, policy: .default, weights: MatchingWeights(),
                                        clock: SystemClock(), eventIDs: RandomEventIDSource())
        try await processor.rebuild()
        return (processor, log)
    }

    /// A contact erased while the submission that made it still commits (its lookup key not yet in the
    /// personal table) leaves no lookup key behind: the erasure takes the keys of appends still committing too.
    /// Reading the keys from the table alone (as the adapter did) left the address in the table whenever the
    /// erasure was decided inside that window (tried 20 times: a commit takes about a millisecond here).
    @Test func anErasureDeletesTheKeysOfASubmissionStillCommitting() async throws {
        let directory = NSTemporaryDirectory() + "lmds-contacts-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (processor, log) = try await Self.processor(directory)
        defer { log.close() }
        let actor = EventActor(uid: 0, userName: "test", role: "admin")
        var insideTheWindow = 0
        for number in 1...20 {
            let email = "anouk\(number)@example.nl"
            let submitted = Task { try await processor.execute(Self.submit(number, email: email), actor: actor, issuer: .staff, requestID: nil) }
            while await processor.state.contactCount < number { await Task.yield() }
            if await !processor.pendingLookups.contactByKey.isEmpty { insideTheWindow += 1 }
            _ = try await processor.execute(.contact(.erase(contact: EntityID.make("C", number))), actor: actor, issuer: .staff, requestID: nil)
            _ = try await submitted.value
            #expect(try log.personalValue("lookup:email:" + email) == nil, "\(email): a lookup key outlived its erasure")
        }
        print("ContactLookupCoreTests: \(insideTheWindow) of 20 erasures were decided while the submission committed")
    }

    /// Submissions with one new e-mail address executed at once (each decided while the ones before still
    /// commit) make ONE contact, whose lookup key the personal table then holds, and the processor keeps no
    /// pending key once they are answered. Before the lookup moved into the processor, each made its own.
    @Test func concurrentSubmissionsWithOneNewAddressMakeOneContact() async throws {
        let directory = NSTemporaryDirectory() + "lmds-contacts-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (processor, log) = try await Self.processor(directory)
        defer { log.close() }
        let actor = EventActor(uid: 0, userName: "test", role: "admin")
        let ids = try await withThrowingTaskGroup(of: String?.self) { group in
            for number in 0..<8 {
                group.addTask {
                    try await processor.execute(Self.submit(number, email: number % 2 == 0 ? "anouk@example.nl" : " Anouk@Example.NL"),
                                                actor: actor, issuer: .staff, requestID: nil)?.entityID
                }
            }
            var ids: [String] = []
            for try await id in group { if let id { ids.append(id) } }
            return ids
        }
        #expect(ids.count == 8)
        let state = await processor.state
        #expect(state.contactCount == 1, "\(state.contactCount) contacts")
        #expect(Set(state.questions.values.map(\.requester.contact)) == ["C-0001"])
        let stored = try log.personalValue("lookup:email:anouk@example.nl").flatMap { try? JSONParser.parse($0) }
        #expect(stored.flatMap(PersonalRecord.text(from:)) == "C-0001")
        #expect(await processor.pendingLookups.contactByKey.isEmpty)
        // A later one, with the address committed, is linked through the personal table.
        let later = try await processor.execute(Self.submit(9, email: "anouk@example.nl"), actor: actor, issuer: .staff, requestID: nil)
        #expect(later.flatMap { state.questions[$0.entityID] } == nil)
        #expect(await processor.state.questions[later?.entityID ?? ""]?.requester.contact == "C-0001")
    }
}
