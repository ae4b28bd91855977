import LMDSJSON

/// The domain state as bytes and back, for the daemon's start-up snapshot: restoring a state from its
/// bytes takes a fraction of replaying the events that made it. Pure: bytes in, state out.
///
/// The layout is positional (every stored property of every entity, in declaration order), versioned by
/// `formatVersion`: a change to any entity's stored properties must bump it, and a snapshot of another
/// version is not read (the daemon replays the log instead). `StateSnapshotTests` round-trips a state in
/// which every property holds a value and checks equality, so a property left out fails there.
public enum StateSnapshot {
    /// The layout's version; bump it with any change to what is written.
    public static let formatVersion: UInt32 = 6

    /// Appends the state's bytes to `writer`.
    public static func encode(_ state: DomainState, into writer: inout SnapshotWriter) {
        writer.table(state.questions) { writer, question in writer.question(question) }
        writer.table(state.offers) { writer, offer in writer.offer(offer) }
        writer.table(state.proposals) { writer, proposal in writer.proposal(proposal) }
        writer.table(state.matches) { writer, match in writer.match(match) }
        writer.table(state.outcomes) { writer, outcome in writer.outcome(outcome) }
        for count in [state.questionCount, state.offerCount, state.proposalCount, state.matchCount, state.outcomeCount] { writer.int(count) }
        writer.strings(state.contacts.sorted())
        for links in [state.proposalsByQuestion, state.proposalsByOffer, state.matchesByQuestion, state.matchesByOffer,
                      state.outcomesByQuestion, state.outcomesByOffer] {
            writer.count(links.count)
            for (key, ids) in links {
                writer.string(key)
                writer.strings(ids)
            }
        }
        writer.strings(state.pendingProposals.sorted())
        writer.strings(state.erasedContacts.sorted())
        writer.strings(state.publication.publicQuestions.sorted())
        writer.desk(state.desk)
        writer.progress(state.progress)
        // Reminders are few next to the entities they are about: their canonical JSON (format 2).
        writer.string(JSONWriter.canonicalString(state.reminders.json))
        writer.string(JSONWriter.canonicalString(state.notifications.json))
        for links in [state.lineage.mergedFrom, state.lineage.parts] {
            writer.count(links.count)
            for (key, ids) in links.sorted(by: { $0.key < $1.key }) {
                writer.string(key)
                writer.strings(ids)
            }
        }
        // Organisations are few next to questions: their canonical JSON (format 6).
        writer.string(JSONWriter.canonicalString(state.organisations.json))
    }

