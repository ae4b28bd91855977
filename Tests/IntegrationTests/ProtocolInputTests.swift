import Foundation
import LMDSCommandLine
import LMDSJSON
import LMDSProtocol
import Testing

/// Bad input through the real socket: each gets the proper JSON-RPC error, nothing is appended, and the
/// daemon keeps serving.
@Suite struct ProtocolInputTests {
    static func line(_ text: String) -> [UInt8] { Array((text + "\n").utf8) }

    /// Each malformed line gets an error reply with the expected code, on one connection that stays usable.
    @Test func malformedLinesGetErrorReplies() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let client = try daemon.client()
        let cases: [([UInt8], Int64)] = [
            (Self.line("not json"), RPCErrorCode.parseError),
            ([0x7B, 0xFF, 0xFE, 0x7D, 0x0A], RPCErrorCode.parseError),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"system.ping","params":{"x":"\#u{0}"}}"#), RPCErrorCode.parseError),
            ([0x22, 0xC3, 0x28, 0x22, 0x0A], RPCErrorCode.parseError),
            (Self.line(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)), RPCErrorCode.parseError),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"events.read","params":{"from":1e999}}"#), RPCErrorCode.parseError),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"events.read","params":{"from":123456789012345678901234567890}}"#), RPCErrorCode.invalidParams),
            (Self.line(#"{"jsonrpc":"1.0","id":1,"method":"system.ping"}"#), RPCErrorCode.invalidRequest),
            (Self.line(#"{"jsonrpc":"2.0","id":{},"method":"system.ping"}"#), RPCErrorCode.invalidRequest),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":7}"#), RPCErrorCode.invalidRequest),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"system.ping","params":"x"}"#), RPCErrorCode.invalidRequest),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"system.ping","extra":1}"#), RPCErrorCode.invalidRequest),
            (Self.line("42"), RPCErrorCode.invalidRequest),
            (Self.line("[]"), RPCErrorCode.invalidRequest),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"question.explode"}"#), RPCErrorCode.methodNotFound),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"system.ping","params":{"loud":true}}"#), RPCErrorCode.invalidParams),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"events.read","params":{"from":"one"}}"#), RPCErrorCode.invalidParams),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"events.read","params":{"limit":0}}"#), RPCErrorCode.invalidParams),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"events.read","params":[1,2]}"#), RPCErrorCode.invalidParams),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"admin.backup","params":{}}"#), RPCErrorCode.invalidParams),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"admin.backup","params":{"path":"relative/dir"}}"#), RPCErrorCode.validation),
            (Self.line(#"{"jsonrpc":"2.0","id":1,"method":"events.unsubscribe","params":{"subscription":"S-404"}}"#), RPCErrorCode.notFound),
        ]
        for (bytes, code) in cases {
            try client.sendRaw(bytes)
            let reply = try client.readMessage()
            #expect(reply["jsonrpc"] == "2.0")
            #expect(reply["error"]?["code"]?.integerValue == code, "for \(String(decoding: bytes.prefix(80), as: UTF8.self)): \(reply)")
            #expect(reply["error"]?["message"]?.stringValue?.isEmpty == false)
        }
        // Still serving, on the same connection and on a new one, and nothing was appended.
        #expect(try client.call("system.ping").get()["pong"] == true)
        #expect(try daemon.call("system.status")["position"] == 0)
    }

    /// `system.ping` (answered without futures when it has no params) gives the same reply in every form:
    /// with no params, with empty params, with a string id; a ping notification gets no reply (the next
    /// request's reply is the next line); ping with params is refused; all in order on one connection.
    @Test func pingAnswersInEveryFormAndInOrder() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let client = try daemon.client()
        try client.sendRaw(Self.line(#"{"jsonrpc":"2.0","id":1,"method":"system.ping"}"#)
            + Self.line(#"{"jsonrpc":"2.0","method":"system.ping"}"#)
            + Self.line(#"{"jsonrpc":"2.0","id":"zwei","method":"system.ping","params":{}}"#)
            + Self.line(#"{"jsonrpc":"2.0","id":3,"method":"system.ping","params":{"loud":true}}"#)
            + Self.line(#"{"jsonrpc":"2.0","id":4,"method":"system.status"}"#))
        let replies = try (0..<4).map { _ in try client.readMessage() }
        #expect(replies.map { $0["id"] } == [1, "zwei", 3, 4])
        for reply in replies.prefix(2) {
            #expect(reply["result"]?["pong"] == true)
            let time = try #require(reply["result"]?["time"]?.stringValue)
            #expect(time.utf8.count == 24 && time.hasSuffix("Z"), "\(time)")
            #expect(UTCTimeShape.matches(time), "\(time)")
        }
        #expect(replies[2]["error"]?["code"]?.integerValue == RPCErrorCode.invalidParams)
        #expect(replies[3]["result"]?["position"] == 0)
    }

    /// Invalid params name the field in `data.field`.
    @Test func invalidParamsNameTheField() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let result = try daemon.client().call("events.read", ["limit": "ten"])
        guard case .failure(let error) = result else {
            Issue.record("expected an error")
            return
        }
        #expect(error.code == RPCErrorCode.invalidParams)
        #expect(error.data?["field"] == "limit")
    }

    /// A line over the configured limit gets an error; the connection stays usable for the next line.
    @Test func overlongLineIsRefusedAndConnectionSurvives() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"lineBytesMax": 1024}"#)
        let client = try daemon.client()
        let padding = String(repeating: "x", count: 5000)
        try client.sendRaw(Self.line(#"{"jsonrpc":"2.0","id":1,"method":"system.ping","params":{"p":"\#(padding)"}}"#))
        let reply = try client.readMessage()
        #expect(reply["error"]?["code"]?.integerValue == RPCErrorCode.invalidRequest)
        #expect(reply["error"]?["message"]?.stringValue?.contains("1024 bytes") == true)
        #expect(try client.call("system.ping").get()["pong"] == true)
    }

    /// A 10 MiB line at the default 1 MiB limit is refused without the daemon holding it in memory.
    @Test func tenMebibyteLineIsRefused() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let client = try daemon.client()
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 10 << 20)
        bytes.append(0x0A)
        try client.sendRaw(bytes)
        let reply = try client.readMessage()
        #expect(reply["error"]?["code"]?.integerValue == RPCErrorCode.invalidRequest)
        #expect(try client.call("system.ping").get()["pong"] == true)
    }

    /// A batch is answered with one array in request order; notifications in it get no element.
    @Test func batchIsAnsweredInOrderWithoutNotifications() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let client = try daemon.client()
        try client.sendRaw(Self.line(#"[{"jsonrpc":"2.0","id":"a","method":"system.ping"},{"jsonrpc":"2.0","method":"system.ping"},{"jsonrpc":"2.0","id":"b","method":"nope"},{"jsonrpc":"2.0","id":"c","method":"system.status"}]"#))
        let reply = try client.readMessage()
        let elements = try #require(reply.arrayValue)
        #expect(elements.map { $0["id"] } == ["a", "b", "c"])
        #expect(elements[1]["error"]?["code"]?.integerValue == RPCErrorCode.methodNotFound)
        // A lone notification gets no reply: the next reply is for the next request.
        try client.sendRaw(Self.line(#"{"jsonrpc":"2.0","method":"system.ping"}"#))
        #expect(try client.call("system.ping").get()["pong"] == true)
    }

    /// A batch larger than the limit is refused as a whole.
    @Test func oversizedBatchIsRefused() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let client = try daemon.client()
        let one = #"{"jsonrpc":"2.0","id":1,"method":"system.ping"}"#
        try client.sendRaw(Self.line("[" + Array(repeating: one, count: ProtocolLimits.batchRequestsMax + 1).joined(separator: ",") + "]"))
        let reply = try client.readMessage()
        #expect(reply["error"]?["code"]?.integerValue == RPCErrorCode.invalidRequest)
    }

    /// Half a line and a hang-up, repeated, leave the daemon serving.
    @Test func halfLinesAndHangUpsAreHarmless() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        for _ in 0..<200 {
            let client = try daemon.client()
            try client.sendRaw(Array(#"{"jsonrpc":"2.0","id":1,"meth"#.utf8))
        }
        #expect(try daemon.call("system.ping")["pong"] == true)
        #expect(try daemon.call("system.status")["position"] == 0)
    }

    /// A client that sends its requests and shuts its write side still gets every reply, then EOF.
    @Test func halfClosedClientGetsAllReplies() throws {
        let workspace = Workspace()
        try seedLog(workspace, count: 2000)
        let daemon = try DaemonProcess(workspace: workspace)
        let client = try daemon.client()
        try client.send(RPCRequest(id: 1, method: "audit.verify").json)
        try client.send(RPCRequest(id: 2, method: "system.ping").json)
        try client.send(RPCRequest(id: 3, method: "events.read", params: ["from": 1990]).json)
        client.finishSending()
        #expect(try client.readMessage()["result"]?["intact"] == true)
        #expect(try client.readMessage()["id"] == 2)
        #expect(try client.readMessage()["result"]?["events"]?.arrayValue?.count == 11)
        #expect(throws: ClientError.self) { try client.readMessage() }
    }

    /// 300 connections at once are all answered.
    @Test func servesHundredsOfConcurrentConnections() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace)
        let clients = try (0..<300).map { _ in try daemon.client() }
        for (index, client) in clients.enumerated() {
            try client.send(RPCRequest(id: .integer(Int64(index)), method: "system.ping").json)
        }
        var answered = 0
        for (index, client) in clients.enumerated() {
            let reply = try client.readMessage()
            #expect(reply["id"] == .integer(Int64(index)))
            if reply["result"]?["pong"] == true { answered += 1 }
        }
        #expect(answered == 300)
        #expect(try daemon.call("system.status")["connections"]?.integerValue ?? 0 >= 300)
    }

    /// Past `connectionsMax`, a new connection gets `unavailable` and is closed; the others keep working.
    @Test func connectionLimitIsEnforced() throws {
        let workspace = Workspace()
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"connectionsMax": 3}"#)
        usleep(200_000)  // the start-up probe's connection is released asynchronously
        let held = try (0..<3).map { _ in try daemon.client() }
        for client in held { #expect(try client.call("system.ping").get()["pong"] == true) }
        let extra = try daemon.client()
        let reply = try extra.readMessage()
        #expect(reply["error"]?["code"]?.integerValue == RPCErrorCode.unavailable)
        #expect(try held[0].call("system.ping").get()["pong"] == true)
    }
}

/// The shape of an ISO 8601 UTC time with milliseconds, `2026-11-29T11:38:17.123Z`.
enum UTCTimeShape {
    static func matches(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 24 else { return false }
        for (index, byte) in bytes.enumerated() {
            switch index {
            case 4, 7: if byte != UInt8(ascii: "-") { return false }
            case 10: if byte != UInt8(ascii: "T") { return false }
            case 13, 16: if byte != UInt8(ascii: ":") { return false }
            case 19: if byte != UInt8(ascii: ".") { return false }
            case 23: if byte != UInt8(ascii: "Z") { return false }
            default: if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { return false }
            }
        }
        return true
    }
}
