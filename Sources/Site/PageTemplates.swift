import Mustache

/// A set of Mustache templates and plain files (a style sheet, a script), read from file texts by name: the one
/// template loader of the site (`SiteTemplates`) and of the reports' HTML (`Reports.ReportTemplates`), which share
/// the page head, the chart, the table and the style sheet of Sources/Site/Templates. Pure: the texts come in as
/// values (the shipped ones compiled in by scripts/embed-site, a city's own read by the CLI).
public struct PageTemplates: Sendable {
    let library: MustacheLibrary
    /// The plain files by file name, as given.
    public let assets: [String: String]

    /// Registers `NAME.mustache` from `files` for each of `templateNames`, and keeps each of `assetNames`.
    /// - Throws: `SiteError` naming a missing file or a template that does not parse.
    public init(files: [String: String], templateNames: [String], assetNames: [String]) throws(SiteError) {
        var library = MustacheLibrary()
        for name in templateNames {
            guard let text = files[name + ".mustache"] else { throw SiteError("the templates lack \(name).mustache") }
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch {
                throw SiteError("\(name).mustache: \(error)")
            }
        }
        var assets: [String: String] = [:]
        for name in assetNames {
            guard let text = files[name] else { throw SiteError("the templates lack \(name)") }
            assets[name] = text
        }
        self.library = library
        self.assets = assets
    }

    /// Renders template `name` (one of the names given at init) with `context`.
    public func render(_ name: String, _ context: [String: Any]) -> String {
        guard let text = library.render(context, withTemplate: name) else { preconditionFailure("no template \(name)") }
        return text
    }
}

extension PageTemplates {
    /// The context of `table.mustache`: a table with an optional caption, column headings, and rows of cells.
    /// A cell is a dictionary of `text` (escaped) or `html` (as is, already escaped), and optionally `href` (the
    /// text a link), `rowHeader: true` (a `th scope="row"`), `cellClass` and `cellLang`. Without rows, one row
    /// says `emptyText`.
    public static func table(caption: String? = nil, columns: [String], rows: [[[String: Any]]], emptyText: String = "(none)") -> [String: Any] {
        var context: [String: Any] = [
            "columns": columns.map { ["label": $0] },
            "rows": rows.map { ["cells": $0] },
        ]
        if let caption { context["caption"] = caption }
        if rows.isEmpty { context["empty"] = ["columnCount": columns.count, "emptyText": emptyText] as [String: Any] }
        return context
    }

    /// A row of `table.mustache` with a heading cell (`th scope="row"`, a link when `href` is given) and a number.
    public static func labelledNumberRow(_ label: String, href: String? = nil, _ number: Any) -> [[String: Any]] {
        var heading: [String: Any] = ["rowHeader": true, "text": label]
        if let href { heading["href"] = href }
        return [heading, ["cellClass": "number", "text": number]]
    }
}
