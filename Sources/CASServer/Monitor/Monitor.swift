import CASCore
import CASStorage
import CASWire
import Foundation
import NIOHTTP1

/// The web monitor on the REST port (docs/monitor.md): a login form, cookie logins with a CSRF token,
/// server-rendered pages, their JSON twins, and cancel / end session. Logins go through the server's
/// one `Login` (same users, refused-login log lines and back-off); what a user sees is decided by
/// `AccessControl.mayManageSession`.
struct Monitor: Sendable {
    /// Runs the actions behind the Tables page's buttons, as for any client.
    let dispatcher: Dispatcher
    let login: Login
    var server: ServerContext { dispatcher.server }
    let logins = MonitorLogins()
    /// Open event streams per user.
    let streams = MonitorStreams()
    /// The process's CPU use, for the Server page.
    let cpu = ProcessCPU()
    /// The largest POST body the monitor reads (a login form).
    static let maxBodyBytes = 16 * 1024

    /// One request, from a client at `address` over a TLS port or not; `loggedIn` is told when a login cookie is accepted.
    func handle(_ route: MonitorRoute, _ req: RESTRequest, address: String, tls: Bool, loggedIn: () -> Void) async -> RESTResponse {
        do throws(MonitorError) {
            return try await serve(route, req, address: address, tls: tls, loggedIn: loggedIn).secured
        } catch {
            return error.response(route, html: Self.isForm(req)).secured
        }
    }

    func serve(_ route: MonitorRoute, _ req: RESTRequest, address: String, tls: Bool, loggedIn: () -> Void) async throws(MonitorError) -> RESTResponse {
        let post = req.method == .POST
        guard post == route.changesState || route == .unknown else {
            throw MonitorError(.methodNotAllowed, "Method \(req.method.rawValue) is not supported on \(req.path.prefix(200))",
                               details: route.changesState ? "send a POST" : "send a GET")
        }
        if post { try Self.checkOrigin(req) }
        switch route {
        case .unknown:
            throw MonitorError(.notFound, "No such monitor page",
                               details: "the monitor's pages are /monitor/\(MonitorPage.allCases.map(\.rawValue).joined(separator: ", /monitor/"))")
        case .asset(let name): return try MonitorAssets.response(name)
        case .login: return await logIn(Self.form(req), address: address, tls: tls)
        default: break
        }
        guard let (token, me) = await current(req) else {
            if route == .home { return MonitorPages.login(mode: login.mode, message: nil, status: .ok) }
            throw MonitorError(.unauthorized, "Not logged in", details: "log in at / first")
        }
        loggedIn()
        if post { try Self.checkCSRF(req, me) }
        let snapshot = MonitorSnapshot(server: server, viewer: me.identity, cpu: cpu)
        switch route {
        case .home: return .redirect("/monitor/server")
        case .logout:
            logins.remove(token)
            var r = RESTResponse.redirect("/")
            r.headers.append(("Set-Cookie", Self.cookie("", tls: tls, maxAge: 0)))
            return r
        case .page(let page): return await MonitorPages.page(page, snapshot, try MonitorQuery(req), csrf: me.csrf)
        case .api(let page): return .json(await Self.json(page, snapshot, try MonitorQuery(req)))
        case .trainingChart(let id, let chart):
            guard let run = snapshot.trainings().first(where: { $0.id == id }) else {
                throw MonitorError(.notFound, "No training run \(id)", details: "GET /monitor/api/training lists yours")
            }
            guard let svg = MonitorSnapshot.chart(run, chart) else {
                throw MonitorError(.notFound, "Training run \(id) has no \(chart.rawValue)",
                                   details: chart == .batches ? "dlTrain records batches with optimizer.logLevel=3" : "score the model with dlScore on labelled rows")
            }
            return RESTResponse(status: .ok, body: Array(svg.utf8), headers: [("Content-Type", "image/svg+xml; charset=utf-8")])
        case .trainingPicture(let id, let number):
            // another user's run answers as one that does not exist
            guard let picture = snapshot.trainings().first(where: { $0.id == id })?.pictures.first(where: { $0.number == number }) else {
                throw MonitorError(.notFound, "Training run \(id) has no picture \(number)",
                                   details: "GET /monitor/api/training lists each run's pictures (older ones are dropped)")
            }
            return RESTResponse(status: .ok, body: picture.bytes, headers: [("Content-Type", picture.contentType)])
        case .cancelAction(let id):
            guard let (session, call) = await snapshot.call(id), await session.cancel(call) else {
                throw MonitorError(.notFound, "No running action \(Names.quote(id, limit: 120))", details: "it may have ended; GET /monitor/api/actions lists the running ones")
            }
            return Self.done(req, page: .actions, ["cancelled": .string(id)])
        case .endSession(let id):
            guard let session = await snapshot.session(id) else {
                throw MonitorError(.notFound, "Session \(Names.quote(id, limit: 120)) not found", details: "it may have ended; GET /monitor/api/sessions lists yours")
            }
            await server.sessions.remove(session.id)
            return Self.done(req, page: .sessions, ["ended": .string(session.id)])
        case .tablePage: return MonitorPages.table(try await snapshot.tableDetail(try MonitorTableRef(Self.query(req))), snapshot, csrf: me.csrf)
        case .tableDetail: return .json(try await snapshot.tableDetail(try MonitorTableRef(Self.query(req))).json)
        case .caslibs: return .json(["caslibs": .list(await snapshot.caslibRows().map(\.json))])
        case .tableOperation(let op):
            let fields = Self.query(req).merging(Self.form(req)) { _, body in body }
            let result = try await run(op, try MonitorTableRef(fields), replace: ["1", "true", "on"].contains(fields["replace"]?.lowercased() ?? ""), snapshot)
            return Self.done(req, page: .tables, result)
        case .events:  // a GET is streamed by HTTPConnection before it gets here
            throw MonitorError(.methodNotAllowed, "The event stream needs a GET", details: "open it with EventSource or curl -N")
        case .login, .asset, .unknown: throw MonitorError(.notFound, "No such monitor page", details: "")  // answered above
        }
    }

