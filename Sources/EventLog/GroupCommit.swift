/// The group-commit batcher as a pure state machine: callers enqueue appends, the writer takes
/// batches. It decides; the `EventLog` performs (wakes the writer, runs the transaction, completes).
///
/// Each request is one command's events and is never split across transactions, so a command is
/// appended atomically. A batch is closed at `batchEventsMax` events or `batchBytesMax` bytes, except
/// that a single request larger than either still goes alone.
public struct GroupCommitBatcher<Request> {
    /// Limits that bound memory and commit latency.
    public struct Limits: Sendable, Hashable {
        /// Requests waiting at most; more are refused with `overloaded` rather than queued without bound.
        public var queueRequestsMax: Int
        /// Events per write transaction at most; bounds LMDB's dirty pages (MDB_TXN_FULL) and latency.
        public var batchEventsMax: Int
        /// Encoded bytes per write transaction at most.
        public var batchBytesMax: Int

        /// Defaults to 4096 queued requests and 1024 events or 16 MiB per batch; every limit must be positive.
        public init(queueRequestsMax: Int = 4096, batchEventsMax: Int = 1024, batchBytesMax: Int = 16 << 20) {
            precondition(queueRequestsMax > 0 && batchEventsMax > 0 && batchBytesMax > 0, "limits must be positive")
            self.queueRequestsMax = queueRequestsMax
            self.batchEventsMax = batchEventsMax
            self.batchBytesMax = batchBytesMax
        }
    }

    /// What the caller must do after an enqueue.
    public enum EnqueueAction: Equatable {
        /// The writer was idle: wake it.
        case wakeWriter
        /// The writer is busy and will find the request when it looks again.
        case nothing
        /// The queue is full: refuse the request.
        case rejectOverloaded
        /// The batcher is closed: refuse the request.
        case rejectClosed
    }

    /// The size of one waiting request, kept apart from the request itself: deciding where a batch ends
    /// reads only these, and a batch that takes every waiting request moves the requests' array whole
    /// rather than copying each request out (the log's writer takes one per transaction, and copying
    /// requests made on other cores costs it a cache miss and a reference count per field).
    struct Size {
        let eventCount: Int
        let byteCount: Int
    }

    /// The limits this batcher enforces.
    public let limits: Limits
    /// Waiting requests from `queueHead` on; `sizes` runs parallel to it.
    private var requests: [Request] = []
    private var sizes: [Size] = []
    private var queueHead = 0
    private var writerBusy = false
    private var closed = false

    public init(limits: Limits) {
        self.limits = limits
    }

    /// Requests waiting for the writer.
    public var waitingCount: Int { requests.count - queueHead }

    /// Whether `close()` was called.
    public var isClosed: Bool { closed }

    /// Adds a request of `eventCount` events and `byteCount` bytes.
    public mutating func enqueue(_ request: consuming Request, eventCount: Int, byteCount: Int) -> EnqueueAction {
        precondition(eventCount > 0, "an append has at least one event")
        if closed { return .rejectClosed }
        if waitingCount >= limits.queueRequestsMax { return .rejectOverloaded }
        requests.append(request)
        sizes.append(Size(eventCount: eventCount, byteCount: byteCount))
        if writerBusy { return .nothing }
        writerBusy = true
        return .wakeWriter
    }

    /// Takes the next batch for the writer, or an empty array when there is nothing left; in that case
    /// the writer is considered idle until the next `wakeWriter`.
    public mutating func takeBatch() -> [Request] {
        var end = queueHead
        var events = 0
        var bytes = 0
        while end < sizes.count {
            let size = sizes[end]
            let fits = events + size.eventCount <= limits.batchEventsMax && bytes + size.byteCount <= limits.batchBytesMax
            if end > queueHead && !fits { break }
            events += size.eventCount
            bytes += size.byteCount
            end += 1
        }
        let batch: [Request]
        if queueHead == 0 && end == requests.count {
            // Everything waiting fits (the usual case): hand over the array itself.
            batch = requests
            requests = []
            requests.reserveCapacity(batch.count)
        } else {
            batch = Array(requests[queueHead..<end])
        }
        queueHead = end
        if queueHead == sizes.count {
            requests.removeAll(keepingCapacity: true)
            sizes.removeAll(keepingCapacity: true)
            queueHead = 0
        } else if queueHead > 1024 {
            requests.removeFirst(queueHead)
            sizes.removeFirst(queueHead)
            queueHead = 0
        }
        if batch.isEmpty { writerBusy = false }
        assert(batch.isEmpty || writerBusy, "a batch is only taken by the busy writer")
        return batch
    }

    /// Passes every waiting request, in queue order, to `rewrite`, which may change it in place or
    /// return `false` to drop it; returns the dropped requests in order. Counts and limits are unchanged:
    /// a rewrite keeps a request's size. The log uses it after a failed transaction, when the appends
    /// queued behind that batch must be chained again from the last committed record.
    public mutating func rewriteWaiting(_ rewrite: (inout Request) -> Bool) -> [Request] {
        var keptRequests: [Request] = []
        var keptSizes: [Size] = []
        keptRequests.reserveCapacity(waitingCount)
        keptSizes.reserveCapacity(waitingCount)
        var dropped: [Request] = []
        for index in queueHead..<requests.count {
            var request = requests[index]
            if rewrite(&request) {
                keptRequests.append(request)
                keptSizes.append(sizes[index])
            } else {
                dropped.append(request)
            }
        }
        requests = keptRequests
        sizes = keptSizes
        queueHead = 0
        return dropped
    }

    /// Refuses further requests; those already queued are still committed (a clean shutdown loses
    /// nothing it accepted). Returns `.wakeWriter` when the writer is idle and must be woken to stop.
    public mutating func close() -> EnqueueAction {
        closed = true
        if writerBusy { return .nothing }
        writerBusy = true
        return .wakeWriter
    }
}
