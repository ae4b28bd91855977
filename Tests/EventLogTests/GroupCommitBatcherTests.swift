import EventLog
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
