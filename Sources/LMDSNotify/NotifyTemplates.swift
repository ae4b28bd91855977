import Mustache

/// lmds-notify's Dutch e-mail templates (Mustache, kept as files in Sources/LMDSNotify/Templates and compiled
/// in by scripts/embed-notify). Each renders a whole message text: its first line is the subject, then a
/// blank line, then the body. Values are inserted with `{{{...}}}`: the text is plain, not HTML.
public struct NotifyTemplates: Sendable {
    /// The templates a message uses, by name (the file is NAME.mustache); `rule` is the partial naming a
    /// reminder (`{{> rule}}`), used by `reminder` and `digest`.
    public static let templateNames = ["reminder", "status", "digest", "rule", "requester-reminder"]

    let library: MustacheLibrary

    /// The shipped templates.
    public static let embedded: NotifyTemplates = {
        do {
            return try NotifyTemplates(files: embeddedFiles)
        } catch {
            preconditionFailure("the embedded notify templates do not parse: \(error)")
        }
    }()

    /// Templates from file texts by file name (`reminder.mustache`).
    /// - Throws: `NotifyError` naming a missing file or a template that does not parse.
    public init(files: [String: String]) throws(NotifyError) {
        var library = MustacheLibrary()
        for name in Self.templateNames {
            guard let text = files[name + ".mustache"] else { throw NotifyError("the templates lack \(name).mustache") }
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch {
                throw NotifyError("\(name).mustache: \(error)")
            }
        }
        self.library = library
    }

    /// Template `name` rendered with `context`, split into the subject (its first line) and the body.
    public func render(_ name: String, _ context: [String: Any]) -> (subject: String, body: String) {
        guard let text = library.render(context, withTemplate: name) else { preconditionFailure("no template \(name)") }
        let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let subject = lines.first.map(String.init) ?? ""
        let body = lines.count > 1 ? String(lines[1]).drop { $0 == "\n" } : ""
        return (subject.trimmingSpaces, String(body))
    }
}

/// Why lmds-notify cannot go on: a config, a template, a state file or the daemon, named.
public struct NotifyError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
