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
}
