/// `ProgressState` in the start-up snapshot (`StateSnapshot`): matches in sorted order, each list in order,
/// every stored property in declaration order.
extension SnapshotWriter {
    mutating func progress(_ progress: ProgressState) {
        perMatch(progress.milestones) { writer, milestone in
            writer.int(milestone.number)
            writer.string(milestone.title)
            writer.string(milestone.due)
            writer.optional(milestone.completedMs) { $0.int64($1) }
            writer.optionalString(milestone.completedOn)
            writer.textReference(milestone.note)
        }
        perMatch(progress.checkIns) { writer, checkIn in
            writer.int(checkIn.number)
            writer.string(checkIn.health.rawValue)
            writer.int64(checkIn.recordedMs)
            writer.textReference(checkIn.note)
        }
        perMatch(progress.feedback) { writer, entry in
            writer.string(entry.side.rawValue)
            writer.string(entry.moment.rawValue)
            writer.count(entry.answers.count)
            for (question, answer) in entry.answers.sorted(by: { $0.key < $1.key }) {
                writer.string(question)
                writer.int(answer)
            }
            writer.int64(entry.submittedMs)
            writer.textReference(entry.comment)
        }
        int(progress.textCount)
        strings(progress.erasedTexts.sorted())
    }

    private mutating func perMatch<Item>(_ table: [String: [Item]], _ write: (inout SnapshotWriter, Item) -> Void) {
        count(table.count)
        for (match, items) in table.sorted(by: { $0.key < $1.key }) {
            string(match)
            count(items.count)
            for item in items { write(&self, item) }
        }
    }

    private mutating func textReference(_ reference: TextReference?) {
        optional(reference) { writer, reference in
            writer.string(reference.id)
            writer.string(reference.sha256)
        }
    }
}

extension SnapshotReader {
    mutating func progress() throws(SnapshotDecodingError) -> ProgressState {
        var progress = ProgressState()
        progress.milestones = try perMatch { reader throws(SnapshotDecodingError) in
            Milestone(number: try reader.int(), title: try reader.string(), due: try reader.string(),
                      completedMs: try reader.optional { reader throws(SnapshotDecodingError) in try reader.int64() },
                      completedOn: try reader.optionalString(), note: try reader.textReference())
        }
        progress.checkIns = try perMatch { reader throws(SnapshotDecodingError) in
            CheckIn(number: try reader.int(), health: try reader.value(MatchHealth.self), recordedMs: try reader.int64(), note: try reader.textReference())
        }
        progress.feedback = try perMatch { reader throws(SnapshotDecodingError) in
            let side = try reader.value(FeedbackSide.self)
            let moment = try reader.value(FeedbackMoment.self)
            var answers: [String: Int] = [:]
            for _ in 0..<(try reader.count()) { answers[try reader.string()] = try reader.int() }
            return FeedbackEntry(side: side, moment: moment, answers: answers, submittedMs: try reader.int64(), comment: try reader.textReference())
        }
        progress.textCount = try int()
        progress.erasedTexts = Set(try strings())
        return progress
    }

    private mutating func perMatch<Item>(
        _ read: (inout SnapshotReader) throws(SnapshotDecodingError) -> Item
    ) throws(SnapshotDecodingError) -> [String: [Item]] {
        var table: [String: [Item]] = [:]
        for _ in 0..<(try count()) {
            let match = try string()
            var items: [Item] = []
            for _ in 0..<(try count()) { items.append(try read(&self)) }
            table[match] = items
        }
        return table
    }

    private mutating func textReference() throws(SnapshotDecodingError) -> TextReference? {
        try optional { reader throws(SnapshotDecodingError) in TextReference(id: try reader.string(), sha256: try reader.string()) }
    }
}
