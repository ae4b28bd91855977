import LMDSJSON

/// The organisations' decider: registering, revising and merging partner organisations.
///
/// Two records of their own never share a folded name (case, diacritics and spacing folded): registering
/// or renaming to a name in use is a conflict naming the record that has it, so that a name given as text
/// always finds one record.
enum OrganisationDecider {
    static func decide(_ command: OrganisationCommand, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        switch command {
        case .register(let register):
            let organisation = try registered(register, id: state.organisations.nextID, state: state, context)
            return Decision(events: [.organisation(.organisationRegistered(organisation))], personalData: [:], entityID: organisation.id)
        case .revise(let revise):
            return try self.revise(revise, state: state, context)
        case .merge(let into, let from, let reason, let expectedVersion):
            let survivor = try existing(into, field: "into", state: state, expectedVersion: expectedVersion)
            let merged = try existing(from, field: "from", state: state, expectedVersion: nil)
            guard into != from else { throw .validation("from", "an organisation cannot be merged into itself") }
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            return Decision(events: [.organisation(.organisationMerged(id: merged.id, into: survivor.id, reason: reason))],
                            personalData: [:], entityID: survivor.id)
        case .adopt:
            return try adopt(state: state, context)
        }
    }

    /// Each question with a free-text organisation and no record (in id order, at most `adoptedQuestionsMax`)
    /// linked to the record of its own with the same folded name, or to one registered in the same append
    /// (the first such question's requester kind gives its kind). The reply is about the first organisation.
    static func adopt(state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        let unlinked = state.questions.values.filter { $0.requester.organisation != nil && $0.requester.organisationID == nil }
            .map(\.id).sorted(by: EntityID.precedes).prefix(OrganisationLimits.adoptedQuestionsMax)
        guard !unlinked.isEmpty else {
            throw DomainError(.conflict, "every question's organisation is already a record: nothing to adopt", state: "adopted")
        }
        var events: [DomainEvent] = []
        var registered: [String: String] = [:]  // folded name -> id registered in this append
        var next = state.organisations.organisations.count + 1
        for id in unlinked {
            let requester = state.questions[id]!.requester
            let name = requester.organisation!
            let folded = OrganisationState.foldedName(name)
            var organisation = state.organisations.named(name)?.id ?? registered[folded]
            if organisation == nil {
                let new = EntityID.make("G", next)
                next += 1
                registered[folded] = new
                events.append(.organisation(.organisationRegistered(Organisation(
                    id: new, name: name, kind: OrganisationKind(requesterKind: requester.kind), neighbourhood: nil, website: nil,
                    registeredMs: context.nowMs))))
                organisation = new
            }
            events.append(.organisation(.requesterOrganisationLinked(question: id, organisation: organisation!)))
        }
        let first = events.first.map { $0.entityIDs[0] } ?? ""
        return Decision(events: events, personalData: [:], entityID: first)
    }

    /// The organisation a requester names (`requester.organisation`): a `G-` id names its record (a merged
    /// one's survivor); a name links to the record of its own with the same folded name, or registers a new
    /// one (`registered`), which the submission's `QuestionSubmitted` carries. The name kept is the text
    /// given, or the record's name for an id.
    static func requesterOrganisation(_ text: String?, state: DomainState) throws(DomainError) -> (id: String, name: String, registered: Bool)? {
        guard let text else { return nil }
        if EntityKind.of(text) == .organisation {
            guard var organisation = state.organisations.organisations[text] else {
                throw DomainError(.validation, "requester.organisation: no organisation \(text)", field: "requester.organisation")
            }
            // Merges point to a survivor of their own: the chain is one step, bounded by the count anyway.
            for _ in 0..<state.organisations.organisations.count {
                guard let into = organisation.mergedInto, let survivor = state.organisations.organisations[into] else { break }
                organisation = survivor
            }
            return (organisation.id, organisation.name, false)
        }
        if let organisation = state.organisations.named(text) { return (organisation.id, text, false) }
        return (state.organisations.nextID, text, true)
    }

