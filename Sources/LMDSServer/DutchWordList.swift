import LMDSCore
import Foundation
import Matching

/// Reads the OpenTaal Dutch word list (Debian's `wdutch`, installed by scripts/lib.sh) at start-up, for
/// the matcher's compound splitting and diminutives (`DutchLexicon`). Without the file the daemon runs as
/// before, with one log line saying what is missing.
public enum DutchWordList {
    /// Where Debian's `wdutch` puts the list.
    static let defaultPath = "/usr/share/dict/dutch"
    /// An environment variable naming another file (tests use one that does not exist).
    static let pathVariable = "LMDS_DUTCH_WORDS"

    /// The lexicon read from the path `environment` names (else the default), and the log line to write.
    /// Reading and parsing the 5 MB list takes a few hundred milliseconds: call it off the event loop.
    public static func load(environment: [String: String], clock: any Clock) -> (lexicon: DutchLexicon?, logLine: String) {
        let path = environment[pathVariable].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
        let startMs = clock.nowMs()
        guard let data = FileManager.default.contents(atPath: path) else {
            return (nil, "no Dutch word list at \(path) (install the Debian package wdutch): matching does not split compounds or read diminutives")
        }
        let lexicon = DutchLexicon(listText: String(decoding: data, as: UTF8.self))
        return (lexicon, "Dutch word list \(path): \(lexicon.count) words read in \(clock.nowMs() - startMs) ms")
    }
}
