import ArgumentParser
import LMDSJSON
import LMDSProtocol

extension LMDSCommand {
    struct Suggest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suggest offers for a question (Q-...) or questions for an offer (O-...), with the reasons in words.",
            discussion: "Example: lmds suggest Q-0001 --limit 5 --explain")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "A question (Q-0001) or an offer (O-0003).") var id: String
        @Option var limit: Int = 10
        @Flag(help: "Also list what was left out, and why.") var explain = false
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: as it was then.") var asOf: String?

        func run() throws {
            let id = self.id.uppercased()  // ids are upper case: q-0001 means Q-0001
            var params: [String: JSONValue] = [id.hasPrefix("O-") ? "offer" : "question": .string(id), "limit": .integer(Int64(limit))]
            if explain { params["explain"] = true }
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let result = try global.call("match.suggest", .object(params), flags: ["question": "ID", "offer": "ID", "limit": "--limit", "asOf": "--as-of"])
            if global.json { return global.printJSON(result) }
            let suggestions = result["suggestions"]?.arrayValue ?? []
            print(suggestions.isEmpty ? "no suggestions for \(id)" : "suggestions for \(id), best first:")
            if result["noGoodMatch"]?.boolValue == true && !suggestions.isEmpty {
                print("no good match: none of these shares a theme, a discipline or enough words with \(id); they are ranked by level, period and places alone")
            }
            for (rank, suggestion) in suggestions.enumerated() {
                print()
                // A question already matched or waiting on a proposal says so (suggestions for an offer).
                let engagement = suggestion["engagement"]?.stringValue.map { $0 == "matched" ? "  (already matched)" : "  (waiting on a proposal)" } ?? ""
                let offTopic = suggestion["topical"]?.boolValue == false ? "  (no topic in common)" : ""
                print("\(rank + 1). \(describe(suggestion["id"]))  score \(describe(suggestion["score"]))  \(describe(suggestion["title"]))\(engagement)\(offTopic)")
                let reasons = (suggestion["reasons"]?.arrayValue ?? []).sorted {
                    ($0["share"]?.doubleValue ?? 0) > ($1["share"]?.doubleValue ?? 0)
                }
                print(TextTable.render(headers: ["  FACTOR", "SHARE", "WHY"], rows: reasons.map { reason in
                    ["  " + describe(reason["factor"]), describe(reason["share"]), describe(reason["detail"])]
                }))
            }
            if let excluded = result["excluded"]?.arrayValue {
                print()
                print(excluded.isEmpty ? "nothing was excluded" : "excluded:")
                if !excluded.isEmpty {
                    print(TextTable.render(headers: ["  ID", "WHY"], rows: excluded.map { ["  " + describe($0["id"]), describe($0["reason"])] }))
                }
            }
        }
    }

    struct PlanCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "The best assignment of open questions to a period's offers within their capacities; --propose makes the proposals.",
            discussion: "Example: lmds plan --period \"2026-2027 S2\" --min-score 0.4 --propose")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Option(help: "A period label (\"2026-2027 S2\").") var period: String?
        @Option(help: "Or the period's first day (with --to).") var from: String?
        @Option(help: "The period's last day.") var to: String?
        @Option(name: .customLong("min-score"), help: "Pairs scoring below this are not planned (default 0.3).") var minScore: Double?
        @Flag(help: "Turn the plan into proposals, in one atomic append.") var propose = false

        static let flags: FlagTable = [
            "period": "--period", "period.from": "--from", "period.to": "--to", "minScore": "--min-score", "propose": "--propose",
        ]

        func validate() throws {
            guard period != nil || (from != nil && to != nil) else { throw ValidationError("missing --period <label>, or --from <YYYY-MM-DD> and --to <YYYY-MM-DD>") }
        }

        func run() throws {
            var params: [String: JSONValue] = [:]
            if let period {
                params["period"] = .string(period)
            } else if let from, let to {
                params["period"] = ["from": .string(from), "to": .string(to)]
            }
            if let minScore { params["minScore"] = .double(minScore) }
            if propose { params["propose"] = true }
            if write.expectedVersion != nil { throw ValidationError("--expected-version does not apply to a plan") }
            write.apply(to: &params, versioned: false)
            let result = try global.call("match.plan", .object(params), flags: Self.flags)
            if global.json { return global.printJSON(result) }
            let pairs = result["pairs"]?.arrayValue ?? []
            if pairs.isEmpty {
                print("no pairs: no open question scores at least the minimum with an offer of that period that has places left")
            } else {
                let proposed = pairs.contains { $0["proposal"] != nil }
                var headers = ["QUESTION", "OFFER", "SCORE", "RUNNER-UP", "QUESTION TITLE", "OFFER TITLE"]
                if proposed { headers.insert("PROPOSAL", at: 0) }
                print(TextTable.render(headers: headers, rows: pairs.map { pair in
                    let runnerUp = pair["runnerUp"].flatMap { $0.isNull ? nil : "\(describe($0["offer"])) (\(describe($0["score"])))" } ?? "-"
                    var row = [describe(pair["question"]), describe(pair["offer"]), describe(pair["score"]), runnerUp,
                               describe(pair["questionTitle"]), describe(pair["offerTitle"])]
                    if proposed { row.insert(describe(pair["proposal"]), at: 0) }
                    return row
                }))
            }
            let unassigned = (result["unassigned"]?.arrayValue ?? []).compactMap(\.stringValue)
            let left = English.count(unassigned.count, "open question")
            if let position = result["position"]?.integerValue { print("proposed in one append, up to log position \(position)") }
            print("\(English.count(pairs.count, "pair")), total score \(describe(result["totalScore"])); \(left) left without an offer"
                  + (unassigned.isEmpty ? "" : ": " + unassigned.prefix(12).joined(separator: ", ") + (unassigned.count > 12 ? ", ..." : "")))
        }
    }
}
