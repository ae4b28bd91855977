import Foundation
import LMDSCalendar
import LMDSTestSupport
import Testing
@testable import Domain

/// The start-up snapshot's bytes give back exactly the state they were made from; damaged bytes throw.
@Suite struct StateSnapshotTests {
    /// A state in which every stored property of every entity holds a value (and, in a second entity of
    /// each kind, every optional is nil), with links, counts, contacts and erasures.
    static func richState() -> DomainState {
        var state = DomainState()
        state.questions["Q-0001"] = Question(
            id: "Q-0001", status: .referred, title: "Eenzaamheid in de Stevenshof", description: "Café-achtige plek, met ë en €",
            requester: Requester(kind: "group", organisation: "Bewonersvereniging", contact: "C-0001", notify: true),
            neighbourhood: Taxonomy.Place(district: "bos-en-gasthuisdistrict", wijk: "tuinstadwijk"), themes: ["loneliness", "health"],
            disciplines: ["social-work"], levels: ["hbo", "wo"], window: DateWindow(from: "2027-02-01", to: "2027-06-30"), size: "large",
            submittedMs: 1_796_000_000_123, closingReason: "past de gemeente beter", referredTo: "Gemeente Leiden", version: 4, followUpOf: "R-0003")
        state.questions["Q-0002"] = Question(
            id: "Q-0002", status: .submitted, title: "Groen", description: "", requester: Requester(kind: "resident", organisation: nil, contact: nil),
            neighbourhood: Taxonomy.Place(district: "stevenshof", wijk: nil), themes: [], disciplines: [], levels: [], window: nil, size: "small",
            submittedMs: -5, closingReason: nil, referredTo: nil, version: 1, followUpOf: nil)
        state.offers["O-0001"] = Offer(
            id: "O-0001", status: .full, title: "Minor Sociale Innovatie", description: "Wijkgericht", institution: "hogeschool-leiden",
            programme: "Social Work", level: "hbo", kind: "minor", disciplines: ["social-work"], themes: ["loneliness"],
            period: Period(window: DateWindow(from: "2027-02-01", to: "2027-06-30"), label: "2026-2027 S2"), capacity: 3, teamSize: 4,
            contact: "C-0002", publishedMs: 1_796_000_000_000, closingReason: "vol", version: 7)
        state.offers["O-0002"] = Offer(
            id: "O-0002", status: .published, title: "Stage", description: "", institution: "mborijnland", programme: "", level: "mbo",
            kind: "internship", disciplines: [], themes: [], period: Period(window: DateWindow(from: "2027-09-01", to: "2028-01-31"), label: nil),
            capacity: 1, teamSize: nil, contact: nil, publishedMs: 0, closingReason: nil, version: 1)
        state.proposals["P-0001"] = Proposal(
            id: "P-0001", status: .declined, question: "Q-0001", offer: "O-0001", note: "Past goed", createdMs: 10, expiresMs: 20,
            consents: [.requester, .education], declinedBy: .education, closingReason: "geen plek", match: "M-0001", version: 3)
        state.proposals["P-0002"] = Proposal(
            id: "P-0002", status: .proposed, question: "Q-0002", offer: "O-0002", note: nil, createdMs: 11, expiresMs: 21,
            consents: [], declinedBy: nil, closingReason: nil, match: nil, version: 1)
        state.matches["M-0001"] = Match(
            id: "M-0001", status: .cancelled, proposal: "P-0001", question: "Q-0001", offer: "O-0001", agreedMs: 30, students: 5,
            startedOn: "2027-02-03", outcome: "R-0001", closingReason: "ziekte", version: 5)
        state.matches["M-0002"] = Match(
            id: "M-0002", status: .agreed, proposal: "P-0002", question: "Q-0002", offer: "O-0002", agreedMs: 31, students: nil,
            startedOn: nil, outcome: nil, closingReason: nil, version: 1)
        state.outcomes["R-0001"] = Outcome(
            id: "R-0001", match: "M-0001", question: "Q-0001", offer: "O-0001", summary: "Een ontmoetingsplek",
            deliverables: [Deliverable(kind: "report", title: "Rapport", uri: "https://example.nl/r", visibility: .embargo, embargoUntil: "2028-01-01"),
                           Deliverable(kind: "poster", title: "Poster", uri: nil, visibility: .public, embargoUntil: nil)],
            students: 5, hours: 400, competences: ["onderzoek"], ratings: Ratings(requester: 4, education: 5), impact: "Meer contact",
            followUps: ["Q-0002"], recordedMs: 40, followUpDue: "2027-12-01",
            followUp: FollowUpCheck(used: .partly, note: "deels", recordedMs: 50), version: 2)
        state.outcomes["R-0002"] = Outcome(
            id: "R-0002", match: "M-0002", question: "Q-0002", offer: "O-0002", summary: "", deliverables: [], students: nil, hours: nil,
            competences: [], ratings: Ratings(requester: nil, education: nil), impact: nil, followUps: [], recordedMs: 41,
            followUpDue: "2027-12-02", followUp: nil, version: 1)
        state.proposalCount = 2
        state.matchCount = 2
        state.outcomeCount = 2
        state.proposalsByQuestion = ["Q-0001": ["P-0001"], "Q-0002": ["P-0002"]]
        state.proposalsByOffer = ["O-0001": ["P-0001"], "O-0002": ["P-0002"]]
        state.matchesByQuestion = ["Q-0001": ["M-0001"]]
        state.matchesByOffer = ["O-0001": ["M-0001"], "O-0002": ["M-0002"]]
        state.outcomesByQuestion = ["Q-0001": ["R-0001"]]
        state.outcomesByOffer = ["O-0001": ["R-0001", "R-0002"]]
        state.pendingProposals = ["P-0002"]
        state.restore(questionCount: 2, offerCount: 2, contacts: ["C-0001", "C-0002"], erasedContacts: ["C-0002"])
        state.publication.publicQuestions = ["Q-0001"]
        state.desk.owners = ["Q-0001": "alice", "Q-0002": "root"]
        state.desk.assignedMs = ["Q-0001": 60, "Q-0002": -1]
        state.desk.notes = ["N-0001": Note(id: "N-0001", entity: "Q-0001", author: "alice", sha256: String(repeating: "a", count: 64), addedMs: 70),
                            "N-0002": Note(id: "N-0002", entity: "M-0001", author: "root", sha256: "b", addedMs: 71, erasedReason: "verzoek")]
        state.desk.notesByEntity = ["Q-0001": ["N-0001"], "M-0001": ["N-0002"]]
        state.desk.noteCount = 2
        state.offers["O-0001"]?.milestoneTemplate = [MilestoneTemplate(title: "Kick-off", dayOffset: 0), MilestoneTemplate(title: "Eind", dayOffset: 120)]
        state.progress.milestones["M-0001"] = [
            Milestone(number: 1, title: "Kick-off ë", due: "2027-02-03", completedMs: 60, completedOn: "2027-02-03",
                      note: TextReference(id: "T-0001", sha256: String(repeating: "a", count: 64))),
            Milestone(number: 2, title: "Eind", due: "2027-06-03"),
        ]
        state.progress.checkIns["M-0001"] = [
            CheckIn(number: 1, health: .atRisk, recordedMs: 70, note: TextReference(id: "T-0002", sha256: String(repeating: "b", count: 64))),
            CheckIn(number: 2, health: .onTrack, recordedMs: 71, note: nil),
        ]
        state.progress.feedback["M-0001"] = [
            FeedbackEntry(side: .requester, moment: .end, answers: ["satisfaction": 4, "again": 5], submittedMs: 80,
                          comment: TextReference(id: "T-0003", sha256: String(repeating: "c", count: 64))),
            FeedbackEntry(side: .students, moment: .followup, answers: [:], submittedMs: 81, comment: nil),
        ]
        state.progress.textCount = 3
        state.progress.erasedTexts = ["T-0002"]
        state.reminders.apply(.reminderRaised(Reminder(
            id: "A-0001", rule: .consentWaiting, entity: "P-0002", deadlineMs: 11, dueMs: 12, raisedMs: 13, institution: "mborijnland",
            recipients: [.coordinators, .educators(institution: "mborijnland"), .requester(contact: "C-0001"), .user("alice")])))
        state.reminders.apply(.reminderAcknowledged(id: "A-0001", by: "alice", acknowledgedMs: 14))
        state.reminders.apply(.reminderResolved(id: "A-0001", by: "ProposalAccepted", resolvedMs: 15))
        state.reminders.apply(.reminderRaised(Reminder(
            id: "A-0002", rule: .intakeWaiting, entity: "Q-0002", deadlineMs: -5, dueMs: 100, raisedMs: 101, institution: nil, recipients: [.coordinators])))
        state.reminders.rebuildWatchLists(questions: state.questions, matches: state.matches, outcomes: state.outcomes)
        state.notifications.apply(.notificationDelivered(NotificationAttempt(
            subject: .reminder("A-0001"), channel: .email, message: "<A-0001.1@lmds>", attempt: 1, failure: nil)))
        state.notifications.apply(.notificationFailed(NotificationAttempt(
            subject: .event(position: 7), channel: .webhook, message: "d-7", attempt: 2, failure: "HTTP 503")))
        state.lineage.mergedInto = ["Q-0002": "Q-0001"]
        state.lineage.mergedFrom = ["Q-0001": ["Q-0002"]]
        state.lineage.splitFrom = ["Q-0003": "Q-0001", "Q-0004": "Q-0001"]
        state.lineage.parts = ["Q-0001": ["Q-0003", "Q-0004"]]
        state.organisations.apply(.organisationRegistered(Organisation(
            id: "G-0001", name: "Stichting Café Ëlan", kind: .foundationOrAssociation,
            neighbourhood: Taxonomy.Place(district: "bos-en-gasthuisdistrict", wijk: "tuinstadwijk"), website: "https://elan.example", registeredMs: 90)))
        state.organisations.apply(.organisationRegistered(Organisation(id: "G-0002", name: "Elan", kind: .other, neighbourhood: nil, website: nil, registeredMs: -3)))
        state.organisations.apply(.organisationRegistered(Organisation(id: "G-0003", name: "Wijkraad", kind: .residentGroup, neighbourhood: nil, website: nil, registeredMs: 91)))
        state.organisations.apply(.organisationMerged(id: "G-0002", into: "G-0001", reason: "dubbel"))
        return state
    }

