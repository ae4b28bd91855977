import Foundation

/// An e-mail as the sendmail interface takes it (`sendmail -t` reads the recipients from `To:`): UTF-8 text,
/// 8bit, the subject encoded as RFC 2047 when it is not ASCII, and a stable `Message-ID`.
public struct EmailMessage: Sendable, Hashable {
    public let from: String
    public let to: String
    public let subject: String
    public let body: String
    /// Without the angle brackets.
    public let messageID: String
    /// RFC 5322 date, such as `Mon, 07 Dec 2026 16:05:00 +0000`.
    public let date: String

    public init(from: String, to: String, subject: String, body: String, messageID: String, date: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.messageID = messageID
        self.date = date
    }

    /// The message with CRLF-free lines (sendmail converts), headers first.
    public var text: String {
        let headers = [
            "From: \(Self.clean(from))", "To: \(Self.clean(to))", "Subject: \(Self.encodedHeader(Self.clean(subject)))", "Date: \(date)",
            "Message-ID: <\(messageID)>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
            "Auto-Submitted: auto-generated",
        ]
        return headers.joined(separator: "\n") + "\n\n" + body + (body.hasSuffix("\n") ? "" : "\n")
    }

    /// A header value without line breaks (no header injection from a template or a value).
    static func clean(_ value: String) -> String {
        String(value.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    /// ASCII as it is, else RFC 2047 base64 UTF-8 in encoded words of at most 45 bytes each.
    static func encodedHeader(_ value: String) -> String {
        guard !value.allSatisfy(\.isASCII) else { return value }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in value {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(base64(chunk))?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(base64(chunk))?=") }
        return words.joined(separator: "\n ")
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
