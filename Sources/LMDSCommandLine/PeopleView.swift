import LMDSCalendar
import LMDSJSON
import LMDSProtocol

#if canImport(Glibc)
import Glibc
#endif

/// Times as people in the programme read them: in its time zone, to the minute (`2026-12-07 13:01`).
///
/// The protocol and `--json` keep UTC ISO 8601; only text for people goes through here. The zone's rules
/// come from the system's tz database (`/usr/share/zoneinfo`), read by the C library's `localtime_r` with
/// `TZ` set for the call: the C library offers no other way to name a zone, so the calls are serialised by
/// a lock and `TZ` is put back after each.
enum PeopleTime {
    /// The zone when `system.status` names none (a daemon from before `timeZone`).
    static let defaultTimeZone = "Europe/Amsterdam"

    /// `utc` (`2026-12-07T12:01:33.123Z`, or a date `2026-12-07`, which is returned as it is) in `timeZone`
    /// to the minute; an unknown zone gives UTC with " UTC" after it; text that is not a UTC time is
    /// returned unchanged.
    static func format(_ utc: String, timeZone: String) -> String {
        guard let milliseconds = CivilCalendar.utcMilliseconds(iso: utc) else { return utc }
        let seconds = CivilCalendar.floorDivide(milliseconds, 1000).quotient
        guard zoneExists(timeZone) else { return minute(of: civil(seconds)) + " UTC" }
        return minute(of: local(seconds, timeZone: timeZone))
    }

    static func minute(of time: tm) -> String {
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(time.tm_year + 1900)-\(two(time.tm_mon + 1))-\(two(time.tm_mday)) \(two(time.tm_hour)):\(two(time.tm_min))"
    }

    /// The UTC date and time of `seconds` since 1970, in the C library's form that `minute(of:)` reads.
    static func civil(_ seconds: Int64) -> tm {
        let (days, secondOfDay) = CivilCalendar.floorDivide(seconds, 86_400)
        let date = CivilCalendar.civil(daysSinceEpoch: Int(days))
        var time = tm()
        time.tm_year = Int32(date.year - 1900)
        time.tm_mon = Int32(date.month - 1)
        time.tm_mday = Int32(date.day)
        time.tm_hour = Int32(secondOfDay / 3_600)
        time.tm_min = Int32(secondOfDay / 60 % 60)
        time.tm_sec = Int32(secondOfDay % 60)
        return time
    }

    /// Whether the tz database has `name` (a relative path without "..").
    static func zoneExists(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains("..") else { return false }
        return access("/usr/share/zoneinfo/" + name, R_OK) == 0
    }

    /// `seconds` in `timeZone`. The CLI is a short-lived process that shows every time in one zone: it sets
    /// `TZ` for the process once per zone (the C library reads the zone file then, not per value).
    static func local(_ seconds: Int64, timeZone: String) -> tm {
        zoneLock.withLock {
            if zoneSet != timeZone {
                setenv("TZ", timeZone, 1)
                tzset()
                zoneSet = timeZone
            }
            var time = time_t(seconds)
            var result = tm()
            localtime_r(&time, &result)
            return result
        }
    }

    /// Serialises the calls that set `TZ`, and the zone set last (guarded by `zoneLock`).
    static let zoneLock = ProcessLock()
    nonisolated(unsafe) static var zoneSet: String?
}

/// A pthread mutex for the few process-wide things the CLI must serialise.
final class ProcessLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: () -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}

/// The city's words and the programme's clock for text people read: taxonomy labels instead of ids
/// ("Stevenshof" for `stevenshof`, "Eenzaamheid" for `loneliness`) and times in the programme's time zone.
/// A command that prints them fetches one with `GlobalOptions.peopleView()` (one `taxonomy.get` and one
/// `system.status` per process); `--json` output never goes through it.
struct PeopleView {
    /// Label by id, per kind: `neighbourhood` (districts and wijken), `institution`, `level`, `theme`, `discipline`.
    let labels: [String: [String: String]]
    /// The programme's IANA time zone.
    let timeZone: String

