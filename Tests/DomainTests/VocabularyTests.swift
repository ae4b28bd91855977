import Domain
import LMDSJSON
import Testing

/// Names of taxonomy entries, levels, kinds and periods: resolved by id or label, folded; refused with the
/// known values and a did-you-mean for a near miss.
@Suite struct VocabularyTests {
    static let leiden = DeciderTests.leiden

    /// The edit distance counts insertions, deletions and substitutions of characters.
    @Test func editDistanceCountsCharacterEdits() {
        #expect(Vocabulary.editDistance("", "abc") == 3)
        #expect(Vocabulary.editDistance("kitten", "sitting") == 3)
        #expect(Vocabulary.editDistance("merenwijk centrum", "merenwijk-centrum") == 1)
        #expect(Vocabulary.editDistance("café", "cafe") == 1)
        #expect(Vocabulary.editDistance("hbo", "hbo") == 0)
    }

    /// Ids and labels are accepted case- and diacritics-folded, and resolve to the id.
    @Test func idsAndLabelsResolveFolded() throws {
        #expect(try Self.leiden.levelVocabulary.resolve("HBO", field: "level") == "hbo")
        #expect(try Self.leiden.themeVocabulary.resolve("Jeugd en jongeren", field: "theme") == "youth")
        #expect(try Self.leiden.themeVocabulary.resolve("jeugd EN jongeren ", field: "theme") == "youth")
        #expect(try Self.leiden.themeVocabulary.resolve("youth", field: "theme") == "youth")
        #expect(try Self.leiden.institutionVocabulary.resolve("universiteit leiden", field: "institution") == "universiteit-leiden")
        #expect(try OfferLimits.kindVocabulary.resolve("Minor", field: "kind") == "minor")
        #expect(try Self.leiden.requirePlace("merenwijk-centrum", field: "neighbourhood").wijk == "merenwijk-centrum")
        #expect(try Self.leiden.requirePlace(" Stevenshof ", field: "neighbourhood").district == "stevenshof", "surrounding spaces are ignored")
    }

    /// A near miss by one typo, or the only entry that starts with or contains the text, is suggested.
    @Test func nearMissesAreSuggested() {
        let wijk = Self.refusal { () throws(DomainError) in _ = try Self.leiden.requirePlace("Merenwijk Centrum", field: "neighbourhood") }
        #expect(wijk?.details["suggestion"] == "Merenwijk-Centrum")
        #expect(wijk?.message == "neighbourhood: \"Merenwijk Centrum\" is not a district or wijk of Leiden; did you mean \"Merenwijk-Centrum\"?")
        let theme = Self.refusal { () throws(DomainError) in _ = try Self.leiden.themeVocabulary.resolve("jeugd", field: "theme") }
        #expect(theme?.details["suggestion"] == "Jeugd en jongeren")
        #expect(theme?.field == "theme" && theme?.details["value"] == "jeugd")
        #expect(Self.leiden.themeVocabulary.nearMiss("Eenzaamhied")?.id == "loneliness")
        #expect(Self.leiden.themeVocabulary.nearMiss("groen")?.id == "climate-adaptation")
    }

    /// Far from every entry, or as close to two, there is no suggestion, and the known values are listed.
    @Test func withoutANearMissTheKnownValuesAreListed() {
        let level = Self.refusal { () throws(DomainError) in _ = try Self.leiden.levelVocabulary.resolve("phd", field: "level") }
        #expect(level?.details["suggestion"] == nil)
        #expect(level?.details["known"] == ["mbo", "hbo", "wo-bachelor", "wo-master"])
        #expect(level?.message == "level: \"phd\" is not a level; known: mbo, hbo, wo-bachelor, wo-master")
        #expect(Self.leiden.levelVocabulary.nearMiss("wo") == nil, "wo starts two levels")
        let theme = Self.refusal { () throws(DomainError) in _ = try Self.leiden.themeVocabulary.resolve("xyz", field: "theme") }
        #expect(theme?.details["known"]?.arrayValue?.first == "loneliness (Eenzaamheid)")
    }

