import ArgumentParser
import LMDSJSON
import LMDSProtocol
import Site

#if canImport(Glibc)
import Glibc
#endif

extension LMDSCommand.Question {
    /// `lmds question publish Q-… [--unpublish]`: the mark that lets the public site show a question.
    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark an open, matched or completed question public, so that the public site shows it (--unpublish takes the mark back).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var write: WriteOptions
        @Argument(help: "The question, such as Q-0001.") var id: String
        @Flag(help: "Take the mark back: the next site leaves the question and its project out.") var unpublish = false

        func run() throws {
            try global.write("question.publish", ["id": .string(id), "public": .bool(!unpublish)], write, versioned: false, flags: ["id": "ID"])
        }
    }
}

extension LMDSCommand {
    /// `lmds site --output DIR`: the public showcase site, from `site.content`, rendered with `Site`.
    struct SiteCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "site",
            abstract: "Write the public showcase website (Dutch, static, no JavaScript) into a directory.",
            discussion: """
                Only what the public may see: questions a coordinator published (lmds question publish), their projects
                and public outcomes, the programme's figures. Writes only the files that changed and says how many.
                Example: lmds site --output /var/www/lmds --base-url https://leren.example.nl/
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The directory to write the site into (created if missing).") var output: String
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the site as it stood then (embargoes are never lifted before their day).")
        var asOf: String?
        @Option(name: .customLong("base-url"), help: "The address the site is served from, for the Atom feed's links and projects.json.")
        var baseURL: String?
        @Option(help: "A directory with the templates, style.css and CITY.map.json to use instead of the shipped ones.")
        var templates: String?
        @Flag(help: "Keep the site current: rebuild after every new event (events.subscribe) until interrupted.")
        var follow = false

        func validate() throws {
            if follow && asOf != nil { throw ValidationError("--follow keeps the site current; it does not take --as-of") }
            if let baseURL, !(baseURL.hasPrefix("https://") || baseURL.hasPrefix("http://")) {
                throw ValidationError("--base-url must start with https:// or http://")
            }
        }

        func run() throws {
            let templates = try self.templates.map { directory throws(SiteError) in
                try SiteTemplates.directory(directory, read: SiteDirectory.readTemplateFiles)
            } ?? .embedded
            var params: [String: JSONValue] = [:]
            if let asOf = asOfValue(asOf) { params["asOf"] = asOf }
            let position = try build(params: params, templates: templates)
            guard follow else { return }
            let client = try global.connect()
            let subscription = try GlobalOptions.unwrap(
                try global.invoke(client, "events.subscribe", ["from": .integer(position + 1)]), method: "events.subscribe", flags: [:])
            printError("following events from position \(describe(subscription["from"])) (Ctrl-C to stop)")
            // A build covers every event committed before it: the notifications of those are passed over, so
            // a burst of events costs a build or two, and the subscription never falls behind.
            var builtThrough = position
            try Events.eachEvent(client) { event in
                guard (event["position"]?.integerValue ?? Int64.max) > builtThrough else { return }
                builtThrough = try build(params: [:], templates: templates)
            }
        }

        /// Fetches the content, renders it, writes what changed, prints the count; returns the content's position.
        func build(params: [String: JSONValue], templates: SiteTemplates) throws -> Int64 {
            let content = try global.call("site.content", .object(params), flags: ["asOf": "--as-of"])
            let files = SiteRenderer(content: content, templates: templates, baseURL: baseURL).files()
            let result: SiteDirectory.Result
            do {
                result = try SiteDirectory.write(files, to: output)
            } catch {
                throw ValidationError(error.description)
            }
            if global.json {
                global.printJSON(["output": .string(output), "written": .integer(Int64(result.written)),
                                  "unchanged": .integer(Int64(result.unchanged)), "removed": .integer(Int64(result.removed)),
                                  "position": content["asOf"]?["position"] ?? .null])
            } else {
                print("site at log position \(describe(content["asOf"]?["position"])) in \(output): \(result.written) of \(files.count) files written, "
                      + "\(result.unchanged) unchanged, \(result.removed) removed; open \(output)/index.html")
            }
            fflush(nil)
            return content["asOf"]?["position"]?.integerValue ?? 0
        }
    }
}
