import Dispatch
import Domain
import EventLog
import LMDSJSON
import Matching
import Reports
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Folding the log into read models: start-up, rebuilds and `asOf` reads share it.
extension DomainProcessor {
    /// Where a replay stops.
    public enum AsOf: Sendable, Hashable {
        case position(UInt64)
        case timeMs(Int64)
    }

    public struct Replay: Sendable {
        public var state = DomainState()
        public var entityPositions: [String: [UInt64]] = [:]
        public var results: [(String, WriteResult)] = []
        public var head: UInt64 = 0
        /// The time of the last record replayed (0 for an empty log).
        public var headTimeMs: Int64 = 0

        public init(state: DomainState = DomainState(), head: UInt64 = 0, headTimeMs: Int64 = 0) {
            self.state = state
            self.head = head
            self.headTimeMs = headTimeMs
        }
    }

    /// Folds the log through `evolve` up to `upTo`: what start-up, rebuilds and `asOf` reads share.
    /// A command's events are contiguous and share its request id; the reply it got is about the entity
    /// its first event names, as of its last event, and is rebuilt that way for retries.
    public static func replay(log: EventLog, upTo: AsOf?) throws(EventLogError) -> Replay {
        try replay(log: log, upTo: upTo, continuing: Replay())
    }

    /// The fold continued from `start` (a snapshot's read models at `start.head`) with the events after it.
    public static func replay(log: EventLog, upTo: AsOf?, continuing start: Replay) throws(EventLogError) -> Replay {
        var replay = start
        var request: (id: String, entity: String, position: UInt64, warnings: [DomainWarning], submission: WriteResult.Details?)?
        func finishRequest() {
            guard let finished = request else { return }
            var result = WriteResult.about(finished.entity, in: replay.state, position: finished.position, warnings: finished.warnings)
            if let details = finished.submission { result.details = details }
            replay.results.append((finished.id, result))
            request = nil
        }
        try ParallelReplay.forEach(log: log, from: start.head + 1, upTo: upTo) { record, event in
            for entity in record.entityIDs { replay.entityPositions[entity, default: []].append(record.position) }
            if let event {
                if let current = request, current.id == record.requestID, current.position + 1 == record.position {
                    request?.position = record.position
                    request?.submission = nil  // a submission's write is its one event
                } else {
                    finishRequest()
                    if let requestID = record.requestID, let entity = event.entityIDs.first {
                        request = (requestID, entity, record.position, [], WriteResult.submissionDetails(of: [event], before: replay.state))
                    }
                }
                replay.state.apply(event)
                if request != nil { request?.warnings += DomainWarning.about(event, state: replay.state) }
            } else {
                finishRequest()
            }
            replay.head = record.position
            replay.headTimeMs = record.timeMs
        }
        finishRequest()
        return replay
    }
}
