#if canImport(Glibc)
import Glibc
#endif
import LMDSJSON
import LMDSProtocol
import Testing

@Suite struct RPCCodecTests {
    func decode(_ text: String) -> RPCIncoming { RPCCodec.decodeLine(Array(text.utf8)) }

    /// A valid request keeps its id, method and params.
    @Test func decodesValidRequest() {
        let incoming = decode(#"{"jsonrpc":"2.0","id":"a-1","method":"events.read","params":{"from":3}}"#)
        #expect(incoming == .single(.request(RPCRequest(id: "a-1", method: "events.read", params: ["from": 3]))))
    }

    /// A request without id is a notification.
    @Test func requestWithoutIdIsNotification() {
        guard case .single(.request(let request)) = decode(#"{"jsonrpc":"2.0","method":"system.ping"}"#) else {
            Issue.record("not a request")
            return
        }
        #expect(request.isNotification)
    }

    /// Envelope errors keep the id when it could be read, and use null otherwise.
    @Test func envelopeErrorsKeepTheIdWhenReadable() {
        #expect(decode(#"{"jsonrpc":"1.0","id":7,"method":"x"}"#) == .single(.invalid(id: 7, error: .invalidRequest("jsonrpc must be \"2.0\""))))
        #expect(decode(#"{"jsonrpc":"2.0","id":[1],"method":"x"}"#) == .single(.invalid(id: .null, error: .invalidRequest("id must be a string, a number or null"))))
        #expect(decode(#"{"jsonrpc":"2.0","id":1,"method":"x","b":1,"a":2}"#) == .single(.invalid(id: 1, error: .invalidRequest("unknown member \"a\""))))
    }

    /// Parse errors carry code -32700; batches are split into entries; empty and oversized batches are refused.
    @Test func batchesAndParseErrors() {
        guard case .single(.invalid(_, let parse)) = decode("{") else {
            Issue.record("expected a parse error")
            return
        }
        #expect(parse.code == RPCErrorCode.parseError)
        guard case .batch(let entries) = decode(#"[{"jsonrpc":"2.0","id":1,"method":"a"}, 5]"#) else {
            Issue.record("expected a batch")
            return
        }
        #expect(entries.count == 2)
        if case .invalid = entries[1] {} else { Issue.record("a number in a batch is an invalid request") }
        if case .single(.invalid(_, let error)) = decode("[]") { #expect(error.code == RPCErrorCode.invalidRequest) } else { Issue.record("empty batch accepted") }
        let many = "[" + Array(repeating: #"{"jsonrpc":"2.0","id":1,"method":"a"}"#, count: ProtocolLimits.batchRequestsMax + 1).joined(separator: ",") + "]"
        if case .single(.invalid(_, let error)) = decode(many) { #expect(error.code == RPCErrorCode.invalidRequest) } else { Issue.record("oversized batch accepted") }
    }

    /// Replies are one canonical line ending in a newline.
    /// A reply around an already encoded result, and a batch of encoded replies, are byte for byte the
    /// canonical JSON of the same reply built as a value (the daemon answers cached reads this way).
    @Test func encodedRepliesEqualTheCanonicalBytesOfTheSameValue() {
        let result: JSONValue = ["title": "Eenzaamheid in de Stevenshof", "district": "Bos- en Gasthuisdistrict", "tags": ["ë", 1, .null]]
        let ids: [JSONValue] = [1, -7, "abc", "Vraag \"ë\"", .null, 2.5]
        for id in ids {
            let encoded = RPCCodec.success(id: id, encodedResult: JSONWriter.canonicalBytes(result))
            #expect(encoded == JSONWriter.canonicalBytes(RPCCodec.success(id: id, result: result)))
        }
        let replies: [JSONValue] = ids.map { RPCCodec.success(id: $0, result: result) }
        #expect(RPCCodec.batch(replies.map { JSONWriter.canonicalBytes($0) }) == JSONWriter.canonicalBytes(.array(replies)))
        #expect(RPCCodec.batch([JSONWriter.canonicalBytes(replies[0])]) == JSONWriter.canonicalBytes(.array([replies[0]])))
    }

    @Test func repliesAreCanonicalLines() {
        let line = RPCCodec.line(RPCCodec.success(id: 1, result: ["b": 1, "a": "Stevenshof"]))
        #expect(String(decoding: line, as: UTF8.self) == #"{"id":1,"jsonrpc":"2.0","result":{"a":"Stevenshof","b":1}}"# + "\n")
    }
}

@Suite struct ParamsTests {
    /// Typed reads name the field on a wrong type, an out-of-range value and an unknown param.
    @Test func readsTypedParamsAndNamesTheField() throws {
        var params = try Params(["from": 5, "name": "Merenwijk", "flag": true])
        #expect(try params.integer("from", in: 1...10) == 5)
        #expect(try params.string("name") == "Merenwijk")
        #expect(try params.bool("flag") == true)
        #expect(try params.integer("missing", in: 1...10) == nil)
        try params.rejectUnknown()

        var wrong = try Params(["from": "five"])
        #expect { try wrong.integer("from", in: 1...10) } throws: { ($0 as? RPCError)?.data?["field"] == "from" }
        var range = try Params(["from": 11])
        #expect { try range.integer("from", in: 1...10) } throws: { ($0 as? RPCError)?.code == RPCErrorCode.invalidParams }
        let unknown = try Params(["typo": 1])
        #expect { try unknown.rejectUnknown() } throws: { ($0 as? RPCError)?.data?["field"] == "typo" }
        #expect(throws: RPCError.self) { try Params(.array([1])) }
    }

    /// Strings over their byte limit are a validation error, not a type error.
    @Test func overlongStringIsValidationError() throws {
        var params = try Params(["title": .string(String(repeating: "ë", count: 6))])
        #expect { try params.string("title", bytesMax: 10) } throws: { ($0 as? RPCError)?.code == RPCErrorCode.validation }
    }
}

@Suite struct DefaultPathsTests {
    /// Each default follows its documented order.
    @Test func resolvesInDocumentedOrder() {
        #expect(DefaultPaths.dataDirectory(environment: ["LMDS_DATA_DIR": "/a", "STATE_DIRECTORY": "/b"]) == "/a")
        #expect(DefaultPaths.dataDirectory(environment: ["STATE_DIRECTORY": "/b:/c", "XDG_STATE_HOME": "/x"]) == "/b")
        #expect(DefaultPaths.dataDirectory(environment: ["XDG_STATE_HOME": "/x", "HOME": "/h"]) == "/x/lmds")
        #expect(DefaultPaths.dataDirectory(environment: ["HOME": "/h"]) == "/h/.local/state/lmds")
        #expect(DefaultPaths.dataDirectory(environment: [:]) == "/var/lib/lmds")
        #expect(DefaultPaths.socketPath(environment: ["LMDS_SOCKET": "/s", "XDG_RUNTIME_DIR": "/r"]) == "/s")
        #expect(DefaultPaths.socketPath(environment: ["XDG_RUNTIME_DIR": "/r"]) == "/r/lmds/lmds.sock")
        #expect(DefaultPaths.socketPath(environment: [:]) == "/run/lmds/lmds.sock")
        let explicit = DefaultPaths.configFile(environment: ["LMDS_CONFIG": "/c"])
        #expect(explicit.path == "/c" && explicit.explicit)
        let fallback = DefaultPaths.configFile(environment: [:])
        #expect(fallback.path == "/etc/lmds/config.json" && !fallback.explicit)
    }
}

@Suite struct MethodCatalogueTests {
    /// Method names are unique, and only admins may take backups.
    @Test func catalogueIsConsistent() {
        let names = MethodCatalogue.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(MethodCatalogue.descriptor("admin.backup")?.roles == [.admin])
        #expect(MethodCatalogue.descriptor("system.ping")?.roles == Set(Role.allCases))
        #expect(MethodCatalogue.descriptor("no.such") == nil)
        #expect(Role.viewer < Role.educator && Role.coordinator < Role.admin)
    }
}

@Suite struct SmallFileTests {
    /// A file is read whole; a missing one says why; one over the bound is refused.
    @Test func readsWithinTheBound() throws {
        let path = "/tmp/lmds-smallfile-\(UInt32.random(in: 0...UInt32.max))"
        let text = "{\"wijk\": \"Bos- en Gasthuisdistrict\"}"
        let file = fopen(path, "w")
        fputs(text, file)
        fclose(file)
        defer { unlink(path) }
        #expect(SmallFile.read(path, bytesMax: 1000) == .success(Array(text.utf8)))
        #expect(SmallFile.read(path, bytesMax: 10) == .failure(.tooLarge))
        guard case .failure(.unreadable(let reason)) = SmallFile.read(path + ".absent", bytesMax: 1000) else {
            Issue.record("a missing file was read")
            return
        }
        #expect(reason.contains("No such file"))
    }
}
