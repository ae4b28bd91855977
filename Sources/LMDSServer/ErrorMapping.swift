import Domain
import EventLog
import LMDSCore
import LMDSJSON
import LMDSProtocol
import NIOPosix

/// The one place where the errors of the other modules (the core, the domain, the log, the thread pool)
/// become JSON-RPC errors: the edge of the daemon. Handlers throw what their module throws; the
/// connection answers with `rpcError(_:)`.
extension Dispatcher {
    /// Any error as a JSON-RPC error.
    public static func rpcError(_ error: any Error) -> RPCError {
        if let error = error as? RPCError { return error }
        if let error = error as? CoreError {
            switch error {
            case .refused(let refusal): return rpcError(refusal)
            case .storage(let failure): return rpcError(failure)
            case .shuttingDown: return RPCError.unavailable(cause: "shuttingDown", "the daemon is shutting down")
            }
        }
        if let error = error as? DomainError { return rpcError(error) }
        if let error = error as? EventLogError { return rpcError(error) }
        if error is NIOThreadPoolError.ThreadPoolInactive {
            return RPCError.unavailable(cause: "shuttingDown", "the daemon is shutting down")
        }
        return RPCError.internalError("\(error)")
    }

    /// Log failures as JSON-RPC errors.
    static func rpcError(_ error: EventLogError) -> RPCError {
        switch error.code {
        case .storageFull, .overloaded, .notWritable, .dataDirectoryLocked, .damaged, .formatTooNew, .storageError, .syncFailed:
            // The daemon cannot do it now; an operator may have to act (free disk, restore a backup).
            return RPCError.unavailable(cause: error.code.rawValue, error.message)
        case .conflict:
            return RPCError.conflict("\(error.message); nothing was written, retry")
        case .notFound:
            return RPCError(code: RPCErrorCode.notFound, message: "Not found: \(error.message)", data: ["reason": .string(error.message)])
        case .backupFailed, .dataDirectoryUnusable:
            return RPCError(code: RPCErrorCode.validation, message: "Validation failed: path: \(error.message)",
                data: ["field": "path", "reason": .string(error.message)])
        case .tooLarge:
            return RPCError(code: RPCErrorCode.validation, message: "Validation failed: params: \(error.message)",
                data: ["field": "params", "reason": .string(error.message)])
        }
    }

    /// The result of `body`, a domain check or lookup, with its refusal as a JSON-RPC error.
    static func answering<Result>(_ body: () throws(DomainError) -> Result) throws(RPCError) -> Result {
        do throws(DomainError) {
            return try body()
        } catch {
            throw rpcError(error)
        }
    }

    /// Domain refusals as JSON-RPC errors.
    static func rpcError(_ error: DomainError) -> RPCError {
        switch error.code {
        case .notFound:
            return RPCError.notFound(error.entityID ?? error.message)
        case .conflict:
            return RPCError.conflict(error.message, state: error.state).adding(error.details)
        case .validation:
            let field = error.field ?? "params"
            let reason = error.message.hasPrefix(field + ": ") ? String(error.message.dropFirst(field.count + 2)) : error.message
            return RPCError.validation(field: field, reason).adding(error.details)
        case .forbidden:
            return RPCError(code: RPCErrorCode.forbidden, message: "Forbidden: \(error.message)", data: ["reason": .string(error.message)])
        }
    }
}