    /// Reads the labels of a `taxonomy.get` result.
    init(taxonomy: JSONValue, timeZone: String?) {
        var labels: [String: [String: String]] = [:]
        func add(_ kind: String, _ entries: [JSONValue]?) {
            for entry in entries ?? [] {
                if let id = entry["id"]?.stringValue, let label = entry["label"]?.stringValue { labels[kind, default: [:]][id] = label }
            }
        }
        for district in taxonomy["neighbourhoods"]?.arrayValue ?? [] {
            add("neighbourhood", [district])
            add("neighbourhood", district["wijken"]?.arrayValue)
        }
        for (kind, key) in [("institution", "institutions"), ("level", "levels"), ("theme", "themes"), ("discipline", "disciplines")] {
            add(kind, taxonomy[key]?.arrayValue)
        }
        self.labels = labels
        self.timeZone = timeZone ?? PeopleTime.defaultTimeZone
    }

    /// The label of `id` of `kind`, or the id itself when the taxonomy has none (or `-` when absent).
    func label(_ kind: String, _ id: JSONValue?) -> String {
        guard let text = id?.stringValue else { return describe(id) }
        return labels[kind]?[text] ?? text
    }

    /// The labels of a list of ids, joined with ", ".
    func labels(_ kind: String, _ ids: JSONValue?) -> String {
        (ids?.arrayValue ?? []).map { label(kind, $0) }.joined(separator: ", ")
    }

    /// A UTC time as people here read it; `-` when absent.
    func time(_ utc: JSONValue?) -> String {
        guard let text = utc?.stringValue else { return describe(utc) }
        return PeopleTime.format(text, timeZone: timeZone)
    }

    /// `text` with each taxonomy id that `data` holds (at the members that name one) replaced by its label,
    /// whole words only: for summaries the daemon writes with ids ("submitted by a group in stevenshof").
    func relabel(_ text: String, data: JSONValue?) -> String {
        var pairs: [(String, String)] = []
        func collect(_ kind: String, _ value: JSONValue?) {
            for id in (value?.arrayValue ?? [value].compactMap { $0 }).compactMap(\.stringValue) {
                if let label = labels[kind]?[id], label != id { pairs.append((id, label)) }
            }
        }
        collect("neighbourhood", data?["neighbourhood"]?["wijk"])
        collect("neighbourhood", data?["neighbourhood"]?["district"])
        collect("institution", data?["institution"])
        collect("level", data?["level"])
        collect("theme", data?["themes"])
        collect("discipline", data?["disciplines"])
        var result = text
        for (id, label) in pairs.sorted(by: { $0.0.count > $1.0.count }) { result = replacingWord(id, with: label, in: result) }
        return result
    }

    /// `text` with `word` replaced where it stands alone (not inside a longer word or id).
    func replacingWord(_ word: String, with replacement: String, in text: String) -> String {
        var result = ""
        var rest = Substring(text)
        func isWordCharacter(_ character: Character?) -> Bool { character.map { $0.isLetter || $0.isNumber || $0 == "-" } ?? false }
        while let range = rest.firstRange(of: word) {
            let before = range.lowerBound > rest.startIndex ? rest[rest.index(before: range.lowerBound)] : nil
            let after = range.upperBound < rest.endIndex ? rest[range.upperBound] : nil
            result += rest[..<range.lowerBound]
            result += isWordCharacter(before) || isWordCharacter(after) ? String(rest[range]) : replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension GlobalOptions {
    /// The taxonomy's labels and the programme's time zone, for text people read (two calls).
    func peopleView() throws -> PeopleView {
        let taxonomy = try call("taxonomy.get")
        let status = try call("system.status")
        return PeopleView(taxonomy: taxonomy, timeZone: status["timeZone"]?.stringValue)
    }
}
