import Foundation
import LMDSJSON
import Testing
import Domain
@testable import LMDSServer

/// The table of params that name an entity covers every such param the protocol documents.
@Suite struct IDParamsTests {
    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/schemas").path

    /// Every string param whose schema shows an example id (`Q-0001`, `M-0001`, ...) is in `Dispatcher.idParams`
    /// with that id's kind; `history.get`, which takes an entity of any kind, is the one exception.
    @Test func everyDocumentedIDParamIsChecked() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.schemas).filter { $0.hasSuffix(".params.schema.json") }
        var checked = 0
        for file in files.sorted() {
            let method = String(file.dropLast(".params.schema.json".count))
            guard method != "history.get" else { continue }
            let schema = try JSONParser.parse(String(contentsOfFile: Self.schemas + "/" + file, encoding: .utf8))
            let alternatives = [schema] + (schema["anyOf"]?.arrayValue ?? []) + (schema["oneOf"]?.arrayValue ?? [])
            for properties in alternatives.compactMap({ $0["properties"]?.objectValue }) {
                for (param, value) in properties {
                    guard value["type"]?.stringValue == "string" || value["type"]?.arrayValue?.contains("string") == true,
                        let description = value["description"]?.stringValue,
                        let kind = EntityKind.allCases.first(where: { kind in
                            description.contains("\(kind.prefix)-0001") && description.lowercased().contains("\(kind.rawValue) id")
                        })
                    else { continue }
                    #expect(Dispatcher.idParams[method]?[param] == kind, "\(method) \(param): \(kind) ids are not checked")
                    checked += 1
                }
            }
        }
        #expect(checked >= 20, "the schemas' id params were found (\(checked))")
    }
}
