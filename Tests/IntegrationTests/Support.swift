import Foundation
import LMDSCommandLine
import LMDSJSON
import LMDSProtocol
import Testing

/// Where the built executables are: `$LMDS_BIN_DIR` (scripts/test sets it), else beside the test bundle.
enum Binaries {
    static let directory: String = {
        if let value = ProcessInfo.processInfo.environment["LMDS_BIN_DIR"], !value.isEmpty { return value }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.path + "/lmdsd") { return url.path }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug"
    }()

    static var daemon: String { directory + "/lmdsd" }
    static var cli: String { directory + "/lmds" }
    static var crashWriter: String { directory + "/lmds-crash-writer" }

    /// The repository root, for Protocol/ and scripts/.
    static let repositoryRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()
}

/// A temporary directory for one test, removed at the end.
final class Workspace {
    let path: String

    init() {
        path = "/tmp/lmds-it-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o755)
    }

    var dataDirectory: String { path + "/data" }
    var socketPath: String { path + "/lmds.sock" }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
        return file
    }
}

/// The result of running a process to its end.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs an executable to completion with a time limit.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeoutSeconds: Double = 30) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let outData = LockedData()
    let errData = LockedData()
    let group = DispatchGroup()
    for (pipe, sink) in [(out, outData), (err, errData)] {
        group.enter()
        DispatchQueue.global().async {
            sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
    }
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while process.isRunning && Date() < deadline { usleep(5_000) }
    if process.isRunning {
        process.terminate()
        Issue.record("\(executable) \(arguments) did not finish within \(timeoutSeconds) s")
    }
    process.waitUntilExit()
    group.wait()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: outData.get(), as: UTF8.self),
        stderr: String(decoding: errData.get(), as: UTF8.self))
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// A real `lmdsd` process on a temporary data directory and socket.
final class DaemonProcess {
    let workspace: Workspace
    let process = Process()
    let stderrPath: String

    /// Starts lmdsd and waits until its socket answers.
    init(workspace: Workspace, config: String? = nil, environment: [String: String] = [:], extraArguments: [String] = [], waitForSocket: Bool = true) throws {
        self.workspace = workspace
        stderrPath = workspace.path + "/lmdsd-\(UInt16.random(in: 0...UInt16.max)).log"
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Binaries.daemon)
        var arguments = ["--data-dir", workspace.dataDirectory, "--socket", workspace.socketPath]
        if let config { arguments += ["--config", workspace.write("config.json", config)] }
        process.arguments = arguments + extraArguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "LISTEN_PID")
        env.removeValue(forKey: "LISTEN_FDS")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        if waitForSocket { try self.waitForSocket() }
    }

    func waitForSocket(timeoutSeconds: Double = 20) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if let client = try? RPCClient(socketPath: workspace.socketPath, receiveTimeoutMs: 2000),
                (try? client.call("system.ping")) != nil
            {
                return
            }
            guard process.isRunning else {
                throw TestFailure("lmdsd exited with \(process.terminationStatus) before serving: \(stderr)")
            }
            usleep(20_000)
        }
        throw TestFailure("lmdsd did not serve \(workspace.socketPath) within \(timeoutSeconds) s: \(stderr)")
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// A client with a receive timeout, so that a hung daemon fails the test instead of hanging it.
    func client(timeoutMs: Int = 10_000) throws -> RPCClient {
        try RPCClient(socketPath: workspace.socketPath, receiveTimeoutMs: timeoutMs)
    }

    /// Calls and returns the result, failing the test on an error reply.
    func call(_ method: String, _ params: JSONValue? = nil) throws -> JSONValue {
        try client().call(method, params).get()
    }

    /// Sends `signal` and waits for the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeoutSeconds: Double = 20) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("lmdsd did not stop within \(timeoutSeconds) s")
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Seeds a data directory with `count` deterministic events before a daemon opens it.
func seedLog(_ workspace: Workspace, count: Int) throws {
    let result = try run(Binaries.crashWriter, ["seed", workspace.dataDirectory, String(count)])
    #expect(result.status == 0, "seeding failed: \(result.stderr)")
}
