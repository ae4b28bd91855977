import Crypto
import Domain
import EventLog
import LMDSJSON

/// The digest of the read models: SHA-256 over the canonical JSON of the whole state.
enum ReadModelDigest {
    static func hex(of state: DomainState) -> String {
        Hex.encode(Array(SHA256.hash(data: JSONWriter.canonicalBytes(state.canonicalJSON))))
    }
}