    /// Reads a state written by `encode`.
    /// - Throws: `SnapshotDecodingError` for bytes that end early or do not hold what `encode` writes.
    /// - Parameter afterQuestions: called with the questions as soon as they are read (the first and
    ///   largest table), so that a caller can start work on them while the rest is read.
    public static func decode(
        from reader: inout SnapshotReader, afterQuestions: ([String: Question]) -> Void = { _ in }
    ) throws(SnapshotDecodingError) -> DomainState {
        var state = DomainState()
        state.questions = try reader.table { reader throws(SnapshotDecodingError) in try reader.question() }
        afterQuestions(state.questions)
        state.offers = try reader.table { reader throws(SnapshotDecodingError) in try reader.offer() }
        state.proposals = try reader.table { reader throws(SnapshotDecodingError) in try reader.proposal() }
        state.matches = try reader.table { reader throws(SnapshotDecodingError) in try reader.match() }
        state.outcomes = try reader.table { reader throws(SnapshotDecodingError) in try reader.outcome() }
        let questionCount = try reader.int()
        let offerCount = try reader.int()
        state.proposalCount = try reader.int()
        state.matchCount = try reader.int()
        state.outcomeCount = try reader.int()
        let contacts = Set(try reader.strings())
        var links: [[String: [String]]] = []
        for _ in 0..<6 {
            let count = try reader.count()
            var table: [String: [String]] = [:]
            table.reserveCapacity(count)
            for _ in 0..<count {
                let key = try reader.string()
                table[key] = try reader.strings()
            }
            links.append(table)
        }
        state.proposalsByQuestion = links[0]
        state.proposalsByOffer = links[1]
        state.matchesByQuestion = links[2]
        state.matchesByOffer = links[3]
        state.outcomesByQuestion = links[4]
        state.outcomesByOffer = links[5]
        state.pendingProposals = Set(try reader.strings())
        state.restore(questionCount: questionCount, offerCount: offerCount, contacts: contacts, erasedContacts: Set(try reader.strings()))
        state.publication.publicQuestions = Set(try reader.strings())
        state.desk = try reader.desk()
        state.progress = try reader.progress()
        let reminders = try reader.string()
        guard let json = try? JSONParser.parse(reminders), let restored = ReminderState(json: json) else {
            throw reader.fail("the reminders do not fit")
        }
        state.reminders = restored
        state.reminders.rebuildWatchLists(questions: state.questions, matches: state.matches, outcomes: state.outcomes)
        guard let notifications = try? JSONParser.parse(try reader.string()), let deliveries = NotificationState(json: notifications) else {
            throw reader.fail("the deliveries do not fit")
        }
        state.notifications = deliveries
        // Merges and splits: each survivor's merged questions, each original's parts; the reverse links follow.
        for kind in 0..<2 {
            for _ in 0..<(try reader.count()) {
                let key = try reader.string()
                let ids = try reader.strings()
                if kind == 0 {
                    state.lineage.mergedFrom[key] = ids
                    for id in ids { state.lineage.mergedInto[id] = key }
                } else {
                    state.lineage.parts[key] = ids
                    for id in ids { state.lineage.splitFrom[id] = key }
                }
            }
        }
        guard let organisations = try? JSONParser.parse(try reader.string()), let records = OrganisationState(json: organisations) else {
            throw reader.fail("the organisations do not fit")
        }
        state.organisations = records
        return state
    }
}

/// Why snapshot bytes could not be read.
public struct SnapshotDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The byte offset where reading failed.
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(reason) at byte \(offset)" }
}

