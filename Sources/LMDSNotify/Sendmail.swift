import Foundation

/// Hands a message to the system's sendmail interface (`/usr/sbin/sendmail -t -oi` by default, or msmtp):
/// the command from the config, the message on its standard input; exit status 0 is a delivery to the MTA.
public struct Sendmail: Sendable {
    public let command: [String]

    /// How long one hand-over may take before the command is ended and the attempt counts as failed.
    public static let timeoutSeconds = 60.0
    /// The part of the command's standard error kept as the failure's reason (`notification.record` takes
    /// at most 500 bytes).
    static let reasonBytesMax = 300

    public init(command: [String]) { self.command = command }

    /// Sends `message`; nil when the command took it, else the reason it failed.
    public func send(_ message: EmailMessage) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return "cannot run \(command[0]): \(error)"
        }
        let timer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.timeoutSeconds, execute: timer)
        // A command that exits early closes the pipe: the write fails (SIGPIPE is ignored) and the exit status says why.
        try? input.fileHandleForWriting.write(contentsOf: Data(message.text.utf8))
        try? input.fileHandleForWriting.close()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile().prefix(Self.reasonBytesMax), as: UTF8.self)
        process.waitUntilExit()
        timer.cancel()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let how = process.terminationReason == .exit ? "exit status \(process.terminationStatus)" : "ended by signal \(process.terminationStatus)"
            let detail = errorText.split(separator: "\n").first.map { ": \($0)" } ?? ""
            return "\(command[0]) failed (\(how))\(detail)"
        }
        return nil
    }
}
