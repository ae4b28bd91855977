import LMDSJSON
import LMDSProtocol

/// The line a domain write prints for people: what was done and what waits now ("Q-0003 revised; still in
/// intake", "P-0001: the requester agreed; waiting for the education side"), then the version and log
/// position. `--json` prints the result instead.
///
/// What waits is read from the reply's entity: its `status`, and for the few writes whose reply does not say
/// enough (`readNeeded`) from one extra read of the entity (`proposal.get`, `match.get`).
struct Confirmation {
    /// The method called.
    let method: String
    /// The params sent.
    let params: JSONValue
    /// The write's result.
    let result: JSONValue
    /// The entity as read after the write, when `readNeeded` named a read.
    let entity: JSONValue?

    /// The read (method and params) that the sentence of `method` needs beyond `result`, or nil.
    static func readNeeded(method: String, params: JSONValue, result: JSONValue) -> (method: String, params: JSONValue)? {
        guard let id = result["id"]?.stringValue, let read = Self.reads[method] else { return nil }
        if method == "proposal.accept" && result["status"]?.stringValue != "proposed" { return nil }
        if method == "match.start" && params["startedOn"]?.stringValue != nil { return nil }
        return (read, ["id": .string(id)])
    }

    /// The writes whose reply needs a read of the entity: a new proposal's expiry, a first consent's
    /// consents, a match started on the daemon's today.
    static let reads = ["proposal.create": "proposal.get", "proposal.accept": "proposal.get", "match.start": "match.get", "question.split": "question.get"]

    /// The whole line: the sentence, then "(version 2, log position 7)".
    var line: String {
        var details: [String] = []
        if let version = result["version"]?.integerValue { details.append("version \(version)") }
        if let position = result["position"]?.integerValue { details.append("log position \(position)") }
        let parts = sentence.split(separator: ";", maxSplits: 1).map(String.init)
        let detail = details.isEmpty ? "" : " (" + details.joined(separator: ", ") + ")"
        return parts[0] + detail + (parts.count > 1 ? ";" + parts[1] : "")
    }

    var id: String { describe(result["id"]) }
    var status: String { describe(result["status"]) }
    func param(_ key: String) -> String { describe(params[key]) }

    /// What was done; what waits now.
    var sentence: String {
        if let sentence = Self.sentences[method]?(self) { return sentence }
        return "\(id) \(status)"
    }

    /// The sentence of each write, by method.
    static let sentences: [String: @Sendable (Confirmation) -> String] = [
        "question.submit": { "\($0.id) submitted; waiting for intake (lmds question accept \($0.id))\($0.organisationLink)\($0.contactLink)" },
        "question.accept": { "\($0.id) accepted after intake; open for proposals (lmds suggest \($0.id))" },
        "question.reject": { "\($0.id) rejected; closed" },
        "question.revise": { "\($0.id) revised; \($0.stillQuestion)" },
        "question.refer": { "\($0.id) referred to \($0.param("to")); closed" },
        "question.withdraw": { "\($0.id) withdrawn; closed" },
        "offer.publish": { "\($0.id) published; open for proposals" },
        "offer.revise": { "\($0.id) revised; still \($0.status == "published" ? "open for proposals" : $0.status)" },
        "offer.close": { "\($0.id) closed; it takes no more questions" },
        "offer.withdraw": { "\($0.id) withdrawn; closed" },
        "proposal.create": { "\($0.id) proposed; \($0.waitingSides)" },
        "proposal.accept": { $0.accepted },
        "proposal.decline": { "\($0.id) declined by \(side($0.param("side"))); closed (the pair may be proposed again)" },
        "proposal.withdraw": { "\($0.id) withdrawn; closed" },
        "match.start": { $0.started },
        "match.cancel": { "\($0.id) cancelled; its place in the offer is free again" },
        "match.close": { "\($0.id) closed" },
        "outcome.record": { $0.recorded },
        "outcome.revise": { "\($0.id) revised" },
        "followup.record": { "follow-up check of \($0.id) recorded: used \($0.param("used"))" },
        "person.erase": { "personal details of \($0.id) erased" },
        "question.publish": { $0.params["public"] == false ? "\($0.id) no longer public; the next lmds site leaves it out" : "\($0.id) public; the next lmds site shows it" },
        "question.assign": { confirmation in
            confirmation.params["owner"]?.stringValue.map { "\(confirmation.id) is now owned by \($0)" } ?? "\(confirmation.id) released; nobody owns it"
        },
        "note.add": { "note \($0.id) added to \($0.param("entity")); its text is kept outside the log (sha256 \(describe($0.result["sha256"])))" },
        "note.erase": { "the text of note \($0.id) erased; the log keeps its hash" },
        "milestone.plan": { "\($0.id): milestones planned; lmds milestones \($0.id) shows them" },
        "milestone.complete": { "milestone \($0.param("milestone")) of \($0.id) completed" },
        "milestone.revise": { "milestone \($0.param("milestone")) of \($0.id) now due \($0.param("due"))" },
        "checkin.record": { "check-in on \($0.id) recorded: \($0.param("health"))" },
        "feedback.submit": { "feedback of the \($0.param("side")) side on \($0.id) at the \($0.param("moment")) recorded; lmds feedback \($0.id) shows what you may see" },
        "text.erase": { "text \($0.id) erased" },
        "reminder.acknowledge": { "\($0.id) acknowledged; it is resolved when what it reminds of is done (lmds inbox --all)" },
        "question.merge": { confirmation in
            let merged = (confirmation.result["merged"]?.arrayValue ?? []).compactMap(\.stringValue)
            return "\(English.list(merged)) merged into \(confirmation.id); closed as merged (pending proposals withdrawn)"
        },
        "organisation.register": { "\($0.id) registered: \($0.param("name"))" },
        "organisation.revise": { "\($0.id) revised" },
        "organisation.adopt": { confirmation in
            let remaining = confirmation.result["remaining"]?.integerValue ?? 0
            return "free-text organisations of questions linked to records (the first: \(confirmation.id))"
                + (remaining == 0 ? "; every question's organisation is now a record" : "; \(remaining) questions remain (run it again)")
        },
        "person.merge": { "\($0.param("from")) merged into \($0.id); one person now: lmds history \($0.id) lists the questions of both" },
        "organisation.merge": { "\($0.param("from")) merged into \($0.id); it now points to \($0.id), and both histories keep it" },
        "question.split": { confirmation in
            let parts = (confirmation.entity?["parts"]?.arrayValue ?? []).compactMap(\.stringValue)
            return "\(confirmation.id) split into \(English.list(parts)); the parts keep its requester"
        },
    ]