/// Writes snapshot values: integers little-endian, strings and lists prefixed with their length.
public struct SnapshotWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1 << 20) { bytes.reserveCapacity(capacity) }

    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    public mutating func uint64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func int64(_ value: Int64) { uint64(UInt64(bitPattern: value)) }
    public mutating func int(_ value: Int) { int64(Int64(value)) }
    public mutating func count(_ value: Int) { uint64(UInt64(value)) }

    public mutating func raw(_ value: some Collection<UInt8>) {
        count(value.count)
        bytes.append(contentsOf: value)
    }

    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { raw($0) }
    }

    public mutating func strings(_ values: [String]) {
        count(values.count)
        for value in values { string(value) }
    }

    /// `nil` as 0; a value as 1 followed by the value.
    public mutating func optional<Value>(_ value: Value?, _ write: (inout SnapshotWriter, Value) -> Void) {
        guard let value else { return byte(0) }
        byte(1)
        write(&self, value)
    }

    public mutating func optionalString(_ value: String?) { optional(value) { $0.string($1) } }
    public mutating func optionalInt(_ value: Int?) { optional(value) { $0.int($1) } }

    mutating func table<Entity>(_ table: [String: Entity], _ write: (inout SnapshotWriter, Entity) -> Void) {
        count(table.count)
        for entity in table.values { write(&self, entity) }
    }

    mutating func question(_ question: Question) {
        string(question.id)
        string(question.status.rawValue)
        string(question.title)
        string(question.description)
        string(question.requester.kind)
        optionalString(question.requester.organisation)
        optionalString(question.requester.contact)
        byte(question.requester.notify ? 1 : 0)
        optionalString(question.requester.organisationID)
        byte(question.requester.organisationRegistered ? 1 : 0)
        string(question.neighbourhood.district)
        optionalString(question.neighbourhood.wijk)
        strings(question.themes)
        strings(question.disciplines)
        strings(question.levels)
        optional(question.window) { $0.window($1) }
        string(question.size)
        int64(question.submittedMs)
        optionalString(question.closingReason)
        optionalString(question.referredTo)
        int(question.version)
        optionalString(question.followUpOf)
    }

    mutating func window(_ window: DateWindow) {
        string(window.from)
        string(window.to)
    }

    mutating func offer(_ offer: Offer) {
        string(offer.id)
        string(offer.status.rawValue)
        string(offer.title)
        string(offer.description)
        string(offer.institution)
        string(offer.programme)
        string(offer.level)
        string(offer.kind)
        strings(offer.disciplines)
        strings(offer.themes)
        window(offer.period.window)
        optionalString(offer.period.label)
        int(offer.capacity)
        optionalInt(offer.teamSize)
        optionalString(offer.contact)
        int64(offer.publishedMs)
        optionalString(offer.closingReason)
        int(offer.version)
        count(offer.milestoneTemplate.count)
        for item in offer.milestoneTemplate {
            string(item.title)
            int(item.dayOffset)
        }
    }

    mutating func proposal(_ proposal: Proposal) {
        string(proposal.id)
        string(proposal.status.rawValue)
        string(proposal.question)
        string(proposal.offer)
        optionalString(proposal.note)
        int64(proposal.createdMs)
        int64(proposal.expiresMs)
        strings(proposal.consents.map(\.rawValue).sorted())
        optionalString(proposal.declinedBy?.rawValue)
        optionalString(proposal.closingReason)
        optionalString(proposal.match)
        int(proposal.version)
    }

    mutating func match(_ match: Match) {
        string(match.id)
        string(match.status.rawValue)
        string(match.proposal)
        string(match.question)
        string(match.offer)
        int64(match.agreedMs)
        optionalInt(match.students)
        optionalString(match.startedOn)
        optionalString(match.outcome)
        optionalString(match.closingReason)
        int(match.version)
    }

    mutating func outcome(_ outcome: Outcome) {
        string(outcome.id)
        string(outcome.match)
        string(outcome.question)
        string(outcome.offer)
        string(outcome.summary)
        count(outcome.deliverables.count)
        for deliverable in outcome.deliverables {
            string(deliverable.kind)
            string(deliverable.title)
            optionalString(deliverable.uri)
            string(deliverable.visibility.rawValue)
            optionalString(deliverable.embargoUntil)
        }
        optionalInt(outcome.students)
        optionalInt(outcome.hours)
        strings(outcome.competences)
        optionalInt(outcome.ratings.requester)
        optionalInt(outcome.ratings.education)
        optionalString(outcome.impact)
        strings(outcome.followUps)
        int64(outcome.recordedMs)
        string(outcome.followUpDue)
        optional(outcome.followUp) { writer, check in
            writer.string(check.used.rawValue)
            writer.optionalString(check.note)
            writer.int64(check.recordedMs)
        }
        int(outcome.version)
    }
}

/// The bytes a snapshot is read from, kept alive as long as a reader uses them: a copy of an array, or
/// memory the caller owns (a read-only mapping of the file, released by `release`).
public final class SnapshotBytes: @unchecked Sendable {
    public let buffer: UnsafeRawBufferPointer
    private let release: @Sendable (UnsafeRawBufferPointer) -> Void

    /// The bytes of `bytes`, copied.
    public init(copying bytes: [UInt8]) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
        buffer = UnsafeRawBufferPointer(rebasing: copy[0..<bytes.count])
        release = { buffer in UnsafeMutableRawPointer(mutating: buffer.baseAddress)?.deallocate() }
    }

    /// Memory that stays valid until `release` is called with it (when this object goes).
    public init(owning buffer: UnsafeRawBufferPointer, release: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        self.buffer = buffer
        self.release = release
    }

    deinit { release(buffer) }
}

/// Reads what `SnapshotWriter` wrote; every read checks the bytes left, so damaged bytes throw, never trap.
public struct SnapshotReader {
    let storage: SnapshotBytes
    let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int

    public init(bytes: [UInt8], offset: Int = 0) {
        self.init(storage: SnapshotBytes(copying: bytes), offset: offset)
    }

    public init(storage: SnapshotBytes, offset: Int = 0) {
        self.storage = storage
        self.bytes = storage.buffer
        self.offset = offset
    }

    /// Whether every byte was read.
    public var isAtEnd: Bool { offset == bytes.count }

    func fail(_ reason: String) -> SnapshotDecodingError { SnapshotDecodingError(offset: offset, reason: reason) }

