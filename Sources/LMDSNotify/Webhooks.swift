import Crypto
import LMDSJSON
import LMDSProtocol

/// Webhooks (`notifications.webhooks`): each event whose type, or each reminder whose rule, a webhook lists is
/// POSTed to it as JSON `{"event": ENVELOPE}` (the envelope holds roles, user names and ids, never an address),
/// signed with the webhook's secret, retried, and each attempt recorded with `notification.record`
/// (`channel` `webhook`).
public enum Webhooks {
    /// The header carrying `sha256=` and the lower-case hex HMAC-SHA256 of the body under the webhook's secret.
    public static let signatureHeader = "X-Lmds-Signature"
    /// Attempts per delivery; the next waits `retryDelaySeconds` times 2^(attempt-1) (1 s, 2 s, 4 s, ...).
    public static let attemptsMax = 4
    static let retryDelaySeconds: UInt32 = 1

    /// Posts a body to a URL with headers; nil when the receiver answered 2xx, else the reason.
    public typealias Poster = @Sendable (_ url: String, _ body: [UInt8], _ headers: [(String, String)]) -> String?

    /// The indexes (in the config) of the webhooks `envelope` goes to: those listing its type or, for
    /// `ReminderRaised`, its rule.
    public static func targets(of envelope: JSONValue, in webhooks: [NotificationConfig.Webhook]) -> [Int] {
        guard let type = envelope["type"]?.stringValue else { return [] }
        let rule = type == "ReminderRaised" ? envelope["data"]?["rule"]?.stringValue : nil
        return webhooks.indices.filter { webhooks[$0].events.contains(type) || rule.map(webhooks[$0].events.contains) == true }
    }

    /// The body posted: the envelope, canonical JSON.
    public static func body(_ envelope: JSONValue) -> [UInt8] { Array(JSONWriter.canonicalString(["event": envelope]).utf8) }

    /// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
    public static func signature(_ body: [UInt8], secret: String) -> String {
        "sha256=" + Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))))
    }
}
