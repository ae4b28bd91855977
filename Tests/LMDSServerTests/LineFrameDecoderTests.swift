import LMDSJSON
import LMDSProtocol
import NIOCore
import NIOEmbedded
import Testing
@testable import LMDSServer

@Suite struct LineFrameDecoderTests {
    func lines(_ channel: EmbeddedChannel) throws -> [String] {
        var result: [String] = []
        while let line = try channel.readInbound(as: InboundLine.self) {
            switch line {
            case .line(let buffer): result.append(String(buffer: buffer))
            case .tooLong: result.append("<too long>")
            }
        }
        return result
    }

    /// Lines arriving one byte at a time, and several in one buffer, come out whole and in order.
    @Test func framesLinesByteByByteAndInBulk() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(lineBytesMax: 100)))
        for byte in Array("{\"a\":1}\n{\"b\":\"ë\"}\n".utf8) {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(try lines(channel) == ["{\"a\":1}", "{\"b\":\"ë\"}"])
        try channel.writeInbound(ByteBuffer(string: "one\ntwo\nthree\npart"))
        #expect(try lines(channel) == ["one", "two", "three"])
        try channel.writeInbound(ByteBuffer(string: "ial\n"))
        #expect(try lines(channel) == ["partial"])
        #expect(try channel.finish().isClean)
    }

    /// A line over the limit is reported once, its bytes dropped up to the newline, and the next line is fine.
    @Test func overlongLineIsReportedAndSkipped() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(lineBytesMax: 8)))
        try channel.writeInbound(ByteBuffer(string: "0123456789"))
        try channel.writeInbound(ByteBuffer(string: "abcdef"))
        try channel.writeInbound(ByteBuffer(string: "xyz\nok\n"))
        #expect(try lines(channel) == ["<too long>", "ok"])
        try channel.writeInbound(ByteBuffer(string: "0123456789\nfine\n"))
        #expect(try lines(channel) == ["<too long>", "fine"])
        _ = try channel.finish()
    }

    /// A partial line at hang-up is dropped, not delivered.
    @Test func partialLineAtHangUpIsDropped() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(lineBytesMax: 100)))
        try channel.writeInbound(ByteBuffer(string: "whole\nhalf a li"))
        #expect(try lines(channel) == ["whole"])
        _ = try channel.finish()
        #expect(try lines(channel).isEmpty)
    }
}

@Suite struct DaemonConfigTests {
    /// A full config parses; roles, limits and the stall limit are read.
    @Test func parsesValidConfig() throws {
        let config = try DaemonConfig(json: Array(#"{"roles":{"users":{"alice":"coordinator"},"groups":{"staff":"viewer"}},"lineBytesMax":4096,"connectionsMax":10,"subscriberStallMsMax":500}"#.utf8))
        #expect(config.userRoles == ["alice": .coordinator])
        #expect(config.groupRoles == ["staff": .viewer])
        #expect(config.lineBytesMax == 4096 && config.connectionsMax == 10 && config.subscriberStallMsMax == 500)
    }

    /// Unknown keys, unknown roles and out-of-range limits are refused with the key named.
    @Test(arguments: [
        (#"{"color":"blue"}"#, "color"), (#"{"roles":{"users":{"bob":"root"}}}"#, "roles.users.bob"),
        (#"{"lineBytesMax":10}"#, "lineBytesMax"), (#"{"roles":{"people":{}}}"#, "roles.people"), ("[]", "object"),
    ])
    func refusesBadConfig(text: String, named: String) {
        #expect { try DaemonConfig(json: Array(text.utf8)) } throws: { ($0 as? ConfigError)?.message.contains(named) == true }
    }
}

extension DaemonConfigTests {
    /// Institutions may be named by label; they are stored by id; an unknown one is refused, naming the entry.
    @Test func resolvesInstitutionsAgainstTheTaxonomy() throws {
        let leiden = try loadTaxonomy(path: nil)
        var config = try DaemonConfig(json: Array(#"{"institutions":{"users":{"bob":"Hogeschool Leiden"},"groups":{"docenten":"lumc"}}}"#.utf8))
        try config.resolveInstitutions(in: leiden)
        #expect(config.userInstitutions == ["bob": "hogeschool-leiden"])
        #expect(config.groupInstitutions == ["docenten": "lumc"])
        var unknown = try DaemonConfig(json: Array(#"{"institutions":{"users":{"eve":"Sorbonne"}}}"#.utf8))
        #expect { try unknown.resolveInstitutions(in: leiden) } throws: { ($0 as? ConfigError)?.message.contains("institutions.users.eve") == true }
    }
}

@Suite struct AuthorizerTests {
    /// Root and the daemon's own user are admin; others get the highest role of their user and groups, or none.
    @Test func resolvesRoles() {
        var config = DaemonConfig()
        config.userRoles = ["alice": .viewer]
        config.groupRoles = ["root": .coordinator]
        let authorizer = Authorizer(config: config, daemonUID: 4242)
        #expect(authorizer.resolveRole(uid: 0, gid: 0, userName: "root") == .admin)
        #expect(authorizer.resolveRole(uid: 4242, gid: 4242, userName: "lmds") == .admin)
        #expect(authorizer.resolveRole(uid: 1000, gid: 1000, userName: "alice") == .viewer)
        #expect(authorizer.resolveRole(uid: 1001, gid: 0, userName: "nobody-in-particular") == .coordinator)
        #expect(authorizer.resolveRole(uid: 1002, gid: 65534, userName: "stranger") == nil)
    }

    /// A caller without a role is forbidden everything, even unknown methods; a role outside a method's list is forbidden.
    @Test func authoriseChecksRoleBeforeMethod() {
        let stranger = Caller(credentials: PeerCredentials(pid: 1, uid: 1002, gid: 1002), userName: "stranger", role: nil)
        #expect { try Dispatcher.authorise(method: "no.such", caller: stranger) } throws: { ($0 as? RPCError)?.code == RPCErrorCode.forbidden }
        let viewer = Caller(credentials: PeerCredentials(pid: 1, uid: 1000, gid: 1000), userName: "alice", role: .viewer)
        #expect { try Dispatcher.authorise(method: "no.such", caller: viewer) } throws: { ($0 as? RPCError)?.code == RPCErrorCode.methodNotFound }
        #expect { try Dispatcher.authorise(method: "admin.backup", caller: viewer) } throws: { ($0 as? RPCError)?.code == RPCErrorCode.forbidden }
        #expect((try? Dispatcher.authorise(method: "system.status", caller: viewer)) != nil)
    }
}

@Suite struct SystemdIntegrationTests {
    /// Socket activation applies only when LISTEN_PID is this process; the watchdog interval is half of WATCHDOG_USEC.
    @Test func readsActivationAndWatchdog() {
        #expect(SystemdIntegration(environment: ["LISTEN_PID": "42", "LISTEN_FDS": "1"], processID: 42).activatedSocket == 3)
        #expect(SystemdIntegration(environment: ["LISTEN_PID": "41", "LISTEN_FDS": "1"], processID: 42).activatedSocket == nil)
        #expect(SystemdIntegration(environment: ["LISTEN_PID": "42", "LISTEN_FDS": "0"], processID: 42).activatedSocket == nil)
        #expect(SystemdIntegration(environment: ["WATCHDOG_USEC": "30000000"], processID: 42).watchdogIntervalUs == 15_000_000)
        #expect(SystemdIntegration(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"], processID: 42).watchdogIntervalUs == nil)
        #expect(!SystemdIntegration(environment: [:], processID: 42).notify("READY=1"))
    }
}
