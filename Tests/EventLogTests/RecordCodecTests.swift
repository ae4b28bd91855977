import EventLog
import Foundation
import LMDSJSON
import LMDSTestSupport
import Testing

@Suite struct RecordCodecTests {
    /// Encoding then decoding gives the same record, and the hash verifies against its predecessor.
    @Test func roundTripsAndVerifies() throws {
        var factory = EventFactory()
        let event = factory.make(data: ["naam": "Zuid-West", "ë": true], entities: ["Q-0001", "O-0002"], requestID: "r")
        let previous = [UInt8](repeating: 7, count: 32)
        let (bytes, record) = RecordCodec.encode(event, position: 42, previousHash: previous)
        let decoded = try bytes.withUnsafeBytes { raw in try RecordCodec.decode(raw) }
        #expect(decoded == record)
        #expect(bytes.withUnsafeBytes { RecordCodec.verifyHash($0, previousHash: previous) })
        #expect(!bytes.withUnsafeBytes { RecordCodec.verifyHash($0, previousHash: RecordCodec.genesisHash) })
    }

    /// The stored layout is a contract with every log already written: a fixed event gives the bytes an
    /// independent encoder of the layout in the doc comment gives (Python's struct and hashlib produced
    /// the expected digests), with Dutch text and a diacritic in UTF-8.
    @Test func storedBytesMatchTheDocumentedLayout() throws {
        let event = ProposedEvent(
            eventID: EventID(bytes: Array(0x10...0x1F)), type: "QuestionSubmitted", schemaVersion: 1, timeMs: 1_790_000_000_000,
            actor: EventActor(uid: 1000, userName: "makelaar", role: "coordinator"), requestID: "req-ë",
            entityIDs: ["Q-0001", "W-Stevenshof"],
            data: ["wijk": "Bos- en Gasthuisdistrict", "title": "Eenzaamheid in de Stevenshof", "aantal": 3])
        let (bytes, record) = RecordCodec.encode(event, position: 7, previousHash: [UInt8](repeating: 0xAB, count: 32))
        #expect(bytes.count == 266)
        #expect(Hex.encode(record.hash) == "51f9bafed0e12c95e02b9e28dc88842c29124447d068bdcd34a457890aed4d33")
        let wholeDigest = bytes.withUnsafeBytes { RecordCodec.chainHash(previousHash: [], canonical: $0) }
        #expect(Hex.encode(wholeDigest) == "ee24b71c58fcc15887da37bfe3628559d12086bced135cd4e5fbdf5fb97ffa23")
        #expect(String(decoding: record.dataBytes, as: UTF8.self)
            == #"{"aantal":3,"title":"Eenzaamheid in de Stevenshof","wijk":"Bos- en Gasthuisdistrict"}"#)
    }

    /// A sealed record moved to another place in the chain is byte for byte the record sealed there in
    /// the first place, and its returned record says so too.
    @Test func resealEqualsSealingAtTheNewPlace() throws {
        var factory = EventFactory()
        let event = factory.make(data: ["wijk": "Bos- en Gasthuisdistrict", "n": 3], entities: ["Q-0007"], requestID: "aanvraag-ë")
        let first = [UInt8](repeating: 1, count: 32)
        let second = [UInt8](repeating: 9, count: 32)
        var (bytes, record) = RecordCodec.encode(event, position: 12, previousHash: first)
        let moved = RecordCodec.reseal(&bytes, of: record, position: 10, previousHash: second)
        let (expectedBytes, expectedRecord) = RecordCodec.encode(event, position: 10, previousHash: second)
        #expect(bytes == expectedBytes)
        #expect(moved == expectedRecord)
        #expect(moved != record)
        #expect(try bytes.withUnsafeBytes { try RecordCodec.decode($0) } == expectedRecord)
        #expect(bytes.withUnsafeBytes { RecordCodec.verifyHash($0, previousHash: second) })
    }

