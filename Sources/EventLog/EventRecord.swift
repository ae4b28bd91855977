import LMDSCalendar
import LMDSJSON

/// A 128-bit event identifier (a UUID), chosen by the caller so that the log itself stays deterministic.
public struct EventID: Sendable, Hashable, CustomStringConvertible {
    /// The 16 bytes, in UUID byte order.
    public let bytes: [UInt8]

    /// Wraps 16 bytes in UUID byte order; any other count is a programming error and traps.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "an event id is 16 bytes")
        self.bytes = bytes
    }

    /// Parses the canonical 8-4-4-4-12 hexadecimal form; `nil` when malformed.
    public init?(string: String) {
        let hex = String(string.filter { $0 != "-" })
        guard hex.utf8.count == 32 else { return nil }
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
        }
        self.bytes = bytes
    }

    /// The canonical lower-case 8-4-4-4-12 form.
    public var description: String {
        var text = ""
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text += "-" }
            text += String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16)
        }
        return text
    }
}

/// Who caused an event: the peer's uid, its user name and the role it acted in.
public struct EventActor: Sendable, Hashable {
    /// The caller's user id, from SO_PEERCRED.
    public let uid: UInt32
    /// The caller's user name when the event was recorded.
    public let userName: String
    /// The role the caller acted in, such as `coordinator`.
    public let role: String

    public init(uid: UInt32, userName: String, role: String) {
        self.uid = uid
        self.userName = userName
        self.role = role
    }
}

/// An event as a caller hands it to the log: everything but its position and hashes.
///
/// An immutable class rather than a struct: the log passes each event through validation, encoding and
/// sealing, and copying a struct of seven reference-counted fields cost a count per field each time
/// (about 2.5% of all CPU with 64 appenders, measured); a class costs one. Equality and hashing are by
/// content, as for a value.
public final class ProposedEvent: Sendable, Hashable {
    /// The unique id the caller chose for this event.
    public let eventID: EventID
    /// Past-tense event type, such as `QuestionSubmitted`.
    public let type: String
    /// The version of this type's data schema, for upcasting old events when read.
    public let schemaVersion: UInt16
    /// UTC milliseconds since 1970, from the injected clock.
    public let timeMs: Int64
    /// Who caused the event.
    public let actor: EventActor
    /// The client's idempotency key, when it sent one.
    public let requestID: String?
    /// The ids of the entities the event concerns (`Q-0001`, ...), for history queries.
    public let entityIDs: [String]
    /// The event's data: a JSON object, stored in canonical form.
    public let data: JSONValue

    public init(
        eventID: EventID, type: String, schemaVersion: UInt16 = 1, timeMs: Int64, actor: EventActor,
        requestID: String? = nil, entityIDs: [String] = [], data: JSONValue
    ) {
        self.eventID = eventID
        self.type = type
        self.schemaVersion = schemaVersion
        self.timeMs = timeMs
        self.actor = actor
        self.requestID = requestID
        self.entityIDs = entityIDs
        self.data = data
    }

    public static func == (left: ProposedEvent, right: ProposedEvent) -> Bool {
        left === right
            || (left.eventID == right.eventID && left.type == right.type && left.schemaVersion == right.schemaVersion
                && left.timeMs == right.timeMs && left.actor == right.actor && left.requestID == right.requestID
                && left.entityIDs == right.entityIDs && left.data == right.data)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(eventID)
        hasher.combine(type)
        hasher.combine(schemaVersion)
        hasher.combine(timeMs)
        hasher.combine(actor)
        hasher.combine(requestID)
        hasher.combine(entityIDs)
        hasher.combine(data)
    }
}

/// A committed record: the event, its position in the log, and its place in the hash chain.
public struct EventRecord: Sendable, Hashable {
    /// Gapless position, starting at 1.
    public let position: UInt64
    /// The event's unique id.
    public let eventID: EventID
    /// Past-tense event type, such as `QuestionSubmitted`.
    public let type: String
    /// The version of this type's data schema.
    public let schemaVersion: UInt16
    /// UTC milliseconds since 1970 when the event was proposed.
    public let timeMs: Int64
    /// Who caused the event.
    public let actor: EventActor
    /// The client's idempotency key, when it sent one.
    public let requestID: String?
    /// The ids of the entities the event concerns, for history queries.
    public let entityIDs: [String]
    /// The event data in canonical JSON bytes, exactly as hashed. Parse with `data`.
    public let dataBytes: [UInt8]
    /// The hash of the record before this one (32 zero bytes for position 1).
    public let previousHash: [UInt8]
    /// SHA-256 over `previousHash` and this record's canonical bytes.
    public let hash: [UInt8]