    public mutating func byte() throws(SnapshotDecodingError) -> UInt8 {
        guard offset < bytes.count else { throw fail("unexpected end") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func uint64() throws(SnapshotDecodingError) -> UInt64 {
        guard bytes.count - offset >= 8 else { throw fail("unexpected end") }
        let value = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        offset += 8
        return value
    }

    public mutating func int64() throws(SnapshotDecodingError) -> Int64 { Int64(bitPattern: try uint64()) }

    public mutating func int() throws(SnapshotDecodingError) -> Int { Int(try int64()) }

    /// A count of items that follow: never more than the bytes left (each item takes at least one byte),
    /// so damaged counts cannot make a reader reserve or loop beyond the file.
    public mutating func count() throws(SnapshotDecodingError) -> Int {
        let value = try uint64()
        guard value <= UInt64(bytes.count - offset) else { throw fail("a count of \(value) exceeds the bytes left") }
        return Int(value)
    }

    /// The next length-prefixed bytes, valid as long as this reader's storage.
    public mutating func raw() throws(SnapshotDecodingError) -> UnsafeRawBufferPointer {
        let length = try count()
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
    }

    public mutating func string() throws(SnapshotDecodingError) -> String {
        let start = offset
        let slice = try raw()
        guard let text = UTF8Text.string(validating: slice) else {
            throw SnapshotDecodingError(offset: start, reason: "a string that is not UTF-8")
        }
        return text
    }

    public mutating func strings() throws(SnapshotDecodingError) -> [String] {
        let count = try count()
        var values: [String] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try string()) }
        return values
    }

    public mutating func optional<Value>(_ read: (inout SnapshotReader) throws(SnapshotDecodingError) -> Value) throws(SnapshotDecodingError) -> Value? {
        switch try byte() {
        case 0: return nil
        case 1: return try read(&self)
        case let tag: throw fail("an optional tagged \(tag)")
        }
    }

    public mutating func optionalString() throws(SnapshotDecodingError) -> String? {
        try optional { reader throws(SnapshotDecodingError) in try reader.string() }
    }

    public mutating func optionalInt() throws(SnapshotDecodingError) -> Int? {
        try optional { reader throws(SnapshotDecodingError) in try reader.int() }
    }

    mutating func value<Value: RawRepresentable<String>>(_ type: Value.Type) throws(SnapshotDecodingError) -> Value {
        let text = try string()
        guard let value = Value(rawValue: text) else { throw fail("an unknown \(Value.self) \"\(text)\"") }
        return value
    }

    mutating func table<Entity: Identified>(
        _ read: (inout SnapshotReader) throws(SnapshotDecodingError) -> Entity
    ) throws(SnapshotDecodingError) -> [String: Entity] {
        let count = try count()
        var table: [String: Entity] = [:]
        table.reserveCapacity(count)
        for _ in 0..<count {
            let entity = try read(&self)
            table[entity.id] = entity
        }
        return table
    }

    mutating func question() throws(SnapshotDecodingError) -> Question {
        Question(
            id: try string(), status: try value(QuestionStatus.self), title: try string(), description: try string(),
            requester: Requester(kind: try string(), organisation: try optionalString(), contact: try optionalString(), notify: try byte() == 1,
                                 organisationID: try optionalString(), organisationRegistered: try byte() == 1),
            neighbourhood: Taxonomy.Place(district: try string(), wijk: try optionalString()),
            themes: try strings(), disciplines: try strings(), levels: try strings(),
            window: try optional { reader throws(SnapshotDecodingError) in try reader.window() },
            size: try string(), submittedMs: try int64(), closingReason: try optionalString(), referredTo: try optionalString(),
            version: try int(), followUpOf: try optionalString())
    }

    mutating func window() throws(SnapshotDecodingError) -> DateWindow {
        DateWindow(from: try string(), to: try string())
    }

    mutating func offer() throws(SnapshotDecodingError) -> Offer {
        var offer = Offer(
            id: try string(), status: try value(OfferStatus.self), title: try string(), description: try string(),
            institution: try string(), programme: try string(), level: try string(), kind: try string(),
            disciplines: try strings(), themes: try strings(), period: Period(window: try window(), label: try optionalString()),
            capacity: try int(), teamSize: try optionalInt(), contact: try optionalString(), publishedMs: try int64(),
            closingReason: try optionalString(), version: try int())
        let count = try self.count()
        for _ in 0..<count { offer.milestoneTemplate.append(MilestoneTemplate(title: try string(), dayOffset: try int())) }
        return offer
    }

