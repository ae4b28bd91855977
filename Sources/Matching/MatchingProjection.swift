import Domain
import LMDSJSON

/// The matching index is a projection: kept current event by event (`willApply`, `didApply`), rebuilt from a
/// state (`init(state:analyzer:)`, or `ParallelIndexBuild` in the core), digested for `replay --check`.
extension MatchingIndex: Projection {
    /// The matcher's per-entity slots, places taken, linked pairs and rating means, in id order.
    public var digestJSON: JSONValue {
        let offers = offerSlots.compactMap { $0 }.sorted { EntityID.precedes($0.id, $1.id) }.map { slot -> JSONValue in
            [
                "id": .string(slot.id), "active": .bool(slot.active), "capacity": .integer(Int64(slot.capacity)),
                "placesTaken": .integer(Int64(slot.placesTaken)), "history": .double(slot.history),
                "themes": .integer(Int64(bitPattern: slot.profile.themes)), "disciplines": .integer(Int64(bitPattern: slot.profile.disciplines)),
            ]
        }
        let questions = questionSlots.compactMap { $0 }.sorted { EntityID.precedes($0.id, $1.id) }.map { slot -> JSONValue in
            ["id": .string(slot.id), "active": .bool(slot.active), "themes": .integer(Int64(bitPattern: slot.profile.themes)),
             "district": .integer(Int64(slot.district))]
        }
        let links = linkedOffers.keys.sorted(by: EntityID.precedes).flatMap { question in
            (linkedOffers[question] ?? [:]).sorted { EntityID.precedes($0.key, $1.key) }.map { offer, count -> JSONValue in
                [.string(question), .string(offer), .integer(Int64(count))]
            }
        }
        return ["offers": .array(offers), "questions": .array(questions), "links": .array(links),
                "documents": ["offers": .integer(Int64(offerText.count)), "questions": .integer(Int64(questionText.count))]]
    }
}
