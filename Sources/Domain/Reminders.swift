import LMDSJSON

/// The deadlines the daemon watches so that nobody has to chase them by hand. Each rule raises a
/// reminder (`ReminderRaised`) once its entity has waited past the rule's threshold.
public enum ReminderRule: String, Sendable, Hashable, CaseIterable {
    /// A question still in intake (`submitted`) `intakeWaitingDays` after its submission.
    case intakeWaiting = "intake-waiting"
    /// A proposal still waiting on a side's consent `consentWaitingDays` after it was made.
    case consentWaiting = "consent-waiting"
    /// A proposal without both consents that expires within `expiryWarningDays` (not one whose whole time
    /// to consent is shorter than that).
    case expiryWarning = "expiry-warning"
    /// An agreed match not started `notStartedDays` after its offer's period began.
    case notStarted = "not-started"
    /// A started match without an outcome `outcomeMissingDays` after its offer's period ended.
    case outcomeMissing = "outcome-missing"
    /// An outcome's follow-up check `followUpDueDays` after it fell due (0: on the day).
    case followUpDue = "follow-up-due"
    /// A started match's milestone not completed `milestoneOverdueDays` after the start of its due day
    /// (0: on the day).
    case milestoneOverdue = "milestone-overdue"
    /// A match whose latest check-ins say `stalled`, `matchStalledDays` after the first of them (0: at once).
    case matchStalled = "match-stalled"

    /// The rule's key in the config's `reminders` object.
    public var configKey: String {
        switch self {
        case .intakeWaiting: return "intakeWaitingDays"
        case .consentWaiting: return "consentWaitingDays"
        case .expiryWarning: return "expiryWarningDays"
        case .notStarted: return "notStartedDays"
        case .outcomeMissing: return "outcomeMissingDays"
        case .followUpDue: return "followUpDueDays"
        case .milestoneOverdue: return "milestoneOverdueDays"
        case .matchStalled: return "matchStalledDays"
        }
    }

    /// The threshold when the config gives none, in days.
    public var defaultDays: Double {
        switch self {
        case .intakeWaiting: return 7
        case .consentWaiting: return 5
        case .expiryWarning: return 3
        case .notStarted: return 7
        case .outcomeMissing: return 14
        case .followUpDue: return 0
        case .milestoneOverdue: return 0
        case .matchStalled: return 0
        }
    }
}

/// The reminder rules' thresholds (config `reminders`): days, fractions allowed (the tests and the demo use
/// seconds); a rule without a threshold is off. What a rule decided is recorded in `ReminderRaised` (its
/// `dueAt`), so a replay never depends on today's thresholds, and a changed threshold affects only the
/// reminders raised after the change.
public struct ReminderPolicy: Sendable, Hashable {
    /// Days per rule; a rule left out is off.
    public var days: [ReminderRule: Double]

    /// Every rule on, with its default threshold.
    public init(days: [ReminderRule: Double] = Dictionary(uniqueKeysWithValues: ReminderRule.allCases.map { ($0, $0.defaultDays) })) {
        self.days = days
    }

    /// The threshold of `rule` in milliseconds, or nil when the rule is off.
    public func thresholdMs(_ rule: ReminderRule) -> Int64? {
        days[rule].map { Int64(($0 * 86_400_000).rounded()) }
    }
}

/// Who a reminder is for, by role: the people behind each are found when it is shown or delivered (the
/// config's users, the offer's institution's educators, the personal table's contact), never stored.
public enum ReminderRecipient: Sendable, Hashable {
    /// Every user whose configured role is coordinator.
    case coordinators
    /// The educators of an institution (a taxonomy id).
    case educators(institution: String)
    /// A question's requester, through their contact (`C-0001`).
    case requester(contact: String)
    /// One user by name (a question's owner, once questions have owners).
    case user(String)

    public var json: JSONValue {
        switch self {
        case .coordinators: return ["role": "coordinator"]
        case .educators(let institution): return ["role": "educator", "institution": .string(institution)]
        case .requester(let contact): return ["role": "requester", "contact": .string(contact)]
        case .user(let name): return ["role": "user", "user": .string(name)]
        }
    }

    init?(json: JSONValue) {
        switch json["role"]?.stringValue {
        case "coordinator": self = .coordinators
        case "educator": guard let institution = json["institution"]?.stringValue else { return nil }; self = .educators(institution: institution)
        case "requester": guard let contact = json["contact"]?.stringValue else { return nil }; self = .requester(contact: contact)
        case "user": guard let name = json["user"]?.stringValue else { return nil }; self = .user(name)
        default: return nil
        }
    }
}

