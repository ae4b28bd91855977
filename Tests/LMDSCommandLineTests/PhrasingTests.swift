import LMDSJSON
import LMDSProtocol
import Testing

@testable import LMDSCommandLine

/// The pure helpers that phrase the daemon's answers for people: flags, commands, counts, errors.
@Suite struct PhrasingTests {
    /// A JSON path is named by the command's flag, through list indexes and enclosing objects.
    @Test func flagTablesNameTheFlagOfAJSONPath() {
        let table: FlagTable = ["window.from": "--from", "requester": "--requester-kind", "deliverables": "--deliverable", "ratings.requester": "--rating-requester"]
        #expect(FieldFlags.flag(for: "window.from", in: table) == "--from")
        #expect(FieldFlags.flag(for: "requester", in: table) == "--requester-kind")
        #expect(FieldFlags.flag(for: "deliverables[2].embargoUntil", in: table) == "--deliverable #3 (embargoUntil)")
        #expect(FieldFlags.flag(for: "deliverables[0]", in: table) == "--deliverable #1")
        #expect(FieldFlags.flag(for: "ratings.requester", in: table) == "--rating-requester")
        #expect(FieldFlags.flag(for: "expectedVersion", in: table) == "--expected-version")
        #expect(FieldFlags.flag(for: "nothing.here", in: table) == nil)
    }

    /// Every method of the catalogue has the CLI command that calls it, and messages name the command.
    @Test func everyMethodHasItsCommand() {
        for method in MethodCatalogue.all {
            #expect(CommandNames.byMethod[method.name] != nil, "\(method.name) has no CLI command")
        }
        #expect(CommandNames.replacingMethods(in: "see taxonomy.get for the themes") == "see lmds taxonomy for the themes")
        #expect(CommandNames.replacingMethods(in: "window.from is after window.to") == "window.from is after window.to")
    }

    /// Counts take the right plural and nouns the right article.
    @Test func pluralsAndArticles() {
        #expect(English.count(1, "event") == "1 event")
        #expect(English.count(0, "event") == "0 events")
        #expect(English.count(2, "match") == "2 matches")
        #expect(English.withArticle("organisation") == "an organisation")
        #expect(English.withArticle("group") == "a group")
        #expect(English.list(["--side", "--reason"]) == "--side and --reason")
        #expect(English.list(["a", "b", "c"]) == "a, b and c")
    }

    /// A field's error names the flag; a missing object does not print its JSON shape.
    @Test func fieldErrorsNameTheFlag() {
        let text = ErrorText(method: "question.submit", params: nil, flags: LMDSCommand.Question.Submit.flags)
        #expect(text.headline(.invalidParams(field: "requester", "required: {kind, organisation, name, email, phone}")) == "missing --requester-kind")
        #expect(text.headline(.validation(field: "window.from", "not a date: 2027-02-30")) == "--from: not a date: 2027-02-30")
        let side = ErrorText(method: "proposal.accept", params: nil, flags: LMDSCommand.Accept.flags)
        #expect(side.headline(.invalidParams(field: "side", "required: requester or education")) == "missing --side (requester or education)")
        #expect(side.headline(.methodNotFound("taxonomy.get")) == "Method not found: lmds taxonomy")
    }