    mutating func proposal() throws(SnapshotDecodingError) -> Proposal {
        let id = try string()
        let status = try value(ProposalStatus.self)
        let question = try string()
        let offer = try string()
        let note = try optionalString()
        let createdMs = try int64()
        let expiresMs = try int64()
        var consents = Set<ConsentSide>()
        for side in try strings() {
            guard let consent = ConsentSide(rawValue: side) else { throw fail("an unknown consent side \"\(side)\"") }
            consents.insert(consent)
        }
        let declinedBy = try optional { reader throws(SnapshotDecodingError) in try reader.value(ConsentSide.self) }
        return Proposal(
            id: id, status: status, question: question, offer: offer, note: note, createdMs: createdMs, expiresMs: expiresMs,
            consents: consents, declinedBy: declinedBy, closingReason: try optionalString(), match: try optionalString(), version: try int())
    }

    mutating func match() throws(SnapshotDecodingError) -> Match {
        Match(
            id: try string(), status: try value(MatchStatus.self), proposal: try string(), question: try string(), offer: try string(),
            agreedMs: try int64(), students: try optionalInt(), startedOn: try optionalString(), outcome: try optionalString(),
            closingReason: try optionalString(), version: try int())
    }

    mutating func outcome() throws(SnapshotDecodingError) -> Outcome {
        let id = try string()
        let match = try string()
        let question = try string()
        let offer = try string()
        let summary = try string()
        var deliverables: [Deliverable] = []
        for _ in 0..<(try count()) {
            deliverables.append(Deliverable(
                kind: try string(), title: try string(), uri: try optionalString(), visibility: try value(Visibility.self),
                embargoUntil: try optionalString()))
        }
        return Outcome(
            id: id, match: match, question: question, offer: offer, summary: summary, deliverables: deliverables,
            students: try optionalInt(), hours: try optionalInt(), competences: try strings(),
            ratings: Ratings(requester: try optionalInt(), education: try optionalInt()), impact: try optionalString(),
            followUps: try strings(), recordedMs: try int64(), followUpDue: try string(),
            followUp: try optional { reader throws(SnapshotDecodingError) in
                FollowUpCheck(used: try reader.value(FollowUpUse.self), note: try reader.optionalString(), recordedMs: try reader.int64())
            },
            version: try int())
    }
}

/// An entity kept in a table by its id.
protocol Identified {
    var id: String { get }
}

extension Question: Identified {}
extension Offer: Identified {}
extension Proposal: Identified {}
extension Match: Identified {}
extension Outcome: Identified {}

extension SnapshotWriter {
    /// The desk: owners with their assignment times, the note counter, and the notes.
    mutating func desk(_ desk: DeskState) {
        count(desk.owners.count)
        for (question, owner) in desk.owners.sorted(by: { $0.key < $1.key }) {
            string(question)
            string(owner)
            int64(desk.assignedMs[question] ?? 0)
        }
        int(desk.noteCount)
        count(desk.notes.count)
        for note in desk.notes.values.sorted(by: { EntityID.precedes($0.id, $1.id) }) {
            for text in [note.id, note.entity, note.author, note.sha256] { string(text) }
            int64(note.addedMs)
            optionalString(note.erasedReason)
        }
    }
}

extension SnapshotReader {
    /// A desk written by `SnapshotWriter.desk`; the notes per entity follow from the notes in id order.
    mutating func desk() throws(SnapshotDecodingError) -> DeskState {
        var desk = DeskState()
        for _ in 0..<(try count()) {
            let question = try string()
            desk.owners[question] = try string()
            desk.assignedMs[question] = try int64()
        }
        desk.noteCount = try int()
        for _ in 0..<(try count()) {
            let id = try string()
            let entity = try string()
            let author = try string()
            let sha256 = try string()
            let note = Note(id: id, entity: entity, author: author, sha256: sha256, addedMs: try int64(), erasedReason: try optionalString())
            desk.notes[id] = note
            desk.notesByEntity[entity, default: []].append(id)
        }
        return desk
    }
}
