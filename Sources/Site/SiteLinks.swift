/// The links of a generated page, for checking that a site is whole (the tests use it on every page).
public enum SiteLinks {
    /// The `href` and `src` values of an HTML page, in order of appearance per attribute.
    public static func targets(in html: String) -> [String] {
        var found: [String] = []
        for attribute in ["href=\"", "src=\""] {
            var rest = Substring(html)
            while let start = rest.firstRange(of: attribute) {
                rest = rest[start.upperBound...]
                guard let end = rest.firstIndex(of: "\"") else { break }
                found.append(String(rest[..<end]))
                rest = rest[end...]
            }
        }
        return found
    }

    /// `target` relative to the page at `path`, as a path from the site's root (`../wijken/x.html` from
    /// `projecten/M-0001.html` is `wijken/x.html`).
    public static func resolve(_ target: String, from path: String) -> String {
        var parts = path.split(separator: "/").dropLast().map(String.init)
        for part in target.split(separator: "/") {
            if part == ".." { _ = parts.popLast() } else if part != "." { parts.append(String(part)) }
        }
        return parts.joined(separator: "/")
    }
}
