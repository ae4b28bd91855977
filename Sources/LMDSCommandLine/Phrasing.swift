import ArgumentParser
import LMDSJSON
import LMDSProtocol

/// Small English for lines people read: counts with the right plural, nouns with the right article, lists
/// with "and".
enum English {
    /// The plural of a noun of ours: "events", "matches", "wijken" is given by the caller.
    static func plural(_ noun: String) -> String {
        noun.hasSuffix("ch") || noun.hasSuffix("s") || noun.hasSuffix("x") ? noun + "es" : noun + "s"
    }

    /// "1 event", "2 events", "0 matches"; `plural` for nouns that do not take "s" or "es".
    static func count(_ number: Int, _ noun: String, plural: String? = nil) -> String {
        "\(number) \(number == 1 ? noun : plural ?? Self.plural(noun))"
    }

    /// "a group", "an organisation": the indefinite article by the noun's first letter (enough for our nouns).
    static func withArticle(_ noun: String) -> String {
        guard let first = noun.lowercased().first else { return noun }
        return ("aeiou".contains(first) ? "an " : "a ") + noun
    }

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String], conjunction: String = "and") -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " \(conjunction) " + items[items.count - 1]
    }
}

/// The CLI command that calls each method, so that messages name what a person types (`lmds taxonomy`), not
/// the method (`taxonomy.get`). `CommandNamesTests` checks that every method of the catalogue has one.
enum CommandNames {
    /// The id params a command takes as arguments, in their order (`lmds propose QUESTION OFFER`): where two
    /// ids given the wrong way round can be put back.
    static let positionalIDs: [String: [String]] = ["proposal.create": ["question", "offer"]]

    /// The method of a verb an entity allows where it is not the entity's own kind's method: recording the
    /// outcome of a match, the follow-up check of an outcome.
    static let methodOfVerb: [String: String] = ["match.record": "outcome.record", "outcome.record": "followup.record"]

    /// Method name to CLI command; a method whose entities `lmds show` prints maps to `lmds show`.
    static let byMethod: [String: String] = [
        "system.ping": "lmds ping", "system.status": "lmds status", "system.methods": "lmds call system.methods",
        "events.read": "lmds events", "events.subscribe": "lmds events --follow", "events.unsubscribe": "lmds events --follow",
        "audit.verify": "lmds audit verify", "taxonomy.get": "lmds taxonomy", "admin.backup": "lmds backup",
        "question.submit": "lmds question submit", "question.accept": "lmds question accept", "question.reject": "lmds question reject",
        "question.revise": "lmds question revise", "question.refer": "lmds question refer", "question.withdraw": "lmds question withdraw",
        "question.get": "lmds question get", "question.list": "lmds questions",
        "offer.publish": "lmds offer publish", "offer.revise": "lmds offer revise", "offer.close": "lmds offer close",
        "offer.withdraw": "lmds offer withdraw", "offer.get": "lmds offer get", "offer.list": "lmds offers",
        "proposal.create": "lmds propose", "proposal.accept": "lmds accept", "proposal.decline": "lmds decline",
        "proposal.withdraw": "lmds proposal withdraw", "proposal.get": "lmds show", "proposal.list": "lmds proposals",
        "match.start": "lmds start", "match.cancel": "lmds match cancel", "match.close": "lmds match close",
        "match.suggest": "lmds suggest", "match.plan": "lmds plan", "match.get": "lmds show", "match.list": "lmds matches",
        "outcome.record": "lmds outcome record", "outcome.revise": "lmds outcome revise", "outcome.get": "lmds show",
        "outcome.list": "lmds outcomes", "followup.list": "lmds followups", "followup.record": "lmds followup record",
        "report.get": "lmds report", "import.questions": "lmds import questions", "import.offers": "lmds import offers",
        "history.get": "lmds history", "person.get": "lmds show", "person.erase": "lmds erase",
        "question.publish": "lmds question publish", "site.content": "lmds site",
        "question.assign": "lmds assign", "desk.get": "lmds desk", "note.add": "lmds note", "note.list": "lmds notes",
        "note.erase": "lmds erase",
        "milestone.plan": "lmds milestone plan", "milestone.complete": "lmds milestone done", "milestone.revise": "lmds milestone revise",
        "checkin.record": "lmds checkin", "feedback.submit": "lmds feedback submit", "feedback.get": "lmds feedback", "text.erase": "lmds erase",
        "reminder.list": "lmds inbox", "reminder.acknowledge": "lmds inbox ack", "notification.record": "lmds call notification.record",
        "question.merge": "lmds question merge", "question.split": "lmds question split",
        "organisation.register": "lmds organisation register", "organisation.revise": "lmds organisation revise",
        "organisation.merge": "lmds organisation merge", "organisation.adopt": "lmds organisation adopt",
        "person.merge": "lmds person merge", "organisation.get": "lmds show", "organisation.list": "lmds organisations",
    ]

