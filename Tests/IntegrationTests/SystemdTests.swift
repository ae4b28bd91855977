import Foundation
import LMDSCommandLine
import LMDSJSON
import LMDSProtocol
import Testing

/// A datagram socket standing in for systemd's `$NOTIFY_SOCKET`.
final class NotifyListener {
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestFailure("cannot bind \(path)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Datagrams received until one contains `text` or the time is up.
    func waitFor(_ text: String, timeoutSeconds: Double = 10) -> [String] {
        var received: [String] = []
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                let message = String(decoding: buffer[0..<count], as: UTF8.self)
                received.append(message)
                if message.contains(text) { return received }
            }
        }
        return received
    }
}

/// systemd integration without systemd: sd_notify datagrams and socket activation.
@Suite struct SystemdTests {
    /// With NOTIFY_SOCKET set, the daemon says READY=1 with a STATUS once it serves, pings the watchdog at
    /// half of WATCHDOG_USEC, and says STOPPING=1 on SIGTERM.
    @Test func notifiesReadyWatchdogAndStopping() throws {
        let workspace = Workspace()
        let listener = try NotifyListener(path: workspace.path + "/notify.sock")
        let daemon = try DaemonProcess(
            workspace: workspace, environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "200000"], waitForSocket: false)
        let ready = listener.waitFor("READY=1")
        let readyMessage = try #require(ready.last { $0.contains("READY=1") }, "no READY=1 in \(ready)")
        #expect(readyMessage.contains("STATUS=serving \(workspace.socketPath)"))
        // Ready means serving: the socket answers right away.
        #expect(try daemon.call("system.ping")["pong"] == true)
        let watchdog = listener.waitFor("WATCHDOG=1", timeoutSeconds: 3)
        #expect(watchdog.contains { $0.contains("WATCHDOG=1") })
        kill(daemon.process.processIdentifier, SIGTERM)
        let stopping = listener.waitFor("STOPPING=1")
        #expect(stopping.contains { $0.contains("STOPPING=1") })
        #expect(daemon.stop() == 0)
    }

    /// Under `systemd-socket-activate`, the daemon serves the socket it is handed (fd 3) instead of binding.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-socket-activate"), "needs systemd-socket-activate"))
    func servesActivatedSocket() throws {
        let workspace = Workspace()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
        process.arguments = ["-l", workspace.socketPath, Binaries.daemon, "--data-dir", workspace.dataDirectory, "--socket", workspace.path + "/unused.sock"]
        let logPath = workspace.path + "/activate.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        var pong: JSONValue?
        let deadline = Date().addingTimeInterval(20)
        while pong == nil && Date() < deadline {
            if let client = try? RPCClient(socketPath: workspace.socketPath, receiveTimeoutMs: 5000) {
                pong = try? client.call("system.ping").get()
            }
            if pong == nil { usleep(50_000) }
        }
        #expect(pong?["pong"] == true)
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        #expect(log.contains("socket activation"), "\(log)")
        #expect(!FileManager.default.fileExists(atPath: workspace.path + "/unused.sock"))
        kill(process.processIdentifier, SIGTERM)
        let stopDeadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < stopDeadline { usleep(10_000) }
        #expect(process.terminationStatus == 0)
    }

    /// The unit files pass `systemd-analyze verify` (with the binary path pointed at a real file) and the
    /// service's exposure rating is 2.0 or lower.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "needs systemd-analyze"))
    func unitFilesVerifyAndAreHardened() throws {
        let workspace = Workspace()
        let units = Binaries.repositoryRoot + "/systemd"
        for name in ["lmdsd.service", "lmdsd.socket"] {
            var text = try String(contentsOfFile: units + "/" + name, encoding: .utf8)
            text = text.replacingOccurrences(of: "/usr/bin/lmdsd", with: Binaries.daemon)
            _ = workspace.write(name, text)
        }
        let verify = try run("/usr/bin/systemd-analyze", ["verify", workspace.path + "/lmdsd.service", workspace.path + "/lmdsd.socket"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let security = try run("/usr/bin/systemd-analyze", ["security", "--offline=true", workspace.path + "/lmdsd.service"])
        let overall = security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
        let score = overall.split(separator: " ").compactMap { Double($0) }.first
        let exposure = try #require(score, "no exposure score in: \(security.stdout)")
        #expect(exposure <= 2.0, "exposure \(exposure)")
    }

    /// lmds-notify.service passes `systemd-analyze verify` and rates 2.0 or lower, though it is the one unit
    /// allowed on the network (for an SMTP relay).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "needs systemd-analyze"))
    func notifierUnitVerifiesAndIsHardened() throws {
        let workspace = Workspace()
        var text = try String(contentsOfFile: Binaries.repositoryRoot + "/systemd/lmds-notify.service", encoding: .utf8)
        text = text.replacingOccurrences(of: "/usr/bin/lmds-notify", with: Binaries.directory + "/lmds-notify")
        let unit = workspace.write("lmds-notify.service", text)
        let verify = try run("/usr/bin/systemd-analyze", ["verify", unit])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let security = try run("/usr/bin/systemd-analyze", ["security", "--offline=true", unit])
        let overall = security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
        let exposure = try #require(overall.split(separator: " ").compactMap { Double($0) }.first, "no exposure score in: \(security.stdout)")
        #expect(exposure <= 2.0, "exposure \(exposure)")
        #expect(text.contains("User=lmds-notify") && text.contains("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"))
    }
}
