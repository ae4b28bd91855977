/// The proleptic Gregorian calendar as day arithmetic: days since 1970-01-01 from a year, month and day and
/// back (Howard Hinnant's algorithms), and the days of a month.
///
/// The one home of the calendar for every module: the log's UTC times (`EventLog`'s `UTCTime`), the domain's
/// ISO dates and due dates (`CivilDate`), the reports' local times and the CLI's times for people all count
/// days here. It is its own tiny target, not part of `LMDSJSON` (which is about JSON) nor `Domain` (which the
/// CLI must not import), and it is pure: no clock, no I/O. Time zones need the tz database, which is I/O, so
/// converting to a zone stays at the edges (the reports take a `TimeZone` value, the CLI reads the system's
/// zone files); only the arithmetic on days lives here. The functions are `@inlinable` because the log formats
/// a time for nearly every reply and start-up reads a date per question.
public enum CivilCalendar {
    /// Days since 1970-01-01 (negative before it) of `year`-`month`-`day`; `month` in 1…12. A day past the
    /// end of its month counts on into the next (`daysSinceEpoch(2026, 2, 31)` is 3 March), as `timegm` does.
    @inlinable
    public static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let monthFromMarch = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The year, month (1…12) and day of the month of the day `daysSinceEpoch` days after 1970-01-01.
    @inlinable
    public static func civil(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Whether `year` has a 29 February.
    @inlinable
    public static func isLeap(year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    /// The days of `month` (1…12) in `year`.
    @inlinable
    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year: year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Milliseconds since 1970 of a UTC time written `YYYY-MM-DDTHH:MM[:SS[.fff]]Z` (as the log and the
    /// protocol write times), or nil for anything else: the one parser of such times.
    public static func utcMilliseconds(iso text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 17, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":")
        else { return nil }
        func number(_ start: Int, _ length: Int) -> Int64? {
            guard start + length <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[start..<start + length] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2), let minute = number(14, 2),
            (1...12).contains(month), (1...Int64(daysIn(year: Int(year), month: Int(month)))).contains(day), hour < 24, minute < 60
        else { return nil }
        var second: Int64 = 0
        var millisecond: Int64 = 0
        if bytes.count > 17 {
            guard bytes[16] == UInt8(ascii: ":"), let seconds = number(17, 2), seconds < 60 else { return nil }
            second = seconds
            if bytes.count > 20 {
                guard bytes[19] == UInt8(ascii: "."), bytes.count == 24, let fraction = number(20, 3) else { return nil }
                millisecond = fraction
            } else {
                guard bytes.count == 20 else { return nil }
            }
        }
        let days = Int64(daysSinceEpoch(year: Int(year), month: Int(month), day: Int(day)))
        return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millisecond
    }

    /// `value` divided by a positive `divisor`, rounded down, and the remainder (never negative): splits
    /// milliseconds before 1970 into a day and the time of day.
    @inlinable
    public static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value >= 0 ? value / divisor : (value - divisor + 1) / divisor
        return (quotient, value - quotient * divisor)
    }
}