    /// `known` lists at most `knownListedMax` entries, the message names at most `knownNamedMax` and counts the rest.
    @Test func knownValuesAreCapped() {
        let place = Self.refusal { () throws(DomainError) in _ = try Self.leiden.requirePlace("Atlantis", field: "neighbourhood") }
        #expect(place?.details["known"]?.arrayValue?.count == Vocabulary.knownListedMax)
        #expect(place?.message.hasSuffix("and \(Self.leiden.districts.count + Self.leiden.wijkCount - Vocabulary.knownNamedMax) more") == true)
    }

    /// An id of another kind names its kind and the kind expected; other text is left to "not found".
    @Test func idsOfAnotherKindAreNamed() {
        let error = Self.refusal { () throws(DomainError) in try EntityKind.proposal.check("Q-0001", field: "id") }
        #expect(error?.message == "id: Q-0001 is a question, not a proposal (proposals are P-…)")
        #expect(error?.details == ["kind": "question", "expected": "proposal", "expectedPrefix": "P-"])
        #expect(Self.refusal { () throws(DomainError) in try EntityKind.offer.check("R-0002", field: "offer") }?.message
                == "offer: R-0002 is an outcome, not an offer (offers are O-…)")
        #expect(Self.refusal { () throws(DomainError) in try EntityKind.proposal.check("P-0001", field: "id") } == nil)
        #expect(Self.refusal { () throws(DomainError) in try EntityKind.proposal.check("X-1", field: "id") } == nil)
        #expect(EntityKind.of("M-0012") == .match && EntityKind.of("M-") == nil && EntityKind.of("C-12a") == nil)
    }

    /// Periods in use are the offers' labels, folded; any date is accepted (it selects what lies around it).
    @Test func periodsInUseComeFromOffersAndQuestions() throws {
        let state = try DeciderTests.given([DeciderTests.submit(), OfferDeciderTests.publish()])
        #expect(Self.refusal { () throws(DomainError) in try state.requirePeriod("2026-2027 s2", field: "period") } == nil)
        #expect(Self.refusal { () throws(DomainError) in try state.requirePeriod("2027-03-01", field: "period") } == nil)
        let missing = Self.refusal { () throws(DomainError) in try state.requirePeriod("2026/2027 S2", field: "period") }
        #expect(missing?.details["suggestion"] == "2026-2027 S2" && missing?.details["known"] == ["2026-2027 S2"])
        #expect(Self.refusal { () throws(DomainError) in try state.requirePeriod("2030-01-01", field: "period") } == nil)
        #expect(Self.refusal { () throws(DomainError) in try state.requirePeriod("S2", field: "period") }?.field == "period")
    }

    /// Writes take labels too, and store the ids.
    @Test func writesStoreTheIdsOfLabels() throws {
        let submit = Command.question(.submit(SubmitQuestion(
            title: "Jongeren in de Merenwijk", description: "Waar kunnen ze terecht?", requesterKind: "Group", organisation: "Buurthuis",
            contact: ContactDetails(name: nil, email: nil, phone: nil), neighbourhood: "Merenwijk-Centrum", themes: ["Jeugd en jongeren"],
            disciplines: [], levels: ["HBO"], window: nil, size: nil)))
        let state = try DeciderTests.given([submit])
        let question = try #require(state.questions["Q-0001"])
        #expect(question.themes == ["youth"] && question.levels == ["hbo"] && question.requester.kind == "group")
        let refused = try DeciderTests.refusal(.question(.submit(SubmitQuestion(
            title: "t", description: "d", requesterKind: "group", organisation: "o", contact: ContactDetails(name: nil, email: nil, phone: nil),
            neighbourhood: "Stevenshof", themes: ["jeugd"], disciplines: [], levels: [], window: nil, size: nil))))
        #expect(refused?.field == "themes" && refused?.details["suggestion"] == "Jeugd en jongeren")
    }

    static func refusal(_ body: () throws(DomainError) -> Void) -> DomainError? {
        do throws(DomainError) {
            try body()
            return nil
        } catch {
            return error
        }
    }
}