    static func json(_ page: MonitorPage, _ s: MonitorSnapshot, _ query: MonitorQuery) async -> Value {
        switch page {
        case .server: return await s.serverRow().json
        case .sessions: return ["sessions": .list(await s.sessionRows().map(\.json))]
        case .actions: return ["actions": .list(await s.actionRows().map(\.json))]
        case .tables: return ["tables": .list(await s.tableRows().map(\.json))]
        case .training: return ["trainings": .list(s.trainings().map(MonitorSnapshot.json))]
        case .log: return ["lines": .list(await s.logLines(minLevel: query.level, session: query.session).map(MonitorSnapshot.json))]
        }
    }

    /// Runs the action behind a Tables page button — `table.dropTable`, `table.promote` or `table.save` — through the
    /// dispatcher, so the access controls, the log lines and the history are the action's own. A session table's
    /// action runs in its session (refused while that session runs another action, rather than queued behind it);
    /// a global table's in a session of the viewer's made for the call and ended after it.
    func run(_ op: TableOperation, _ ref: MonitorTableRef, replace: Bool, _ snapshot: MonitorSnapshot) async throws(MonitorError) -> Value {
        let v = try await snapshot.visibleTable(ref)
        let permitted = await snapshot.rights(v).1.allows(op)
        let session: Session
        if let sid = v.session {
            guard let s = await server.sessions.session(sid) else {
                throw MonitorError(.notFound, "Session \(Names.quote(sid, limit: 60)) has ended", details: "its tables ended with it")
            }
            guard await !s.isBusy else {
                throw MonitorError(.conflict, "Session \(s.id) is running an action", details: "a session runs one action at a time; try again when it has finished")
            }
            session = s
        } else {
            session = await server.sessions.create(user: snapshot.viewer.user, isAdmin: snapshot.viewer.isAdmin)
        }
        let response = await dispatcher.call(session: session, call: CallID(connection: ConnectionID.next(), request: 1), action: op.action,
                                             params: op.parameters(ref, replace: replace), emit: { _ in })
        if v.session == nil { await server.sessions.remove(session.id) }
        guard response.disposition.severity != .error else {
            let d = response.disposition
            let status: HTTPResponseStatus = switch d.statusCode {
            case ActionError.Code.accessDenied.rawValue: .forbidden
            case ActionError.Code.notFound.rawValue: .notFound
            case ActionError.Code.alreadyExists.rawValue: .conflict
            default: .badRequest
            }
            throw MonitorError(status, d.formattedStatus, details: permitted ? "\(op.action) refused" : "you may not \(op.rawValue) this table")
        }
        return [op.done: ["caslib": .string(v.table.caslib), "name": .string(v.table.name)]]
    }

