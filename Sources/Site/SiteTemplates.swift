import LMDSJSON

/// The site's templates (Mustache, kept as files in Sources/Site/Templates), its style sheet, and the
/// cities' schematic maps (Protocol/taxonomies/CITY.map.json). The shipped ones are compiled in
/// (`embedded`, by scripts/embed-site); a city may give its own directory to `lmds site --templates`.
public struct SiteTemplates: Sendable {
    /// The Mustache templates the renderer uses, by name (the file is NAME.mustache).
    public static let templateNames = ["head", "table", "header", "footer", "cards", "home", "project", "listing", "overview", "open-questions", "feed", "map", "chart", "search"]
    /// Files copied as they are into the site.
    public static let assetNames = ["style.css", "zoeken.js"]
    /// Every file a templates directory holds besides the maps: the templates' and the assets' file names.
    public static var fileNames: [String] { templateNames.map { $0 + ".mustache" } + assetNames }

    let pages: PageTemplates
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
        let pages = try PageTemplates(files: files, templateNames: Self.templateNames, assetNames: Self.assetNames)
        var parsedMaps: [String: JSONValue] = [:]
        for (city, text) in maps {
            do {
                parsedMaps[city] = try JSONParser.parse(text)
            } catch {
                throw SiteError("the map of \(city): \(error)")
            }
        }
        self.pages = pages
        self.maps = parsedMaps
    }

    /// The templates of a directory (`--templates DIR` of `lmds site` and `lmdsd site`), its files read by
    /// `read` (the caller's I/O, `SiteDirectory.readTemplateFiles`: the texts of the named files, and the maps
    /// by city id).
    /// - Throws: `SiteError` naming the directory and the missing file, or the template or map that does not parse.
    public static func directory(
        _ directory: String, read: (String, [String]) -> (files: [String: String], maps: [String: String])
    ) throws(SiteError) -> SiteTemplates {
        let found = read(directory, fileNames)
        do {
            return try SiteTemplates(files: found.files, maps: found.maps)
        } catch {
            throw SiteError("--templates \(directory): \(error)")
        }
    }

    /// Files copied as they are into the site, by name.
    var assets: [String: String] { pages.assets }

    /// Renders template `name` with `context`.
    func render(_ name: String, _ context: [String: Any]) -> String {
        pages.render(name, context)
    }
}

/// Why the site could not be made.
public struct SiteError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
