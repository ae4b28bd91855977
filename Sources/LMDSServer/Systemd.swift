#if canImport(Glibc)
import Glibc
#endif

/// Talks to systemd without libsystemd: `sd_notify` is one datagram to `$NOTIFY_SOCKET`, and socket
/// activation hands over fd 3 with `$LISTEN_PID`/`$LISTEN_FDS`.
public struct SystemdIntegration: Sendable {
    let environment: [String: String]
    let processID: Int32

    public init(environment: [String: String], processID: Int32) {
        self.environment = environment
        self.processID = processID
    }

    /// The first descriptor systemd passed, when it passed one to this process.
    public var activatedSocket: Int32? {
        guard let pid = environment["LISTEN_PID"].flatMap({ Int32($0) }), pid == processID,
            let count = environment["LISTEN_FDS"].flatMap({ Int($0) }), count >= 1
        else { return nil }
        return 3
    }

    /// Half the watchdog interval in microseconds, when systemd asks this process for pings.
    public var watchdogIntervalUs: Int64? {
        guard let usec = environment["WATCHDOG_USEC"].flatMap({ Int64($0) }), usec > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"].flatMap({ Int32($0) }), pid != processID { return nil }
        return usec / 2
    }

    /// Sends `state` (such as `READY=1\nSTATUS=...`) when `$NOTIFY_SOCKET` is set.
    /// - Returns: whether a datagram was sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return false }
        var pathBytes = Array(path.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }  // abstract namespace
        var address = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, socketAddress, length) }
            }
        }
        return sent == message.count
    }
}
