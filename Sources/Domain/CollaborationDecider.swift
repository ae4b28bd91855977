import LMDSJSON

/// The collaboration half of the decider: proposals and consent, matches, outcomes and follow-up checks.
/// Everything a command causes is decided here and appended in one atomic append: the second consent
/// accepts the proposal, agrees the match, marks the question matched and the offer full when its
/// capacity is used, all at once.
enum CollaborationDecider {
    static func decide(
        _ command: Command, state: DomainState, taxonomy: Taxonomy, nowMs: Int64, issuer: CommandIssuer, policy: DomainPolicy
    ) throws(DomainError) -> Decision {
        switch command {
        case .createProposal(let questionID, let offerID, let note):
            guard issuer.isStaff else { throw DomainError(.forbidden, "only coordinators propose matches") }
            guard let question = state.questions[questionID] else { throw .notFound(questionID) }
            guard let offer = state.offers[offerID] else { throw .notFound(offerID) }
            guard question.status == .open || question.status == .matched else {
                throw DomainError(.conflict, "\(questionID) is \(question.status.rawValue): only an open or matched question can be proposed",
                                  state: question.status.rawValue)
            }
            guard offer.status == .published else {
                throw DomainError(.conflict, "\(offerID) is \(offer.status.rawValue): it takes no proposals", state: offer.status.rawValue)
            }
            if let note { try Decider.checkText("note", note, bytesMax: CollaborationLimits.noteBytesMax) }
            for id in state.proposalsByQuestion[questionID] ?? [] where state.pendingProposals.contains(id) && state.proposals[id]?.offer == offerID {
                throw DomainError(.conflict, "\(id) already proposes \(questionID) to \(offerID)", state: "proposed")
            }
            for id in state.matchesByQuestion[questionID] ?? [] {
                if let open = state.matches[id], open.offer == offerID, open.status.isOpen {
                    throw DomainError(.conflict, "\(id) already matches \(questionID) with \(offerID)", state: open.status.rawValue)
                }
            }
            let proposal = Proposal(
                id: state.nextProposalID, status: .proposed, question: questionID, offer: offerID, note: note, createdMs: nowMs,
                expiresMs: nowMs + policy.proposalExpiryMs, consents: [], declinedBy: nil, closingReason: nil, match: nil, version: 1)
            return decision([.proposalCreated(proposal)], entityID: proposal.id)

        case .createProposals(let requests):
            guard !requests.isEmpty else { throw .validation("proposals", "nothing to propose") }
            guard requests.count <= CollaborationLimits.proposalsPerAppendMax else {
                throw .validation("proposals", "at most \(CollaborationLimits.proposalsPerAppendMax) proposals at once")
            }
            var next = state
            var events: [CollaborationEvent] = []
            for request in requests {
                let single = try decide(.createProposal(question: request.question, offer: request.offer, note: request.note), state: next,
                                        taxonomy: taxonomy, nowMs: nowMs, issuer: issuer, policy: policy)
                for event in single.events {
                    next.apply(event)
                    if case .collaboration(let collaboration) = event { events.append(collaboration) }
                }
            }
            return decision(events, entityID: DomainState.format("P", state.proposalCount + 1))

        case .acceptProposal(let id, let side, let expectedVersion):
            let proposal = try pendingProposal(id, state: state, expectedVersion: expectedVersion, verb: .accept, nowMs: nowMs)
            try checkMaySpeak(for: side, proposal: proposal, state: state, issuer: issuer)
            guard !proposal.consents.contains(side) else {
                throw DomainError(.conflict, "\(id) was already accepted by the \(side.rawValue) side", state: "proposed")
            }
            // Either consent needs a question that can still be matched and an offer that still takes questions.
            let question = state.questions[proposal.question]!
            let offer = state.offers[proposal.offer]!
            guard question.status == .open || question.status == .matched else {
                throw DomainError(.conflict, "\(question.id) is \(question.status.rawValue): it can no longer be matched", state: question.status.rawValue)
            }
            guard offer.status == .published else {
                throw DomainError(.conflict, "\(offer.id) is \(offer.status.rawValue): it takes no more questions", state: offer.status.rawValue)
            }
            var events: [CollaborationEvent] = [.proposalConsented(id: id, side: side)]
            if proposal.consents.union([side]) == Set(ConsentSide.allCases) {
                // Both sides agree: the match is agreed in the same append.
                let match = Match(
                    id: state.nextMatchID, status: .agreed, proposal: id, question: question.id, offer: offer.id, agreedMs: nowMs,
                    students: nil, startedOn: nil, outcome: nil, closingReason: nil, version: 1)
                events += [.proposalAccepted(id: id, match: match.id), .matchAgreed(match)]
                return decision(settled(events, state: state, questions: [question.id], offers: [offer.id]), entityID: id)
            }
            return decision(events, entityID: id)

        case .declineProposal(let id, let side, let reason, let expectedVersion):
            let proposal = try pendingProposal(id, state: state, expectedVersion: expectedVersion, verb: .decline, nowMs: nowMs)
            try checkMaySpeak(for: side, proposal: proposal, state: state, issuer: issuer)
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            return decision([.proposalDeclined(id: id, side: side, reason: reason)], entityID: id)

        case .withdrawProposal(let id, let reason, let expectedVersion):
            guard issuer.isStaff else { throw DomainError(.forbidden, "only coordinators withdraw proposals") }
            _ = try pendingProposal(id, state: state, expectedVersion: expectedVersion, verb: .withdraw, nowMs: nowMs)
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            return decision([.proposalWithdrawn(id: id, reason: reason)], entityID: id)

        case .expireProposals:
            // At most `expiriesPerAppendMax` at a time (the daemon comes back for the rest a second later).
            let due = state.pendingProposals.compactMap { state.proposals[$0] }.filter { $0.expiresMs <= nowMs }
                .sorted { EntityID.precedes($0.id, $1.id) }.prefix(CollaborationLimits.expiriesPerAppendMax)
            return decision(due.map { .proposalExpired(id: $0.id) }, entityID: due.first?.id ?? "")

        case .startMatch(let id, let students, let startedOn, let expectedVersion, let force):
            let match = try existingMatch(id, state: state, expectedVersion: expectedVersion, issuer: issuer)
            try MatchVerb.start.check(id, in: match.status)
            guard (1...CollaborationLimits.studentsMax).contains(students) else {
                throw .validation("students", "must be 1 to \(CollaborationLimits.studentsMax)")
            }
            guard DateWindow.isDate(startedOn) else { throw .validation("startedOn", "expected a date like 2027-02-03") }
            // A start outside the period is usually a forgotten date (today's, months before the semester).
            if !force, let offer = state.offers[match.offer], let outside = DomainWarning.outsidePeriod(startedOn, offer: offer) {
                throw .validation("startedOn", "\(outside); give the date the team starts, or `force` to start it on this date anyway")
            }
            return decision([.matchStarted(id: id, students: students, startedOn: startedOn)], entityID: id)

        case .cancelMatch(let id, let reason, let expectedVersion):
            let match = try existingMatch(id, state: state, expectedVersion: expectedVersion, issuer: issuer)
            try MatchVerb.cancel.check(id, in: match.status)
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            return decision(settled([.matchCancelled(id: id, reason: reason)], state: state, questions: [match.question], offers: [match.offer]),
                            entityID: id)

        case .closeMatch(let id, let note, let expectedVersion):
            let match = try existingMatch(id, state: state, expectedVersion: expectedVersion, issuer: issuer)
            try MatchVerb.close.check(id, in: match.status)
            if let note { try Decider.checkText("note", note, bytesMax: CollaborationLimits.noteBytesMax) }
            return decision([.matchClosed(id: id, note: note)], entityID: id)

        case .recordOutcome(let matchID, let content, let drafts):
            let match = try existingMatch(matchID, state: state, expectedVersion: nil, issuer: issuer)
            try MatchVerb.record.check(matchID, in: match.status)
            let content = try checkContent(content)
            guard let summary = content.summary else { throw .validation("summary", "required") }
            guard drafts.count <= CollaborationLimits.followUpsMax else {
                throw .validation("followUps", "at most \(CollaborationLimits.followUpsMax) follow-up questions")
            }
            let question = state.questions[match.question]!
            let outcomeID = state.nextOutcomeID
            // Follow-up drafts become new questions, numbered after those that exist, linked to the outcome.
            var followUps: [Question] = []
            for (index, draft) in drafts.enumerated() {
                followUps.append(try followUpQuestion(
                    draft, field: "followUps[\(index)]", id: DomainState.format("Q", state.questionCount + index + 1), from: question,
                    outcome: outcomeID, taxonomy: taxonomy, nowMs: nowMs))
            }
            let recordedDate = CivilDate.date(milliseconds: nowMs)
            let outcome = Outcome(
                id: outcomeID, match: matchID, question: match.question, offer: match.offer, summary: summary,
                deliverables: content.deliverables ?? [], students: content.students ?? match.students, hours: content.hours,
                competences: content.competences ?? [], ratings: content.ratings ?? Ratings(requester: nil, education: nil),
                impact: content.impact, followUps: followUps.map(\.id), recordedMs: nowMs,
                followUpDue: CivilDate.adding(months: policy.followUpMonths, to: recordedDate), followUp: nil, version: 1)
            let events = settled([.outcomeRecorded(outcome), .matchDelivered(id: matchID, outcome: outcomeID)], state: state,
                                 questions: [match.question], offers: [match.offer])
            return Decision(
                events: events.map(DomainEvent.collaboration) + followUps.map(DomainEvent.questionSubmitted), personalData: [:],
                entityID: outcomeID)

        case .reviseOutcome(let id, let content, let expectedVersion):
            guard let outcome = state.outcomes[id] else { throw .notFound(id) }
            _ = try existingMatch(outcome.match, state: state, expectedVersion: nil, issuer: issuer)
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
            return decision([.outcomeRevised(id: id, changes: .object(changes))], entityID: id)

        case .recordFollowUp(let outcomeID, let used, let note):
            guard issuer.isStaff else { throw DomainError(.forbidden, "only coordinators record follow-up checks") }
            guard let outcome = state.outcomes[outcomeID] else { throw .notFound(outcomeID) }
            try OutcomeVerb.record.check(outcomeID, in: outcome.status)
            if let note { try Decider.checkText("note", note, bytesMax: CollaborationLimits.noteBytesMax) }
            return decision([.followUpRecorded(outcome: outcomeID, used: used, note: note, recordedMs: nowMs)], entityID: outcomeID)

        default:
            preconditionFailure("CollaborationDecider handles collaboration commands only")
        }
    }

