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
