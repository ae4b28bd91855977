import Foundation
import Testing

@testable import LMDSServer

extension DaemonConfigTests {
    /// `timeZone` takes an IANA name, defaults to Europe/Amsterdam, and refuses anything else by name.
    @Test func timeZoneIsAnIANAName() throws {
        #expect(DaemonConfig().timeZone.identifier == "Europe/Amsterdam")
        #expect(try DaemonConfig(json: Array(#"{"timeZone":"America/New_York"}"#.utf8)).timeZone.identifier == "America/New_York")
        #expect(try DaemonConfig(json: Array(#"{"timeZone":"UTC"}"#.utf8)).timeZone.secondsFromGMT() == 0)
        for bad in [#""Amsterdam""#, #""CEST""#, #""GMT+1""#, "1", #""""#] {
            #expect { try DaemonConfig(json: Array(#"{"timeZone":\#(bad)}"#.utf8)) } throws: { error in
                let message = (error as? ConfigError)?.message ?? ""
                return message.hasPrefix("timeZone") && message.contains("Europe/Amsterdam")
            }
        }
    }
}
