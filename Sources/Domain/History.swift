import LMDSJSON

/// One-line summaries of events, for timelines that people read (`history.get`, `lmds history`).
public enum EventSummary {
    /// A sentence on what happened, from the event's type and data; the type itself for unknown events.
    public static func line(type: String, data: JSONValue) -> String {
        func text(_ key: String) -> String { data[key]?.stringValue ?? "?" }
        switch type {
        case "QuestionSubmitted":
            let place = data["neighbourhood"]?["wijk"]?.stringValue ?? data["neighbourhood"]?["district"]?.stringValue ?? "?"
            var who = data["requester"]?["kind"]?.stringValue ?? "?"
            if let organisation = data["requester"]?["organisation"]?.stringValue { who += " (\(organisation))" }
            return "\(text("id")) submitted by a \(who) in \(place): \(text("title"))"
        case "QuestionAccepted":
            if let title = data["title"]?.stringValue { return "\(text("id")) accepted after intake, re-articulated as: \(title)" }
            return "\(text("id")) accepted after intake"
        case "QuestionRejected": return "\(text("id")) rejected: \(text("reason"))"
        case "QuestionRevised":
            let fields = (data["changes"]?.objectValue ?? [:]).keys.sorted().joined(separator: ", ")
            return "\(text("id")) revised: \(fields)"
        case "QuestionReferred": return "\(text("id")) referred to \(text("to")): \(text("reason"))"
        case "QuestionWithdrawn": return "\(text("id")) withdrawn: \(text("reason"))"
        case "PersonalDataErased": return "personal data of \(text("contact")) erased"
        case "OfferPublished":
            return "\(text("id")) published by \(text("institution")) (\(text("programme")), \(text("level")), \(text("kind"))): \(text("title"))"
        case "OfferRevised":
            let fields = (data["changes"]?.objectValue ?? [:]).keys.sorted().joined(separator: ", ")
            return "\(text("id")) revised: \(fields)"
        case "OfferClosed":
            if let reason = data["reason"]?.stringValue { return "\(text("id")) closed: \(reason)" }
            return "\(text("id")) closed"
        case "OfferWithdrawn": return "\(text("id")) withdrawn: \(text("reason"))"
        case "BackupTaken": return "backup to \(text("path")) up to position \(data["position"]?.integerValue.map(String.init) ?? "?")"
        default: return type
        }
    }
}

extension DomainState {
    /// The ids whose events belong in `id`'s history: the entity itself and what is linked to it (a
    /// question's or an offer's contact). Proposals, matches and outcomes will join here as they are built.
    public func historyScope(of id: String) -> [String] {
        if let question = questions[id] { return [id] + (question.requester.contact.map { [$0] } ?? []) }
        if let offer = offers[id] { return [id] + (offer.contact.map { [$0] } ?? []) }
        return [id]
    }
}
