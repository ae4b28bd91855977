import ArgumentParser
import LMDSProtocol
import Site

#if canImport(Glibc)
import Glibc
#endif

/// Templates for `lmds site --templates DIR`: the Mustache files, the style sheet and the cities' maps
/// (`CITY.map.json`) of a directory.
enum SiteFiles {
    /// The largest template or map file read (a template is a few KiB).
    static let templateBytesMax = 1 << 20

    static func readTemplates(_ directory: String) throws -> SiteTemplates {
        func text(_ name: String) -> String? {
            guard case .success(let bytes) = SmallFile.read(directory + "/" + name, bytesMax: templateBytesMax) else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
        var files: [String: String] = [:]
        for name in SiteTemplates.templateNames.map({ $0 + ".mustache" }) + SiteTemplates.assetNames { files[name] = text(name) }
        var maps: [String: String] = [:]
        if let entries = opendir(directory) {
            defer { closedir(entries) }
            while let entry = readdir(entries) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard name.hasSuffix(".map.json"), let map = text(name) else { continue }
                maps[String(name.dropLast(".map.json".count))] = map
            }
        }
        do {
            return try SiteTemplates(files: files, maps: maps)
        } catch {
            throw ValidationError("--templates \(directory): \(error)")
        }
    }
}