/// Given a match or an outcome, when it starts outside its offer's period or its follow-up is recorded
/// early, then a refusal without `force`, and warnings in the reply.
/// A period is named the same way where it is validated and where it filters.
@Suite struct PeriodNameTests {
    /// Its label, folded and trimmed as every name is, or `from..to` for a period without a label; the
    /// names the period vocabulary offers are exactly those the period answers to.
    @Test func theNamesTheVocabularyOffersAreTheNamesThePeriodAnswersTo() {
        let labelled = Period(window: DateWindow(from: "2027-02-01", to: "2027-06-30"), label: "2026-2027 S2")
        let bare = Period(window: DateWindow(from: "2027-09-01", to: "2028-01-31"), label: nil)
        #expect(labelled.isNamed(" 2026-2027 s2 ") && labelled.isNamed("2026-2027 S2"))
        #expect(!labelled.isNamed("2027-02-01..2027-06-30") && !labelled.isNamed("2026-2027"))
        #expect(bare.name == "2027-09-01..2028-01-31" && bare.isNamed("2027-09-01..2028-01-31"))
    }
}

@Suite struct StartAndFollowUpCheckTests {
    typealias Fixtures = CollaborationDeciderTests

    /// A start before the period (today's date, months early) is refused without `force`, naming the period.
    @Test func startBeforeThePeriodIsRefusedWithoutForce() throws {
        let early = Command.match(.start(id: "M-0001", students: 4, startedOn: "2026-12-07", expectedVersion: nil))
        let refusal = Fixtures.refusal(early, given: Fixtures.agreed())
        #expect(refusal?.code == .validation && refusal?.field == "startedOn")
        #expect(refusal?.message.contains("2026-12-07 is 56 days before the period of O-0001 (2026-2027 S2: 2027-02-01 to 2027-06-30)") == true)
        let late = Fixtures.refusal(.match(.start(id: "M-0001", students: 4, startedOn: "2027-07-02", expectedVersion: nil)), given: Fixtures.agreed())
        #expect(late?.message.contains("2 days after") == true)
    }

    /// With `force` the start is accepted, and the event it appends warrants a warning on `startedOn`.
    @Test func forcedStartOutsideThePeriodWarns() throws {
        let forced = Command.match(.start(id: "M-0001", students: 4, startedOn: "2026-12-07", expectedVersion: nil, force: true))
        let decision = try Fixtures.decide(forced, given: Fixtures.agreed())
        let state = try TransitionTests.state(after: Fixtures.agreed() + [forced])
        let warnings = decision.events.flatMap { DomainWarning.about($0, state: state) }
        #expect(warnings.map(\.field) == ["startedOn"])
        #expect(warnings.first?.reason.hasPrefix("2026-12-07 is 56 days before the period of O-0001") == true)
        let inside = try Fixtures.decide(.match(.start(id: "M-0001", students: 4, startedOn: "2027-02-08", expectedVersion: nil)), given: Fixtures.agreed())
        #expect(inside.events.flatMap { DomainWarning.about($0, state: state) }.isEmpty)
    }

    /// A follow-up check recorded before it is due is accepted, with a warning saying by how many days.
    @Test func earlyFollowUpWarnsByHowMuch() throws {
        let delivered = TransitionTests.delivered
        let state = try TransitionTests.state(after: delivered)
        let due = try #require(state.outcomes["R-0001"]?.followUpDue)
        let decision = try Fixtures.decide(.outcome(.recordFollowUp(outcome: "R-0001", used: .yes, note: nil)), given: delivered)
        let warnings = decision.events.flatMap { DomainWarning.about($0, state: state) }
        let days = CivilDate.days(from: CivilDate.date(milliseconds: DeciderTests.now), to: due)
        #expect(days > 150)
        #expect(warnings == [DomainWarning(field: "date", "recorded \(days) days before it is due (\(due))")])
        let onTime = try Fixtures.decide(.outcome(.recordFollowUp(outcome: "R-0001", used: .yes, note: nil)), given: delivered,
                                         nowMs: DeciderTests.now + Int64(days) * 86_400_000)
        #expect(onTime.events.flatMap { DomainWarning.about($0, state: state) }.isEmpty)
    }
}