    static func decision(_ events: [CollaborationEvent], entityID: String) -> Decision {
        Decision(events: events.map(DomainEvent.collaboration), personalData: [:], entityID: entityID)
    }

    /// What a decision changes before `settled` judges: statuses and capacities set by the primary event.
    struct Overlay {
        var questionStatus: [String: QuestionStatus] = [:]
        var offerStatus: [String: OfferStatus] = [:]
        var offerCapacity: [String: Int] = [:]
    }

    /// `events` followed by what they imply for the given questions and offers: a question with an open
    /// match becomes matched; one left without open matches completes (if any was delivered; its pending
    /// proposals are withdrawn) or reopens; an offer whose open matches reach its capacity is full, and
    /// reopens when a place frees up. Reads only the matches and proposals of those questions and offers
    /// (the state's links), with the events laid over them; never copies the state.
    static func settled(
        _ events: [CollaborationEvent], state: DomainState, questions: Set<String>, offers: Set<String>, overlay: Overlay = Overlay()
    ) -> [CollaborationEvent] {
        var matchStatus: [String: MatchStatus] = [:]
        var added: [Match] = []
        var endedProposals: Set<String> = []
        for event in events {
            switch event {
            case .matchAgreed(let match): added.append(match)
            case .matchCancelled(let id, _): matchStatus[id] = .cancelled
            case .matchDelivered(let id, _): matchStatus[id] = .delivered
            case .matchClosed(let id, _): matchStatus[id] = .closed
            case .proposalAccepted(let id, _), .proposalDeclined(let id, _, _), .proposalWithdrawn(let id, _), .proposalExpired(let id):
                endedProposals.insert(id)
            default: break
            }
        }
        func statuses(_ ids: [String]?, _ belongs: (Match) -> Bool) -> [(id: String, status: MatchStatus)] {
            (ids ?? []).compactMap { id in state.matches[id].map { (id, matchStatus[id] ?? $0.status) } }
                + added.filter(belongs).map { ($0.id, MatchStatus.agreed) }
        }
        var implied: [CollaborationEvent] = []
        for id in questions.sorted() {
            guard let status = overlay.questionStatus[id] ?? state.questions[id]?.status else { continue }
            let matches = statuses(state.matchesByQuestion[id]) { $0.question == id }
            let open = matches.filter(\.status.isOpen).map(\.id).sorted(by: EntityID.precedes)
            switch status {
            case .open:
                if let first = open.first { implied.append(.questionMatched(id: id, match: first)) }
            case .matched where open.isEmpty:
                let delivered = matches.contains { $0.status == .delivered || $0.status == .closed }
                implied.append(delivered ? .questionCompleted(id: id) : .questionReopened(id: id))
                // A completed question takes no more proposals: those still waiting are withdrawn.
                if delivered {
                    for proposal in state.proposalsByQuestion[id] ?? [] where state.pendingProposals.contains(proposal) && !endedProposals.contains(proposal) {
                        implied.append(.proposalWithdrawn(id: proposal, reason: "\(id) completed"))
                    }
                }
            default:
                break
            }
        }
        for id in offers.sorted() {
            guard let offer = state.offers[id] else { continue }
            let status = overlay.offerStatus[id] ?? offer.status
            let capacity = overlay.offerCapacity[id] ?? offer.capacity
            let used = statuses(state.matchesByOffer[id]) { $0.offer == id }.filter(\.status.isOpen).count
            if status == .published && used >= capacity { implied.append(.offerFilled(id: id)) }
            if status == .full && used < capacity { implied.append(.offerReopened(id: id)) }
        }
        return events + implied
    }

