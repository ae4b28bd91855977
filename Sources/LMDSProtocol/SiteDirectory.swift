#if canImport(Glibc)
import Glibc
#endif

/// A generated website on disk (`lmds site`, `lmdsd site`), written incrementally: a file is rewritten only
/// when its text changed, each through a rename so that a web server never serves half a page; files that
/// the previous build wrote and this one does not (the page of a question no longer public) are removed.
/// The list of files a build wrote is kept in `manifestName` in the directory.
public enum SiteDirectory {
    public static let manifestName = ".lmds-site-files"
    /// The largest manifest read back (about 40 bytes per file: some 400,000 files).
    static let manifestBytesMax = 16 << 20

    /// What a build did.
    public struct Result: Sendable, Hashable {
        public var written = 0
        public var unchanged = 0
        public var removed = 0
    }

    /// Why a file could not be written.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
    }

    /// Writes `files` (paths relative to `directory`) under `directory`, skipping those already there as given.
    public static func write(_ files: [String: String], to directory: String) throws(Failure) -> Result {
        try makeDirectories(directory)
        var result = Result()
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            precondition(!path.hasPrefix("/") && !path.split(separator: "/").contains(".."), "site paths are relative and stay inside the site")
            let full = directory + "/" + path
            if case .success(let bytes) = SmallFile.read(full, bytesMax: text.utf8.count), bytes.elementsEqual(text.utf8) {
                result.unchanged += 1
                continue
            }
            if let slash = path.lastIndex(of: "/") { try makeDirectories(directory + "/" + path[..<slash]) }
            try writeReplacing(full, text)
            result.written += 1
        }
        let manifest = directory + "/" + manifestName
        if case .success(let bytes) = SmallFile.read(manifest, bytesMax: manifestBytesMax) {
            for stale in String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            where files[stale] == nil && !stale.hasPrefix("/") && !stale.split(separator: "/").contains("..") {
                if unlink(directory + "/" + stale) == 0 { result.removed += 1 }
            }
        }
        try writeReplacing(manifest, files.keys.sorted().joined(separator: "\n") + "\n")
        return result
    }

    /// The largest template or map file `readTemplateFiles` reads (a template is a few KiB).
    public static let templateBytesMax = 1 << 20

    /// A templates directory as `--templates DIR` gives it (`lmds site`, `lmdsd site`): the texts of the files
    /// named `names` (the templates and style sheet; a missing one is left out, for `SiteTemplates` to name),
    /// and of every `CITY.map.json` by city id.
    public static func readTemplateFiles(_ directory: String, names: [String]) -> (files: [String: String], maps: [String: String]) {
        func text(_ name: String) -> String? {
            guard case .success(let bytes) = SmallFile.read(directory + "/" + name, bytesMax: templateBytesMax) else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
        var files: [String: String] = [:]
        for name in names { files[name] = text(name) }
        var maps: [String: String] = [:]
        if let entries = opendir(directory) {
            defer { closedir(entries) }
            while let entry = readdir(entries) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard name.hasSuffix(".map.json"), let map = text(name) else { continue }
                maps[String(name.dropLast(".map.json".count))] = map
            }
        }
        return (files, maps)
    }

    /// Writes `text` to `path` through a temporary file and a rename (mode 0644: a web server reads it).
    static func writeReplacing(_ path: String, _ text: String) throws(Failure) {
        let temporary = path + ".tmp"
        guard let file = fopen(temporary, "w") else { throw Failure(description: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let complete = bytes.isEmpty || fwrite(bytes, 1, bytes.count, file) == bytes.count
        guard fclose(file) == 0, complete, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// `mkdir -p` with mode 0755.
    static func makeDirectories(_ path: some StringProtocol) throws(Failure) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw Failure(description: "cannot create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }
}
