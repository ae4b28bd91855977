import EventLog
import LMDSCore
import Testing

@Suite struct RandomEventIDSourceTests {
    /// Every id is a version-4 UUID (RFC 4122 variant), the 122 random bits differ from id to id, and
    /// each of the 16 bytes takes many values (no byte left at zero by a short draw).
    @Test func idsAreDistinctVersion4UUIDs() {
        let source = RandomEventIDSource()
        let ids = (0..<2000).map { _ in source.nextEventID() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.bytes.count == 16)
            #expect(id.bytes[6] >> 4 == 4, "version 4")
            #expect(id.bytes[8] >> 6 == 0b10, "RFC 4122 variant")
        }
        for byte in 0..<16 {
            let values = Set(ids.map { $0.bytes[byte] })
            #expect(values.count > 8, "byte \(byte) takes \(values.count) values")
        }
    }
}
