import Foundation
import LMDSCommandLine
import LMDSJSON
import LMDSProtocol
import Testing

/// Replays the example transcripts in Protocol/examples against a fresh daemon: the contract's examples
/// are what the daemon really says.
@Suite struct TranscriptTests {
    static let directory = Binaries.repositoryRoot + "/Protocol/examples"

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
    }

    /// Every method the daemon serves has its page in Protocol/methods and its params and result schemas.
    @Test func everyMethodIsDocumented() throws {
        let root = Binaries.repositoryRoot + "/Protocol"
        let daemonMethods = MethodCatalogue.all.map(\.name)
        for method in daemonMethods {
            #expect(FileManager.default.fileExists(atPath: "\(root)/methods/\(method).md"), "no Protocol/methods/\(method).md")
            #expect(FileManager.default.fileExists(atPath: "\(root)/schemas/\(method).params.schema.json"), "no params schema for \(method)")
            #expect(FileManager.default.fileExists(atPath: "\(root)/schemas/\(method).result.schema.json"), "no result schema for \(method)")
        }
        let pages = try FileManager.default.contentsOfDirectory(atPath: root + "/methods").filter { $0.hasSuffix(".md") }
        #expect(Set(pages.map { String($0.dropLast(3)) }) == Set(daemonMethods), "pages for methods the daemon does not serve")
    }

    /// Every transcript file: each sent line gets exactly the expected reply.
    @Test func transcriptsMatchTheDaemon() throws {
        #expect(!Self.files.isEmpty, "no transcripts in \(Self.directory)")
        for file in Self.files {
            let text = try String(contentsOfFile: Self.directory + "/" + file, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true).filter { !$0.hasPrefix("#") }
            #expect(lines.count % 2 == 0, "\(file): lines must come in request/reply pairs")
            let workspace = Workspace()
            // A transcript that needs a config names it on a comment line `# config: {...}`.
            let config = text.split(separator: "\n").first { $0.hasPrefix("# config: {") }.map { String($0.dropFirst("# config: ".count)) }
            let daemon = try DaemonProcess(workspace: workspace, config: config)
            usleep(100_000)  // the start-up probe's connection is released asynchronously
            let client = try daemon.client()
            var index = 0
            while index + 1 < lines.count {
                try client.sendRaw(Array((lines[index] + "\n").utf8))
                let reply = try client.readMessage()
                let expected = try JSONParser.parse(String(lines[index + 1]))
                var mismatch: String?
                TranscriptMatcher.match(expected: expected, actual: reply, path: "$", mismatch: &mismatch)
                #expect(mismatch == nil, "\(file) line \(index + 1): \(lines[index])\n  \(mismatch ?? "")\n  got \(reply)")
                index += 2
            }
            #expect(daemon.stop() == 0)
        }
    }
}

/// Structural comparison with placeholders: "<any>", "<string>", "<integer>", "<hash>", "<time>".
enum TranscriptMatcher {
    static func match(expected: JSONValue, actual: JSONValue, path: String, mismatch: inout String?) {
        guard mismatch == nil else { return }
        if case .string(let placeholder) = expected, placeholder.hasPrefix("<"), placeholder.hasSuffix(">") {
            let ok: Bool
            switch placeholder {
            case "<any>": ok = true
            case "<string>": ok = actual.stringValue != nil
            case "<integer>": ok = { if case .integer = actual { return true } else { return false } }()
            case "<hash>":
                ok = actual.stringValue.map { $0.count == 64 && $0.allSatisfy { "0123456789abcdef".contains($0) } } ?? false
            case "<time>":
                ok = actual.stringValue.map { $0.count == 24 && $0.hasSuffix("Z") && $0.dropFirst(10).first == "T" } ?? false
            default: ok = actual == expected
            }
            if !ok { mismatch = "\(path): expected \(placeholder), got \(actual)" }
            return
        }
        switch (expected, actual) {
        case (.object(let want), .object(let got)):
            if Set(want.keys) != Set(got.keys) {
                mismatch = "\(path): keys \(want.keys.sorted()) expected, got \(got.keys.sorted())"
                return
            }
            for key in want.keys.sorted() { match(expected: want[key]!, actual: got[key]!, path: path + "." + key, mismatch: &mismatch) }
        case (.array(let want), .array(let got)):
            if want.count != got.count {
                mismatch = "\(path): \(want.count) elements expected, got \(got.count)"
                return
            }
            for (offset, element) in want.enumerated() {
                match(expected: element, actual: got[offset], path: "\(path)[\(offset)]", mismatch: &mismatch)
            }
        default:
            if expected != actual { mismatch = "\(path): expected \(expected), got \(actual)" }
        }
    }
}
