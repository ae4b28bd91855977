import Domain
import LMDSCore
import LMDSJSON
import LMDSProtocol
import NIOCore

/// `question.merge` and `question.split` (issue 11): duplicates merged into a survivor, a question split
/// into parts, both traceably (the links show in `question.get` and in each one's history).
extension Dispatcher {
    /// The merge and split methods in the route table.
    static let lineageRoutes: [Route] = [
        .answer("question.merge", Dispatcher.answerQuestionMerge),
        .write("question.split", Dispatcher.decodeQuestionSplit),
    ]

    /// `question.merge`: a write whose reply also lists the merged questions (`merged`).
    func answerQuestionMerge(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let into = try Self.requiredString(&params, "into", bytesMax: 32)
        guard let from = try Self.idList(&params, "from", countMax: LineageLimits.mergedQuestionsMax) else {
            throw RPCError.invalidParams(field: "from", "required: the ids of the questions to merge into `into`")
        }
        let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
        let version = try Self.expectedVersion(&params)
        return write(.lineage(.merge(into: into, from: from, reason: reason, expectedVersion: version)), &params, caller: context.caller,
                     on: context.eventLoop)
            .map { Self.adding(["merged": .array(from.map { .string($0) })], to: $0) }
    }

    /// `question.split`: the params as a command.
    func decodeQuestionSplit(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> Command {
        let id = try Self.requiredString(&params, "id", bytesMax: 32)
        guard params.raw("parts").map({ !$0.isNull }) == true else {
            throw RPCError.invalidParams(field: "parts", "required: [{title, description, neighbourhood?, themes?, disciplines?, levels?, window?}, ...]")
        }
        let parts = try Self.questionDrafts(&params, field: "parts", countMax: LineageLimits.partsMax, noun: "parts")
        let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
        let version = try Self.expectedVersion(&params)
        return .lineage(.split(id: id, parts: parts, reason: reason, expectedVersion: version))
    }

    /// A list of question ids (strings of at most 32 bytes), at most `countMax`, each of the question kind.
    static func idList(_ params: inout Params, _ field: String, countMax: Int) throws(RPCError) -> [String]? {
        guard let value = params.raw(field), !value.isNull else { return nil }
        guard let elements = value.arrayValue else { throw RPCError.invalidParams(field: field, "expected an array of question ids, got \(value.typeName)") }
        guard elements.count <= countMax else { throw RPCError.validation(field: field, "at most \(countMax) questions") }
        var ids: [String] = []
        for (index, element) in elements.enumerated() {
            guard let id = element.stringValue, id.utf8.count <= 32 else {
                throw RPCError.invalidParams(field: "\(field)[\(index)]", "expected a question id (a string of at most 32 bytes)")
            }
            try Dispatcher.answering { () throws(DomainError) in try EntityKind.question.check(id, field: "\(field)[\(index)]") }
            ids.append(id)
        }
        return ids
    }
}
