import LMDSCalendar
import Testing

/// The one calendar (`CivilCalendar`) that the log's UTC times, the domain's dates and the CLI share.
@Suite struct CivilCalendarTests {
    /// Every day from 1600 to 2400 goes to its date and back, and consecutive days are consecutive dates.
    @Test func daysAndDatesRoundTripOverEightCenturies() {
        let first = CivilCalendar.daysSinceEpoch(year: 1600, month: 1, day: 1)
        let last = CivilCalendar.daysSinceEpoch(year: 2400, month: 12, day: 31)
        var expected = (year: 1600, month: 1, day: 1)
        for days in first...last {
            let date = CivilCalendar.civil(daysSinceEpoch: days)
            guard date == expected else {
                Issue.record("day \(days) is \(date), expected \(expected)")
                return
            }
            #expect(CivilCalendar.daysSinceEpoch(year: date.year, month: date.month, day: date.day) == days)
            expected.day += 1
            if expected.day > CivilCalendar.daysIn(year: expected.year, month: expected.month) {
                expected = expected.month == 12 ? (expected.year + 1, 1, 1) : (expected.year, expected.month + 1, 1)
            }
        }
    }

    /// Known days: the epoch, a leap day, the century rules, and a day past its month's end counting on.
    @Test func knownDaysAndMonthLengths() {
        #expect(CivilCalendar.daysSinceEpoch(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilCalendar.daysSinceEpoch(year: 2026, month: 12, day: 7) == 20_794)
        #expect(CivilCalendar.civil(daysSinceEpoch: -1) == (1969, 12, 31))
        #expect(CivilCalendar.daysIn(year: 2028, month: 2) == 29)
        #expect(CivilCalendar.daysIn(year: 1900, month: 2) == 28)
        #expect(CivilCalendar.daysIn(year: 2000, month: 2) == 29)
        #expect(CivilCalendar.daysSinceEpoch(year: 2026, month: 2, day: 31) == CivilCalendar.daysSinceEpoch(year: 2026, month: 3, day: 3))
        #expect(CivilCalendar.floorDivide(-1, 86_400_000) == (-1, 86_399_999))
    }

    /// UTC times as the log and the protocol write them parse to milliseconds, with or without seconds and
    /// milliseconds, before 1970 too; anything else (a date alone, an offset, a 31st of April, 24:00) is nil.
    @Test func utcTimesParseToMilliseconds() {
        #expect(CivilCalendar.utcMilliseconds(iso: "1970-01-01T00:00:00.000Z") == 0)
        #expect(CivilCalendar.utcMilliseconds(iso: "2026-12-07T12:01:33.123Z") == 1_796_644_893_123)
        #expect(CivilCalendar.utcMilliseconds(iso: "2026-12-07T12:01:33Z") == 1_796_644_893_000)
        #expect(CivilCalendar.utcMilliseconds(iso: "2026-12-07T12:01Z") == 1_796_644_860_000)
        #expect(CivilCalendar.utcMilliseconds(iso: "1969-12-31T23:59:59.999Z") == -1)
        #expect(CivilCalendar.utcMilliseconds(iso: "2028-02-29T00:00:00Z") != nil)
        for text in ["2026-12-07", "2026-12-07T12:01:33+01:00", "2027-04-31T10:00:00Z", "2026-12-07T24:00:00Z", "2026-13-01T00:00Z",
                     "2027-02-29T00:00:00Z", "2026-12-07T12:01:33.1Z", "2026-12-07T12:01:3xZ", "2026-12-07 12:01:33Z"] {
            #expect(CivilCalendar.utcMilliseconds(iso: text) == nil, "\(text)")
        }
    }
}
