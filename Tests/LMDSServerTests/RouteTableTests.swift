import Domain
import EventLog
import Foundation
import LMDSCore
import LMDSJSON
import LMDSProtocol
import LMDSTestSupport
import NIOCore
import NIOPosix
import Testing
@testable import LMDSServer

/// The daemon's route table: one route per catalogue method, authorisation at the edge, and routes called in
/// process, without a socket.
@Suite struct RouteTableTests {
    /// Every method of the catalogue has exactly one route, and every route a catalogue entry: a method added
    /// to one and not the other fails here.
    @Test func everyCatalogueMethodHasOneRouteAndEveryRouteAnEntry() {
        let catalogue = Set(MethodCatalogue.all.map(\.name))
        let routed = Set(Dispatcher.routeTable.keys)
        #expect(catalogue.subtracting(routed).isEmpty, "methods without a route: \(catalogue.subtracting(routed).sorted())")
        #expect(routed.subtracting(catalogue).isEmpty, "routes without a catalogue entry: \(routed.subtracting(catalogue).sorted())")
    }

    static func caller(_ role: Role?) -> Caller {
        Caller(credentials: PeerCredentials(pid: 1, uid: 1000, gid: 1000), userName: "test", role: role)
    }

    /// A viewer may call `match.plan` but not with `propose: true`; a coordinator may; the refusal names the
    /// option, as the Protocol says, and happens before any handler runs.
    @Test func anOptionNeedingMoreThanTheMethodIsAuthorisedAtTheEdge() throws {
        let propose = RPCRequest(id: 1, method: "match.plan", params: ["period": "2026-2027 S2", "propose": true])
        let plain = RPCRequest(id: 2, method: "match.plan", params: ["period": "2026-2027 S2"])
        try Dispatcher.authorise(plain, caller: Self.caller(.viewer))
        try Dispatcher.authorise(propose, caller: Self.caller(.coordinator))
        do {
            try Dispatcher.authorise(propose, caller: Self.caller(.viewer))
            Issue.record("a viewer was allowed to propose")
        } catch {
            #expect(error.code == RPCErrorCode.forbidden)
            #expect(error.message == "Forbidden: role viewer may not propose (match.plan with propose is for coordinators and admins)")
            #expect(error.data?["field"] == "propose" && error.data?["method"] == "match.plan" && error.data?["role"] == "viewer")
        }
        #expect(throws: RPCError.self) { try Dispatcher.authorise(RPCRequest(id: 3, method: "no.such", params: nil), caller: Self.caller(.admin)) }
    }

    /// A write and a read go through their routes in process: the write's params become a command the core
    /// commits, the read sees it, and bad params are refused with the field before anything is appended.
    @Test func routesAnswerInProcessWithoutASocket() async throws {
        let directory = NSTemporaryDirectory() + "lmds-routes-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog.open(EventLogConfiguration(directory: directory))
        defer { log.close() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let dispatcher = Dispatcher(
            log: log, clock: SystemClock(), eventIDs: RandomEventIDSource(), threadPool: pool, dataDirectory: directory,
            taxonomy: DomainFixtures.leiden, connectionCount: { 0 }, daemonLog: DaemonLog(threshold: .error, sink: { _ in }))
        try await dispatcher.processor.rebuild()
        let loop = group.next()
        let coordinator = Self.caller(.coordinator)
        let submit = RPCRequest(id: 1, method: "question.submit", params: [
            "title": "Ontmoetingsplek in de Merenwijk", "description": "Bewoners van het Bos- en Gasthuisdistrict; café ë.",
            "requester": ["kind": "resident"], "neighbourhood": "Merenwijk",
        ])
        let written = try await dispatcher.handle(submit, caller: coordinator, on: loop).get()
        #expect(written["id"] == "Q-0001" && written["status"] == "submitted" && written["position"] == 1)
        let read = try await dispatcher.handle(RPCRequest(id: 2, method: "question.get", params: ["id": "Q-0001"]), caller: coordinator, on: loop).get()
        #expect(read["description"] == "Bewoners van het Bos- en Gasthuisdistrict; café ë.")
        let bad = RPCRequest(id: 3, method: "question.accept", params: ["id": "Q-0001", "colour": "rood"])
        await #expect(throws: RPCError.self) { _ = try await dispatcher.handle(bad, caller: coordinator, on: loop).get() }
        #expect(log.head.position == 1, "a refused write appends nothing")
        try await pool.shutdownGracefully()
        try await group.shutdownGracefully()
    }
}