    /// A new record from `register`, checked: a name not in use, a known kind and place, a web address.
    static func registered(_ register: RegisterOrganisation, id: String, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Organisation {
        try checkName(register.name, state: state, except: nil)
        let kind = try self.kind(register.kind)
        let place = try register.neighbourhood.map { reference throws(DomainError) in try context.taxonomy.requirePlace(reference, field: "neighbourhood") }
        if let website = register.website { try checkWebsite(website) }
        return Organisation(id: id, name: register.name, kind: kind, neighbourhood: place, website: register.website, registeredMs: context.nowMs)
    }

    /// A revision recording only what changes; one that changes nothing is refused.
    static func revise(_ revise: ReviseOrganisation, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        let organisation = try existing(revise.id, field: "id", state: state, expectedVersion: revise.expectedVersion)
        var changes: [String: JSONValue] = [:]
        if let name = revise.name, name != organisation.name {
            try checkName(name, state: state, except: organisation.id)
            changes["name"] = .string(name)
        }
        if let text = revise.kind {
            let kind = try self.kind(text)
            if kind != organisation.kind { changes["kind"] = .string(kind.rawValue) }
        }
        if let reference = revise.neighbourhood {
            let place = try context.taxonomy.requirePlace(reference, field: "neighbourhood")
            if place != organisation.neighbourhood { changes["neighbourhood"] = Organisation.placeJSON(place) }
        }
        if let website = revise.website, website != (organisation.website ?? "") {
            if !website.isEmpty { try checkWebsite(website) }
            changes["website"] = website.isEmpty ? .null : .string(website)
        }
        guard !changes.isEmpty else { throw .validation("id", "nothing to change: every field given already holds that value") }
        return Decision(events: [.organisation(.organisationRevised(id: organisation.id, changes: .object(changes)))], personalData: [:],
                        entityID: organisation.id)
    }

    /// The record `id` names, of its own (not merged), at `expectedVersion` when given.
    static func existing(_ id: String, field: String, state: DomainState, expectedVersion: Int?) throws(DomainError) -> Organisation {
        try EntityKind.organisation.check(id, field: field)
        guard let organisation = state.organisations.organisations[id] else { throw .notFound(id) }
        if let into = organisation.mergedInto {
            throw DomainError(.conflict, "\(id) was merged into \(into)", state: "merged", details: ["mergedInto": .string(into)])
        }
        if let expectedVersion, expectedVersion != organisation.version {
            throw DomainError(.conflict, "\(id) is at version \(organisation.version), not \(expectedVersion)", state: organisation.status)
        }
        return organisation
    }

    /// Passes for a name of 1 to `nameBytesMax` bytes that no other record of its own has, folded.
    static func checkName(_ name: String, state: DomainState, except id: String?) throws(DomainError) {
        try Decider.checkText("name", name, bytesMax: OrganisationLimits.nameBytesMax)
        if let other = state.organisations.named(name), other.id != id {
            throw DomainError(.conflict, "name: \(other.id) is already registered as \"\(other.name)\"", field: "name", state: other.status,
                              details: ["existing": .string(other.id)])
        }
    }

    static func kind(_ text: String) throws(DomainError) -> OrganisationKind {
        OrganisationKind(rawValue: try OrganisationKind.vocabulary.resolve(text, field: "kind"))!
    }

    /// Passes for an http(s) address without spaces, of at most `websiteBytesMax` bytes.
    static func checkWebsite(_ website: String) throws(DomainError) {
        guard website.utf8.count <= OrganisationLimits.websiteBytesMax else {
            throw .validation("website", "longer than \(OrganisationLimits.websiteBytesMax) bytes")
        }
        guard website.hasPrefix("https://") || website.hasPrefix("http://"), !website.contains(where: \.isWhitespace), website.count > 8 else {
            throw .validation("website", "expected a web address starting with https:// or http://")
        }
    }
}

extension DomainState {
    /// Applies an organisation event.
    mutating func apply(_ event: OrganisationEvent) {
        organisations.apply(event)
        if case .requesterOrganisationLinked(let question, let organisation) = event {
            // A link, not a change the question's owner made: its version stays.
            questions[question]?.requester.organisationID = organisation
        }
    }
}
