import EventLog
import LMDSTestSupport
import Testing

@Suite struct GroupCommitBatcherTests {
    /// The first enqueue wakes the writer; later ones while it is busy do not.
    @Test func firstEnqueueWakesWriterOnly() {
        var batcher = GroupCommitBatcher<Int>(limits: .init(queueRequestsMax: 10, batchEventsMax: 100, batchBytesMax: 1000))
        #expect(batcher.enqueue(1, eventCount: 1, byteCount: 10) == .wakeWriter)
        #expect(batcher.enqueue(2, eventCount: 1, byteCount: 10) == .nothing)
        #expect(batcher.takeBatch() == [1, 2])
        #expect(batcher.takeBatch() == [])
        #expect(batcher.enqueue(3, eventCount: 1, byteCount: 10) == .wakeWriter)
    }

    /// A batch closes at the event limit without splitting a request; an oversized request goes alone.
    @Test func batchesRespectEventLimitWithoutSplitting() {
        var batcher = GroupCommitBatcher<Int>(limits: .init(queueRequestsMax: 10, batchEventsMax: 5, batchBytesMax: 1000))
        _ = batcher.enqueue(1, eventCount: 3, byteCount: 1)
        _ = batcher.enqueue(2, eventCount: 3, byteCount: 1)
        _ = batcher.enqueue(3, eventCount: 9, byteCount: 1)
        _ = batcher.enqueue(4, eventCount: 1, byteCount: 1)
        #expect(batcher.takeBatch() == [1])
        #expect(batcher.takeBatch() == [2])
        #expect(batcher.takeBatch() == [3])
        #expect(batcher.takeBatch() == [4])
    }

    /// A batch closes at the byte limit too.
    @Test func batchesRespectByteLimit() {
        var batcher = GroupCommitBatcher<Int>(limits: .init(queueRequestsMax: 10, batchEventsMax: 100, batchBytesMax: 100))
        for request in 0..<4 { _ = batcher.enqueue(request, eventCount: 1, byteCount: 40) }
        #expect(batcher.takeBatch() == [0, 1])
        #expect(batcher.takeBatch() == [2, 3])
    }

    /// Rewriting the waiting requests changes them in place, in queue order, drops the refused ones, and
    /// leaves the batch limits working on what is left; the writer stays busy.
    @Test func rewriteWaitingChangesKeepsOrderAndDrops() {
        var batcher = GroupCommitBatcher<Int>(limits: .init(queueRequestsMax: 10, batchEventsMax: 2, batchBytesMax: 1000))
        #expect(batcher.enqueue(1, eventCount: 1, byteCount: 1) == .wakeWriter)
        #expect(batcher.takeBatch() == [1])
        for request in 2...6 { #expect(batcher.enqueue(request, eventCount: 1, byteCount: 1) == .nothing) }
        var seen: [Int] = []
        let dropped = batcher.rewriteWaiting { request in
            seen.append(request)
            request *= 10
            return request != 40
        }
        #expect(seen == [2, 3, 4, 5, 6])
        #expect(dropped == [40])
        #expect(batcher.waitingCount == 4)
        #expect(batcher.enqueue(7, eventCount: 1, byteCount: 1) == .nothing)
        #expect(batcher.takeBatch() == [20, 30])
        #expect(batcher.takeBatch() == [50, 60])
        #expect(batcher.takeBatch() == [7])
        #expect(batcher.takeBatch() == [])
    }

    /// Over seeded random enqueues and takes, batches hand out every request once, in queue order, within
    /// the limits (a request over a limit goes alone), whether a take empties the queue (the array is
    /// handed over whole) or stops part-way.
    @Test func randomEnqueuesAndTakesKeepOrderAndLimits() {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("randomEnqueuesAndTakesKeepOrderAndLimits seed \(seed)")
        var numbers = SplitMix64(seed: seed)
        func next(_ bound: Int) -> Int { numbers.next(below: bound) }
        let limits = GroupCommitBatcher<Int>.Limits(queueRequestsMax: 64, batchEventsMax: 8, batchBytesMax: 100)
        var batcher = GroupCommitBatcher<Int>(limits: limits)
        var sizes: [Int: (events: Int, bytes: Int)] = [:]
        var enqueued: [Int] = []
        var handedOut: [Int] = []
        var request = 0
        for _ in 0..<2_000 {
            if next(3) > 0 {
                for _ in 0..<next(6) {
                    let size = (events: 1 + next(10), bytes: 1 + next(120))
                    guard batcher.enqueue(request, eventCount: size.events, byteCount: size.bytes) != .rejectOverloaded else { continue }
                    sizes[request] = size
                    enqueued.append(request)
                    request += 1
                }
            } else {
                let batch = batcher.takeBatch()
                let events = batch.reduce(0) { $0 + sizes[$1]!.events }
                let bytes = batch.reduce(0) { $0 + sizes[$1]!.bytes }
                #expect(batch.count <= 1 || (events <= limits.batchEventsMax && bytes <= limits.batchBytesMax), "seed \(seed)")
                handedOut += batch
            }
        }
        while true {
            let batch = batcher.takeBatch()
            if batch.isEmpty { break }
            handedOut += batch
        }
        #expect(handedOut == enqueued, "seed \(seed)")
        #expect(batcher.waitingCount == 0)
    }

    /// A full queue refuses; a closed batcher refuses, but what it accepted is still handed out.
    @Test func fullQueueAndCloseRefuseButDrain() {
        var batcher = GroupCommitBatcher<Int>(limits: .init(queueRequestsMax: 2, batchEventsMax: 100, batchBytesMax: 1000))
        #expect(batcher.enqueue(1, eventCount: 1, byteCount: 1) == .wakeWriter)
        #expect(batcher.enqueue(2, eventCount: 1, byteCount: 1) == .nothing)
        #expect(batcher.enqueue(3, eventCount: 1, byteCount: 1) == .rejectOverloaded)
        #expect(batcher.close() == .nothing)
        #expect(batcher.enqueue(4, eventCount: 1, byteCount: 1) == .rejectClosed)
        #expect(batcher.takeBatch() == [1, 2])
        #expect(batcher.takeBatch() == [])
        #expect(batcher.isClosed)
    }
}
