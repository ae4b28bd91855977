#if canImport(Glibc)
import Glibc
#endif

/// Reads the small files the daemon and the CLI take as input (config, taxonomy, params given with
/// `--file`), with a size bound so that a wrong path cannot make either read a huge file.
public enum SmallFile {
    /// Why a file could not be read.
    public enum Failure: Error, Sendable, Hashable {
        /// `fopen` failed; the system's reason.
        case unreadable(String)
        /// The file is larger than the bound.
        case tooLarge
    }

    /// The file's bytes, at most `bytesMax`.
    public static func read(_ path: String, bytesMax: Int) -> Result<[UInt8], Failure> {
        guard let file = fopen(path, "r") else { return .failure(.unreadable(String(cString: strerror(errno)))) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > bytesMax { return .failure(.tooLarge) }
        }
        return .success(bytes)
    }
}
