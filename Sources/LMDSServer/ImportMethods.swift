import LMDSCore
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import NIOCore

/// `import.questions` and `import.offers`: the spreadsheets programmes keep today, as rows of
/// `question.submit` or `offer.publish` params. A dry run lists every bad row; a real import appends all
/// rows in one append, or none.
extension Dispatcher {
    /// The imports in the route table.
    static let importRoutes: [Route] = [
        .answer("import.questions", Dispatcher.answerImport),
        .answer("import.offers", Dispatcher.answerImport),
    ]

    func answerImport(_ params: inout Params, _ context: RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue> {
        let eventLoop = context.eventLoop
        let caller = context.caller
        guard let rows = params.raw("rows")?.arrayValue else {
            throw RPCError.invalidParams(field: "rows", "required: an array of \(context.method == "import.questions" ? "question.submit" : "offer.publish") params")
        }
        guard !rows.isEmpty, rows.count <= Decider.importRowsMax else {
            throw RPCError.validation(field: "rows", "1 to \(Decider.importRowsMax) rows")
        }
        let dryRun = try params.bool("dryRun") ?? false
        let requestID = try params.string("requestId", bytesMax: RecordCodec.requestIDBytesMax)
        try params.rejectUnknown()
        // Each row's params read as the single method reads them; a row that does not read is reported.
        var commands: [Command] = []
        var commandRows: [Int] = []
        var errors: [JSONValue] = []
        for (index, row) in rows.enumerated() {
            do throws(RPCError) {
                var rowParams = try Params(row)
                let command = context.method == "import.questions" ? try Self.submitQuestion(&rowParams) : .offer(.publish(try Self.publishOffer(&rowParams)))
                try rowParams.rejectUnknown()
                commands.append(command)
                commandRows.append(index)
            } catch {
                errors.append(Self.rowError(index, error))
            }
        }
        let prefix = context.method == "import.questions" ? "Q" : "O"
        let processor = self.processor
        let log = self.log
        let actor = caller.actor
        let issuer = caller.issuer
        let count = rows.count
        let readErrors = errors
        let rowsOfCommands = commandRows
        let decidedCommands = commands
        return eventLoop.makeFutureWithTask {
            // A retry of an import that was made gets its result, whatever the rows would say today.
            if !dryRun, let requestID, let earlier = await processor.rememberedResult(requestID) {
                // What the first attempt imported, read back from the log.
                let ids = try Self.entitiesCreated(log: log, lastPosition: Int64(earlier.position), requestID: requestID,
                                                   type: prefix == "Q" ? "QuestionSubmitted" : "OfferPublished")
                let result: JSONValue = ["imported": .integer(Int64(ids.count)), "ids": .array(ids.map { .string($0) }),
                                         "position": .integer(Int64(earlier.position))]
                return prefix == "Q" ? Self.adding(["linked": Self.linkedRows(ids, state: await processor.state)], to: result) : result
            }
            // The rows that read are decided in order on the current state (appending nothing), so that
            // every bad row is named, not only the first.
            let decided = await processor.decideEach(decidedCommands, issuer: issuer)
            var all = readErrors
            for (position, result) in decided.enumerated() {
                if case .failure(let error) = result { all.append(Self.rowError(rowsOfCommands[position], Dispatcher.rpcError(error))) }
            }
            if dryRun || !all.isEmpty {
                let sorted = all.sorted { ($0["row"]?.integerValue ?? 0) < ($1["row"]?.integerValue ?? 0) }
                if !dryRun {
                    throw RPCError(code: RPCErrorCode.validation, message: "Validation failed: \(all.count) of \(count) rows are refused; nothing was imported",
                                   data: ["field": "rows", "reason": "rows refused", "rows": .array(sorted)])
                }
                return ["dryRun": true, "rows": .integer(Int64(count)), "valid": .integer(Int64(count - all.count)), "errors": .array(sorted)]
            }
            let result = try await processor.execute(.importBatch(decidedCommands), actor: actor, issuer: issuer, requestID: requestID)
            let first = Int((result?.entityID ?? "").dropFirst(2)) ?? 0
            let ids = (0..<count).map { EntityID.make(prefix, first + $0) }
            let imported: JSONValue = ["imported": .integer(Int64(count)), "ids": .array(ids.map { .string($0) }),
                                       "position": result.map { .integer(Int64($0.position)) } ?? .null]
            return prefix == "Q" ? Self.adding(["linked": Self.linkedRows(ids, state: await processor.state)], to: imported) : imported
        }.flatMapErrorThrowing { error in throw Self.rpcError(error) }
    }

    /// The rows of an import of questions (`ids`, in row order) whose requester was linked to a contact rather
    /// than making one (`ContactLookup`): `{row, id, contact, existing: true}` for a contact from before the
    /// import, `{row, id, contact, existing: false, sameAsRow}` for the contact an earlier row of it made. Read
    /// from the state after the import (a question's contact never changes), so a retry says the same.
    static func linkedRows(_ ids: [String], state: DomainState) -> JSONValue {
        let rowOf = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let earlier = state.firstQuestionsOfTheirContacts(ids)
        return .array(ids.enumerated().compactMap { row, id -> JSONValue? in
            guard let first = earlier[id], let contact = state.questions[id]?.requester.contact else { return nil }
            var link: [String: JSONValue] = ["row": .integer(Int64(row)), "id": .string(id), "contact": .string(contact),
                                             "existing": .bool(rowOf[first] == nil)]
            if let sameAs = rowOf[first] { link["sameAsRow"] = .integer(Int64(sameAs)) }
            return .object(link)
        })
    }

    /// The ids of the entities one append with `requestID` created, ending at `lastPosition`.
    static func entitiesCreated(log: EventLog, lastPosition: Int64, requestID: String, type: String) throws -> [String] {
        var ids: [String] = []
        var position = lastPosition
        while position > 0, let record = try log.record(at: UInt64(position)), record.requestID == requestID {
            if record.type == type, let id = record.entityIDs.first { ids.append(id) }
            position -= 1
        }
        return ids.reversed()
    }

    static func rowError(_ index: Int, _ error: RPCError) -> JSONValue {
        var field = error.data?["field"]?.stringValue
        if let inner = field, inner.hasPrefix("rows[") { field = inner.split(separator: ".", maxSplits: 1).dropFirst().first.map(String.init) }
        var row: [String: JSONValue] = [
            "row": .integer(Int64(index)), "code": .integer(error.code), "field": field.map { .string($0) } ?? .null,
            "reason": .string(error.data?["reason"]?.stringValue ?? error.message),
        ]
        // A near miss is worth its line in a spreadsheet's report ("Merenwijk Centrum": did you mean ...).
        if let suggestion = error.data?["suggestion"] { row["suggestion"] = suggestion }
        return .object(row)
    }
}
