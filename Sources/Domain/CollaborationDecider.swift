import LMDSJSON

/// The collaboration half of the decider: proposals and consent, matches, outcomes and follow-up checks.
/// Everything a command causes is decided here and appended in one atomic append: the second consent
/// accepts the proposal, agrees the match, marks the question matched and the offer full when its
/// capacity is used, all at once.
enum CollaborationDecider {
    static func decide(_ command: ProposalCommand, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        switch command {
        case .create(let question, let offer, let note): return try create(question: question, offer: offer, note: note, state: state, context)
        case .createMany(let requests):
            guard !requests.isEmpty else { throw .validation("proposals", "nothing to propose") }
            guard requests.count <= CollaborationLimits.proposalsPerAppendMax else {
                throw .validation("proposals", "at most \(CollaborationLimits.proposalsPerAppendMax) proposals at once")
            }
            var next = state
            var events: [CollaborationEvent] = []
            for request in requests {
                let single = try create(question: request.question, offer: request.offer, note: request.note, state: next, context)
                for event in single.events {
                    next.apply(event)
                    if case .collaboration(let collaboration) = event { events.append(collaboration) }
                }
            }
            return decision(events, entityID: DomainState.format("P", state.proposalCount + 1))
        case .accept(let id, let side, let expectedVersion): return try accept(id, side: side, expectedVersion: expectedVersion, state: state, context)
        case .decline(let id, let side, let reason, let expectedVersion):
            let proposal = try pendingProposal(id, state: state, expectedVersion: expectedVersion, verb: .decline, nowMs: context.nowMs)
            try checkMaySpeak(for: side, proposal: proposal, state: state, issuer: context.issuer)
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            return decision([.proposalDeclined(id: id, side: side, reason: reason)], entityID: id)
        case .withdraw(let id, let reason, let expectedVersion):
            guard context.issuer.isStaff else { throw DomainError(.forbidden, "only coordinators withdraw proposals") }
            _ = try pendingProposal(id, state: state, expectedVersion: expectedVersion, verb: .withdraw, nowMs: context.nowMs)
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            return decision([.proposalWithdrawn(id: id, reason: reason)], entityID: id)
        case .expireDue:
            // At most `expiriesPerAppendMax` at a time (the daemon comes back for the rest a second later).
            let due = state.pendingProposals.compactMap { state.proposals[$0] }.filter { $0.expiresMs <= context.nowMs }
                .sorted { EntityID.precedes($0.id, $1.id) }.prefix(CollaborationLimits.expiriesPerAppendMax)
            return decision(due.map { .proposalExpired(id: $0.id) }, entityID: due.first?.id ?? "")
        }
    }

    static func decide(_ command: MatchCommand, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        switch command {
        case .start(let id, let students, let startedOn, let expectedVersion, let force):
            let match = try existingMatch(id, state: state, expectedVersion: expectedVersion, issuer: context.issuer)
            try MatchVerb.start.check(id, in: match.status)
            guard (1...CollaborationLimits.studentsMax).contains(students) else {
                throw .validation("students", "must be 1 to \(CollaborationLimits.studentsMax)")
            }
            guard DateWindow.isDate(startedOn) else { throw .validation("startedOn", "expected a date like 2027-02-03") }
            // A start outside the period is usually a forgotten date (today's, months before the semester).
            if !force, let offer = state.offers[match.offer], let outside = DomainWarning.outsidePeriod(startedOn, offer: offer) {
                throw .validation("startedOn", "\(outside); give the date the team starts, or `force` to start it on this date anyway")
            }
            // The offer's milestone template is planned from the start date in the same append.
            let planned = ProgressDecider.plannedAtStart(match: match, startedOn: startedOn, state: state)
            return Decision(events: [.collaboration(.matchStarted(id: id, students: students, startedOn: startedOn))] + planned,
                            personalData: [:], entityID: id)
        case .cancel(let id, let reason, let expectedVersion):
            let match = try existingMatch(id, state: state, expectedVersion: expectedVersion, issuer: context.issuer)
            try MatchVerb.cancel.check(id, in: match.status)
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            return decision(settled([.matchCancelled(id: id, reason: reason)], state: state, questions: [match.question], offers: [match.offer]),
                            entityID: id)
        case .close(let id, let note, let expectedVersion):
            let match = try existingMatch(id, state: state, expectedVersion: expectedVersion, issuer: context.issuer)
            try MatchVerb.close.check(id, in: match.status)
            if let note { try Decider.checkText("note", note, bytesMax: CollaborationLimits.noteBytesMax) }
            return decision([.matchClosed(id: id, note: note)], entityID: id)
        }
    }

    /// A proposal of `questionID` to `offerID`, which must not already be proposed or matched together.
    static func create(question questionID: String, offer offerID: String, note: String?, state: DomainState, _ context: DecisionContext)
        throws(DomainError) -> Decision
    {
        guard context.issuer.isStaff else { throw DomainError(.forbidden, "only coordinators propose matches") }
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
            id: state.nextProposalID, status: .proposed, question: questionID, offer: offerID, note: note, createdMs: context.nowMs,
            expiresMs: context.nowMs + context.policy.proposalExpiryMs, consents: [], declinedBy: nil, closingReason: nil, match: nil, version: 1)
        return decision([.proposalCreated(proposal)], entityID: proposal.id)
    }

    /// One side's consent; the second agrees the match in the same append.
    static func accept(_ id: String, side: ConsentSide, expectedVersion: Int?, state: DomainState, _ context: DecisionContext)
        throws(DomainError) -> Decision
    {
        let proposal = try pendingProposal(id, state: state, expectedVersion: expectedVersion, verb: .accept, nowMs: context.nowMs)
        try checkMaySpeak(for: side, proposal: proposal, state: state, issuer: context.issuer)
        guard !proposal.consents.contains(side) else {
            throw DomainError(.conflict, "\(id) was already accepted by the \(side.rawValue) side", state: "proposed")
        }
        // Either consent needs a question that can still be matched and an offer that still takes questions.
        guard let question = state.questions[proposal.question], let offer = state.offers[proposal.offer] else {
            preconditionFailure("\(id) names a question or offer the state does not hold")
        }
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
                id: state.nextMatchID, status: .agreed, proposal: id, question: question.id, offer: offer.id, agreedMs: context.nowMs,
                students: nil, startedOn: nil, outcome: nil, closingReason: nil, version: 1)
            events += [.proposalAccepted(id: id, match: match.id), .matchAgreed(match)]
            let settledEvents = settled(events, state: state, questions: [question.id], offers: [offer.id])
            assert(settledEvents.contains(.matchAgreed(match)), "the second consent agrees the match in the same append")
            return decision(settledEvents, entityID: id)
        }
        return decision(events, entityID: id)
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
            case .proposalCreated, .proposalConsented, .matchStarted, .questionMatched, .questionCompleted, .questionReopened, .offerFilled,
                .offerReopened, .outcomeRecorded, .outcomeRevised, .followUpRecorded:
                break  // These change no match's status and end no proposal.
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
        case .lineage(let event): overlay.questionStatus[event.question] = event.resultingStatus
        case .questionSubmitted, .questionAccepted, .questionRejected, .questionRevised, .personalDataErased, .offerPublished, .offerRevised,
            .collaboration, .publication, .desk, .progress, .reminder, .notification, .organisation:
            break  // Only a withdrawal, referral or closing winds anything down.
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

}

extension CommandIssuer {
    /// Coordinators and admins: they broker matches and speak for requesters.
    public var isStaff: Bool { role == "coordinator" || role == "admin" }
}
