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

    /// `value` divided by a positive `divisor`, rounded down, and the remainder (never negative): splits
    /// milliseconds before 1970 into a day and the time of day.
    @inlinable
    public static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value >= 0 ? value / divisor : (value - divisor + 1) / divisor
        return (quotient, value - quotient * divisor)
    }
}
