import Domain
import LMDSJSON
import LMDSProtocol
import NIOCore

/// `question.merge` and `question.split` (issue 11): duplicates merged into a survivor, a question split
/// into parts, both traceably (the links show in `question.get` and in each one's history).
extension Dispatcher {
    /// The merge and split methods, or nil for another method.
    func handleLineage(_ request: RPCRequest, caller: Caller, on eventLoop: any EventLoop) -> EventLoopFuture<JSONValue>? {
        guard request.method == "question.merge" || request.method == "question.split" else { return nil }
        do throws(RPCError) {
            var params = try Params(request.params)
            if request.method == "question.merge" {
                let into = try Self.requiredString(&params, "into", bytesMax: 32)
                guard let from = try Self.idList(&params, "from", countMax: LineageLimits.mergedQuestionsMax) else {
                    throw RPCError.invalidParams(field: "from", "required: the ids of the questions to merge into `into`")
                }
                let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
                let version = try Self.expectedVersion(&params)
                return write(.lineage(.merge(into: into, from: from, reason: reason, expectedVersion: version)), &params, caller: caller, on: eventLoop)
                    .map { Self.adding(["merged": .array(from.map { .string($0) })], to: $0) }
            }
            let id = try Self.requiredString(&params, "id", bytesMax: 32)
            guard params.raw("parts").map({ !$0.isNull }) == true else {
                throw RPCError.invalidParams(field: "parts", "required: [{title, description, neighbourhood?, themes?, disciplines?, levels?, window?}, ...]")
            }
            let parts = try Self.questionDrafts(&params, field: "parts", countMax: LineageLimits.partsMax, noun: "parts")
            let reason = try Self.requiredString(&params, "reason", bytesMax: QuestionLimits.reasonBytesMax)
            let version = try Self.expectedVersion(&params)
            return write(.lineage(.split(id: id, parts: parts, reason: reason, expectedVersion: version)), &params, caller: caller, on: eventLoop)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
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
            try DomainProcessor.answering { () throws(DomainError) in try EntityKind.question.check(id, field: "\(field)[\(index)]") }
            ids.append(id)
        }
        return ids
    }
}