    /// Every single flipped bit of a stored record is found by checking it against itself, and the error
    /// names the position it was stored under; a record stored under another key is refused too.
    @Test func everyFlippedBitIsFoundByTheRecordsOwnHash() throws {
        var factory = EventFactory()
        let event = factory.make(data: ["titel": "Hotel voor wilde bijen", "wijk": "Bos- en Gasthuisdistrict"], entities: ["Q-0002"])
        let (bytes, record) = RecordCodec.encode(event, position: 2, previousHash: [UInt8](repeating: 3, count: 32))
        #expect(try bytes.withUnsafeBytes { try RecordCodec.decodeChecked($0, position: 2) } == record)
        for offset in bytes.indices {
            for bit in 0..<8 {
                var flipped = bytes
                flipped[offset] ^= UInt8(1 << bit)
                #expect {
                    try flipped.withUnsafeBytes { try RecordCodec.decodeChecked($0, position: 2) }
                } throws: { error in
                    (error as? EventLogError)?.code == .damaged && (error as? EventLogError)?.message.contains("position 2") == true
                }
            }
        }
        #expect(throws: EventLogError.self) { try bytes.withUnsafeBytes { try RecordCodec.decodeChecked($0, position: 3) } }
    }

    /// Every truncation of a record is reported as damaged, never a crash.
    @Test func truncatedRecordsAreDamaged() {
        var factory = EventFactory()
        let (bytes, _) = RecordCodec.encode(factory.make(), position: 1, previousHash: RecordCodec.genesisHash)
        for length in 0..<bytes.count {
            let prefix = Array(bytes[0..<length])
            #expect(throws: EventLogError.self) { try prefix.withUnsafeBytes { try RecordCodec.decode($0) } }
        }
    }

    /// A record of a newer layout is refused as too new.
    @Test func newerRecordFormatIsRefused() {
        var factory = EventFactory()
        var (bytes, _) = RecordCodec.encode(factory.make(), position: 1, previousHash: RecordCodec.genesisHash)
        bytes[0] = 2
        #expect { try bytes.withUnsafeBytes { try RecordCodec.decode($0) } } throws: { error in
            (error as? EventLogError)?.code == .formatTooNew
        }
    }

    /// Envelope fields over their limits are refused before queueing.
    @Test func oversizedEnvelopeFieldsAreRefused() {
        var factory = EventFactory()
        let event = factory.make(entities: Array(repeating: "Q-0001", count: RecordCodec.entityCountMax + 1))
        #expect(throws: EventLogError.self) { try RecordCodec.validate(event) }
    }

    /// ISO times and dates parse back to the milliseconds they were written from; a date means its last millisecond.
    @Test func parsesUTCTimes() {
        for milliseconds: Int64 in [0, 951_782_400_123, 1_796_000_000_000, -86_400_000] {
            #expect(UTCTime.milliseconds(from: UTCTime.iso8601(milliseconds: milliseconds)) == milliseconds)
        }
        #expect(UTCTime.milliseconds(from: "1970-01-01") == 86_399_999)
        #expect(UTCTime.milliseconds(from: "2026-11-29T11:38:17Z") == UTCTime.milliseconds(from: "2026-11-29T11:38:17.000Z"))
        for bad in ["", "2026-13-01", "2026-11-29T25:00:00Z", "yesterday", "2026-11-29T11:38:17"] {
            #expect(UTCTime.milliseconds(from: bad) == nil, "\(bad)")
        }
    }

    /// ISO times come out right around the epoch and in leap years.
    @Test func formatsUTCTimes() {
        #expect(UTCTime.iso8601(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(UTCTime.iso8601(milliseconds: 951_782_400_123) == "2000-02-29T00:00:00.123Z")
        #expect(UTCTime.iso8601(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(UTCTime.iso8601(milliseconds: 253_402_300_799_999) == "9999-12-31T23:59:59.999Z")
        #expect(UTCTime.iso8601(milliseconds: 253_402_300_800_000) == "10000-01-01T00:00:00.000Z")
    }

    /// Over seeded random instants from year 0 to 9999, the formatted time has the fixed shape, reads
    /// back to the same millisecond, and its fields are the calendar's (checked against Foundation's).
    @Test func formatsRandomUTCTimesLikeTheCalendar() {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("formatsRandomUTCTimesLikeTheCalendar seed \(seed)")
        var numbers = SplitMix64(seed: seed)
        func next() -> UInt64 { numbers.next() }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for _ in 0..<2000 {
            let milliseconds = Int64(next() % 253_402_300_800_000) - 62_167_219_200_000
            let text = UTCTime.iso8601(milliseconds: milliseconds)
            #expect(text.utf8.count == 24, "\(text)")
            #expect(UTCTime.milliseconds(from: text) == milliseconds, "seed \(seed): \(text)")
            guard milliseconds >= -12_219_292_800_000 else { continue }  // Foundation's Gregorian starts in 1582
            let seconds = milliseconds >= 0 ? milliseconds / 1000 : -((-milliseconds + 999) / 1000)
            let date = Date(timeIntervalSince1970: Double(seconds))
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
            #expect(text.hasPrefix(expected), "seed \(seed): \(text) vs \(expected)")
        }
    }
}
