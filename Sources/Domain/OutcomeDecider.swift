import LMDSJSON

/// The outcome aggregate's decider: what a match delivered (recorded, revisable), the follow-up questions
/// it raised (new questions in the same append), and the follow-up check months later.
enum OutcomeDecider {
    static func decide(_ command: OutcomeCommand, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        switch command {
        case .record(let match, let content, let drafts): return try record(match: match, content: content, drafts: drafts, state: state, context)
        case .revise(let id, let content, let expectedVersion): return try revise(id, content: content, expectedVersion: expectedVersion, state: state, context)
        case .recordFollowUp(let outcomeID, let used, let note):
            guard context.issuer.isStaff else { throw DomainError(.forbidden, "only coordinators record follow-up checks") }
            guard let outcome = state.outcomes[outcomeID] else { throw .notFound(outcomeID) }
            try OutcomeVerb.record.check(outcomeID, in: outcome.status)
            if let note { try Decider.checkText("note", note, bytesMax: CollaborationLimits.noteBytesMax) }
            return CollaborationDecider.decision(
                [.followUpRecorded(outcome: outcomeID, used: used, note: note, recordedMs: context.nowMs)], entityID: outcomeID)
        }
    }

    /// The outcome of a started match, its follow-up drafts as new questions, the match delivered.
    static func record(match matchID: String, content: OutcomeContent, drafts: [QuestionDraft], state: DomainState, _ context: DecisionContext)
        throws(DomainError) -> Decision
    {
        let match = try CollaborationDecider.existingMatch(matchID, state: state, expectedVersion: nil, issuer: context.issuer)
        try MatchVerb.record.check(matchID, in: match.status)
        let content = try checkContent(content)
        guard let summary = content.summary else { throw .validation("summary", "required") }
        guard drafts.count <= CollaborationLimits.followUpsMax else {
            throw .validation("followUps", "at most \(CollaborationLimits.followUpsMax) follow-up questions")
        }
        guard let question = state.questions[match.question] else { preconditionFailure("\(matchID) names a question the state does not hold") }
        let outcomeID = state.nextOutcomeID
        // Follow-up drafts become new questions, numbered after those that exist, linked to the outcome.
        var followUps: [Question] = []
        for (index, draft) in drafts.enumerated() {
            followUps.append(try followUpQuestion(
                draft, field: "followUps[\(index)]", id: DomainState.format("Q", state.questionCount + index + 1), from: question,
                outcome: outcomeID, taxonomy: context.taxonomy, nowMs: context.nowMs))
        }
        let recordedDate = CivilDate.date(milliseconds: context.nowMs)
        let outcome = Outcome(
            id: outcomeID, match: matchID, question: match.question, offer: match.offer, summary: summary,
            deliverables: content.deliverables ?? [], students: content.students ?? match.students, hours: content.hours,
            competences: content.competences ?? [], ratings: content.ratings ?? Ratings(requester: nil, education: nil),
            impact: content.impact, followUps: followUps.map(\.id), recordedMs: context.nowMs,
            followUpDue: CivilDate.adding(months: context.policy.followUpMonths, to: recordedDate), followUp: nil, version: 1)
        let events = CollaborationDecider.settled(
            [.outcomeRecorded(outcome), .matchDelivered(id: matchID, outcome: outcomeID)], state: state, questions: [match.question],
            offers: [match.offer])
        return Decision(
            events: events.map(DomainEvent.collaboration) + followUps.map(DomainEvent.questionSubmitted), personalData: [:],
            entityID: outcomeID)
    }

    /// The fields given, each checked; at least one. A side's rating left out keeps its rating.
    static func revise(_ id: String, content: OutcomeContent, expectedVersion: Int?, state: DomainState, _ context: DecisionContext)
        throws(DomainError) -> Decision
    {
        guard let outcome = state.outcomes[id] else { throw .notFound(id) }
        _ = try CollaborationDecider.existingMatch(outcome.match, state: state, expectedVersion: nil, issuer: context.issuer)
        if let expectedVersion, expectedVersion != outcome.version {
            throw DomainError(.conflict, "\(id) is at version \(outcome.version), not \(expectedVersion)",
                              state: outcome.status.rawValue)
        }
        let content = try checkContent(content)
        var changes: [String: JSONValue] = [:]
        if let summary = content.summary { changes["summary"] = .string(summary) }
        if let deliverables = content.deliverables { changes["deliverables"] = .array(deliverables.map(\.json)) }
        if let students = content.students { changes["students"] = .integer(Int64(students)) }
        if let hours = content.hours { changes["hours"] = .integer(Int64(hours)) }
        if let competences = content.competences { changes["competences"] = .array(competences.map { .string($0) }) }
        if let ratings = content.ratings {
            // A side left out keeps its rating.
            changes["ratings"] = Ratings(requester: ratings.requester ?? outcome.ratings.requester,
                                         education: ratings.education ?? outcome.ratings.education).json
        }
        if let impact = content.impact { changes["impact"] = .string(impact) }
        guard !changes.isEmpty else { throw .validation("params", "nothing to revise: give at least one field") }
        return CollaborationDecider.decision([.outcomeRevised(id: id, changes: .object(changes))], entityID: id)
    }

