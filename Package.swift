// swift-tools-version:6.1
// lmds: the event-sourced daemon and CLI behind Leren met de Stad (Leiden).
// Targets are split by what they may touch: only EventLog sees LMDB, only LMDSServer sees NIO's I/O,
// and the CLI sees the protocol types, never the log.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "lmds",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lmdsd", targets: ["lmdsd"]),
        .executable(name: "lmds", targets: ["lmds"]),
        .executable(name: "lmds-notify", targets: ["lmds-notify"]),
        .executable(name: "lmds-bench", targets: ["lmds-bench"]),
        .executable(name: "lmds-crash-writer", targets: ["lmds-crash-writer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.25.0"),
    ],
    targets: [
        // The C library, from Debian's liblmdb-dev. Only EventLog imports it.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        // A small JSON value type with a bounded parser and a canonical serialiser (no I/O).
        .target(name: "LMDSJSON", swiftSettings: strictSettings),
        // The calendar as day arithmetic (days from a civil date and back, month lengths): pure, no clock, no
        // time zones (those need the tz database and stay at the edges). The one home of the algorithm for the
        // log's UTC times, the domain's dates and the CLI's times for people.
        .target(name: "LMDSCalendar", swiftSettings: strictSettings),
        // The append-only, hash-chained, group-committed event log on LMDB.
        .target(
            name: "EventLog",
            dependencies: [
                "CLMDB", "LMDSJSON", "LMDSCalendar",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The Leren met de Stad domain: pure (no I/O, no clock, no randomness).
        .target(
            name: "Domain",
            dependencies: ["LMDSJSON", "LMDSCalendar", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // Matching: Dutch text analysis, indexes kept current event by event, explainable scores and the
        // best plan per period. Pure, like the domain.
        .target(name: "Matching", dependencies: ["Domain", "LMDSJSON"], swiftSettings: strictSettings),
        // The public showcase site: `site.content`'s JSON rendered into static pages with Mustache templates
        // (Sources/Site/Templates, embedded by scripts/embed-site). Pure: content in, files as text out. Also the
        // one template loader (`PageTemplates`) and the page head, chart and table partials and style sheet that
        // the reports' HTML shares.
        .target(
            name: "Site",
            dependencies: ["LMDSJSON", .product(name: "Mustache", package: "swift-mustache")],
            exclude: ["Templates"],
            swiftSettings: strictSettings
        ),
        // Reports: figures per neighbourhood, institution, theme and period, rendered as text, JSON, CSV,
        // Markdown or HTML. Pure, like the domain. The HTML is rendered with the site's templates
        // (report.mustache and the shared partials, handed in as a `ReportTemplates` value): Reports depends on
        // Site, which depends on nothing of the domain, so there is no cycle and one home for templates.
        .target(name: "Reports", dependencies: ["Domain", "LMDSJSON", "LMDSCalendar", "Site"], swiftSettings: strictSettings),
        // JSON-RPC 2.0 envelope, error codes, method catalogue: shared by daemon and CLI. Also the one blocking
        // socket client (`RPCClient`) that the CLI, lmdsd's offline commands, the bench and the tests connect with.
        .target(name: "LMDSProtocol", dependencies: ["LMDSJSON"], swiftSettings: strictSettings),
        // The application core: the command pipeline (decide, append, apply, result), idempotency, rebuild,
        // snapshots and the projections, returning domain results and typed errors. No NIO, no JSON-RPC.
        .target(
            name: "LMDSCore",
            dependencies: [
                "EventLog", "LMDSJSON", "Domain", "Matching", "Reports",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The daemon, an adapter around the core: NIO server on a Unix socket, the route table, authorisation
        // and error mapping at the edge, config, systemd integration.
        .target(
            name: "LMDSServer",
            dependencies: [
                "LMDSCore", "EventLog", "LMDSProtocol", "LMDSJSON", "Domain", "Matching", "Reports",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "lmdsd",
            dependencies: [
                "LMDSServer", "LMDSCore", "LMDSProtocol", "LMDSJSON", "EventLog", "Domain", "Matching", "Reports", "Site",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // The CLI's commands; it never imports the log or the domain (its client is LMDSProtocol's RPCClient).
        .target(
            name: "LMDSCommandLine",
            dependencies: [
                "LMDSProtocol", "LMDSJSON", "LMDSCalendar", "Site",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "lmds",
            dependencies: ["LMDSCommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
        // The notifier's logic: follows the log through the socket (LMDSProtocol's RPCClient), plans and renders
        // messages (Mustache templates in Sources/LMDSNotify/Templates, embedded by scripts/embed-notify), hands
        // them to sendmail, signs webhook bodies (HMAC-SHA256). Never the domain, the log or NIO: it sees what any
        // client sees; lmds-notify hands it the HTTP poster (AsyncHTTPClient).
        .target(
            name: "LMDSNotify",
            dependencies: [
                "LMDSProtocol", "LMDSJSON", "LMDSCalendar", .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Templates"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "lmds-notify",
            dependencies: [
                "LMDSNotify", "LMDSProtocol", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // Webhooks' HTTP (the one NIO-based piece, kept out of LMDSNotify, which is handed a poster).
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Benchmarks and test helpers that must be real processes.
        .executableTarget(
            name: "lmds-bench",
            dependencies: ["EventLog", "LMDSJSON", "LMDSProtocol", "Domain", "Matching", "Reports", "LMDSTestSupport"],
            swiftSettings: strictSettings
        ),
        .executableTarget(name: "lmds-crash-writer", dependencies: ["EventLog", "LMDSJSON"], swiftSettings: strictSettings),
        // Seeded randomness (SplitMix64) and shared domain fixtures for the tests and the bench; no shipped module
        // depends on it.
        .target(name: "LMDSTestSupport", dependencies: ["Domain", "LMDSJSON"], swiftSettings: strictSettings),

        .testTarget(name: "LMDSJSONTests", dependencies: ["LMDSJSON", "LMDSTestSupport"]),
        .testTarget(name: "DomainTests", dependencies: ["Domain", "LMDSJSON", "LMDSCalendar", "LMDSTestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Domain", "LMDSJSON", "Site"]),
        .testTarget(name: "SiteTests", dependencies: ["Site", "LMDSJSON"]),
        .testTarget(name: "LMDSNotifyTests", dependencies: ["LMDSNotify", "LMDSProtocol", "LMDSJSON"]),
        .testTarget(name: "MatchingTests", dependencies: ["Matching", "Domain", "LMDSJSON", "LMDSTestSupport"], exclude: ["Labelled", "HeldOut"]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "LMDSJSON", "CLMDB", "LMDSTestSupport"]),
        .testTarget(name: "LMDSProtocolTests", dependencies: ["LMDSProtocol", "LMDSJSON"]),
        .testTarget(
            name: "LMDSCoreTests",
            dependencies: ["LMDSCore", "LMDSJSON", "EventLog", "Domain", "Matching", "Reports", "LMDSTestSupport"]
        ),
        .testTarget(
            name: "LMDSServerTests",
            dependencies: [
                "LMDSServer", "LMDSCore", "LMDSProtocol", "LMDSJSON", "EventLog", "Domain", "Matching", "Reports",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                "LMDSTestSupport",
            ]
        ),
        .testTarget(name: "LMDSCommandLineTests", dependencies: ["LMDSCommandLine", "LMDSProtocol", "LMDSJSON"]),
        .testTarget(
            name: "IntegrationTests", dependencies: ["LMDSProtocol", "LMDSJSON", "LMDSCommandLine", "LMDSTestSupport", "Site"],
            exclude: ["smtp-sink.py", "webhook-sink.py", "check-site.py"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The params-decoder fuzzer (`scripts/fuzz-decoder --target params`): every write route's params decoder under
// libFuzzer. It exists only when LMDS_FUZZ_PARAMS is set, which that script does for its own build
// (`--scratch-path .build-fuzz/spm`, -sanitize=fuzzer,address), so a plain `swift build` never sees it.
if Context.environment["LMDS_FUZZ_PARAMS"] != nil {
    package.targets.append(.executableTarget(
        name: "lmds-params-fuzz",
        dependencies: [
            "LMDSServer", "LMDSCore", "LMDSProtocol", "LMDSJSON", "EventLog", "Domain",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ],
        path: "scripts/fuzz-src/params",
        swiftSettings: strictSettings + [.unsafeFlags(["-parse-as-library"])]
    ))
    package.products.append(.executable(name: "lmds-params-fuzz", targets: ["lmds-params-fuzz"]))
}