    /// The fields of the request's query string.
    static func query(_ req: RESTRequest) -> [String: String] {
        guard let q = req.uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
        return urlencoded(q)
    }

    /// `a=1&b=x+y` as fields (percent-decoded, `+` a space); the first of a repeated name wins.
    static func urlencoded(_ text: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if out[decode(kv[0])] == nil { out[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : "" }
        }
        return out
    }

    /// A form post goes back to its page; a script's post gets JSON.
    static func done(_ req: RESTRequest, page: MonitorPage, _ v: Value) -> RESTResponse {
        isForm(req) ? .redirect("/monitor/\(page.rawValue)") : .json(v)
    }
}

// MARK: logging in

extension Monitor {
    /// `POST /monitor/login` with `user` and `password` (a form, or a JSON object from a script).
    func logIn(_ form: [String: String], address: String, tls: Bool) async -> RESTResponse {
        let user = form["user"] ?? ""
        let identity: LoginIdentity
        do { identity = try await login.authenticate(user: user, password: form["password"], from: address) } catch {
            let refusal = RESTAuthenticator.refusal(error)
            var r = MonitorPages.login(mode: login.mode, message: "\(error.error): \(error.details)", status: refusal.status)
            r.headers += refusal.headers.filter { $0.0 == "Retry-After" }
            return r
        }
        let (token, entry) = logins.create(identity)
        server.metrics.recordMonitorLogin()
        var r = form["json"] == "1"
            ? RESTResponse.json(["user": .string(identity.user), "admin": .bool(identity.isAdmin), "csrf": .string(entry.csrf)])
            : RESTResponse.redirect("/monitor/server")
        r.headers.append(("Set-Cookie", Self.cookie(token, tls: tls, maxAge: Int(MonitorLogins.maxAge))))
        return r
    }

    /// The live login named by the request's cookie. With stored users, a user removed since is logged out.
    func current(_ req: RESTRequest) async -> (String, MonitorLogins.Entry)? {
        guard let token = Self.cookieValue(req.headers), let entry = await current(token: token) else { return nil }
        return (token, entry)
    }

    /// The live login of a cookie token (its idle clock restarts); a user removed since is logged out.
    func current(token: String) async -> MonitorLogins.Entry? {
        guard let entry = logins.lookup(token) else { return nil }
        if await removed(entry.identity.user) {
            logins.remove(token)
            return nil
        }
        return entry
    }

    /// `GET /monitor/api/events` with a live login: its stream (nil without one: the request is answered as any other, 401).
    func events(_ req: RESTRequest, loggedIn: () -> Void) async -> MonitorEventStream? {
        guard let (token, me) = await current(req) else { return nil }
        loggedIn()
        return MonitorEventStream(monitor: self, token: token, viewer: me.identity)
    }

    /// The head of the event stream: no length (it ends when the connection closes), never cached, the monitor's headers.
    static let eventsHead = RESTResponse(status: .ok, body: [], headers: [("Content-Type", "text/event-stream; charset=utf-8"), ("X-Accel-Buffering", "no")]).secured

    /// Whether `user` was removed since logging in (password logins; a store that cannot be read decides nothing).
    func removed(_ user: String) async -> Bool {
        guard server.storedUsersOnly else { return false }
        do { return try await server.store.user(user) == nil } catch { return false }
    }

    static func cookie(_ token: String, tls: Bool, maxAge: Int) -> String {
        "\(MonitorLogins.cookie)=\(token); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)\(tls ? "; Secure" : "")"
    }

