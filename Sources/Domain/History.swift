import LMDSJSON

/// One-line summaries of events, for timelines that people read (`history.get`, `lmds history`).
public enum EventSummary {
    /// A sentence on what happened, from the event's type and data; the type itself for unknown events.
    public static func line(type: String, data: JSONValue) -> String {
        let text: (String) -> String = { key in data[key]?.stringValue ?? "?" }
        return intakeLine(type, data, text) ?? collaborationLine(type, data, text) ?? deskLine(type, data, text)
            ?? progressLine(type, data, text) ?? type
    }

    /// Questions and offers: intake and publication.
    private static func intakeLine(_ type: String, _ data: JSONValue, _ text: (String) -> String) -> String? {
        switch type {
        case "QuestionSubmitted":
            let place = data["neighbourhood"]?["wijk"]?.stringValue ?? data["neighbourhood"]?["district"]?.stringValue ?? "?"
            var who = data["requester"]?["kind"]?.stringValue ?? "?"
            if let organisation = data["requester"]?["organisation"]?.stringValue { who += " (\(organisation))" }
            let article = "aeiou".contains(who.first ?? "x") ? "an" : "a"  // "an organisation", "a group"
            return "\(text("id")) submitted by \(article) \(who) in \(place): \(text("title"))"
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
        case "QuestionPublicationChanged":
            return data["public"] == false ? "\(text("id")) taken off the public site" : "\(text("id")) marked public: the public site shows it"
        case "OfferPublished":
            return "\(text("id")) published by \(text("institution")) (\(text("programme")), \(text("level")), \(text("kind"))): \(text("title"))"
        case "OfferRevised":
            let fields = (data["changes"]?.objectValue ?? [:]).keys.sorted().joined(separator: ", ")
            return "\(text("id")) revised: \(fields)"
        case "OfferClosed":
            if let reason = data["reason"]?.stringValue { return "\(text("id")) closed: \(reason)" }
            return "\(text("id")) closed"
        case "OfferWithdrawn": return "\(text("id")) withdrawn: \(text("reason"))"
        default: return nil
        }
    }

    /// Proposals, matches, outcomes and follow-up checks.
    private static func collaborationLine(_ type: String, _ data: JSONValue, _ text: (String) -> String) -> String? {
        switch type {
        case "ProposalCreated": return "\(text("id")) proposes \(text("question")) to \(text("offer"))" + (data["note"]?.stringValue.map { ": \($0)" } ?? "")
        case "ProposalConsented": return "\(text("id")) accepted by the \(text("side")) side"
        case "ProposalAccepted": return "\(text("id")) accepted by both sides: match \(text("match")) agreed"
        case "ProposalDeclined": return "\(text("id")) declined by the \(text("side")) side: \(text("reason"))"
        case "ProposalWithdrawn": return "\(text("id")) withdrawn: \(text("reason"))"
        case "ProposalExpired": return "\(text("id")) expired without both consents"
        case "MatchAgreed": return "\(text("id")) agreed: \(text("question")) with \(text("offer"))"
        case "MatchStarted":
            return "\(text("id")) started on \(text("startedOn")) with \(data["students"]?.integerValue.map(String.init) ?? "?") students"
        case "MatchCancelled": return "\(text("id")) cancelled: \(text("reason"))"
        case "MatchDelivered": return "\(text("id")) delivered: outcome \(text("outcome"))"
        case "MatchClosed": return "\(text("id")) closed" + (data["note"]?.stringValue.map { ": \($0)" } ?? "")
        case "QuestionMatched": return "\(text("id")) matched (\(text("match")))"
        case "QuestionCompleted": return "\(text("id")) completed: none of its matches is still open"
        case "QuestionReopened": return "\(text("id")) open again: its matches were cancelled"
        case "OfferFilled": return "\(text("id")) full: its capacity is used"
        case "OfferReopened": return "\(text("id")) has a place again"
        case "OutcomeRecorded":
            let deliverables = data["deliverables"]?.arrayValue?.count ?? 0
            let followUps = data["followUps"]?.arrayValue?.count ?? 0
            func count(_ number: Int, _ noun: String) -> String { "\(number == 0 ? "no" : String(number)) \(noun)\(number == 1 ? "" : "s")" }
            return "\(text("id")) recorded for \(text("match")): \(count(deliverables, "deliverable")), \(count(followUps, "follow-up question")); follow-up check due \(text("followUpDue"))"
        case "OutcomeRevised":
            let fields = (data["changes"]?.objectValue ?? [:]).keys.sorted().joined(separator: ", ")
            return "\(text("id")) revised: \(fields)"
        case "FollowUpRecorded":
            return "follow-up of \(text("outcome")): used \(text("used"))" + (data["note"]?.stringValue.map { ": \($0)" } ?? "")
        default: return nil
        }
    }