    /// `text` with every method name in it (`taxonomy.get`) replaced by its CLI command (`lmds taxonomy`).
    static func replacingMethods(in text: String) -> String {
        text.replacing(/[a-z]+\.[a-zA-Z]+/) { match in byMethod[String(match.output)] ?? String(match.output) }
    }

    /// The entity kind an id names by its prefix ("question" for Q-0001), or nil.
    static func kind(ofID id: String) -> String? {
        let kinds = ["Q-": "question", "O-": "offer", "P-": "proposal", "M-": "match", "R-": "outcome", "C-": "contact", "N-": "note", "T-": "text",
                     "A-": "reminder", "G-": "organisation"]
        return kinds[String(id.prefix(2)).uppercased()]
    }
}

/// A command's JSON params by the names its command line gives them: JSON path (`window.from`) to flag
/// (`--from`) or argument (`ID`). Each command keeps its table beside the params it builds.
typealias FlagTable = [String: String]

enum FieldFlags {
    /// The params of `WriteOptions`, which every domain write takes.
    static let write: FlagTable = ["requestId": "--request-id", "expectedVersion": "--expected-version"]

    /// The flag for `path` in `table`: the path itself, then with list indexes as `[]`
    /// (`deliverables[].kind`), then the longest enclosing path with the rest in parentheses
    /// (`deliverables[2].uri` as `--deliverable #3 (uri)`); nil when nothing encloses it.
    static func flag(for path: String, in table: FlagTable) -> String? {
        let table = table.merging(write) { own, _ in own }
        if let flag = table[path] { return flag }
        var components = path.split(separator: ".").map(String.init)
        var rest: [String] = []
        while !components.isEmpty {
            let joined = components.joined(separator: ".")
            let (plain, index) = withoutIndexes(joined)
            for key in [plain, plain.hasSuffix("[]") ? String(plain.dropLast(2)) : nil].compactMap({ $0 }) {
                guard let flag = table[key] else { continue }
                let ordinal = index.map { " #\($0 + 1)" } ?? ""
                return flag + ordinal + (rest.isEmpty ? "" : " (\(rest.joined(separator: ".")))")
            }
            rest.insert(components.removeLast(), at: 0)
        }
        return nil
    }

    /// `text` with each param the daemon names in backticks (`` `force` ``) as the command's flag (`--force`).
    static func replacingParams(in text: String, _ table: FlagTable) -> String {
        let table = table.merging(write) { own, _ in own }
        return text.replacing(/`([A-Za-z.\[\]]+)`/) { match in table[String(match.output.1)] ?? String(match.output.0) }
    }

    /// `path` with each `[N]` as `[]`, and the last index seen.
    static func withoutIndexes(_ path: String) -> (String, Int?) {
        var plain = ""
        var index: Int?
        var digits: String?
        for character in path {
            if character == "[" { digits = ""; plain.append("["); continue }
            if character == "]", let seen = digits { index = Int(seen); digits = nil; plain.append("]"); continue }
            if digits != nil { digits!.append(character) } else { plain.append(character) }
        }
        return (plain, index)
    }
}

/// Refuses a command line that lacks required flags, naming all of them at once (`validate()` calls it).
/// - Throws: `ValidationError` ("missing --side <requester|education> and --reason <text>").
func requireFlags(_ flags: [(name: String, given: Bool)]) throws {
    let missing = flags.filter { !$0.given }.map(\.name)
    guard missing.isEmpty else { throw ValidationError("missing \(English.list(missing))") }
}

/// How a daemon's error reads on the command line: the flag instead of the JSON path, the CLI command
/// instead of the method, the command that takes an id of another kind, did-you-mean, the known values and
/// the commands the entity's state allows.
struct ErrorText {
    /// The method that was called.
    let method: String
    /// The params it was called with (to name the id an error is about).
    let params: JSONValue?
    /// The calling command's flag table.
    let flags: FlagTable

