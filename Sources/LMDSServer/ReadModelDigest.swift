import Crypto
import Domain
import EventLog
import LMDSJSON
import Matching
import Reports

/// The digest of the read models: SHA-256 over the canonical JSON of the whole state, of what the matcher
/// keeps per question and offer, and of the overview's counts. The daemon keeps the last two current event
/// by event; a replay builds them from its state: equal digests mean no incremental structure drifted.
enum ReadModelDigest {
    static func hex(state: DomainState, index: MatchingIndex, overview: OverviewProjection) -> String {
        var document: [String: JSONValue] = ["state": state.canonicalJSON, "matching": summary(index), "overview": summary(overview)]
        // Only once there are any, so that the digest of a log without reminders is what it was before them.
        if !state.reminders.reminders.isEmpty { document["reminders"] = state.reminders.json }
        if !state.notifications.isEmpty { document["notifications"] = state.notifications.json }
        return Hex.encode(Array(SHA256.hash(data: JSONWriter.canonicalBytes(.object(document)))))
    }

    /// The matcher's per-entity slots, places taken, linked pairs and rating means, in id order.
    static func summary(_ index: MatchingIndex) -> JSONValue {
        let offers = index.offerSlots.compactMap { $0 }.sorted { EntityID.precedes($0.id, $1.id) }.map { slot -> JSONValue in
            [
                "id": .string(slot.id), "active": .bool(slot.active), "capacity": .integer(Int64(slot.capacity)),
                "placesTaken": .integer(Int64(slot.placesTaken)), "history": .double(slot.history),
                "themes": .integer(Int64(bitPattern: slot.profile.themes)), "disciplines": .integer(Int64(bitPattern: slot.profile.disciplines)),
            ]
        }
        let questions = index.questionSlots.compactMap { $0 }.sorted { EntityID.precedes($0.id, $1.id) }.map { slot -> JSONValue in
            ["id": .string(slot.id), "active": .bool(slot.active), "themes": .integer(Int64(bitPattern: slot.profile.themes)),
             "district": .integer(Int64(slot.district))]
        }
        let links = index.linkedOffers.keys.sorted(by: EntityID.precedes).flatMap { question in
            (index.linkedOffers[question] ?? [:]).sorted { EntityID.precedes($0.key, $1.key) }.map { offer, count -> JSONValue in
                [.string(question), .string(offer), .integer(Int64(count))]
            }
        }
        return ["offers": .array(offers), "questions": .array(questions), "links": .array(links),
                "documents": ["offers": .integer(Int64(index.offerText.count)), "questions": .integer(Int64(index.questionText.count))]]
    }

    /// The overview's counts by status and its day lists (sorted).
    static func summary(_ overview: OverviewProjection) -> JSONValue {
        func counts<Status: RawRepresentable>(_ table: [Status: Int]) -> JSONValue where Status.RawValue == String {
            .object(Dictionary(uniqueKeysWithValues: table.map { ($0.key.rawValue, JSONValue.integer(Int64($0.value))) }))
        }
        return [
            "questions": counts(overview.questionStatuses), "matchedQuestions": counts(overview.matchedQuestionStatuses),
            "offers": counts(overview.offerStatuses), "proposals": counts(overview.proposalStatuses), "matches": counts(overview.matchStatuses),
            "daysToMatch": .array(overview.daysToMatch.sorted().map { .double($0) }),
            "daysToOutcome": .array(overview.daysToOutcome.sorted().map { .double($0) }), "outcomes": .integer(Int64(overview.outcomeCount)),
        ]
    }
}
