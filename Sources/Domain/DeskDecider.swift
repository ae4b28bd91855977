import LMDSJSON

/// The desk's decider: owners of questions, and notes whose text lives outside the log.
enum DeskDecider {
    /// The roles that may own a question.
    static let ownerRoles: Set<String> = ["coordinator", "admin"]

    static func decide(_ command: DeskCommand, state: DomainState, _ context: DecisionContext) throws(DomainError) -> Decision {
        switch command {
        case .assign(let id, let owner, let expectedVersion):
            return try assign(id, owner: owner, expectedVersion: expectedVersion, state: state, context)
        case .addNote(let entity, let text, let author):
            guard state.acceptsNotes(entity) else {
                if EntityKind.of(entity) == nil { throw .validation("entity", "expected the id of a question, offer, proposal, match, outcome or organisation") }
                throw .notFound(entity)
            }
            try Decider.checkText("text", text, bytesMax: DeskLimits.noteBytesMax)
            guard (state.desk.notesByEntity[entity]?.count ?? 0) < DeskLimits.notesPerEntityMax else {
                throw .validation("entity", "\(entity) has \(DeskLimits.notesPerEntityMax) notes, the most one entity may have")
            }
            let note = Note(id: state.desk.nextNoteID, entity: entity, author: author, sha256: PersonalRecord.sha256Hex(text), addedMs: context.nowMs)
            return Decision(events: [.desk(.noteAdded(note))], personalData: [note.id: .text(text)], entityID: note.id)
        case .eraseNote(let id, let reason):
            guard let note = state.desk.notes[id] else { throw .notFound(id) }
            guard note.erasedReason == nil else { throw DomainError(.conflict, "\(id) is already erased", state: "erased") }
            try Decider.checkText("reason", reason, bytesMax: QuestionLimits.reasonBytesMax)
            return Decision(events: [.desk(.noteErased(id: id, entity: note.entity, reason: reason))], personalData: [id: nil], entityID: id)
        }
    }

    /// An owner for a question that is not finished, or its release. Assigning the owner it has, or
    /// releasing a question nobody owns, is refused as a conflict (nothing would change).
    static func assign(
        _ id: String, owner: String?, expectedVersion: Int?, state: DomainState, _ context: DecisionContext
    ) throws(DomainError) -> Decision {
        let question = try QuestionDecider.existing(id, state: state, expectedVersion: expectedVersion)
        let previous = state.owner(of: id)
        if let owner {
            guard !owner.isEmpty, owner.utf8.count <= DeskLimits.ownerBytesMax else {
                throw .validation("owner", "expected a user name of 1 to \(DeskLimits.ownerBytesMax) bytes")
            }
            guard let ownerRole = context.policy.users[owner]?.role else { throw .validation("owner", "\(owner) is not a user in the daemon's config (roles.users)") }
            guard ownerRoles.contains(ownerRole) else {
                throw DomainError(.validation, "owner: \(owner) is \(Vocabulary.article(ownerRole)) \(ownerRole); only coordinators and admins own questions",
                                  field: "owner", details: ["role": .string(ownerRole)])
            }
            guard !question.status.isFinal else {
                throw DomainError(.conflict, "\(id) is \(question.status.rawValue): a finished question gets no owner", state: question.status.rawValue)
            }
            guard previous != owner else { throw DomainError(.conflict, "\(id) is already owned by \(owner)", state: question.status.rawValue) }
        } else if previous == nil {
            throw DomainError(.conflict, "\(id) has no owner to release", state: question.status.rawValue)
        }
        return Decision(events: [.desk(.questionAssigned(id: id, owner: owner, previous: previous, assignedMs: context.nowMs))],
                        personalData: [:], entityID: id)
    }
}
