import LMDSJSON

/// What a caller may do, granted per user or group in the daemon's config.
public enum Role: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Reads everything; writes nothing. Auditors and the curious.
    case viewer
    /// Publishes and changes offers of their own institution; consents for the education side.
    case educator
    /// Runs intake, matching and follow-up: every domain write.
    case coordinator
    /// Runs the service: backups, erasure, everything a coordinator can.
    case admin
    /// The delivering process (`lmds-notify`): follows the log, reads reminders and the recipients'
    /// addresses (`person.get`), records deliveries; nothing else. Ranked with viewers: it sees no more.
    case notifier

    var rank: Int {
        switch self {
        case .viewer, .notifier: return 0
        case .educator: return 1
        case .coordinator: return 2
        case .admin: return 3
        }
    }

    /// Orders roles by privilege, from viewer (lowest) to admin (highest).
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// One entry of the method catalogue: its name, a one-line description, and who may call it.
public struct MethodDescriptor: Sendable, Hashable {
    /// The method name a client calls, such as `system.ping`.
    public let name: String
    /// A one-line description, as `system.methods` lists it.
    public let summary: String
    /// Roles allowed to call it.
    public let roles: Set<Role>
    /// Whether it is a domain write (appends on the caller's behalf and takes `requestId`). `admin.backup`
    /// records `BackupTaken` for auditors but is not a domain write: a retry makes a new copy.
    public let isWrite: Bool

    public init(name: String, summary: String, roles: Set<Role>, isWrite: Bool = false) {
        self.name = name
        self.summary = summary
        self.roles = roles
        self.isWrite = isWrite
    }

    /// The descriptor as a JSON object, as `system.methods` lists it.
    public var json: JSONValue {
        [
            "name": .string(name), "summary": .string(summary),
            "roles": .array(Role.allCases.filter { roles.contains($0) }.map { .string($0.rawValue) }),
            "write": .bool(isWrite),
        ]
    }
}

/// The methods the daemon serves. `Protocol/methods/*.md` documents each; a test checks both agree.
public enum MethodCatalogue {
    /// Every role of people (the notifier, a service, is granted its few methods by name).
    static let everyone: Set<Role> = [.viewer, .educator, .coordinator, .admin]
    /// People and the notifier: what the notifier reads to deliver.
    static let everyoneAndNotifier: Set<Role> = everyone.union([.notifier])

    /// The system methods: health and status, the catalogue, reading and following events, audit and backup.
    public static let system: [MethodDescriptor] = [
        MethodDescriptor(name: "system.ping", summary: "Answers pong with the daemon's time; checks that it is up.", roles: everyoneAndNotifier),
        MethodDescriptor(name: "system.status", summary: "Version, log head (position and hash), event count, data directory, uptime, connections.", roles: everyoneAndNotifier),
        MethodDescriptor(name: "system.methods", summary: "This catalogue: every method, what it does, and the roles that may call it.", roles: everyoneAndNotifier),
        MethodDescriptor(name: "events.read", summary: "Reads up to `limit` events from log position `from`, with their envelopes.", roles: everyoneAndNotifier),
        MethodDescriptor(name: "events.subscribe", summary: "Streams events from `from` (catching up from the log) and then live, as events.event notifications.", roles: everyoneAndNotifier),
        MethodDescriptor(name: "events.unsubscribe", summary: "Ends a subscription of this connection.", roles: everyoneAndNotifier),
        MethodDescriptor(name: "audit.verify", summary: "Walks the whole hash chain and names the first bad position, if any.", roles: everyone),
        MethodDescriptor(name: "taxonomy.get", summary: "The city's configuration: districts and wijken, institutions, levels, themes and disciplines with Dutch labels and keywords.", roles: everyone),
        MethodDescriptor(name: "admin.backup", summary: "Hot, compacted copy of the log into a new directory `path`; verifies the copy and records BackupTaken.", roles: [.admin]),
    ]