    static func bytes(_ state: DomainState) -> [UInt8] {
        var writer = SnapshotWriter()
        StateSnapshot.encode(state, into: &writer)
        return writer.bytes
    }

    @Test func everyPropertyRoundTrips() throws {
        let state = Self.richState()
        var reader = SnapshotReader(bytes: Self.bytes(state))
        let restored = try StateSnapshot.decode(from: &reader)
        #expect(reader.isAtEnd)
        #expect(restored == state)
        #expect(restored.canonicalJSON == state.canonicalJSON)
        #expect(restored.questionCount == 2 && restored.contactCount == 2 && restored.erasedContacts == ["C-0002"])
        #expect(restored.publication.isPublic("Q-0001") && !restored.publication.isPublic("Q-0002"))
    }

    @Test func anEmptyStateRoundTrips() throws {
        var reader = SnapshotReader(bytes: Self.bytes(DomainState()))
        #expect(try StateSnapshot.decode(from: &reader) == DomainState())
    }

    @Test func everyTruncationThrows() {
        let bytes = Self.bytes(Self.richState())
        for length in 0..<bytes.count {
            var reader = SnapshotReader(bytes: Array(bytes[..<length]))
            #expect(throws: SnapshotDecodingError.self, "truncated to \(length) bytes") { try StateSnapshot.decode(from: &reader) }
        }
    }

