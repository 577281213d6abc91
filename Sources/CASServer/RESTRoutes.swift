import CASCore
import CASWire
import Foundation
import NIOHTTP1
import Synchronization

/// Request ids for REST calls (the JSON-lines front end uses the client's ids; these only need to be
/// unique within a session, and start high so the two never meet in logs).
private let restRequestIds = Atomic<Int64>(1 << 40)

/// The REST endpoints swat 1.18 uses, over the shared dispatcher:
///
/// | method | path (after any prefix) | |
/// |---|---|---|
/// | PUT | `cas/sessions` | create a session → `{"session": id}` |
/// | GET | `cas/sessions/{id}` | re-attach / status → `{"uuid": id, "isIdle": …}` |
/// | DELETE | `cas/sessions/{id}` | end the session |
/// | POST | `cas/sessions/{id}/actions/{action}` | call with a JSON object of parameters |
/// | PUT | `cas/sessions/{id}/actions/{action}` | call with `JSON-Parameters` header; the body becomes `data` (table.upload) |
///
/// Anything else gets 404 with an `{"error", "details"}` body (so swat's protocol probe sees HTTP).
struct RESTRoutes: Sendable {
    let dispatcher: Dispatcher
    let authenticator: RESTAuthenticator
    /// Largest request body once logged in (`--max-line`); nothing is read before the login.
    let maxBodyBytes: Int
    /// The HTTP connection's id: calls are keyed by it (`CallID`), like JSON-lines connections.
    var connection = ConnectionID.next()
    /// Who may read `/metrics`.
    var metricsAccess = MetricsAccess.admin
    /// The web monitor at `/` and `/monitor/` (docs/monitor.md); its logins are shared by every connection.
    let monitor: Monitor

    /// Actions whose results swat reads as a list (`res[0]`), not as a keyed object.
    static let listFormActions: Set<String> = ["builtins.reflect"]

    init(dispatcher: Dispatcher, login: Login, maxBodyBytes: Int) {
        self.dispatcher = dispatcher
        self.authenticator = RESTAuthenticator(login: login)
        self.maxBodyBytes = maxBodyBytes
        self.monitor = Monitor(dispatcher: dispatcher, login: login)
    }

    var server: ServerContext { dispatcher.server }

    /// Where a request head points; unknown paths are a 404 (swat's protocol probe expects one, without credentials).
    static func route(_ head: HTTPRequestHead) throws(RESTError) -> RESTRoute {
        let path = RESTRequest(head: head, body: []).path
        guard let route = RESTRoute(path: path) else {
            throw RESTError(.notFound, "No such resource: \(Names.quote(String(path)))", details: "caslite serves swat at <base>/cas/sessions")
        }
        return route
    }

    /// Answers one authenticated request; every failure becomes an error response here.
    func handle(_ route: RESTRoute, _ req: RESTRequest, _ user: LoginIdentity) async -> RESTResponse {
        do throws(RESTError) { return try await serve(route, req, user) } catch { return error.response }
    }

    func serve(_ route: RESTRoute, _ req: RESTRequest, _ user: LoginIdentity) async throws(RESTError) -> RESTResponse {
        switch (route, req.method) {
        case (.sessions, .PUT), (.sessions, .POST):
            let s = await server.sessions.create(user: user.user, isAdmin: user.isAdmin)
            return .json(["session": .string(s.id)])
        case (.session(let id), .GET), (.session(let id), .HEAD):
            return .json(await status(try await session(id, user)))
        case (.session(let id), .DELETE):
            let s = try await session(id, user)
            await server.sessions.remove(s.id)
            return .json(["session": .string(s.id), "ended": true])
        case (.action(let id, let name), .POST):
            let s = try await session(id, user)
            return await call(s, name, try Self.object(req.body, what: "the request body"))
        case (.action(let id, let name), .PUT):
            let s = try await session(id, user)
            var params = try Self.object(Array((req.headers.first(name: "json-parameters") ?? "").utf8), what: "the JSON-Parameters header")
            params = Self.swatUploadParameters(params)
            params["data"] = .blob(req.body)
            return await call(s, name, params)
        default:
            throw RESTError(.methodNotAllowed, "Method \(req.method.rawValue) is not supported on \(req.path)",
                            details: "see docs/python.md for the endpoints caslite serves")
        }
    }

    /// Runs one action call and wraps the response in swat's envelope.
    func call(_ s: Session, _ action: String, _ params: ValueDict) async -> RESTResponse {
        let id = restRequestIds.wrappingAdd(1, ordering: .relaxed).newValue
        // the log lines a JSON-lines client sees streamed: the call's own and those of the actions it calls
        // (a CASL script's loadTable NOTE), which the response's own log does not hold
        let streamed = Mutex<[LogLine]>([])
        var response = await dispatcher.call(session: s, call: CallID(connection: connection, request: id), action: action, params: params,
                                             emit: { frame in if case .log(_, let line) = frame { streamed.withLock { $0.append(line) } } })
        response.logs = streamed.withLock { $0 }
        let resolved = try? await server.resolve(action, loaded: await s.loadedSets)
        let listForm = resolved.map { Self.listFormActions.contains($0.fullName.lowercased()) } ?? false
        return RESTResponse(status: .ok, body: RESTEncoding.envelope(response, listForm: listForm, minLevel: RESTEncoding.minLevel(params)))
    }

    /// The caller's live session; unknown, ended and other users' sessions are refused.
    func session(_ id: String, _ user: LoginIdentity) async throws(RESTError) -> Session {
        // another user's session gets the same answer as none: whether an id exists is not told
        guard let s = await server.sessions.session(id), await !s.ended, s.user == user.user else {
            throw RESTError(.notFound, "Session \(id.prefix(200)) not found", details: "The session may have ended or timed out; connect without session= to start a new one")
        }
        await s.touch()
        return s
    }

    func status(_ s: Session) async -> Value {
        [
            "uuid": .string(s.id), "user": .string(s.user), "name": .string(await s.name), "state": .string(await s.state),
            "isIdle": .bool(await !s.isBusy), "timeout": .double(await s.timeout),
        ]
    }

    /// A JSON object (an empty body is `{}`); anything else is a 400 with the parser's message.
    static func object(_ bytes: [UInt8], what: String) throws(RESTError) -> ValueDict {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return ValueDict() }
        let v: Value
        do { v = try JSONParser.parse(bytes) } catch { throw RESTError(.badRequest, "Malformed JSON in \(what)", details: error.description) }
        guard case .dict(let d) = v else {
            throw RESTError(.badRequest, "Expected a JSON object in \(what)", details: "got a \(v.typeName); send {\"parameter\": value, …}")
        }
        return d
    }
}

/// Where a request path points, after any prefix (swat keeps the base URL's path: `/cas/cas/sessions`).
enum RESTRoute: Equatable {
    case sessions
    case session(String)
    case action(session: String, name: String)

    init?(path: Substring) {
        let parts = path.split(separator: "/").map(String.init)
        guard let i = parts.indices.dropLast().first(where: { parts[$0] == "cas" && parts[$0 + 1] == "sessions" }) else { return nil }
        let rest = parts[(i + 2)...].map { $0.removingPercentEncoding ?? $0 }
        switch rest.count {
        case 0: self = .sessions
        case 1: self = .session(rest[0])
        case 3 where rest[1] == "actions": self = .action(session: rest[0], name: rest[2])
        default: return nil
        }
    }
}