    /// "; organisation G-0001 registered", "; linked to organisation G-0001", or nothing (no organisation).
    var organisationLink: String {
        guard let organisation = result["organisation"], let id = organisation["id"]?.stringValue else { return "" }
        return organisation["registered"] == true ? "; organisation \(id) registered (lmds show \(id))" : "; linked to organisation \(id)"
    }

    /// "; the requester is contact C-0001, who asked before", or nothing (a new contact, or none).
    var contactLink: String {
        guard result["contact"]?["existing"] == true, let id = result["contact"]?["id"]?.stringValue else { return "" }
        return "; the requester is contact \(id), who asked before (lmds history \(id))"
    }

    /// "the requester", "the education side".
    static func side(_ name: String) -> String { name == "requester" ? "the requester" : "the \(name) side" }

    /// "still in intake", "still open", "still matched".
    var stillQuestion: String {
        status == "submitted" ? "still in intake" : "still \(status)"
    }

    /// "waiting for both sides (lmds accept P-0001 --side requester|education)".
    var waitingSides: String {
        let consents = entity?["consents"]
        let waiting = ["requester", "education"].filter { consents?[$0]?.boolValue != true }
        let who = waiting.count == 2 ? "both sides" : English.list(waiting.map(Self.side))
        return "waiting for \(who) (lmds accept \(id) --side \(waiting.joined(separator: "|")))"
    }

    /// After a consent: who agreed and who is still waited for, or the match both agreed to.
    var accepted: String {
        if status == "accepted", let match = result["match"]?.stringValue {
            return "\(id) accepted by both sides: match \(match) agreed; it starts with lmds start \(match) --students N"
        }
        return "\(id): \(Self.side(param("side"))) agreed; \(waitingSides)"
    }

    /// "M-0001 started on 2027-02-08 with 4 students; waiting for its outcome (lmds outcome record M-0001)".
    var started: String {
        let day = params["startedOn"]?.stringValue ?? entity?["startedOn"]?.stringValue ?? "today"
        let students = params["students"]?.integerValue.map { English.count(Int($0), "student") } ?? "its team"
        return "\(id) started on \(day) with \(students); waiting for its outcome (lmds outcome record \(id))"
    }

    /// "R-0001 recorded for M-0001; follow-up check due 2027-06-01; new questions in intake: Q-0004".
    var recorded: String {
        var text = "\(id) recorded for \(describe(result["match"])); follow-up check due \(describe(result["followUpDue"]))"
        let followUps = (result["followUps"]?.arrayValue ?? []).compactMap(\.stringValue)
        if !followUps.isEmpty { text += "; new " + (followUps.count == 1 ? "question" : "questions") + " in intake: " + followUps.joined(separator: ", ") }
        return text
    }
}
