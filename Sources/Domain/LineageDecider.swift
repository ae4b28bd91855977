/// Decides merges and splits of questions. Only a question in intake or open may be merged or split (a
/// matched one has a collaboration running); its pending proposals are withdrawn in the same append.
enum LineageDecider {
    static func decide(_ command: LineageCommand, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        switch command {
        case .merge(let into, let from, let reason, let expectedVersion):
            let survivor = try QuestionDecider.existing(into, state: state, expectedVersion: expectedVersion)
            guard !survivor.status.isFinal else {
                throw DomainError(.conflict, "\(into) is \(survivor.status.rawValue): nothing can be merged into a finished question", state: survivor.status.rawValue)
            }
            guard !from.isEmpty, from.count <= LineageLimits.mergedQuestionsMax else {
                throw .validation("from", "between 1 and \(LineageLimits.mergedQuestionsMax) questions")
            }
            guard Set(from).count == from.count, !from.contains(into) else { throw .validation("from", "lists a question twice, or the survivor itself") }
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            var events: [DomainEvent] = []
            for id in from {
                try endable(id, state: state, verb: "merged")
                events += CollaborationDecider.windDown(
                    question: id, reason: "\(id) merged into \(into)", cancelMatches: false,
                    after: .lineage(.questionMerged(id: id, into: into, reason: reason)), state: state)
            }
            return Decision(events: events, personalData: [:], entityID: into)
        case .split(let id, let parts, let reason, let expectedVersion):
            let original = try QuestionDecider.existing(id, state: state, expectedVersion: expectedVersion)
            try endable(id, state: state, verb: "split")
            guard (2...LineageLimits.partsMax).contains(parts.count) else { throw .validation("parts", "between 2 and \(LineageLimits.partsMax) parts") }
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            var submitted: [DomainEvent] = []
            var accepted: [DomainEvent] = []
            for (index, part) in parts.enumerated() {
                let question = try OutcomeDecider.followUpQuestion(
                    part, field: "parts[\(index)]", id: EntityID.make("Q", state.questionCount + 1 + index), from: original, outcome: nil,
                    taxonomy: context.taxonomy, nowMs: context.nowMs)
                submitted.append(.questionSubmitted(question))
                if original.status == .open { accepted.append(.questionAccepted(id: question.id, title: nil, description: nil)) }
            }
            let partIDs = submitted.map { $0.entityIDs[0] }
            let ended = CollaborationDecider.windDown(
                question: id, reason: "\(id) split into \(partIDs.joined(separator: ", "))", cancelMatches: false,
                after: .lineage(.questionSplit(id: id, parts: partIDs, reason: reason)), state: state)
            // The split first: the reply is about the entity the first event names (a retry after a restart is
            // answered from the log that way).
            return Decision(events: ended + submitted + accepted, personalData: [:], entityID: id)
        }
    }

    /// Passes when `id` names a question in intake or open.
    static func endable(_ id: String, state: DomainState, verb: String) throws(DomainError) {
        guard let question = state.questions[id] else { throw .notFound(id) }
        guard question.status == .submitted || question.status == .open else {
            throw DomainError(.conflict, "\(id) is \(question.status.rawValue): only a question in intake or open can be \(verb)", state: question.status.rawValue)
        }
    }
}