/// Where a reminder is: `open → acknowledged` (someone saw it) `→ resolved` (the event that answers it
/// was appended); an open one may be resolved directly.
public enum ReminderStatus: String, Sendable, Hashable, CaseIterable {
    case open, acknowledged, resolved
}

/// A deadline that passed, raised once per rule, entity and deadline.
public struct Reminder: Sendable, Hashable {
    /// `A-0001`, ...
    public let id: String
    public let rule: ReminderRule
    /// The question, proposal, match or outcome it is about (a match for its milestones and check-ins).
    public let entity: String
    /// The moment the rule counts from or to, in ms: a question's submission, a proposal's creation or
    /// expiry, the start or the end (the day after its last date) of a match's period, an outcome's
    /// follow-up due date, a milestone's due date, the first stalled check-in. With the rule and the entity, it
    /// makes a reminder unique.
    public let deadlineMs: Int64
    /// When the threshold was passed: the deadline plus (or, for an expiry warning, minus) the threshold
    /// in force when it was raised.
    public let dueMs: Int64
    public let raisedMs: Int64
    /// The institution whose offer it concerns, when it concerns one (for the report per institution).
    public let institution: String?
    public let recipients: [ReminderRecipient]
    public var status: ReminderStatus
    public var acknowledgedBy: String?
    public var acknowledgedMs: Int64?
    /// The event type that answered it (`QuestionAccepted`, `ProposalAccepted`, `MatchStarted`, ...).
    public var resolvedBy: String?
    public var resolvedMs: Int64?
    public var version: Int

    public init(
        id: String, rule: ReminderRule, entity: String, deadlineMs: Int64, dueMs: Int64, raisedMs: Int64, institution: String?,
        recipients: [ReminderRecipient]
    ) {
        self.id = id
        self.rule = rule
        self.entity = entity
        self.deadlineMs = deadlineMs
        self.dueMs = dueMs
        self.raisedMs = raisedMs
        self.institution = institution
        self.recipients = recipients
        self.status = .open
        self.version = 1
    }

    /// Whether it is for the user `user` whose configured role is `role` (and institution, for an educator):
    /// a coordinator sees those for the coordinators, an educator those for their institution's educators,
    /// anyone those naming them.
    public func isFor(user: String, role: String?, institution: String?) -> Bool {
        recipients.contains { recipient in
            switch recipient {
            case .coordinators: return role == "coordinator"
            case .educators(let forInstitution): return role == "educator" && institution == forInstitution
            case .requester: return false
            case .user(let name): return name == user
            }
        }
    }

    /// What makes it unique: the rule, the entity and the deadline.
    var key: String { "\(rule.rawValue)|\(entity)|\(deadlineMs)" }

    /// The fixed part, as `ReminderRaised` stores it.
    var raisedJSON: JSONValue {
        [
            "id": .string(id), "rule": .string(rule.rawValue), "entity": .string(entity), "deadline": .integer(deadlineMs),
            "dueAt": .integer(dueMs), "raisedAt": .integer(raisedMs), "institution": institution.map { .string($0) } ?? .null,
            "recipients": .array(recipients.map(\.json)),
        ]
    }

    /// The reminder as JSON for replies (times in ms; the daemon renders them for people).
    public var json: JSONValue {
        var members = raisedJSON.objectValue ?? [:]
        members["status"] = .string(status.rawValue)
        members["acknowledgedBy"] = acknowledgedBy.map { .string($0) } ?? .null
        members["acknowledgedAt"] = acknowledgedMs.map { .integer($0) } ?? .null
        members["resolvedBy"] = resolvedBy.map { .string($0) } ?? .null
        members["resolvedAt"] = resolvedMs.map { .integer($0) } ?? .null
        members["version"] = .integer(Int64(version))
        return .object(members)
    }

    init?(raised data: JSONValue) {
        guard let id = data["id"]?.stringValue, let rule = data["rule"]?.stringValue.flatMap(ReminderRule.init(rawValue:)),
            let entity = data["entity"]?.stringValue, let deadline = data["deadline"]?.integerValue, let due = data["dueAt"]?.integerValue,
            let raised = data["raisedAt"]?.integerValue, let recipients = data["recipients"]?.arrayValue
        else { return nil }
        self.init(id: id, rule: rule, entity: entity, deadlineMs: deadline, dueMs: due, raisedMs: raised,
                  institution: data["institution"]?.stringValue, recipients: recipients.compactMap(ReminderRecipient.init(json:)))
    }

