@testable import EventLog
import Foundation
import Testing

@Suite struct CompletionThreadTests {
    /// A thread-safe list of what ran, in order.
    final class Journal: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [Int] = []
        func add(_ entry: Int) { lock.withLock { entries.append(entry) } }
        var all: [Int] { lock.withLock { entries } }
    }

    /// Work handed over runs in hand-over order, whether it is queued or (when the thread is idle) run
    /// inline; `stop()` returns only after everything handed over has run.
    @Test func runsWorkInHandOverOrderAndStopDrains() {
        let thread = CompletionThread(name: "test-completions")
        let journal = Journal()
        for item in 0..<2_000 {
            thread.complete(inlineWhenIdle: item % 3 == 0) { journal.add(item) }
        }
        thread.stop()
        #expect(journal.all == Array(0..<2_000))
    }

    /// While earlier work is still running, work that could run inline is queued behind it instead, so
    /// that a small batch is never completed before a bigger one committed earlier.
    @Test func inlineWaitsBehindRunningWork() {
        let thread = CompletionThread(name: "test-completions")
        let journal = Journal()
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        thread.complete(inlineWhenIdle: false) {
            started.signal()
            release.wait()
            journal.add(1)
        }
        started.wait()
        let caller = Thread.current
        var ranOnCaller = false
        thread.complete(inlineWhenIdle: true) {
            ranOnCaller = Thread.current == caller
            journal.add(2)
        }
        #expect(journal.all.isEmpty)
        release.signal()
        thread.stop()
        #expect(journal.all == [1, 2])
        #expect(!ranOnCaller)
    }

    /// With nothing waiting or running, inline work runs at once on the caller's thread.
    @Test func inlineRunsOnCallerWhenIdle() {
        let thread = CompletionThread(name: "test-completions")
        let caller = Thread.current
        var ranOnCaller = false
        thread.complete(inlineWhenIdle: true) { ranOnCaller = Thread.current == caller }
        #expect(ranOnCaller)
        thread.stop()
    }
}
