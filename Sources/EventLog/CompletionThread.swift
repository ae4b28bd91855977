import Foundation

/// The thread that completes the log's appenders after their commit, in commit order, so that the
/// writer thread goes straight on to its next transaction.
///
/// It replaces a serial `DispatchQueue`: a hand-over costs the writer one lock, plus one wake only when
/// this thread sleeps, and no allocation beyond the closure. Only one thread (the writer) hands work
/// over, which is what keeps the order when a small batch is completed inline.
final class CompletionThread: @unchecked Sendable {
    /// Guards everything below. `stop()` and the thread both wait on it, so it is always broadcast.
    private let condition = SpinningCondition()
    private var waiting: [() -> Void] = []
    private var sleeping = false
    private var running = false
    private var stopping = false
    private var stopped = false

    /// Starts the thread; it runs until `stop()`.
    init(name: String) {
        let thread = Thread { self.loop() }
        thread.name = name
        thread.start()
    }

    /// Runs `work` after everything handed over before it. With `inlineWhenIdle`, and nothing waiting or
    /// running, runs it on the calling thread at once instead: a lone append is answered without waking
    /// another thread (about a tenth of its latency here).
    func complete(inlineWhenIdle: Bool, _ work: @escaping () -> Void) {
        condition.lock()
        precondition(!stopping, "work handed over after stop()")
        if inlineWhenIdle && waiting.isEmpty && !running {
            condition.unlock()
            work()
            return
        }
        waiting.append(work)
        let wake = sleeping
        condition.unlock()
        if wake { condition.broadcast() }
    }

    /// Runs everything handed over, then stops the thread. Nothing may be handed over afterwards.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        #if os(Linux)
        // A batch thread never preempts the running thread when it wakes (no privilege needed to ask):
        // woken by the writer, it could otherwise take the writer's CPU just as the next transaction
        // starts (paired runs with 64 appenders: +10% and +1%).
        let schedulingPolicyBatch: Int32 = 3  // SCHED_BATCH in Linux's <sched.h>, which Swift does not import
        var parameters = sched_param(sched_priority: 0)
        _ = sched_setscheduler(0, schedulingPolicyBatch, &parameters)
        #endif
        var batch: [() -> Void] = []
        condition.lock()
        while true {
            while waiting.isEmpty {
                if stopping {
                    stopped = true
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                sleeping = true
                condition.wait()
                sleeping = false
            }
            swap(&batch, &waiting)
            running = true
            condition.unlock()
            for work in batch { work() }
            batch.removeAll(keepingCapacity: true)
            condition.lock()
            running = false
        }
    }
}