    /// A reminder as `json` wrote it (the snapshot's form).
    init?(json data: JSONValue) {
        self.init(raised: data)
        guard let status = data["status"]?.stringValue.flatMap(ReminderStatus.init(rawValue:)), let version = data["version"]?.integerValue
        else { return nil }
        self.status = status
        acknowledgedBy = data["acknowledgedBy"]?.stringValue
        acknowledgedMs = data["acknowledgedAt"]?.integerValue
        resolvedBy = data["resolvedBy"]?.stringValue
        resolvedMs = data["resolvedAt"]?.integerValue
        self.version = Int(version)
    }
}

/// Reminders: raised by the daemon, acknowledged by people, resolved by the events that answer them.
public enum ReminderCommand: Sendable, Hashable {
    /// Raises every reminder due by the command's time that was not raised before (the daemon sends it on
    /// its timer, like `expireDue`).
    case raiseDue
    /// Someone saw it: `by` is the user name.
    case acknowledge(id: String, by: String)
}

/// Reminder facts, past tense.
public enum ReminderEvent: Sendable, Hashable {
    case reminderRaised(Reminder)
    case reminderAcknowledged(id: String, by: String, acknowledgedMs: Int64)
    /// `by`: the type of the event that answered it, appended in the same append.
    case reminderResolved(id: String, by: String, resolvedMs: Int64)

    public var type: String {
        switch self {
        case .reminderRaised: return "ReminderRaised"
        case .reminderAcknowledged: return "ReminderAcknowledged"
        case .reminderResolved: return "ReminderResolved"
        }
    }

    /// The reminder, and for a new one the entity it is about (its history lists it).
    public var entityIDs: [String] {
        switch self {
        case .reminderRaised(let reminder): return [reminder.id, reminder.entity]
        case .reminderAcknowledged(let id, _, _), .reminderResolved(let id, _, _): return [id]
        }
    }

    /// The event's data as stored (schema version 1): roles and ids, never a name or an address.
    public var data: JSONValue {
        switch self {
        case .reminderRaised(let reminder): return reminder.raisedJSON
        case .reminderAcknowledged(let id, let by, let at): return ["id": .string(id), "by": .string(by), "acknowledgedAt": .integer(at)]
        case .reminderResolved(let id, let by, let at): return ["id": .string(id), "by": .string(by), "resolvedAt": .integer(at)]
        }
    }

    /// Reads a stored event back; nil for another type or data that does not fit.
    public init?(type: String, data: JSONValue) {
        switch type {
        case "ReminderRaised":
            guard let reminder = Reminder(raised: data) else { return nil }
            self = .reminderRaised(reminder)
        case "ReminderAcknowledged":
            guard let id = data["id"]?.stringValue, let by = data["by"]?.stringValue, let at = data["acknowledgedAt"]?.integerValue else { return nil }
            self = .reminderAcknowledged(id: id, by: by, acknowledgedMs: at)
        case "ReminderResolved":
            guard let id = data["id"]?.stringValue, let by = data["by"]?.stringValue, let at = data["resolvedAt"]?.integerValue else { return nil }
            self = .reminderResolved(id: id, by: by, resolvedMs: at)
        default:
            return nil
        }
    }
}

/// The reminders' read model, one stored property of `DomainState`.
public struct ReminderState: Sendable, Hashable {
    public internal(set) var reminders: [String: Reminder] = [:]
    /// Rule, entity and deadline of every reminder raised: none is raised twice.
    private(set) var raisedKeys: Set<String> = []
    /// Reminders not yet resolved, by the entity they are about: what an answering event looks up.
    public private(set) var unresolvedByEntity: [String: [String]] = [:]
    /// What the rules watch, kept current with every event (`watch`) so that a check, every second, never
    /// scans every question, match and outcome (a scan of 100,000 questions took 100 ms in a debug build):
    /// questions in intake, open matches, outcomes without their follow-up check. (Pending proposals are
    /// the state's own `pendingProposals`.) Derived from the entities, so neither stored in the snapshot
    /// nor in the digest: `rebuildWatchLists` makes them again.
    public private(set) var questionsInIntake: Set<String> = []
    public private(set) var openMatches: Set<String> = []
    public private(set) var outcomesAwaitingFollowUp: Set<String> = []

    public init() {}

    /// The id the next reminder gets.
    public var nextID: String { EntityID.make("A", reminders.count + 1) }