    /// The desk: owners, merges and splits, organisations, contacts, notes.
    private static func deskLine(_ type: String, _ data: JSONValue, _ text: (String) -> String) -> String? {
        switch type {
        case "QuestionAssigned":
            if let owner = data["owner"]?.stringValue { return "\(text("id")) assigned to \(owner)" }
            return "\(text("id")) released by \(text("previous"))"
        case "QuestionMerged": return "\(text("id")) merged into \(text("into")): \(text("reason"))"
        case "QuestionSplit":
            let parts = (data["parts"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            return "\(text("id")) split into \(parts): \(text("reason"))"
        case "OrganisationRegistered":
            let place = data["neighbourhood"]?["wijk"]?.stringValue ?? data["neighbourhood"]?["district"]?.stringValue
            let kind = data["kind"]?.stringValue.flatMap(OrganisationKind.init(rawValue:))?.label ?? text("kind")
            return "\(text("id")) registered: \(text("name")) (\(kind)\(place.map { ", \($0)" } ?? ""))"
        case "OrganisationRevised":
            let fields = (data["changes"]?.objectValue ?? [:]).keys.sorted().joined(separator: ", ")
            return "\(text("id")) revised: \(fields)"
        case "RequesterOrganisationLinked": return "the organisation of \(text("question"))'s requester linked to \(text("organisation"))"
        case "ContactsMerged": return "contact \(text("id")) merged into \(text("into")): the same person"
        case "OrganisationMerged": return "\(text("id")) merged into \(text("into")): \(text("reason"))"
        case "NoteAdded": return "note \(text("id")) added by \(text("author"))"
        case "NoteErased": return "note \(text("id")) erased: \(text("reason"))"
        default: return nil
        }
    }

    /// Along the way and around it: milestones, check-ins, feedback, reminders, backups.
    private static func progressLine(_ type: String, _ data: JSONValue, _ text: (String) -> String) -> String? {
        switch type {
        case "MilestonesPlanned":
            let titles = (data["milestones"]?.arrayValue ?? []).map { "\($0["title"]?.stringValue ?? "?") (\($0["due"]?.stringValue ?? "?"))" }
            return "\(text("match")) plans \(titles.isEmpty ? "no milestones" : titles.joined(separator: ", "))"
        case "MilestoneCompleted":
            return "milestone \(data["milestone"]?.integerValue.map(String.init) ?? "?") of \(text("match")) completed on \(text("completedOn"))"
        case "MilestoneRevised":
            return "milestone \(data["milestone"]?.integerValue.map(String.init) ?? "?") of \(text("match")) now due \(text("due"))"
        case "CheckInRecorded": return "check-in on \(text("match")): \(text("health"))"
        case "FeedbackSubmitted": return "feedback on \(text("match")) from the \(text("side")) side at the \(text("moment"))"
        case "TextErased": return "text \(text("id")) erased"
        case "ReminderRaised":
            // A user (a question's owner) by name, the others by role.
            let roles = (data["recipients"]?.arrayValue ?? []).compactMap { $0["user"]?.stringValue ?? $0["role"]?.stringValue }
            return "\(text("id")) raised: \(text("rule")) for \(text("entity")), to \(roles.joined(separator: ", "))"
        case "ReminderAcknowledged": return "\(text("id")) acknowledged by \(text("by"))"
        case "ReminderResolved": return "\(text("id")) resolved by \(text("by"))"
        case "BackupTaken": return "backup to \(text("path")) up to position \(data["position"]?.integerValue.map(String.init) ?? "?")"
        default: return nil
        }
    }
}

extension DomainState {
    /// The ids whose events belong in `id`'s history: the entity itself and what is linked to it. A
    /// question or an offer: its contact, proposals, matches and outcomes (with their follow-up checks and
    /// the follow-up questions they raised). A proposal: its match and outcome. A match: its proposal and
    /// outcome. An outcome: its match.
    public func historyScope(of id: String) -> [String] {
        // A contact: its own events and those of the contacts merged into it (`person.merge`).
        if let merged = organisations.contactMergedFrom[id] { return [id] + merged }
        if let question = questions[id] {
            // A follow-up question's history starts with the outcome that raised it.
            return [id] + (question.requester.contact.map { [$0] } ?? []) + (question.followUpOf.map { [$0] } ?? [])
                + (proposalsByQuestion[id] ?? []) + (matchesByQuestion[id] ?? []) + (outcomesByQuestion[id] ?? [])
        }
        if let offer = offers[id] {
            return [id] + (offer.contact.map { [$0] } ?? []) + (proposalsByOffer[id] ?? []) + (matchesByOffer[id] ?? []) + (outcomesByOffer[id] ?? [])
        }
        if let proposal = proposals[id] {
            let match = proposal.match.flatMap { matches[$0] }
            return [id] + (match.map { [$0.id] } ?? []) + (match?.outcome.map { [$0] } ?? [])
        }
        if let match = matches[id] { return [id, match.proposal] + (match.outcome.map { [$0] } ?? []) }
        if let outcome = outcomes[id] { return [id, outcome.match] }
        return [id]
    }
}

extension DomainState {
    /// Every read model as one canonical JSON value (entities in id order, the id counters, erased
    /// contacts): equal states give byte-identical canonical JSON, so its digest compares a live daemon
    /// with an offline replay.
    public var canonicalJSON: JSONValue {
        func table<Entity>(_ entities: [String: Entity], _ json: (Entity) -> JSONValue) -> JSONValue {
            .array(entities.keys.sorted(by: EntityID.precedes).map { json(entities[$0]!) })
        }
        return [
            "questions": table(questions, \.json), "offers": table(offers, \.json), "proposals": table(proposals, \.json),
            "matches": table(matches, \.json), "outcomes": table(outcomes, \.json),
            "erasedContacts": .array(erasedContacts.sorted(by: EntityID.precedes).map { .string($0) }),
            "contacts": .integer(Int64(contactCount)),
            "desk": desk.json,
            "progress": progress.json,
            "lineage": lineage.json,
            "organisations": organisations.json,
            "counts": [
                "questions": .integer(Int64(questionCount)), "offers": .integer(Int64(offerCount)), "proposals": .integer(Int64(proposalCount)),
                "matches": .integer(Int64(matchCount)), "outcomes": .integer(Int64(outcomeCount)),
            ],
        ]
    }
}
