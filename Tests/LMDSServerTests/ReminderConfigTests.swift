import Domain
import Foundation
import Testing

@testable import LMDSServer

extension DaemonConfigTests {
    /// `reminders` sets each rule's threshold in days (fractions allowed) or turns it off with false; every
    /// rule is on with its default otherwise; an unknown rule or a bad threshold is refused by name.
    @Test func remindersSetThresholdsOrTurnRulesOff() throws {
        #expect(DaemonConfig().policy.reminders.days[.intakeWaiting] == 7 && DaemonConfig().policy.reminders.days[.outcomeMissing] == 14)
        let config = try DaemonConfig(json: Array(#"{"reminders": {"consentWaitingDays": 0.5, "notStartedDays": false}}"#.utf8))
        #expect(config.policy.reminders.thresholdMs(.consentWaiting) == 43_200_000)
        #expect(config.policy.reminders.thresholdMs(.notStarted) == nil)
        #expect(config.policy.reminders.days[.expiryWarning] == 3 && config.policy.reminders.days[.followUpDue] == 0)
        for (bad, prefix) in [(#"{"lateDays": 3}"#, "reminders.lateDays: unknown key"), (#"{"intakeWaitingDays": -1}"#, "reminders.intakeWaitingDays"),
                              (#"{"intakeWaitingDays": "7"}"#, "reminders.intakeWaitingDays"), (#"[]"#, "reminders must be")] {
            #expect { try DaemonConfig(json: Array(#"{"reminders": \#(bad)}"#.utf8)) } throws: { error in
                ((error as? ConfigError)?.message ?? "").hasPrefix(prefix)
            }
        }
    }
}
