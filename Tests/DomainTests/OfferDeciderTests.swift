import Domain
import LMDSJSON
import Testing

/// Given events, when an offer command, then events or this error.
@Suite struct OfferDeciderTests {
    static func publish(institution: String = "Hogeschool Leiden", level: String = "hbo", capacity: Int = 3, contact: Bool = true) -> Command {
        .offer(.publish(PublishOffer(
            title: "Minor Sociale Innovatie in de Wijk", description: "Een semester werken aan Leidse wijkvraagstukken.",
            institution: institution, programme: "Social Work", level: level, kind: "minor", disciplines: ["social-work"],
            themes: ["loneliness"], period: Period(window: DateWindow(from: "2027-02-01", to: "2027-06-30"), label: "2026-2027 S2"),
            capacity: capacity, teamSize: 5,
            contact: ContactDetails(name: contact ? "Jeroen Bakker" : nil, email: contact ? "j.bakker@example.nl" : nil, phone: nil))))
    }

    static func decide(_ command: Command, given: [Command] = [], issuer: CommandIssuer = .staff) throws -> Decision {
        var state = DomainState()
        for earlier in given {
            for event in try Decider.decide(earlier, state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now).events { state.apply(event) }
        }
        return try Decider.decide(command, state: state, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now, issuer: issuer)
    }

    static func refusal(_ command: Command, given: [Command] = [], issuer: CommandIssuer = .staff) -> DomainError? {
        do {
            _ = try decide(command, given: given, issuer: issuer)
            return nil
        } catch let error as DomainError {
            return error
        } catch {
            return nil
        }
    }

    /// Publishing resolves the institution by name, assigns O-0001 and a contact id shared with questions' numbering.
    @Test func publishAssignsIdsAndResolvesInstitution() throws {
        let decision = try Self.decide(Self.publish(), given: [DeciderTests.submit()])
        #expect(decision.entityID == "O-0001")
        guard case .offerPublished(let offer)? = decision.events.first else {
            Issue.record("expected OfferPublished")
            return
        }
        #expect(offer.institution == "hogeschool-leiden")
        #expect(offer.contact == "C-0002")
        #expect(!JSONWriter.canonicalString(decision.events[0].data).contains("Bakker"))
    }

    /// The level must be one the institution teaches; capacity and kind are checked; names the field.
    @Test func publishValidation() {
        #expect(Self.refusal(Self.publish(institution: "mboRijnland", level: "wo-master"))?.field == "level")
        #expect(Self.refusal(Self.publish(institution: "Sorbonne"))?.field == "institution")
        #expect(Self.refusal(Self.publish(capacity: 0))?.field == "capacity")
    }

    /// An educator publishes and changes only offers of their own institution; coordinators any.
    @Test func educatorsManageOnlyTheirInstitution() throws {
        let ownEducator = CommandIssuer(role: "educator", institution: "hogeschool-leiden")
        let otherEducator = CommandIssuer(role: "educator", institution: "universiteit-leiden")
        #expect((try? Self.decide(Self.publish(), issuer: ownEducator)) != nil)
        #expect(Self.refusal(Self.publish(), issuer: otherEducator)?.code == .forbidden)
        let close = Command.offer(.close(id: "O-0001", reason: "vol", expectedVersion: nil))
        #expect(Self.refusal(close, given: [Self.publish()], issuer: otherEducator)?.code == .forbidden)
        #expect((try? Self.decide(close, given: [Self.publish()], issuer: ownEducator)) != nil)
    }

    /// Closed and withdrawn offers refuse every change, naming the state.
    @Test func finalStatesRefuseChanges() {
        var revise = ReviseOffer(id: "O-0001")
        revise.capacity = 4
        for final in [Command.offer(.close(id: "O-0001", reason: nil, expectedVersion: nil)), .offer(.withdraw(id: "O-0001", reason: "weg", expectedVersion: nil))] {
            for attempt in [Command.offer(.revise(revise)), .offer(.close(id: "O-0001", reason: nil, expectedVersion: nil)),
                            .offer(.withdraw(id: "O-0001", reason: "r", expectedVersion: nil))] {
                let refusal = Self.refusal(attempt, given: [Self.publish(), final])
                #expect(refusal?.code == .conflict)
                #expect(refusal?.state == "closed" || refusal?.state == "withdrawn")
            }
        }
    }

    /// Offer events read back from their stored form are the events written, and replay gives the live state.
    @Test func offerEventsRoundTrip() throws {
        var revise = ReviseOffer(id: "O-0001")
        revise.capacity = 4
        revise.period = Period(window: DateWindow(from: "2027-09-01", to: "2028-01-31"), label: "2027-2028 S1")
        var live = DomainState()
        var replayed = DomainState()
        for command in [Self.publish(), .offer(.revise(revise)), .offer(.close(id: "O-0001", reason: nil, expectedVersion: 2))] {
            for event in try Decider.decide(command, state: live, taxonomy: DeciderTests.leiden, nowMs: DeciderTests.now).events {
                live.apply(event)
                let decoded = try #require(DomainEvent(type: event.type, data: try JSONParser.parse(JSONWriter.canonicalBytes(event.data))))
                #expect(decoded == event)
                replayed.apply(decoded)
            }
        }
        #expect(replayed == live)
        #expect(live.offers["O-0001"]?.capacity == 4 && live.offers["O-0001"]?.status == .closed)
    }
}