    /// Whether a reminder with this rule, entity and deadline was raised.
    func wasRaised(_ rule: ReminderRule, entity: String, deadlineMs: Int64) -> Bool {
        raisedKeys.contains("\(rule.rawValue)|\(entity)|\(deadlineMs)")
    }

    /// Sets fields only: the judgement was `ReminderDecider`'s.
    mutating func apply(_ event: ReminderEvent) {
        switch event {
        case .reminderRaised(let reminder):
            insert(reminder)
        case .reminderAcknowledged(let id, let by, let at):
            DomainState.update(&reminders, id, version: \.version) { reminder in
                reminder.status = .acknowledged
                reminder.acknowledgedBy = by
                reminder.acknowledgedMs = at
            }
        case .reminderResolved(let id, let by, let at):
            DomainState.update(&reminders, id, version: \.version) { reminder in
                reminder.status = .resolved
                reminder.resolvedBy = by
                reminder.resolvedMs = at
            }
            if let entity = reminders[id]?.entity {
                unresolvedByEntity[entity]?.removeAll { $0 == id }
                if unresolvedByEntity[entity]?.isEmpty == true { unresolvedByEntity.removeValue(forKey: entity) }
            }
        }
    }

    /// Keeps the watch lists current with an event of any aggregate (called by `DomainState.apply`).
    mutating func watch(_ event: DomainEvent) {
        switch event {
        case .questionSubmitted(let question):
            if question.status == .submitted { questionsInIntake.insert(question.id) }
        case .questionAccepted(let id, _, _), .questionRejected(let id, _), .questionReferred(let id, _, _), .questionWithdrawn(let id, _):
            questionsInIntake.remove(id)
        case .questionRevised, .personalDataErased, .offerPublished, .offerRevised, .offerClosed, .offerWithdrawn, .reminder, .notification,
            .publication, .desk, .progress, .organisation:
            break  // These start or end nothing a rule watches.
        case .collaboration(let event):
            watch(event)
        case .lineage(.questionMerged(let id, _, _)), .lineage(.questionSplit(let id, _, _)):
            questionsInIntake.remove(id)
        }
    }

    private mutating func watch(_ event: CollaborationEvent) {
        switch event {
        case .matchAgreed(let match): openMatches.insert(match.id)
        case .matchCancelled(let id, _), .matchDelivered(let id, _), .matchClosed(let id, _): openMatches.remove(id)
        case .outcomeRecorded(let outcome): outcomesAwaitingFollowUp.insert(outcome.id)
        case .followUpRecorded(let outcome, _, _, _): outcomesAwaitingFollowUp.remove(outcome)
        case .proposalCreated, .proposalConsented, .proposalAccepted, .proposalDeclined, .proposalWithdrawn, .proposalExpired, .matchStarted,
            .questionMatched, .questionCompleted, .questionReopened, .offerFilled, .offerReopened, .outcomeRevised:
            break  // A started match stays open; proposals are watched through the state's pendingProposals.
        }
    }

    /// Makes the watch lists again from the entities (a state restored from a snapshot).
    public mutating func rebuildWatchLists(questions: [String: Question], matches: [String: Match], outcomes: [String: Outcome]) {
        questionsInIntake = Set(questions.values.filter { $0.status == .submitted }.map(\.id))
        openMatches = Set(matches.values.filter(\.status.isOpen).map(\.id))
        outcomesAwaitingFollowUp = Set(outcomes.values.filter { $0.followUp == nil }.map(\.id))
    }

    private mutating func insert(_ reminder: Reminder) {
        reminders[reminder.id] = reminder
        raisedKeys.insert(reminder.key)
        if reminder.status != .resolved { unresolvedByEntity[reminder.entity, default: []].append(reminder.id) }
    }

    /// Every reminder in id order, as JSON: the snapshot's and the digest's form.
    public var json: JSONValue {
        .array(reminders.keys.sorted(by: EntityID.precedes).map { reminders[$0]!.json })
    }

    /// The state `json` describes (a snapshot's); nil when an entry does not fit.
    public init?(json: JSONValue) {
        guard let entries = json.arrayValue else { return nil }
        for entry in entries {
            guard let reminder = Reminder(json: entry) else { return nil }
            insert(reminder)
        }
    }
}

/// Limits on reminders.
public enum ReminderLimits {
    /// Reminders raised in one append; more wait for the next check (a second later).
    public static let raisedPerAppendMax = 1_000
}
