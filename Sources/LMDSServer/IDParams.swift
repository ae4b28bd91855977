import Domain
import LMDSJSON
import LMDSProtocol

/// Which params of which methods name an entity of which kind: one table, checked before any method
/// runs, so that `proposal.accept {"id": "Q-0001"}` says what Q-0001 is instead of "not found".
extension Dispatcher {
    /// Params naming an entity, by method. `history.get` takes any kind and is not listed.
    static let idParams: [String: [String: EntityKind]] = {
        var table: [String: [String: EntityKind]] = [:]
        func ids(_ kind: EntityKind, _ methods: String...) { for method in methods { table[method, default: [:]]["id"] = kind } }
        ids(.question, "question.publish", "question.get", "question.accept", "question.reject", "question.revise", "question.refer", "question.withdraw")
        ids(.offer, "offer.get", "offer.revise", "offer.close", "offer.withdraw")
        ids(.proposal, "proposal.get", "proposal.accept", "proposal.decline", "proposal.withdraw")
        ids(.match, "match.get", "match.start", "match.cancel", "match.close")
        ids(.outcome, "outcome.get", "outcome.revise")
        ids(.contact, "person.get", "person.erase")
        ids(.question, "question.assign")
        ids(.note, "note.erase")
        ids(.reminder, "reminder.acknowledge")
        table["notification.record", default: [:]]["reminder"] = .reminder
        ids(.question, "question.split")
        ids(.organisation, "organisation.get", "organisation.revise")
        table["organisation.merge", default: [:]]["into"] = .organisation
        table["organisation.merge", default: [:]]["from"] = .organisation
        table["person.merge", default: [:]]["into"] = .contact
        table["person.merge", default: [:]]["from"] = .contact
        table["question.merge", default: [:]]["into"] = .question
        for method in ["proposal.create", "match.suggest", "proposal.list", "match.list", "outcome.list"] {
            table[method, default: [:]]["question"] = .question
            table[method, default: [:]]["offer"] = .offer
        }
        table["outcome.record", default: [:]]["match"] = .match
        for method in ["milestone.plan", "milestone.complete", "milestone.revise", "checkin.record", "feedback.submit", "feedback.get"] {
            table[method, default: [:]]["match"] = .match
        }
        table["followup.record", default: [:]]["outcome"] = .outcome
        return table
    }()

    /// Passes unless a param of `request` that names an entity holds an id of another kind.
    /// - Throws: validation (-32004) on that param, with `data.kind`, `data.expected` and `data.expectedPrefix`.
    static func checkIDKinds(_ request: RPCRequest) throws(RPCError) {
        guard let params = idParams[request.method], case .object(let members)? = request.params else { return }
        for (field, kind) in params.sorted(by: { $0.key < $1.key }) {
            guard case .string(let id)? = members[field] else { continue }
            try Dispatcher.answering { () throws(DomainError) in try kind.check(id, field: field) }
        }
    }
}