    /// A wrong kind of id says what the id is and which command takes it.
    @Test func wrongKindOfIDNamesTheCommandThatTakesIt() {
        let error = RPCError(code: RPCErrorCode.validation, message: "Q-0001 is a question, not a proposal (proposals are P-…)", data: [
            "field": "id", "reason": "Q-0001 is a question, not a proposal (proposals are P-…)", "kind": "question", "expected": "proposal",
            "expectedPrefix": "P-",
        ])
        let accept = ErrorText(method: "proposal.accept", params: ["id": "Q-0001", "side": "requester"], flags: LMDSCommand.Accept.flags)
        #expect(accept.headline(error) == "Q-0001 is a question; proposals are P-…; try `lmds question accept Q-0001`")
        let start = RPCError(code: RPCErrorCode.validation, message: "", data: ["field": "id", "reason": "", "kind": "proposal", "expected": "match", "expectedPrefix": "M-"])
        #expect(ErrorText(method: "match.start", params: ["id": "P-0005"], flags: [:]).headline(start)
            == "P-0005 is a proposal; matches are M-…; try `lmds show P-0005`")
        let propose = RPCError(code: RPCErrorCode.validation, message: "", data: ["field": "question", "reason": "", "kind": "offer", "expected": "question", "expectedPrefix": "Q-"])
        #expect(ErrorText(method: "proposal.create", params: ["question": "O-0003", "offer": "Q-0009"], flags: LMDSCommand.Propose.flags).headline(propose)
            == "O-0003 is an offer; questions are Q-… (QUESTION takes a question); the two ids are the other way round: try `lmds propose Q-0009 O-0003`")
        // The daemon may check the offer first: the hint is the same.
        let offerFirst = RPCError(code: RPCErrorCode.validation, message: "", data: ["field": "offer", "reason": "", "kind": "question", "expected": "offer", "expectedPrefix": "O-"])
        #expect(ErrorText(method: "proposal.create", params: ["question": "O-0003", "offer": "Q-0009"], flags: LMDSCommand.Propose.flags).headline(offerFirst)
            == "Q-0009 is a question; offers are O-… (OFFER takes an offer); the two ids are the other way round: try `lmds propose Q-0009 O-0003`")
        #expect(ErrorText(method: "proposal.create", params: ["question": "O-0003", "offer": "O-0004"], flags: LMDSCommand.Propose.flags).headline(propose)
            == "O-0003 is an offer; questions are Q-… (QUESTION takes a question); try `lmds show O-0003`")
    }

    /// Did-you-mean, the known values and the commands the state allows follow the first line.
    @Test func suggestionKnownValuesAndAllowedCommands() {
        let unknown = RPCError(code: RPCErrorCode.validation, message: "", data: [
            "field": "theme", "reason": "\"jeugd\" is not a theme", "value": "jeugd", "known": ["youth (Jeugd en jongeren)", "health (Gezondheid)"],
            "suggestion": "Jeugd en jongeren",
        ])
        #expect(ErrorText(method: "question.list", params: nil, flags: LMDSCommand.Questions.flags).lines(unknown) == [
            "lmds: --theme: \"jeugd\" is not a theme (code -32004)", "  did you mean \"Jeugd en jongeren\"?", "  known: youth (Jeugd en jongeren), health (Gezondheid)",
        ])
        let refused = RPCError(code: RPCErrorCode.conflict, message: "Conflict: Q-0009 is open: it cannot be rejected; withdraw it instead",
                               data: ["reason": "Q-0009 is open: it cannot be rejected; withdraw it instead", "state": "open", "allowed": ["withdraw", "revise"]])
        #expect(ErrorText(method: "question.reject", params: ["id": "Q-0009"], flags: [:]).lines(refused) == [
            "lmds: Conflict: Q-0009 is open: it cannot be rejected; withdraw it instead (code -32002)",
            "  allowed now: `lmds question withdraw Q-0009`, `lmds question revise Q-0009`",
        ])
        // The refused entity is the match the outcome is for, and its verbs are its own.
        let notStarted = RPCError(code: RPCErrorCode.conflict, message: "Conflict: M-0001 is agreed: it cannot be recorded; it can be started or cancelled",
                                  data: ["state": "agreed", "allowed": ["start", "cancel"]])
        #expect(ErrorText(method: "outcome.record", params: ["match": "M-0001"], flags: [:]).lines(notStarted).last
            == "  allowed now: `lmds start M-0001`, `lmds match cancel M-0001`")
        let started = RPCError(code: RPCErrorCode.conflict, message: "Conflict: M-0001 is started: it cannot be started; it can be cancelled or recorded",
                               data: ["state": "started", "allowed": ["cancel", "record"]])
        #expect(ErrorText(method: "match.start", params: ["id": "M-0001"], flags: [:]).lines(started).last
            == "  allowed now: `lmds match cancel M-0001`, `lmds outcome record M-0001`")
    }

    /// Each write's line says what was done and what waits now.
    @Test func confirmationsSayWhatWaits() {
        func line(_ method: String, _ params: JSONValue, _ result: JSONValue, _ entity: JSONValue? = nil) -> String {
            Confirmation(method: method, params: params, result: result, entity: entity).line
        }
        #expect(line("question.revise", ["id": "Q-0003"], ["id": "Q-0003", "status": "submitted", "version": 2, "position": 4])
            == "Q-0003 revised (version 2, log position 4); still in intake")
        let consents: JSONValue = ["consents": ["requester": true, "education": false]]
        #expect(line("proposal.accept", ["id": "P-0001", "side": "requester"], ["id": "P-0001", "status": "proposed", "version": 2, "position": 6], consents)
            == "P-0001: the requester agreed (version 2, log position 6); waiting for the education side (lmds accept P-0001 --side education)")
        #expect(line("proposal.accept", ["id": "P-0001", "side": "education"], ["id": "P-0001", "status": "accepted", "version": 4, "position": 9, "match": "M-0001"])
            .hasPrefix("P-0001 accepted by both sides: match M-0001 agreed (version 4, log position 9)"))
        #expect(Confirmation.readNeeded(method: "proposal.accept", params: [:], result: ["id": "P-0001", "status": "accepted"]) == nil)
        #expect(Confirmation.readNeeded(method: "proposal.accept", params: [:], result: ["id": "P-0001", "status": "proposed"])?.method == "proposal.get")
    }

    /// A missing required flag is named with the others in one message.
    @Test func missingFlagsAreNamedTogether() {
        #expect(throws: (any Error).self) { try requireFlags([("--side", false), ("--reason", false)]) }
        let error = #expect(throws: (any Error).self) {
            try requireFlags([("--side <requester|education>", false), ("--reason <text>", false), ("--note", true)])
        }
        #expect(error.map { "\($0)" } == "missing --side <requester|education> and --reason <text>")
        #expect(throws: Never.self) { try requireFlags([("--side <requester|education>", true)]) }
    }
}

