import Domain
import EventLog

/// Why the core did not do what it was asked: the one error type of this module. The daemon maps it to a
/// JSON-RPC error in one place, at its edge (`ErrorMapping` in LMDSServer).
public enum CoreError: Error, Sendable, Hashable {
    /// The domain refused the command or lookup: not found, a conflict, invalid input, forbidden.
    case refused(DomainError)
    /// The log could not do it: a full disk, a damaged or locked log, too much in flight.
    case storage(EventLogError)
    /// The core is stopping and takes no more work.
    case shuttingDown

}
