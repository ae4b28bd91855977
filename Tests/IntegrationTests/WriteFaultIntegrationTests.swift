import Foundation
import LMDSJSON
import LMDSProtocol
import Testing

/// The daemon on a disk whose syncs fail (issue 24, "a failed fsync"), made by scripts/torture's LD_PRELOAD
/// shim (scripts/torture-src/fault_shim.c), built here with gcc.
@Suite struct WriteFaultIntegrationTests {
    static let gcc = "/usr/bin/gcc"

    /// Builds the shim into the workspace.
    static func buildShim(_ workspace: Workspace) throws -> String {
        let shim = workspace.path + "/fault_shim.so"
        let source = Binaries.repositoryRoot + "/scripts/torture-src/fault_shim.c"
        let built = try run(gcc, ["-shared", "-fPIC", "-O2", "-o", shim, source, "-ldl"], timeoutSeconds: 120)
        guard built.status == 0 else { throw TestFailure("gcc could not build the fault shim: \(built.stderr)") }
        return shim
    }

    /// Once an fdatasync of data.mdb fails with EIO, the write whose commit hit it and every later write get
    /// -32005 `syncFailed` with a reason naming EIO; reads go on; `system.status` shows `writeFault`; the daemon
    /// writes one error line, not one per write. Restarted without the fault, the log holds exactly the
    /// acknowledged writes, intact, and takes writes again.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gcc), "needs gcc to build the fault shim"))
    func aFailedSyncRefusesEveryWriteUntilRestart() throws {
        let workspace = Workspace()
        let shim = try Self.buildShim(workspace)
        var daemon: DaemonProcess? = try DaemonProcess(
            workspace: workspace, environment: ["LD_PRELOAD": shim, "LMDS_FAULT_TARGET": "sync", "LMDS_FAULT_AFTER": "4"])
        let client = try daemon!.client()
        var acknowledged: [JSONValue] = []
        var refusals: [RPCError] = []
        for index in 1...40 where refusals.count < 4 {
            switch try client.call("question.submit", QuestionTests.submitParams(index, requestID: "fault-\(index)")) {
            case .success(let result):
                #expect(refusals.isEmpty, "a write was acknowledged after one was refused: \(result)")
                acknowledged.append(result)
            case .failure(let error): refusals.append(error)
            }
        }
        #expect(!acknowledged.isEmpty)
        #expect(refusals.count == 4, "the fault never came")
        for refusal in refusals {
            #expect(refusal.code == -32005 && refusal.data?["cause"] == "syncFailed", "\(refusal)")
            let reason = refusal.data?["reason"]?.stringValue ?? ""
            #expect(reason.contains("EIO") && reason.contains("restart the daemon"), "\(reason)")
        }
        let status = try daemon!.call("system.status")
        #expect(status["writeFault"]?["cause"] == "syncFailed")
        #expect(status["position"]?.integerValue == Int64(acknowledged.count))
        let question = try daemon!.call("question.get", ["id": acknowledged[0]["id"] ?? .null])
        #expect(question["id"] == acknowledged[0]["id"])
        #expect(try daemon!.call("audit.verify")["intact"] == true)
        let errorLines = daemon!.stderr.split(separator: "\n").filter { $0.hasPrefix("<3>") }
        #expect(errorLines.count == 1 && errorLines.first?.contains("writes stopped: ") == true, "\(errorLines)")
        #expect(daemon!.stop() == 0)
        daemon = nil
        let restarted = try DaemonProcess(workspace: workspace)
        #expect(try restarted.call("system.status")["writeFault"] == nil)
        let events = try restarted.call("events.read", ["from": 1, "limit": 100])["events"]?.arrayValue ?? []
        #expect(events.map { $0["requestId"] } == (1...acknowledged.count).map { .string("fault-\($0)") })
        #expect(try restarted.call("audit.verify")["intact"] == true)
        let after = try restarted.call("question.submit", QuestionTests.submitParams(99, requestID: "fault-after"))
        #expect(after["position"]?.integerValue == Int64(acknowledged.count + 1))
        #expect(restarted.stop() == 0)
    }
}