/// Times and labels for people.
@Suite struct PeopleViewTests {
    /// UTC times show in Amsterdam's time, to the minute, on both sides of the DST changes.
    @Test func timesInTheProgrammesTimeZoneAcrossDST() {
        let zone = "Europe/Amsterdam"
        #expect(PeopleTime.format("2026-12-07T12:01:33.123Z", timeZone: zone) == "2026-12-07 13:01")
        #expect(PeopleTime.format("2026-03-29T00:59:59Z", timeZone: zone) == "2026-03-29 01:59")
        #expect(PeopleTime.format("2026-03-29T01:00:00Z", timeZone: zone) == "2026-03-29 03:00")
        #expect(PeopleTime.format("2026-10-25T00:59:00Z", timeZone: zone) == "2026-10-25 02:59")
        #expect(PeopleTime.format("2026-10-25T01:00:00Z", timeZone: zone) == "2026-10-25 02:00")
        #expect(PeopleTime.format("2028-02-29T23:30:00Z", timeZone: zone) == "2028-03-01 00:30")
        #expect(PeopleTime.format("2026-12-07T12:01:33Z", timeZone: "America/New_York") == "2026-12-07 07:01")
    }

    /// Dates and other text stay as they are; an unknown zone gives UTC, saying so.
    @Test func datesAndUnknownZones() {
        #expect(PeopleTime.format("2026-12-07", timeZone: "Europe/Amsterdam") == "2026-12-07")
        #expect(PeopleTime.format("2026-12-07T12:01:33Z", timeZone: "Mars/Olympus") == "2026-12-07 12:01 UTC")
        #expect(PeopleTime.format("2026-12-07T12:01:33Z", timeZone: "../../etc/passwd") == "2026-12-07 12:01 UTC")
    }

    /// Ids read as the taxonomy's labels, in values and in the daemon's summaries, whole words only.
    @Test func labelsForIDs() {
        let taxonomy: JSONValue = [
            "neighbourhoods": [["id": "stevenshof", "label": "Stevenshof", "wijken": [["id": "kloosterhof", "label": "Kloosterhof"]]]],
            "institutions": [["id": "universiteit-leiden", "label": "Universiteit Leiden"]],
            "themes": [["id": "loneliness", "label": "Eenzaamheid"], ["id": "youth", "label": "Jeugd en jongeren"]],
        ]
        let view = PeopleView(taxonomy: taxonomy, timeZone: nil)
        #expect(view.timeZone == "Europe/Amsterdam")
        #expect(view.label("neighbourhood", "kloosterhof") == "Kloosterhof")
        #expect(view.label("institution", "universiteit-leiden") == "Universiteit Leiden")
        #expect(view.labels("theme", ["loneliness", "youth", "unknown"]) == "Eenzaamheid, Jeugd en jongeren, unknown")
        #expect(view.label("theme", nil) == "-")
        let data: JSONValue = ["neighbourhood": ["district": "stevenshof", "wijk": "kloosterhof"], "institution": "universiteit-leiden"]
        #expect(view.relabel("Q-0001 submitted by a group in kloosterhof: kloosterhofjes", data: data)
            == "Q-0001 submitted by a group in Kloosterhof: kloosterhofjes")
        #expect(view.relabel("O-0001 published by universiteit-leiden (x)", data: data) == "O-0001 published by Universiteit Leiden (x)")
    }
}
