import LMDSJSON

/// The question aggregate's decider: intake (accept, reject), revision, referral and withdrawal. A
/// referral or withdrawal winds down the question's proposals and matches in the same append.
enum QuestionDecider {
    static func decide(_ command: QuestionCommand, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        switch command {
        case .submit(let submit): return try self.submit(submit, state: state, context)
        case .accept(let id, let title, let description, let expectedVersion):
            let question = try existing(id, state: state, expectedVersion: expectedVersion)
            try QuestionVerb.accept.check(id, in: question.status)
            if let title { try Decider.checkText("title", title, bytesMax: QuestionLimits.titleBytesMax) }
            if let description { try Decider.checkText("description", description, bytesMax: QuestionLimits.descriptionBytesMax) }
            return decision([.questionAccepted(id: id, title: title, description: description)], entityID: id)
        case .reject(let id, let reason, let expectedVersion):
            let question = try existing(id, state: state, expectedVersion: expectedVersion)
            try QuestionVerb.reject.check(id, in: question.status)
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            return decision([.questionRejected(id: id, reason: reason)], entityID: id)
        case .revise(let revise): return try self.revise(revise, state: state, context)
        case .refer(let id, let to, let reason, let expectedVersion):
            let question = try existing(id, state: state, expectedVersion: expectedVersion)
            try QuestionVerb.refer.check(id, in: question.status)
            try Decider.checkText("to", to, bytesMax: QuestionLimits.titleBytesMax)
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            // Proposals still waiting for consent cannot go on once the question goes elsewhere.
            return decision(CollaborationDecider.windDown(
                question: id, reason: "\(id) referred to \(to)", cancelMatches: false, after: .questionReferred(id: id, to: to, reason: reason),
                state: state), entityID: id)
        case .withdraw(let id, let reason, let expectedVersion):
            let question = try existing(id, state: state, expectedVersion: expectedVersion)
            try QuestionVerb.withdraw.check(id, in: question.status)
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            return decision(CollaborationDecider.windDown(
                question: id, reason: "\(id) withdrawn: \(reason)", cancelMatches: true, after: .questionWithdrawn(id: id, reason: reason),
                state: state), entityID: id)
        }
    }

    static func decision(_ events: [DomainEvent], entityID: String) -> Decision {
        Decision(events: events, personalData: [:], entityID: entityID)
    }

    /// A new question in intake; its contact details go to the personal table under a new contact id.
    static func submit(_ given: SubmitQuestion, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        let id = state.nextQuestionID
        let (submit, place) = try validate(given, taxonomy: context.taxonomy)
        let known = try knownContact(submit.knownContact, state: state)
        let contact = submit.contact.isEmpty ? nil : known ?? state.nextContactID
        let organisation = try OrganisationDecider.requesterOrganisation(submit.organisation, state: state)
        let question = Question(
            id: id, status: .submitted, title: submit.title, description: submit.description,
            requester: Requester(kind: submit.requesterKind, organisation: organisation?.name, contact: contact, notify: submit.notify,
                                 organisationID: organisation?.id, organisationRegistered: organisation?.registered ?? false),
            neighbourhood: place, themes: submit.themes, disciplines: submit.disciplines, levels: submit.levels,
            window: submit.window, size: submit.size ?? "medium", submittedMs: context.nowMs, closingReason: nil, referredTo: nil,
            version: 1)
        var personal: [String: PersonalRecord?] = [:]
        // A known contact keeps the details it has (the lookup found it by them): none of the new ones is stored,
        // so that erasing it deletes every lookup key it ever had.
        if let contact, known == nil {
            personal[contact] = .contact(submit.contact)
            for key in ContactLookup.keys(for: submit.contact) { personal[key] = .text(contact) }
        }
        return Decision(events: [.questionSubmitted(question)], personalData: personal, entityID: id)
    }

    /// The contact the adapter found for the requester: one handed out and not erased (an erased one, found in
    /// a race with its erasure, gives a new contact instead).
    static func knownContact(_ contact: String?, state: DomainState) throws(DomainError) -> String? {
        guard let contact else { return nil }
        guard state.knowsContact(contact) else { throw DomainError(.validation, "requester: no contact \(contact)", field: "requester") }
        let person = state.organisations.contactMergedInto[contact] ?? contact
        return state.erasedContacts.contains(person) ? nil : person
    }

