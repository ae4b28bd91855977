import EventLog
import LMDSJSON
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
    }
}