    /// The lines to print on stderr: "lmds: ", the headline and the code, then the hints.
    func lines(_ error: RPCError) -> [String] {
        let data = error.data
        var lines = ["lmds: \(headline(error)) (code \(error.code))"]
        if let suggestion = data?["suggestion"]?.stringValue, !headline(error).contains("did you mean") {
            lines.append("  did you mean \"\(suggestion)\"?")
        }
        if let known = data?["known"]?.arrayValue?.compactMap(\.stringValue), !known.isEmpty {
            lines.append("  known: " + known.joined(separator: ", "))
        }
        if let allowed = data?["allowed"]?.arrayValue?.compactMap(\.stringValue) {
            lines.append(allowedLine(allowed))
        }
        return lines
    }

    /// The first line: a wrong kind of id, a field's problem by its flag, or the message.
    func headline(_ error: RPCError) -> String {
        let data = error.data
        if let kind = data?["kind"]?.stringValue, let expected = data?["expected"]?.stringValue {
            return wrongKind(kind: kind, expected: expected, prefix: data?["expectedPrefix"]?.stringValue, field: data?["field"]?.stringValue)
        }
        guard let field = data?["field"]?.stringValue, let reason = data?["reason"]?.stringValue else {
            return CommandNames.replacingMethods(in: error.message)
        }
        let flag = FieldFlags.flag(for: field, in: flags) ?? field
        let text = FieldFlags.replacingParams(in: CommandNames.replacingMethods(in: reason), flags)
        guard text.hasPrefix("required") else { return "\(flag): \(text)" }
        // "required: requester or education" keeps its hint; "required: {kind, ...}" is a JSON shape, not for people.
        let hint = text.dropFirst("required".count).drop { $0 == ":" || $0 == " " }
        return "missing \(flag)" + (hint.isEmpty || hint.hasPrefix("{") ? "" : " (\(hint))")
    }

    /// "Q-0001 is a question; proposals are P-…; try `lmds question accept Q-0001`".
    func wrongKind(kind: String, expected: String, prefix: String?, field: String?) -> String {
        let field = field ?? "id"
        let id = params?[field]?.stringValue ?? "the id"
        let verb = method.split(separator: ".").last.map(String.init) ?? ""
        // The command of the same verb for the id's kind (`lmds question accept`), else `lmds show`.
        let command = CommandNames.byMethod["\(kind).\(verb)"] ?? "lmds show"
        var text = "\(id) is \(English.withArticle(kind)); \(English.plural(expected)) are \(prefix ?? "")…"
        if field != "id", let flag = FieldFlags.flag(for: field, in: flags) { text += " (\(flag) takes \(English.withArticle(expected)))" }
        // Two ids the wrong way round (`lmds propose O-0003 Q-0009`): the param named after the id's kind holds
        // an id of the kind this one wants. Each id goes back to the param named after its kind, in the order
        // the command takes them as arguments, whichever of the two the daemon checked first.
        if field != "id", let order = CommandNames.positionalIDs[method], let other = params?[kind]?.stringValue,
            CommandNames.kind(ofID: other) == expected, let swapped = CommandNames.byMethod[method]
        {
            let corrected = order.map { param in param == field ? other : param == kind ? id : params?[param]?.stringValue ?? "?" }
            return text + "; the two ids are the other way round: try `\(swapped) \(corrected.joined(separator: " "))`"
        }
        return text + "; try `\(command) \(id)`"
    }

    /// "  allowed now: `lmds question withdraw Q-0009`, `lmds question revise Q-0009`".
    ///
    /// The refused entity is the one the request names (`id`, or `match` for `outcome.record`, `outcome` for
    /// `followup.record`), and the verbs are its own: a match allows `record` (`lmds outcome record M-0001`),
    /// an outcome `record` (`lmds followup record R-0001`).
    func allowedLine(_ verbs: [String]) -> String {
        guard !verbs.isEmpty else { return "  nothing can be done with it now" }
        let id = ["id", "match", "outcome"].lazy.compactMap { self.params?[$0]?.stringValue }.first ?? ""
        let kind = CommandNames.kind(ofID: id) ?? method.split(separator: ".").first.map(String.init) ?? ""
        let commands = verbs.map { verb in
            let verbMethod = CommandNames.methodOfVerb["\(kind).\(verb)"] ?? "\(kind).\(verb)"
            return CommandNames.byMethod[verbMethod].map { "`\($0) \(id)`" } ?? verb
        }
        return "  allowed now: " + commands.joined(separator: ", ")
    }
}
