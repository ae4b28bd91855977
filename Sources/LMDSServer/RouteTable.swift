import Domain
import LMDSCore
import LMDSJSON
import LMDSProtocol
import NIOCore

/// What a handler knows of its request besides its params.
struct RequestContext: Sendable {
    let request: RPCRequest
    /// Who asked, already authorised for the method.
    let caller: Caller
    /// The connection's event loop: the handler's future completes on it.
    let eventLoop: any EventLoop

    var method: String { request.method }
}

/// One method of the protocol in the daemon's route table: its catalogue entry (which roles may call it),
/// and its handler.
///
/// A write's handler only decodes its params into a domain `Command`; the table then runs every write the
/// same way (request id, unknown params refused, the core's `execute`, the `WriteResult` rendered). Any
/// other method answers by itself. Authorisation happens once, before the route runs (`authorise`), and
/// errors become JSON-RPC errors once, in `ErrorMapping.swift`. A new method is one catalogue entry in
/// `LMDSProtocol/Methods.swift`, one entry in its file's route list and its handler; `RouteTableTests`
/// checks that every catalogue method has exactly one route and every route a catalogue entry.
struct Route: Sendable {
    enum Handler: Sendable {
        /// A domain write: the params as a command, which the core executes.
        case write(@Sendable (Dispatcher) -> (inout Params, RequestContext) throws(RPCError) -> Command)
        /// A read or a system method: the handler reads its params and makes the answer.
        case answer(@Sendable (Dispatcher) -> (inout Params, RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue>)
        /// Answered by the connection itself (subscriptions live with it).
        case connection
    }

    let method: String
    let handler: Handler
    /// A boolean param that, when true, asks for more than the method itself: the least role that may set it
    /// (`match.plan`'s `propose`). Checked at the edge with the method's roles.
    var option: (param: String, role: Role)?

    /// A write: `decode` is a `Dispatcher` method reading the params into a command.
    static func write(_ method: String, _ decode: @escaping @Sendable (Dispatcher) -> (inout Params, RequestContext) throws(RPCError) -> Command) -> Route {
        Route(method: method, handler: .write(decode), option: nil)
    }

    /// Any other method: `answer` is a `Dispatcher` method reading the params and making the answer.
    static func answer(
        _ method: String, _ answer: @escaping @Sendable (Dispatcher) -> (inout Params, RequestContext) throws(RPCError) -> EventLoopFuture<JSONValue>,
        option: (param: String, role: Role)? = nil
    ) -> Route {
        Route(method: method, handler: .answer(answer), option: option)
    }

    /// Passes unless `request` sets this route's option without the role it needs.
    func authoriseOption(_ request: RPCRequest, caller: Caller) throws(RPCError) {
        guard let option, case .bool(true)? = request.params?[option.param], !(caller.role.map { $0 >= option.role } ?? false) else { return }
        let role = caller.role?.rawValue ?? "none"
        let allowed = Role.allCases.filter { $0 >= option.role }.map { $0.rawValue + "s" }.joined(separator: " and ")
        throw RPCError(code: RPCErrorCode.forbidden,
                       message: "Forbidden: role \(role) may not \(option.param) (\(method) with \(option.param) is for \(allowed))",
                       data: ["method": .string(method), "role": .string(role), "field": .string(option.param)])
    }
}

extension Dispatcher {
    /// Methods the connection answers itself.
    static let connectionRoutes: [Route] = [
        Route(method: "events.subscribe", handler: .connection, option: nil),
        Route(method: "events.unsubscribe", handler: .connection, option: nil),
    ]

    /// The route table: every method the daemon answers, by name, gathered from each file's list.
    static let routeTable: [String: Route] = {
        let lists = [
            systemRoutes, connectionRoutes, questionWriteRoutes, questionReadRoutes, offerRoutes, collaborationWriteRoutes, collaborationReadRoutes,
            matchingRoutes, reportRoutes, importRoutes, siteRoutes, deskRoutes, progressRoutes,
            reminderRoutes, notificationRoutes, lineageRoutes, organisationRoutes,
        ]
        var table: [String: Route] = [:]
        for route in lists.joined() {
            precondition(table.updateValue(route, forKey: route.method) == nil, "two routes for \(route.method)")
        }
        return table
    }()

    /// Checks that `caller` may call `method`: the one authorisation of a request, before its route runs.
    /// - Returns: the method's catalogue entry.
    /// - Throws: forbidden for a caller without a role (whatever the method), method not found (no route or
    ///   no catalogue entry), or forbidden for a role the method does not allow.
    public static func authorise(method: String, caller: Caller) throws(RPCError) -> MethodDescriptor {
        guard let role = caller.role else { throw RPCError.forbidden(method: method, role: nil) }
        guard routeTable[method] != nil, let descriptor = MethodCatalogue.descriptor(method) else { throw RPCError.methodNotFound(method) }
        guard descriptor.roles.contains(role) else { throw RPCError.forbidden(method: method, role: role.rawValue) }
        return descriptor
    }

    /// Authorises `request` for `caller`: its method (`authorise(method:caller:)`) and the options it sets.
    public static func authorise(_ request: RPCRequest, caller: Caller) throws(RPCError) {
        _ = try authorise(method: request.method, caller: caller)
        try routeTable[request.method]?.authoriseOption(request, caller: caller)
    }

    /// Runs an authorised request through its route (except the connection's own methods): the id kinds of
    /// its params are checked first, then the route's handler runs; a write's command goes to the core.
    public func handle(_ request: RPCRequest, caller: Caller, on eventLoop: any EventLoop) -> EventLoopFuture<JSONValue> {
        let context = RequestContext(request: request, caller: caller, eventLoop: eventLoop)
        do throws(RPCError) {
            guard let route = Self.routeTable[request.method] else { throw RPCError.methodNotFound(request.method) }
            try Self.checkIDKinds(request)
            var params = try Params(request.params)
            switch route.handler {
            case .write(let decode):
                let command = try decode(self)(&params, context)
                return write(command, &params, caller: caller, on: eventLoop)
            case .answer(let answer):
                return try answer(self)(&params, context)
            case .connection:
                throw RPCError.methodNotFound(request.method)
            }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }
}
