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

extension DaemonConfigTests {
    /// `notifications` and `people` as the issue writes them are read (lmdsd starts with them); sendmail,
    /// digest and webhooks default as documented; a wrong address, digest, URL, short secret or unknown key
    /// is refused by name.
    @Test func notificationKeysAreReadAndChecked() throws {
        let text = #"""
            {"notifications": {"email": {"sendmail": ["/usr/bin/msmtp", "-t"], "from": "lmds@leiden.nl", "digest": "immediate"},
              "webhooks": [{"url": "https://chat.example.nl/hook", "events": ["ReminderRaised", "intake-waiting"], "secret": "0123456789abcdef"}]},
             "people": {"alice": {"email": "alice@leiden.nl", "digest": "daily 08:00"}, "bob": {"email": "bob@hsleiden.nl"}}}
            """#
        let config = try DaemonConfig(json: Array(text.utf8)).notifications
        #expect(config.email.sendmail == ["/usr/bin/msmtp", "-t"] && config.email.from == "lmds@leiden.nl" && config.email.digest == .immediate)
        #expect(config.webhooks.map(\.events) == [["ReminderRaised", "intake-waiting"]])
        #expect(config.people["alice"]?.digest == .daily(minuteOfDay: 480) && config.people["bob"]?.digest == nil)
        #expect(DaemonConfig().notifications.email.sendmail == ["/usr/sbin/sendmail", "-t", "-oi"])
        let refused = [
            (#"{"notifications": {"email": {"digest": "weekly"}}}"#, "notifications.email.digest"),
            (#"{"notifications": {"email": {"digest": "daily 25:00"}}}"#, "notifications.email.digest"),
            (#"{"notifications": {"email": {"sendmail": ["sendmail"]}}}"#, "notifications.email.sendmail"),
            (#"{"notifications": {"sms": {}}}"#, "notifications.sms: unknown key"),
            (#"{"notifications": {"webhooks": [{"url": "ftp://x", "events": ["A"], "secret": "0123456789abcdef"}]}}"#, "notifications.webhooks[0].url"),
            (#"{"notifications": {"webhooks": [{"url": "https://x", "events": ["A"], "secret": "short"}]}}"#, "notifications.webhooks[0].secret"),
            (#"{"people": {"alice": {"email": "alice"}}}"#, "people.alice.email"),
            (#"{"people": {"alice": {"phone": "071"}}}"#, "people.alice.phone: unknown key"),
        ]
        for (bad, prefix) in refused {
            #expect { try DaemonConfig(json: Array(bad.utf8)) } throws: { error in
                ((error as? ConfigError)?.message ?? "").hasPrefix(prefix)
            }
        }
    }
}
