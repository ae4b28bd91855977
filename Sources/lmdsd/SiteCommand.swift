import LMDSServer
import LMDSCore
import ArgumentParser
import Domain
import EventLog
import LMDSJSON
import LMDSProtocol
import Site

extension DaemonCommand {
    /// `lmdsd site`: the public showcase site straight from the LMDB file (opened read-only), the same
    /// files `lmds site` writes from `site.content`.
    public struct SiteCommand: ParsableCommand {
        /// The help text of `lmdsd site`.
        public static let configuration = CommandConfiguration(
            commandName: "site",
            abstract: "Write the public showcase website from the LMDB file, offline (as lmds site does through the daemon).",
            discussion: """
                The log is opened read-only, so this works with or without the daemon running. Only files that changed
                are rewritten.
                  lmdsd site --data-dir /var/lib/lmds --output /var/www/lmds --base-url https://leren.example.nl/
                --templates DIR replaces the shipped templates, style sheet and maps, as for lmds site.
                """)

        @Option(help: "Data directory (default as for serve).") var dataDir: String?
        @Option(help: "The directory to write the site into (created if missing).") var output: String
        @Option(name: .customLong("as-of"), help: "A log position or a UTC date/time: the site as it stood then.") var asOf: String?
        @Option(name: .customLong("base-url"), help: "The address the site is served from, for the feed's links.") var baseURL: String?
        @Option(help: "A directory with the templates, style.css and CITY.map.json to use instead of the shipped ones (as for lmds site).")
        var templates: String?
        @Option(help: "Taxonomy file (as for serve).") var taxonomy: String?
        @Option(help: "Config file (as for serve).") var config: String?

        public init() {}

        public func run() throws {
            let environment = DefaultPaths.processEnvironment()
            let directory = dataDir ?? DefaultPaths.dataDirectory(environment: environment)
            // Read before the log is opened, so that a wrong directory fails first.
            let siteTemplates = try templates.map { directory throws(SiteError) in
                try SiteTemplates.directory(directory, read: SiteDirectory.readTemplateFiles)
            } ?? .embedded
            let settings = try DaemonSettings.resolve(config: config, taxonomy: taxonomy, environment: environment)
            var reader = try Params(.object(asOf.map { ["asOf": Int64($0).map { .integer($0) } ?? .string($0)] } ?? [:]))
            let upTo: DomainProcessor.AsOf?
            do {
                upTo = try Dispatcher.asOf(&reader)
            } catch {
                throw ValidationError(error.message)
            }
            let log = try Replay.openReadOnly(directory)
            defer { log.close() }
            let replay = try DomainProcessor.replay(log: log, upTo: upTo)
            let realNowMs = SystemClock().nowMs()
            var asOfMs = realNowMs
            if case .timeMs(let time)? = upTo { asOfMs = time } else if upTo != nil { asOfMs = replay.headTimeMs }
            let content = Dispatcher.publicContent(state: replay.state, taxonomy: settings.taxonomy, position: replay.head, asOfMs: asOfMs, realNowMs: realNowMs)
            let files = SiteRenderer(content: content, templates: siteTemplates, baseURL: baseURL).files()
            do {
                let result = try SiteDirectory.write(files, to: output)
                print("site at log position \(replay.head) in \(output): \(result.written) of \(files.count) files written, "
                      + "\(result.unchanged) unchanged, \(result.removed) removed; open \(output)/index.html")
            } catch {
                throw ValidationError(error.description)
            }
        }
    }
}