    /// Checks an outcome's fields and returns them with each deliverable's kind resolved (folded) to its id.
    static func checkContent(_ given: OutcomeContent) throws(DomainError) -> OutcomeContent {
        var content = given
        if let summary = content.summary { try Decider.checkText("summary", summary, bytesMax: CollaborationLimits.summaryBytesMax) }
        if let deliverables = content.deliverables {
            var resolved: [Deliverable] = []
            guard deliverables.count <= CollaborationLimits.deliverablesMax else {
                throw .validation("deliverables", "at most \(CollaborationLimits.deliverablesMax) entries")
            }
            for (index, deliverable) in deliverables.enumerated() {
                let field = "deliverables[\(index)]"
                let kind = try Deliverable.kindVocabulary.resolve(deliverable.kind, field: "\(field).kind")
                resolved.append(Deliverable(kind: kind, title: deliverable.title, uri: deliverable.uri, visibility: deliverable.visibility,
                                            embargoUntil: deliverable.embargoUntil))
                try Decider.checkText("\(field).title", deliverable.title, bytesMax: QuestionLimits.titleBytesMax)
                if let uri = deliverable.uri { try Decider.checkText("\(field).uri", uri, bytesMax: CollaborationLimits.uriBytesMax) }
                switch (deliverable.visibility, deliverable.embargoUntil) {
                case (.embargo, nil): throw .validation("\(field).embargoUntil", "required for an embargoed deliverable")
                case (.embargo, let date?) where !DateWindow.isDate(date): throw .validation("\(field).embargoUntil", "expected a date like 2027-09-01")
                case (.public, _?), (.internal, _?): throw .validation("\(field).embargoUntil", "only an embargoed deliverable has one")
                default: break
                }
            }
            content.deliverables = resolved
        }
        if let students = content.students, !(0...CollaborationLimits.studentsMax).contains(students) {
            throw .validation("students", "must be 0 to \(CollaborationLimits.studentsMax)")
        }
        if let hours = content.hours, !(0...CollaborationLimits.hoursMax).contains(hours) {
            throw .validation("hours", "must be 0 to \(CollaborationLimits.hoursMax)")
        }
        if let competences = content.competences {
            guard competences.count <= CollaborationLimits.competencesMax else {
                throw .validation("competences", "at most \(CollaborationLimits.competencesMax) entries")
            }
            for (index, competence) in competences.enumerated() {
                try Decider.checkText("competences[\(index)]", competence, bytesMax: CollaborationLimits.competenceBytesMax)
            }
        }
        if let ratings = content.ratings {
            for (field, value) in [("ratings.requester", ratings.requester), ("ratings.education", ratings.education)] {
                if let value, !(1...5).contains(value) { throw .validation(field, "must be 1 to 5") }
            }
        }
        if let impact = content.impact { try Decider.checkText("impact", impact, bytesMax: CollaborationLimits.summaryBytesMax) }
        return content
    }

    /// A draft as a new question with `question`'s requester (and contact) and size, and, where the draft
    /// gives none, its neighbourhood, themes, disciplines and levels: an outcome's follow-up (`outcome`, no
    /// window) or a part of a split question (`outcome` nil, the original's window unless the draft gives one).
    static func followUpQuestion(
        _ draft: QuestionDraft, field: String, id: String, from question: Question, outcome: String?, taxonomy: Taxonomy, nowMs: Int64
    ) throws(DomainError) -> Question {
        func prefixed(_ error: DomainError) -> DomainError {
            guard let inner = error.field else { return error }
            return DomainError(.validation, "\(field).\(inner): " + error.message.dropFirst(inner.count + 2), field: "\(field).\(inner)",
                               details: error.details)
        }
        do throws(DomainError) {
            try Decider.checkText("title", draft.title, bytesMax: QuestionLimits.titleBytesMax)
            try Decider.checkText("description", draft.description, bytesMax: QuestionLimits.descriptionBytesMax)
            var place = question.neighbourhood
            if let neighbourhood = draft.neighbourhood { place = try taxonomy.requirePlace(neighbourhood, field: "neighbourhood") }
            let themes = try draft.themes.map { list throws(DomainError) in try Decider.checkList("themes", list, taxonomy.themeVocabulary) }
            let disciplines = try draft.disciplines.map { list throws(DomainError) in
                try Decider.checkList("disciplines", list, taxonomy.disciplineVocabulary)
            }
            let levels = try draft.levels.map { list throws(DomainError) in try Decider.checkList("levels", list, taxonomy.levelVocabulary) }
            if let window = draft.window { try Decider.checkWindow(window) }
            return Question(
                id: id, status: .submitted, title: draft.title, description: draft.description, requester: question.requester.copied,
                neighbourhood: place, themes: themes ?? question.themes, disciplines: disciplines ?? question.disciplines,
                // A follow-up asks anew (no window); a part of a split keeps the original's unless it gives one.
                levels: levels ?? question.levels, window: draft.window ?? (outcome == nil ? question.window : nil), size: question.size, submittedMs: nowMs, closingReason: nil,
                referredTo: nil, version: 1, followUpOf: outcome)
        } catch {
            throw prefixed(error)
        }
    }
}