    /// What ending a question or an offer does to its collaborations: pending proposals are withdrawn and,
    /// when `cancelMatches`, open matches cancelled, after which the other side is settled.
    static func windDown(
        question: String? = nil, offer: String? = nil, reason: String, cancelMatches: Bool, after primary: DomainEvent, state: DomainState
    ) -> [DomainEvent] {
        let proposalIDs = (question.flatMap { state.proposalsByQuestion[$0] } ?? []) + (offer.flatMap { state.proposalsByOffer[$0] } ?? [])
        let matchIDs = (question.flatMap { state.matchesByQuestion[$0] } ?? []) + (offer.flatMap { state.matchesByOffer[$0] } ?? [])
        var events: [CollaborationEvent] = []
        for id in Set(proposalIDs).sorted(by: EntityID.precedes) where state.pendingProposals.contains(id) {
            events.append(.proposalWithdrawn(id: id, reason: reason))
        }
        var questions = Set<String>()
        var offers = Set<String>()
        if cancelMatches {
            for id in Set(matchIDs).sorted(by: EntityID.precedes) {
                guard let match = state.matches[id], match.status.isOpen else { continue }
                events.append(.matchCancelled(id: id, reason: reason))
                questions.insert(match.question)
                offers.insert(match.offer)
            }
        }
        var overlay = Overlay()
        switch primary {
        case .questionWithdrawn(let id, _): overlay.questionStatus[id] = .withdrawn
        case .questionReferred(let id, _, _): overlay.questionStatus[id] = .referred
        case .offerWithdrawn(let id, _): overlay.offerStatus[id] = .withdrawn
        case .offerClosed(let id, _): overlay.offerStatus[id] = .closed
        default: break
        }
        return [primary] + settled(events, state: state, questions: questions, offers: offers, overlay: overlay).map(DomainEvent.collaboration)
    }