    public init(
        position: UInt64, eventID: EventID, type: String, schemaVersion: UInt16, timeMs: Int64, actor: EventActor,
        requestID: String?, entityIDs: [String], dataBytes: [UInt8], previousHash: [UInt8], hash: [UInt8]
    ) {
        self.position = position
        self.eventID = eventID
        self.type = type
        self.schemaVersion = schemaVersion
        self.timeMs = timeMs
        self.actor = actor
        self.requestID = requestID
        self.entityIDs = entityIDs
        self.dataBytes = dataBytes
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The event data as a JSON value.
    /// - Throws: `EventLogError.damaged` when the stored bytes are not JSON (a damaged record).
    public func data() throws(EventLogError) -> JSONValue {
        do {
            return try JSONParser.parse(dataBytes, depthMax: 256)
        } catch {
            throw EventLogError(.damaged, "event data at position \(position) is not valid JSON: \(error)")
        }
    }

    /// The whole envelope as JSON, as `events.read` and exports show it.
    public func envelopeJSON() throws(EventLogError) -> JSONValue {
        var actorObject: [String: JSONValue] = [
            "uid": .integer(Int64(actor.uid)), "user": .string(actor.userName), "role": .string(actor.role),
        ]
        if actor.userName.isEmpty { actorObject["user"] = .null }
        return .object([
            "position": .integer(Int64(position)),
            "id": .string(eventID.description),
            "type": .string(type),
            "schemaVersion": .integer(Int64(schemaVersion)),
            "timeMs": .integer(timeMs),
            "time": .string(UTCTime.iso8601(milliseconds: timeMs)),
            "actor": .object(actorObject),
            "requestId": requestID.map { .string($0) } ?? .null,
            "entities": .array(entityIDs.map { .string($0) }),
            "data": try data(),
            "previousHash": .string(Hex.encode(previousHash)),
            "hash": .string(Hex.encode(hash)),
        ])
    }
}


/// Formats UTC milliseconds as ISO 8601 without Foundation's formatters (pure and fast).
public enum UTCTime {
    /// `2026-11-29T11:38:17.123Z` for the given milliseconds since 1970.
    public static func iso8601(milliseconds: Int64) -> String {
        let (days, msOfDay) = CivilCalendar.floorDivide(milliseconds, 86_400_000)
        let date = CivilCalendar.civil(daysSinceEpoch: Int(days))
        let (year, month, day) = (Int64(date.year), Int64(date.month), Int64(date.day))
        let hour = msOfDay / 3_600_000
        let minute = msOfDay / 60_000 % 60
        let second = msOfDay / 1000 % 60
        let millisecond = msOfDay % 1000
        // Each field with its width and the character after it.
        let fields: [(value: Int64, width: Int, then: UInt8)] = [
            (year, 4, UInt8(ascii: "-")), (month, 2, UInt8(ascii: "-")), (day, 2, UInt8(ascii: "T")), (hour, 2, UInt8(ascii: ":")),
            (minute, 2, UInt8(ascii: ":")), (second, 2, UInt8(ascii: ".")), (millisecond, 3, UInt8(ascii: "Z")),
        ]
        guard (0...9999).contains(year) else {
            return fields.map { field in
                let text = String(field.value)
                return String(repeating: "0", count: max(0, field.width - text.count)) + text + String(UnicodeScalar(field.then))
            }.joined()
        }
        // Every reply with a time formats one or more: the 24 bytes are written in place (about 0.15 µs,
        // against 1.4 µs for padding and joining seven strings).
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var offset = 0
            for field in fields {
                var rest = field.value
                for index in stride(from: offset + field.width - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                    rest /= 10
                }
                buffer[offset + field.width] = field.then
                offset += field.width + 1
            }
            return offset
        }
    }

    /// Milliseconds since 1970 for `2026-11-29`, `2026-11-29T11:38:17Z` or `2026-11-29T11:38:17.123Z`
    /// (UTC; a date alone means its end, 23:59:59.999, so "as of that day" includes the day); `nil` otherwise.
    public static func milliseconds(from text: String) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[range] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == 0x2D, bytes[7] == 0x2D, let year = number(0..<4), let month = number(5..<7),
            let day = number(8..<10), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        // The day must exist in its month (no 30 February).
        guard day <= CivilCalendar.daysIn(year: Int(year), month: Int(month)) else { return nil }
        let days = Int64(CivilCalendar.daysSinceEpoch(year: Int(year), month: Int(month), day: Int(day)))
        if bytes.count == 10 { return days * 86_400_000 + 86_399_999 }
        guard bytes.count >= 20, bytes[10] == 0x54, bytes[13] == 0x3A, bytes[16] == 0x3A, bytes.last == 0x5A,
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19), hour < 24, minute < 60, second < 60
        else { return nil }
        var milliseconds: Int64 = 0
        if bytes.count == 24 {
            guard bytes[19] == 0x2E, let fraction = number(20..<23) else { return nil }
            milliseconds = fraction
        } else if bytes.count != 20 {
            return nil
        }
        return days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + milliseconds
    }
}