    static let staff: Set<Role> = [.coordinator, .admin]
    static let offerWriters: Set<Role> = [.educator, .coordinator, .admin]

    /// The Leren met de Stad domain's methods: questions, offers, proposals, matches, outcomes, follow-ups, history, people.
    public static let domain: [MethodDescriptor] = [
        MethodDescriptor(name: "question.submit", summary: "Takes in a question from the city; its requester's contact details go to the personal table, not the log.", roles: staff, isWrite: true),
        MethodDescriptor(name: "question.accept", summary: "Intake done: a submitted question becomes open, optionally re-articulated (title, description).", roles: staff, isWrite: true),
        MethodDescriptor(name: "question.reject", summary: "Rejects a submitted question, with the reason.", roles: staff, isWrite: true),
        MethodDescriptor(name: "question.revise", summary: "Changes the given fields of a submitted or open question.", roles: staff, isWrite: true),
        MethodDescriptor(name: "question.refer", summary: "Refers a submitted or open question to another programme or city (`to`), with the reason.", roles: staff, isWrite: true),
        MethodDescriptor(name: "question.withdraw", summary: "Withdraws a question that is not finished, with the reason.", roles: staff, isWrite: true),
        MethodDescriptor(name: "question.publish", summary: "Marks an open, matched or completed question publishable on the public site (`public`: true, the default), or takes the mark back (false).", roles: staff, isWrite: true),
        MethodDescriptor(name: "site.content", summary: "What the public site may show, as of `asOf`: published questions, their projects and public outcomes, and the programme's figures; never personal details, notes, ratings of one project, internal or embargoed deliverables.", roles: everyone),
        MethodDescriptor(name: "question.get", summary: "One question as it is (or was, with `asOf`); staff also see the requester's contact details.", roles: everyone),
        MethodDescriptor(name: "question.list", summary: "Questions filtered by status, neighbourhood, theme, discipline, level and free text, a page at a time.", roles: everyone),
        MethodDescriptor(name: "offer.publish", summary: "Publishes an education slot (course, minor, thesis, internship, research, event); educators only for their own institution.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "offer.revise", summary: "Changes the given fields of an offer that is not closed or withdrawn.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "offer.close", summary: "Closes an offer: it takes no more questions.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "offer.withdraw", summary: "Withdraws an offer, with the reason.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "offer.get", summary: "One offer as it is (or was, with `asOf`); educators and staff also see its contact's details.", roles: everyone),
        MethodDescriptor(name: "offer.list", summary: "Offers filtered by status, institution, level, kind, theme, discipline, period and free text, a page at a time.", roles: everyone),
        MethodDescriptor(name: "proposal.create", summary: "Proposes one open question to one published offer; it expires without both consents after the configured days.", roles: staff, isWrite: true),
        MethodDescriptor(name: "proposal.accept", summary: "Consent of one side (requester or education); the second consent accepts it and agrees the match in the same append.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "proposal.decline", summary: "One side (requester or education) declines a pending proposal, with the reason.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "proposal.withdraw", summary: "Withdraws a pending proposal, with the reason.", roles: staff, isWrite: true),
        MethodDescriptor(name: "proposal.get", summary: "One proposal: its question and offer, consents, expiry and the match it became.", roles: everyone),
        MethodDescriptor(name: "proposal.list", summary: "Proposals filtered by status, question, offer, neighbourhood, institution, theme, discipline, level, period and text.", roles: everyone),
        MethodDescriptor(name: "match.start", summary: "The team starts: an agreed match becomes started, with the number of students and the start date.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "match.cancel", summary: "Cancels an agreed or started match, with the reason; frees the offer's place.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "match.close", summary: "Closes a delivered match (its outcome is recorded).", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "match.suggest", summary: "Ranks offers for a question (or questions for an offer) with a score in 0..1 and its reasons; `explain` lists what was excluded and why.", roles: everyone),
        MethodDescriptor(name: "match.plan", summary: "The assignment of open questions to a period's offers that maximises the total score within capacities (among each question's 12 best offers); `propose` turns it into proposals in one append.", roles: everyone),
        MethodDescriptor(name: "match.get", summary: "One match: question, offer, team, dates and outcome.", roles: everyone),
        MethodDescriptor(name: "match.list", summary: "Matches filtered by status, question, offer, neighbourhood, institution, theme, discipline, level, period and text.", roles: everyone),
        MethodDescriptor(name: "outcome.record", summary: "Documents what a started match delivered (deliverables with visibility, students, hours, competences, ratings, impact); follow-up drafts become new questions.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "outcome.revise", summary: "Changes the given fields of a recorded outcome.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "outcome.get", summary: "One outcome; viewers see only public deliverables and those whose embargo has ended.", roles: everyone),
        MethodDescriptor(name: "outcome.list", summary: "Outcomes filtered by status, question, offer, neighbourhood, institution, theme, discipline, level, period and text.", roles: everyone),
        MethodDescriptor(name: "followup.list", summary: "Follow-up checks of outcomes: due and overdue by default, as of a date (`on`).", roles: everyone),
        MethodDescriptor(name: "followup.record", summary: "Records whether the requester used what was delivered (yes, partly, no), with a note.", roles: staff, isWrite: true),
        MethodDescriptor(name: "milestone.plan", summary: "Replaces a match's planned milestones with `items` [{title, due}], numbered from 1; coordinators and the offer's educators.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "milestone.complete", summary: "Completes milestone number `milestone` of a match, with an optional note (kept in the personal table).", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "milestone.revise", summary: "Moves milestone number `milestone` of a match to a new `due` date.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "checkin.record", summary: "Records how a match is going (on-track, at-risk, stalled), with an optional note; its health is its latest check-in.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "feedback.submit", summary: "One side's answers (requester, education, students) at the end or the follow-up, checked against the configured questions; blind until every expected side has answered.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "feedback.get", summary: "A match's feedback as far as the caller may see it under the blind rule, and why the rest is hidden.", roles: everyone),
        MethodDescriptor(name: "text.erase", summary: "Erases a note or feedback comment (`T-0001`) from the personal table and records TextErased.", roles: staff, isWrite: true),
        MethodDescriptor(name: "report.get", summary: "A report (overview, neighbourhoods, institutions, themes, talent, outcomes, followups, workload, feedback, reminders, organisations) as text, JSON, CSV, Markdown or HTML, as it stood at `asOf`, over `from`..`to`.", roles: everyone),
        MethodDescriptor(name: "import.questions", summary: "Imports rows of question.submit params (a spreadsheet) in one append, or none; `dryRun` lists every bad row.", roles: staff, isWrite: true),
        MethodDescriptor(name: "import.offers", summary: "Imports rows of offer.publish params in one append, or none; `dryRun` lists every bad row.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "history.get", summary: "Every event that concerns an entity and what is linked to it, in log order, with time, actor, type, a one-line summary and the data.", roles: everyone),
        MethodDescriptor(name: "person.get", summary: "A contact's personal details, or \"erased\".", roles: staff.union([.notifier])),
        MethodDescriptor(name: "notification.record", summary: "The notifier records one delivery attempt of a reminder or an event (channel, message key, attempt, delivered or why not) as NotificationDelivered or NotificationFailed; never an address or a name.", roles: [.notifier, .admin], isWrite: true),
        MethodDescriptor(name: "reminder.list", summary: "Reminders (deadlines passed: intake, consent, expiry, start, outcome, follow-up) for the caller, or for `for` (admins), by status (open by default, acknowledged, resolved, all) and rule.", roles: everyoneAndNotifier),
        MethodDescriptor(name: "reminder.acknowledge", summary: "Marks an open reminder seen; only its recipients (or an admin) may. The event that answers it resolves it.", roles: offerWriters, isWrite: true),
        MethodDescriptor(name: "person.erase", summary: "Erases a contact's personal details (right to be forgotten) and records PersonalDataErased.", roles: staff, isWrite: true),
    ] + desk + organisations

    /// Partner organisations as records.
    public static let organisations: [MethodDescriptor] = [
        MethodDescriptor(name: "organisation.register", summary: "Registers a partner organisation (name, kind, neighbourhood?, website?) as G-0001; a name another record has (case, diacritics and spacing folded) is a conflict.", roles: staff, isWrite: true),
        MethodDescriptor(name: "organisation.revise", summary: "Changes an organisation's name, kind, neighbourhood or website (an empty website clears it); records OrganisationRevised.", roles: staff, isWrite: true),
        MethodDescriptor(name: "organisation.merge", summary: "Merges a duplicate organisation (`from`) into a survivor (`into`): the merged record stays and points to the survivor; records OrganisationMerged.", roles: staff, isWrite: true),
        MethodDescriptor(name: "organisation.adopt", summary: "Turns the free-text organisations of questions submitted before organisations were records into records, in one append: each linked to the record with the same folded name, or to one registered.", roles: staff, isWrite: true),
        MethodDescriptor(name: "person.merge", summary: "Joins a duplicate contact (`from`) into the person's contact (`into`): the survivor's history lists the questions of both, and later requesters found by either's details are linked to the survivor.", roles: staff, isWrite: true),
        MethodDescriptor(name: "organisation.get", summary: "An organisation's record, the records merged into it and the survivor it was merged into, as of `asOf`.", roles: everyone),
        MethodDescriptor(name: "organisation.list", summary: "Organisations by `text`, `kind` and `neighbourhood`, in id order, paged; merged ones only with `merged: true`.", roles: everyone),
    ]

    static let deskReaders: Set<Role> = [.educator, .coordinator, .admin]

    /// The coordinator's desk: owners of questions, what waits on whom, internal notes.
    public static let desk: [MethodDescriptor] = [
        MethodDescriptor(name: "question.assign", summary: "Makes a configured coordinator or admin (`owner`) the question's owner, or releases it (`owner: null`); records QuestionAssigned.", roles: staff, isWrite: true),
        MethodDescriptor(name: "desk.get", summary: "What waits on a person now, by kind, oldest first, with why and since when; admins may ask `for` another configured user.", roles: deskReaders),
        MethodDescriptor(name: "note.add", summary: "Adds an internal note to a question, offer, proposal, match, outcome or organisation; its text goes to the personal table, its SHA-256 to the log.", roles: staff, isWrite: true),
        MethodDescriptor(name: "note.list", summary: "An entity's notes with their text (null once erased), author and hash; viewers read no notes.", roles: deskReaders),
        MethodDescriptor(name: "question.merge", summary: "Merges duplicate questions (`from`) into a survivor (`into`): each becomes merged (final) with mergedInto; their pending proposals are withdrawn in the same append.", roles: staff, isWrite: true),
        MethodDescriptor(name: "question.split", summary: "Splits a question into parts: new questions with splitFrom, in its intake state and with its requester; it becomes split (final).", roles: staff, isWrite: true),
        MethodDescriptor(name: "note.erase", summary: "Erases a note's text from the personal table, with the reason, and records NoteErased; the chain still verifies.", roles: staff, isWrite: true),
    ]

    /// Every method the daemon serves.
    public static let all: [MethodDescriptor] = system + domain

    /// The descriptors by name, built once: every request is authorised through this lookup (a search of
    /// `all` cost an eighth of a cached `question.get`'s time in the daemon).
    private static let byName: [String: MethodDescriptor] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// The descriptor for `name`, or `nil`.
    public static func descriptor(_ name: String) -> MethodDescriptor? {
        byName[name]
    }
}
