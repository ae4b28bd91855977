import EventLog
import Synchronization

/// An append handed to the log and not yet awaited: the log's writer may report the commit before or
/// after the processor starts waiting for it, and either order delivers the result exactly once.
final class PendingCommit: Sendable {
    private enum Stage {
        case waitingForBoth
        case committed(Result<[EventRecord], EventLogError>)
        case awaited(CheckedContinuation<Result<[EventRecord], EventLogError>, Never>)
        case done
    }

    private let stage = Mutex(Stage.waitingForBoth)

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

