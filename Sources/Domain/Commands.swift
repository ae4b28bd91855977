/// What the caller asked for, already read from its params. Commands are imperative, one enum per
/// aggregate, each decided by that aggregate's decider: a switch over one of them lists exactly the
/// commands its decider must handle, so the compiler checks that every command is decided somewhere.
public enum Command: Sendable, Hashable {
    case question(QuestionCommand)
    case offer(OfferCommand)
    case proposal(ProposalCommand)
    case match(MatchCommand)
    case outcome(OutcomeCommand)
    case contact(ContactCommand)
    /// Marking questions public for the showcase site (`PublicationDecider`).
    case publication(PublicationCommand)
    /// Owners of questions and internal notes (`DeskDecider`).
    case desk(DeskCommand)
    /// Milestones, check-ins and feedback of matches (`ProgressDecider`).
    case progress(ProgressCommand)
    /// Reminders raised by the daemon and acknowledged by people (`ReminderDecider`).
    case reminder(ReminderCommand)
    /// Deliveries recorded by the notifier (`NotificationDecider`).
    case notification(NotificationCommand)
    /// Merging and splitting questions (`LineageDecider`).
    case lineage(LineageCommand)
    /// Partner organisations as records (`OrganisationDecider`).
    case organisation(OrganisationCommand)
    /// Several submissions or publications at once (a spreadsheet import): all in one append, or none.
    case importBatch([Command])

    /// Whether it is an import of several commands.
    var isBatch: Bool {
        if case .importBatch = self { return true }
        return false
    }
}

/// Questions, from intake to a decision (`QuestionDecider`).
public enum QuestionCommand: Sendable, Hashable {
    case submit(SubmitQuestion)
    case accept(id: String, title: String?, description: String?, expectedVersion: Int?)
    case reject(id: String, reason: String, expectedVersion: Int?)
    case revise(ReviseQuestion)
    case refer(id: String, to: String, reason: String, expectedVersion: Int?)
    case withdraw(id: String, reason: String, expectedVersion: Int?)
}

/// Education offers (`OfferDecider`).
public enum OfferCommand: Sendable, Hashable {
    case publish(PublishOffer)
    case revise(ReviseOffer)
    case close(id: String, reason: String?, expectedVersion: Int?)
    case withdraw(id: String, reason: String, expectedVersion: Int?)
}

/// Proposals and their two consents (`CollaborationDecider`: proposal and match are one aggregate, since
/// the second consent agrees the match in the same append).
public enum ProposalCommand: Sendable, Hashable {
    case create(question: String, offer: String, note: String?)
    /// Several proposals at once, in one atomic append (a plan turned into proposals): all or none.
    case createMany([ProposalRequest])
    case accept(id: String, side: ConsentSide, expectedVersion: Int?)
    case decline(id: String, side: ConsentSide, reason: String, expectedVersion: Int?)
    case withdraw(id: String, reason: String, expectedVersion: Int?)
    /// Expires every proposal whose time ran out by the command's time (the daemon sends it when due).
    case expireDue
}

/// Matches between their agreement and their outcome (`CollaborationDecider`).
public enum MatchCommand: Sendable, Hashable {
    /// `force`: start even on a date outside the offer's period (the reply then warns about it).
    case start(id: String, students: Int, startedOn: String, expectedVersion: Int?, force: Bool = false)
    case cancel(id: String, reason: String, expectedVersion: Int?)
    case close(id: String, note: String?, expectedVersion: Int?)
}

/// Outcomes and their follow-up checks (`OutcomeDecider`).
public enum OutcomeCommand: Sendable, Hashable {
    case record(match: String, content: OutcomeContent, followUps: [QuestionDraft])
    case revise(id: String, content: OutcomeContent, expectedVersion: Int?)
    case recordFollowUp(outcome: String, used: FollowUpUse, note: String?)
}

/// People's personal data (`ContactDecider`).
public enum ContactCommand: Sendable, Hashable {
    /// `lookupKeys`: the contact's keys in the personal table's lookup (`ContactLookup`), read by the core
    /// right before deciding (whatever the caller gave); erased with them.
    case erase(contact: String, lookupKeys: [String] = [])
    /// Joins a duplicate contact (`from`) into `into`: the same person who asked with other details.
    case merge(into: String, from: String)
}

/// What every decider is given besides the command and the state: the city, the command's time, who
/// issues it and the programme's rules.
struct DecisionContext {
    let taxonomy: Taxonomy
    let nowMs: Int64
    let issuer: CommandIssuer
    let policy: DomainPolicy
}
