import Foundation
import LMDSCommandLine
import LMDSJSON
import LMDSProtocol
import Testing

/// events.read and events.subscribe through the real daemon.
@Suite struct SubscriptionTests {
    /// events.read pages through the log in order with `next` to resume.
    @Test func readPagesThroughTheLog() throws {
        let workspace = Workspace()
        try seedLog(workspace, count: 1500)
        let daemon = try DaemonProcess(workspace: workspace)
        var from: Int64 = 1
        var seen: [Int64] = []
        while true {
            let page = try daemon.call("events.read", ["from": .integer(from), "limit": 1000])
            let events = page["events"]?.arrayValue ?? []
            if events.isEmpty { break }
            seen += events.compactMap { $0["position"]?.integerValue }
            from = page["next"]?.integerValue ?? 0
        }
        #expect(seen == Array(1...1500))
        let first = try daemon.call("events.read", ["from": 1, "limit": 1])["events"]?.arrayValue?.first
        #expect(first?["type"] == "SeedAppended")
        #expect(first?["data"]?["wijk"] == "Stevenshof")
        #expect(first?["previousHash"]?.stringValue == String(repeating: "0", count: 64))
        #expect(first?["hash"]?.stringValue?.count == 64)
    }

    /// A subscription catches up from `from` and then receives live events, in order, without gaps.
    @Test func subscriptionCatchesUpThenGoesLive() throws {
        let workspace = Workspace()
        try seedLog(workspace, count: 700)
        let daemon = try DaemonProcess(workspace: workspace)
        let subscriber = try daemon.client()
        let reply = try subscriber.call("events.subscribe", ["from": 650]).get()
        let id = try #require(reply["subscription"]?.stringValue)
        #expect(reply["from"] == 650)
        var positions: [Int64] = []
        while positions.count < 51 {
            let message = try subscriber.nextNotification()
            #expect(message["method"] == "events.event")
            #expect(message["params"]?["subscription"]?.stringValue == id)
            positions.append(message["params"]?["event"]?["position"]?.integerValue ?? -1)
        }
        #expect(positions == Array(650...700))
        // Live: a backup appends BackupTaken, which the subscriber sees next.
        let backup = try daemon.call("admin.backup", ["path": .string(workspace.path + "/backup")])
        #expect(backup["verification"]?["intact"] == true)
        let live = try subscriber.nextNotification()
        #expect(live["params"]?["event"]?["position"] == 701)
        #expect(live["params"]?["event"]?["type"] == "BackupTaken")
        #expect(live["params"]?["event"]?["actor"]?["role"] == "admin")
        // Unsubscribed, nothing more arrives.
        #expect(try subscriber.call("events.unsubscribe", ["subscription": .string(id)]).get()["ended"] == true)
    }

    /// Without `from`, a subscription starts at the next position: only new events.
    @Test func subscriptionWithoutFromIsLiveOnly() throws {
        let workspace = Workspace()
        try seedLog(workspace, count: 10)
        let daemon = try DaemonProcess(workspace: workspace)
        let subscriber = try daemon.client()
        let reply = try subscriber.call("events.subscribe", [:]).get()
        #expect(reply["from"] == 11)
        _ = try daemon.call("admin.backup", ["path": .string(workspace.path + "/b1")])
        let message = try subscriber.nextNotification()
        #expect(message["params"]?["event"]?["position"] == 11)
    }

    /// A subscriber that stops reading is cut off after the stall limit; other clients are not held up.
    @Test func stalledSubscriberIsCutOff() throws {
        let workspace = Workspace()
        try seedLog(workspace, count: 20_000)
        let daemon = try DaemonProcess(workspace: workspace, config: #"{"subscriberStallMsMax": 300}"#)
        let stalled = try daemon.client(timeoutMs: 20_000)
        try stalled.send(RPCRequest(id: 1, method: "events.subscribe", params: ["from": 1]).json)
        // Never read. Others are served meanwhile.
        let started = Date()
        for _ in 0..<20 { #expect(try daemon.call("system.ping")["pong"] == true) }
        #expect(Date().timeIntervalSince(started) < 5)
        let deadline = Date().addingTimeInterval(15)
        var cutOff = false
        while Date() < deadline && !cutOff {
            usleep(100_000)
            cutOff = daemon.stderr.contains("cutting off subscriber")
        }
        #expect(cutOff, "the stalled subscriber was not cut off: \(daemon.stderr)")
        // Draining what was buffered ends in a closed connection, not a hang.
        var closed = false
        for _ in 0..<30_000 {
            do { _ = try stalled.readMessage() } catch {
                closed = true
                break
            }
        }
        #expect(closed)
        #expect(try daemon.call("system.ping")["pong"] == true)
    }
}
