import EventLog
import Synchronization

/// An append handed to the log and not yet awaited: the log's writer may report the commit before or
/// after the processor starts waiting for it, and either order delivers the result exactly once.
///
/// A caller may also ask to be answered straight from the writer's thread (`answerOnCommit`): when the
/// commit succeeds while the processor already waits for it, the answer runs right after the processor's
/// continuation is resumed, so the reply leaves without waiting for the processor's executor, and anything
/// the same client asks next is queued on the processor behind the bookkeeping of this commit.
final class PendingCommit: Sendable {
    private enum Stage {
        case waitingForBoth
        case committed(Result<[EventRecord], EventLogError>)
        case awaited(CheckedContinuation<Result<[EventRecord], EventLogError>, Never>)
        case done
    }

    private let stage = Mutex(Stage.waitingForBoth)
    private let answer = Mutex<(@Sendable ([EventRecord]) -> Void)?>(nil)

    /// Runs `body` with the committed records on the writer's thread if the commit succeeds after the
    /// processor started waiting for it; otherwise never (the processor answers itself). Set before waiting.
    func answerOnCommit(_ body: @escaping @Sendable ([EventRecord]) -> Void) {
        answer.withLock { $0 = body }
    }

    /// Called once by the log's writer with the commit's outcome.
    func complete(_ result: Result<[EventRecord], EventLogError>) {
        let waiter: CheckedContinuation<Result<[EventRecord], EventLogError>, Never>? = stage.withLock { stage in
            switch stage {
            case .waitingForBoth:
                stage = .committed(result)
                return nil
            case .awaited(let continuation):
                stage = .done
                return continuation
            case .committed, .done:
                preconditionFailure("an append completed twice")
            }
        }
        waiter?.resume(returning: result)
        if waiter != nil, case .success(let records) = result, let answer = answer.withLock({ $0 }) { answer(records) }
    }

    /// The records once committed, or the log's error.
    func value() async throws(EventLogError) -> [EventRecord] {
        try await withCheckedContinuation { continuation in
            let ready: Result<[EventRecord], EventLogError>? = stage.withLock { stage in
                switch stage {
                case .waitingForBoth:
                    stage = .awaited(continuation)
                    return nil
                case .committed(let result):
                    stage = .done
                    return result
                case .awaited, .done:
                    preconditionFailure("an append awaited twice")
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }.get()
    }
}