    /// The fields given, each checked; at least one.
    static func revise(_ revise: ReviseQuestion, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        let question = try existing(revise.id, state: state, expectedVersion: revise.expectedVersion)
        try QuestionVerb.revise.check(revise.id, in: question.status)
        let taxonomy = context.taxonomy
        var changes: [String: JSONValue] = [:]
        try Decider.revisedText("title", revise.title, bytesMax: QuestionLimits.titleBytesMax, into: &changes)
        try Decider.revisedText("description", revise.description, bytesMax: QuestionLimits.descriptionBytesMax, into: &changes)
        if let neighbourhood = revise.neighbourhood {
            let place = try taxonomy.requirePlace(neighbourhood, field: "neighbourhood")
            changes["neighbourhood"] = ["district": .string(place.district), "wijk": place.wijk.map { .string($0) } ?? .null]
        }
        if let themes = revise.themes { changes["themes"] = try ids("themes", themes, taxonomy.themeVocabulary) }
        if let disciplines = revise.disciplines { changes["disciplines"] = try ids("disciplines", disciplines, taxonomy.disciplineVocabulary) }
        if let levels = revise.levels { changes["levels"] = try ids("levels", levels, taxonomy.levelVocabulary) }
        if let window = revise.window {
            try Decider.checkWindow(window)
            changes["window"] = ["from": .string(window.from), "to": .string(window.to)]
        }
        if let size = revise.size {
            guard QuestionLimits.sizes.contains(size) else { throw .validation("size", "must be small, medium or large") }
            changes["size"] = .string(size)
        }
        guard !changes.isEmpty else { throw .validation("params", "nothing to revise: give at least one field") }
        return decision([.questionRevised(id: revise.id, changes: .object(changes))], entityID: revise.id)
    }

    /// The ids `values` name, as a JSON list.
    static func ids(_ field: String, _ values: [String], _ vocabulary: Vocabulary) throws(DomainError) -> JSONValue {
        .array(try Decider.checkList(field, values, vocabulary).map { .string($0) })
    }

    static func existing(_ id: String, state: DomainState, expectedVersion: Int?) throws(DomainError) -> Question {
        guard let question = state.questions[id] else { throw .notFound(id) }
        if let expectedVersion, expectedVersion != question.version {
            throw DomainError(.conflict, "\(id) is at version \(question.version), not \(expectedVersion)", state: question.status.rawValue)
        }
        return question
    }

    /// Checks a submission and returns it with every name resolved to its id, and the place it names.
    static func validate(_ given: SubmitQuestion, taxonomy: Taxonomy) throws(DomainError) -> (SubmitQuestion, Taxonomy.Place) {
        var submit = given
        try Decider.checkText("title", submit.title, bytesMax: QuestionLimits.titleBytesMax)
        try Decider.checkText("description", submit.description, bytesMax: QuestionLimits.descriptionBytesMax)
        submit.requesterKind = try Requester.kindVocabulary.resolve(submit.requesterKind, field: "requester.kind")
        if let organisation = submit.organisation { try Decider.checkText("requester.organisation", organisation, bytesMax: QuestionLimits.titleBytesMax) }
        if ["organisation", "municipality", "company"].contains(submit.requesterKind) && submit.organisation == nil {
            throw .validation("requester.organisation", "required for a requester of kind \(submit.requesterKind)")
        }
        if let email = submit.contact.email, !email.contains("@") { throw .validation("requester.email", "not an e-mail address") }
        if submit.notify && submit.contact.email == nil { throw .validation("requester.notify", "needs requester.email: the messages go there") }
        let place = try taxonomy.requirePlace(submit.neighbourhood, field: "neighbourhood")
        submit.themes = try Decider.checkList("themes", submit.themes, taxonomy.themeVocabulary)
        submit.disciplines = try Decider.checkList("disciplines", submit.disciplines, taxonomy.disciplineVocabulary)
        submit.levels = try Decider.checkList("levels", submit.levels, taxonomy.levelVocabulary)
        if let window = submit.window { try Decider.checkWindow(window) }
        if let size = submit.size, !QuestionLimits.sizes.contains(size) { throw .validation("size", "must be small, medium or large") }
        return (submit, place)
    }
}
