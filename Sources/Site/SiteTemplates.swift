import LMDSJSON
import Mustache

/// The site's templates (Mustache, kept as files in Sources/Site/Templates), its style sheet, and the
/// cities' schematic maps (Protocol/taxonomies/CITY.map.json). The shipped ones are compiled in
/// (`embedded`, by scripts/embed-site); a city may give its own directory to `lmds site --templates`.
public struct SiteTemplates: Sendable {
    /// The Mustache templates the renderer uses, by name (the file is NAME.mustache).
    public static let templateNames = ["header", "footer", "cards", "home", "project", "listing", "overview", "open-questions", "feed", "map", "chart", "search"]
    /// Files copied as they are into the site.
    public static let assetNames = ["style.css", "zoeken.js"]

    let library: MustacheLibrary
    let assets: [String: String]
    /// The map layouts by city id, parsed.
    let maps: [String: JSONValue]

    /// The shipped templates and maps.
    public static let embedded: SiteTemplates = {
        do {
            return try SiteTemplates(files: embeddedFiles, maps: embeddedMaps)
        } catch {
            preconditionFailure("the embedded site templates do not parse: \(error)")
        }
    }()

    /// Templates from file texts by file name (`home.mustache`, `style.css`) and maps by city id.
    /// - Throws: `SiteError` naming a missing file, or a template or map that does not parse.
    public init(files: [String: String], maps: [String: String]) throws(SiteError) {
        var library = MustacheLibrary()
        for name in Self.templateNames {
            guard let text = files[name + ".mustache"] else { throw SiteError("the templates lack \(name).mustache") }
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch {
                throw SiteError("\(name).mustache: \(error)")
            }
        }
        var assets: [String: String] = [:]
        for name in Self.assetNames {
            guard let text = files[name] else { throw SiteError("the templates lack \(name)") }
            assets[name] = text
        }
        var parsedMaps: [String: JSONValue] = [:]
        for (city, text) in maps {
            do {
                parsedMaps[city] = try JSONParser.parse(text)
            } catch {
                throw SiteError("the map of \(city): \(error)")
            }
        }
        self.library = library
        self.assets = assets
        self.maps = parsedMaps
    }

    /// Renders template `name` with `context`.
    func render(_ name: String, _ context: [String: Any]) -> String {
        guard let text = library.render(context, withTemplate: name) else { preconditionFailure("no template \(name)") }
        return text
    }
}

/// Why the site could not be made.
public struct SiteError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