    /// The monitor cookie's value among the request's cookies.
    static func cookieValue(_ headers: HTTPHeaders) -> String? {
        for header in headers[canonicalForm: "cookie"] {
            for pair in header.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == MonitorLogins.cookie {
                    return kv[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    /// Every POST but the login carries the login's CSRF token, as form field `csrf` or header `X-CSRF-Token`.
    static func checkCSRF(_ req: RESTRequest, _ login: MonitorLogins.Entry) throws(MonitorError) {
        let given = req.headers.first(name: "x-csrf-token") ?? form(req)["csrf"] ?? ""
        guard Secrets.equal(given, login.csrf) else {
            throw MonitorError(.forbidden, "Missing or wrong CSRF token",
                               details: "send the token of your login as form field csrf or header X-CSRF-Token (GET the page again for a fresh one)")
        }
    }

    /// A browser's POST from another site is refused whatever it carries (`Origin` must name this host).
    static func checkOrigin(_ req: RESTRequest) throws(MonitorError) {
        guard let origin = req.headers.first(name: "origin"), let host = req.headers.first(name: "host") else { return }
        guard origin == "http://\(host)" || origin == "https://\(host)" else {
            throw MonitorError(.forbidden, "Cross-site request refused", details: "the monitor accepts POSTs from its own pages only")
        }
    }

    static func isForm(_ req: RESTRequest) -> Bool {
        (req.headers.first(name: "content-type") ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded")
    }

    /// The fields of an `application/x-www-form-urlencoded` body, or of a JSON object's string fields (then `json` is "1").
    static func form(_ req: RESTRequest) -> [String: String] {
        if !isForm(req), let v = try? JSONParser.parse(req.body), case .dict(let d) = v {
            var out = ["json": "1"]
            for (k, v) in d.entries { if let s = v.stringValue { out[k] = s } }
            return out
        }
        guard let text = String(validating: req.body, as: UTF8.self) else { return [:] }
        return urlencoded(text[...])
    }
}

/// The query of the Log page and its JSON twin: `level=NOTE|WARNING|ERROR` (the lowest shown) and `session=ID`.
struct MonitorQuery {
    var level = LogLevel.note
    var session: String?

    init(_ req: RESTRequest) throws(MonitorError) {
        guard let q = req.uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return }
        for pair in q.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            switch (kv.first, kv.count > 1 ? kv[1] : "") {
            case ("level", let v):
                guard let l = LogLevel(rawValue: v.uppercased()) else {
                    throw MonitorError(.badRequest, "Unknown log level \(Names.quote(v, limit: 40))", details: "use level=NOTE, WARNING or ERROR")
                }
                level = l
            case ("session", let v): session = v.isEmpty ? nil : v
            default: continue
            }
        }
    }
}

/// A monitor request that cannot be served: an HTML page for the pages, `{"error", "details"}` for the rest.
struct MonitorError: Error {
    var status: HTTPResponseStatus
    var error: String
    var details: String

    init(_ status: HTTPResponseStatus, _ error: String, details: String) {
        self.status = status
        self.error = error
        self.details = details
    }

    /// The answer: an HTML page for pages and form posts, JSON for scripts.
    func response(_ route: MonitorRoute, html: Bool = false) -> RESTResponse {
        switch route {
        case .tableOperation where html && status != .unauthorized:
            return MonitorPages.error(status, error, details: details)
        case .page, .home, .tablePage:
            return status == .unauthorized ? .redirect("/") : MonitorPages.error(status, error, details: details)
        default:
            return .error(status, error, details: details)
        }
    }
}

extension RESTResponse {
    /// A 303 to `location` (after a form post, or to the login form).
    static func redirect(_ location: String) -> RESTResponse {
        RESTResponse(status: .seeOther, body: [], headers: [("Location", location), ("Content-Type", "text/plain; charset=utf-8")])
    }

    /// With the monitor's headers: no caching, no framing, no sniffing, and a policy that runs only the monitor's own script.
    var secured: RESTResponse {
        var r = self
        r.headers += [
            ("Content-Security-Policy",
             "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
            ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"), ("Cache-Control", "no-store"),
        ]
        return r
    }
}
