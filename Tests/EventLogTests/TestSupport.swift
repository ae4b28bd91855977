import EventLog
import Foundation
import LMDSJSON

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "lmds-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// SplitMix64: seeded, reproducible numbers for the randomised tests (each prints its seed).
struct SeededNumbers {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A number in `0..<bound`.
    mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "the bound must be positive")
        return Int(next() % UInt64(bound))
    }
}

/// Deterministic event factory: ids and times from a counter, as the daemon's injected sources would give.
struct EventFactory {
    var counter: UInt64 = 0

    mutating func make(_ type: String = "QuestionSubmitted", data: JSONValue = ["title": "Eenzaamheid in de Stevenshof"], entities: [String] = ["Q-0001"], requestID: String? = nil) -> ProposedEvent {
        counter += 1
        var bytes = [UInt8](repeating: 0, count: 16)
        withUnsafeBytes(of: counter.bigEndian) { raw in
            for index in 0..<8 { bytes[8 + index] = raw[index] }
        }
        return ProposedEvent(
            eventID: EventID(bytes: bytes), type: type, timeMs: 1_790_000_000_000 + Int64(counter),
            actor: EventActor(uid: 1000, userName: "makelaar", role: "coordinator"), requestID: requestID,
            entityIDs: entities, data: data)
    }
}
