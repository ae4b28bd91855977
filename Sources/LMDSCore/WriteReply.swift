import Synchronization

/// The answer to one write, delivered exactly once: either early, from the log's writer thread once the
/// commit is durable, or by the processor when it returns (a refusal, a retry answered from memory, a
/// failed commit, or a commit that finished before the processor waited for it). Later deliveries are
/// dropped.
public final class WriteReply: Sendable {
    private let reply: Mutex<(@Sendable (Result<WriteResult?, CoreError>) -> Void)?>

    public init(_ reply: @escaping @Sendable (Result<WriteResult?, CoreError>) -> Void) {
        self.reply = Mutex(reply)
    }

    /// Answers with `outcome` unless answered already.
    public func deliver(_ outcome: Result<WriteResult?, CoreError>) {
        let pending = reply.withLock { reply in
            defer { reply = nil }
            return reply
        }
        pending?(outcome)
    }
}