    static func pendingProposal(
        _ id: String, state: DomainState, expectedVersion: Int?, verb: ProposalVerb, nowMs: Int64
    ) throws(DomainError) -> Proposal {
        guard let proposal = state.proposals[id] else { throw .notFound(id) }
        if let expectedVersion, expectedVersion != proposal.version {
            throw DomainError(.conflict, "\(id) is at version \(proposal.version), not \(expectedVersion)", state: proposal.status.rawValue)
        }
        try verb.check(id, in: proposal.status)
        // Its time is up even if the daemon has not appended ProposalExpired yet (it checks every second).
        guard nowMs < proposal.expiresMs else {
            throw verb.refusal(id, state: ProposalStatus.expired.rawValue, allowed: ProposalVerb.allowed(in: .expired))
        }
        return proposal
    }

    /// Coordinators speak for both sides (they record the requester's consent); an educator only for the
    /// education side of an offer of their own institution.
    static func checkMaySpeak(for side: ConsentSide, proposal: Proposal, state: DomainState, issuer: CommandIssuer) throws(DomainError) {
        if issuer.isStaff { return }
        let institution = state.offers[proposal.offer]?.institution ?? ""
        guard side == .education, issuer.mayManageOffers(of: institution) else {
            throw DomainError(.forbidden, "an educator of \(issuer.institution ?? "no institution") may not answer for the \(side.rawValue) side of \(proposal.id)")
        }
    }

    static func existingMatch(_ id: String, state: DomainState, expectedVersion: Int?, issuer: CommandIssuer) throws(DomainError) -> Match {
        guard let match = state.matches[id] else { throw .notFound(id) }
        let institution = state.offers[match.offer]?.institution ?? ""
        guard issuer.mayManageOffers(of: institution) else {
            throw DomainError(.forbidden, "an educator of \(issuer.institution ?? "no institution") may not change matches of \(institution)")
        }
        if let expectedVersion, expectedVersion != match.version {
            throw DomainError(.conflict, "\(id) is at version \(match.version), not \(expectedVersion)", state: match.status.rawValue)
        }
        return match
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

    static func followUpQuestion(
        _ draft: QuestionDraft, field: String, id: String, from question: Question, outcome: String, taxonomy: Taxonomy, nowMs: Int64
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
            return Question(
                id: id, status: .submitted, title: draft.title, description: draft.description, requester: question.requester,
                neighbourhood: place, themes: themes ?? question.themes, disciplines: disciplines ?? question.disciplines,
                levels: levels ?? question.levels, window: nil, size: question.size, submittedMs: nowMs, closingReason: nil,
                referredTo: nil, version: 1, followUpOf: outcome)
        } catch {
            throw prefixed(error)
        }
    }
}

extension CommandIssuer {
    /// Coordinators and admins: they broker matches and speak for requesters.
    public var isStaff: Bool { role == "coordinator" || role == "admin" }
}