    /// Flipped bytes either throw or decode to some state: they never trap or read out of bounds.
    @Test func damagedBytesNeverTrap() {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("StateSnapshotTests seed \(seed)")
        var random = SplitMix64(seed: seed)
        let bytes = Self.bytes(Self.richState())
        var refused = 0
        for _ in 0..<2_000 {
            var damaged = bytes
            for _ in 0..<(1 + random.next() % 4) {
                damaged[Int(random.next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: random.next())
            }
            var reader = SnapshotReader(bytes: damaged)
            if (try? StateSnapshot.decode(from: &reader)) == nil { refused += 1 }
        }
        #expect(refused > 0)
    }
}

/// Day numbers: the quick path for `YYYY-MM-DD` gives what the general parse gives.
extension CivilDateTests {
    static func general(_ date: String) -> Int {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return 0 }
        return CivilCalendar.daysSinceEpoch(year: parts[0], month: parts[1], day: parts[2])
    }

    @Test func theQuickPathEqualsTheGeneralParse() {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("CivilDateTests seed \(seed)")
        var random = SplitMix64(seed: seed)
        for _ in 0..<5_000 {
            let year = 1900 + Int(random.next() % 1100)
            let month = 1 + Int(random.next() % 12)
            let day = 1 + Int(random.next() % 31)
            let date = String(format: "%04d-%02d-%02d", year, month, day)
            #expect(CivilDate.dayNumber(date) == Self.general(date), "\(date), seed \(seed)")
        }
        for odd in ["2027-2-01", "x027-02-01", "2027-02-0x", "", "2027/02/01", "20270-2-01", "1970-01-01"] {
            #expect(CivilDate.dayNumber(odd) == Self.general(odd), "\(odd)")
        }
        #expect(CivilDate.dayNumber("1970-01-01") == 0)
    }
}

/// Ids sorted on integer keys come out in `precedes` order, for short, long and non-ASCII ids alike.
extension EntityIDTests {
    @Test func sortedEqualsSortingWithPrecedes() {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("EntityIDTests seed \(seed)")
        var random = SplitMix64(seed: seed)
        let alphabet = Array("QOPMRC-0123456789ëé")
        var ids: [String] = (1...3_000).map { EntityID.make(["Q", "O", "P"][$0 % 3], $0 * 7) }
        for _ in 0..<2_000 {
            let length = Int(random.next() % 24)
            ids.append(String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }))
        }
        ids.shuffle(using: &random)
        #expect(EntityID.sorted(ids) == ids.sorted(by: EntityID.precedes), "seed \(seed)")
    }
}
