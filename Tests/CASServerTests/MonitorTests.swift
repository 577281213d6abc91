import CASClient
import CASTestSupport
import CASTLS
import CASWire
import Foundation
import NIOHTTP1
import Synchronization
import Testing

/// A browser of the web monitor, as HTTP sees it: one keep-alive connection, the login cookie, and
/// the CSRF token read from the page it was given.
struct MonitorBrowser {
    let http: RESTClient
    var cookie: String?
    var csrf: String?

    static func open(_ s: TestServer, tls: ClientTLS? = nil) async throws -> MonitorBrowser {
        MonitorBrowser(http: try await RESTClient.connect(port: try #require(s.server.httpPort), user: "", password: "", tls: tls))
    }

    /// A browser logged in as `user` (password `pw`).
    static func loggedIn(_ s: TestServer, _ user: String, password: String = "pw") async throws -> MonitorBrowser {
        var b = try await open(s)
        let reply = try await b.logIn(user, password)
        try #require(reply.status == 303, "\(reply.text)")
        return b
    }

    /// Logs in through the form; keeps the cookie and the CSRF token of the page it lands on.
    @discardableResult
    mutating func logIn(_ user: String, _ password: String = "pw") async throws -> RESTClient.Reply {
        let reply = try await post("/monitor/login", form: ["user": user, "password": password], csrf: nil)
        if let set = reply.headers.first(name: "set-cookie") {
            cookie = String(set.split(separator: ";")[0].split(separator: "=", maxSplits: 1)[1])
            let page = try await get("/monitor/server")
            csrf = try Self.meta(page.text, "csrf-token")
        }
        return reply
    }

    func get(_ path: String) async throws -> RESTClient.Reply {
        try await http.send("GET", path, headers: cookieHeader, user: .some(nil))
    }

    /// A form post, with the CSRF token as the form field `csrf` (nil: none sent).
    func post(_ path: String, form: [String: String] = [:], csrf: String?) async throws -> RESTClient.Reply {
        var fields = form
        fields["csrf"] = csrf
        let body = fields.sorted { $0.key < $1.key }.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        return try await http.send("POST", path, body: Array(body.utf8), headers: cookieHeader + [("Content-Type", "application/x-www-form-urlencoded")],
                                   user: .some(nil))
    }

    /// A script's post: the CSRF token in the `X-CSRF-Token` header, a JSON answer.
    func postJSON(_ path: String, csrf: String?) async throws -> RESTClient.Reply {
        try await http.send("POST", path, headers: cookieHeader + (csrf.map { [("X-CSRF-Token", $0)] } ?? []), user: .some(nil))
    }

    var cookieHeader: [(String, String)] { cookie.map { [("Cookie", "caslite_monitor=\($0)")] } ?? [] }

    /// The JSON of `GET /monitor/api/<name>`.
    func api(_ name: String) async throws -> Value {
        let r = try await get("/monitor/api/\(name)")
        try #require(r.status == 200, "\(r.text)")
        return try r.json
    }

    static func encode(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

    static func meta(_ html: String, _ name: String) throws -> String {
        let start = try #require(html.range(of: "<meta name=\"\(name)\" content=\""), "no \(name) in \(html.prefix(300))")
        return String(html[start.upperBound...].prefix { $0 != "\"" })
    }

    func close() async { await http.close() }
}

extension RESTClient.Reply {
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// The web monitor on the REST port (docs/monitor.md): login and its cookie, CSRF, what each user sees and
/// may cancel or end, an action started over JSON-lines watched and cancelled from the monitor, and hostile input.
@Suite("Web monitor", .serialized)
struct MonitorTests {
    static let users: [(String, String, Bool)] = [("alice", "pw", false), ("bob", "pw", false), ("root", "pw", true)]

    func withMonitor(_ body: (TestServer) async throws -> Void) async throws {
        try await TestServer.start(auth: .password, users: Self.users, http: true).run(body)
    }

    /// Starts `testing.sleep` on `c` and waits for its progress frame; returns the response to come.
    func startSleep(_ c: CASConnection, tag: String) async throws -> Task<Response?, Never> {
        let started = AsyncStream.makeStream(of: Void.self)
        let events = c.stream("testing.sleep", ["seconds": 60, "tag": .string(tag)])
        let response = Task { () -> Response? in
            var waiting: AsyncStream<Void>.Continuation? = started.continuation
            for await event in events {
                switch event {
                case .progress: waiting?.finish(); waiting = nil
                case .log: break
                case .response(let r): waiting?.finish(); return r
                }
            }
            waiting?.finish()
            return nil
        }
        for await _ in started.stream {}
        return response
    }

    @Test func logInWithTheServersPasswordsGivesAStrictCookie() async throws {
        try await withMonitor { s in
            var b = try await MonitorBrowser.open(s)
            let form = try await b.get("/")
            #expect(form.status == 200)
            #expect(form.headers.first(name: "content-type") == "text/html; charset=utf-8")
            #expect(form.text.contains(#"<form method="post" action="/monitor/login">"#))

            let wrong = try await b.logIn("alice", "not-the-password")
            #expect(wrong.status == 401)
            #expect(wrong.headers.first(name: "set-cookie") == nil)
            #expect(wrong.text.contains("Authentication failed for user &#39;alice&#39;"), "\(wrong.text)")

            let ok = try await b.logIn("alice")
            #expect(ok.status == 303)
            #expect(ok.headers.first(name: "location") == "/monitor/server")
            let cookie = try #require(ok.headers.first(name: "set-cookie"))
            let attributes = Set(cookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(attributes.isSuperset(of: ["Path=/", "HttpOnly", "SameSite=Strict"]))
            #expect(!attributes.contains("Secure"), "plain HTTP: a Secure cookie would never come back")
            #expect(try #require(b.cookie).count == 64)

            let home = try await b.get("/")
            #expect(home.status == 303)
            #expect(home.headers.first(name: "location") == "/monitor/server")
            let page = try await b.get("/monitor/server")
            #expect(page.status == 200)
            #expect(page.text.contains(">alice</span>"))
            let policy = try #require(page.headers.first(name: "content-security-policy"))
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"))
            let server = try await b.api("server")
            #expect(server["version"].stringValue?.isEmpty == false)
            #expect(server["nodes"] == 1)
            #expect(server["memory"]["limitBytes"].intValue ?? 0 > 0)
            #expect(server["actionSets"].listValue?.contains("testing") == true)

            let logout = try await b.post("/monitor/logout", csrf: b.csrf)
            #expect(logout.status == 303)
            #expect(logout.headers.first(name: "set-cookie")?.contains("Max-Age=0") == true)
            #expect(try await b.get("/monitor/api/server").status == 401, "the login ended on the server, not only in the browser")
            await b.close()
        }
    }

    @Test func withoutALoginThereIsNothingToSee() async throws {
        try await withMonitor { s in
            var b = try await MonitorBrowser.open(s)
            for name in ["server", "sessions", "actions"] {
                let api = try await b.get("/monitor/api/\(name)")
                #expect(api.status == 401)
                #expect(try api.json["error"] == "Not logged in")
                let page = try await b.get("/monitor/\(name)")
                #expect(page.status == 303)
                #expect(page.headers.first(name: "location") == "/")
            }
            b.cookie = String(repeating: "ab", count: 32)  // well formed, never issued
            #expect(try await b.get("/monitor/api/sessions").status == 401)
            b.cookie = "../../etc/passwd"
            #expect(try await b.get("/monitor/api/sessions").status == 401)
            #expect(try await b.postJSON("/monitor/api/sessions/x/end", csrf: "x").status == 401)
            #expect(try await b.get("/monitor/nothing-here").status == 404)
            #expect(try await b.get("/cas").status == 404, "swat's protocol probe still gets its 404")
            await b.close()
        }
    }

    @Test func everyPostNeedsTheLoginsCSRFToken() async throws {
        try await withMonitor { s in
            let c = try await s.connect("alice", password: "pw")
            let b = try await MonitorBrowser.loggedIn(s, "alice")
            let token = try #require(b.csrf)
            #expect(token.count == 64)
            let end = "/monitor/api/sessions/\(c.sessionId)/end"
            for csrf in [nil, "", String(repeating: "0", count: 64), String(token.dropLast()) + "x"] as [String?] {
                let r = try await b.postJSON(end, csrf: csrf)
                #expect(r.status == 403, "\(csrf ?? "none")")
                #expect(try r.json["error"] == "Missing or wrong CSRF token")
                #expect(try await b.post(end, csrf: csrf).status == 403)
            }
            #expect(try await b.post("/monitor/logout", csrf: nil).status == 403)
            #expect(try await b.api("sessions")["sessions"].listValue?.count == 1, "nothing was ended")

            let other = try await MonitorBrowser.loggedIn(s, "alice")
            #expect(try await b.postJSON(end, csrf: other.csrf).status == 403, "another login's token is not this one's")
            let cross = try await b.http.send("POST", end, headers: b.cookieHeader + [("X-CSRF-Token", token), ("Origin", "https://evil.example")], user: .some(nil))
            #expect(cross.status == 403, "a post from another site is refused even with the token")

            let ended = try await b.postJSON(end, csrf: token)
            #expect(ended.status == 200)
            #expect(try ended.json["ended"].stringValue == c.sessionId)
            #expect(try await b.api("sessions")["sessions"].listValue?.isEmpty == true)
            await b.close()
            await other.close()
        }
    }

    @Test func usersSeeAndControlTheirOwnSessionsAndActionsAdministratorsEveryones() async throws {
        try await withMonitor { s in
            let alice = try await s.connect("alice", password: "pw")
            let bob = try await s.connect("bob", password: "pw")
            let tag = "monitor-acl-\(UUID().uuidString)"
            let bobsCall = try await startSleep(bob, tag: tag)

            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let mine = try #require(try await a.api("sessions")["sessions"].listValue)
            #expect(mine.map { $0["id"].stringValue } == [alice.sessionId])
            #expect(try await a.api("actions")["actions"].listValue?.isEmpty == true)
            #expect(try await a.get("/monitor/sessions").text.contains(bob.sessionId) == false)

            let root = try await MonitorBrowser.loggedIn(s, "root")
            let all = try #require(try await root.api("sessions")["sessions"].listValue)
            #expect(Set(all.compactMap { $0["id"].stringValue }) == [alice.sessionId, bob.sessionId])
            let running = try #require(try await root.api("actions")["actions"].listValue)
            let bobsAction = try #require(running.first { $0["session"].stringValue == bob.sessionId })
            let id = try #require(bobsAction["id"].stringValue)

            // Alice is told nothing exists: other users' sessions and actions are not confirmed.
            let cancel = try await a.postJSON("/monitor/api/actions/\(id)/cancel", csrf: a.csrf)
            #expect(cancel.status == 404)
            let end = try await a.postJSON("/monitor/api/sessions/\(bob.sessionId)/end", csrf: a.csrf)
            #expect(end.status == 404)
            #expect(try end.json["error"].stringValue?.hasPrefix("Session") == true)
            #expect(Sleep.outcome(tag) == "started")

            #expect(try await root.postJSON("/monitor/api/actions/\(id)/cancel", csrf: root.csrf).status == 200)
            let r = try #require(await bobsCall.value)
            #expect(r.disposition.reason == "abort")
            #expect(Sleep.outcome(tag) == "cancelled")
            #expect(try await root.postJSON("/monitor/api/sessions/\(bob.sessionId)/end", csrf: root.csrf).status == 200)
            #expect(try await root.api("sessions")["sessions"].listValue?.count == 1)
            try await ok(alice, "builtins.ping")
            await a.close()
            await root.close()
        }
    }

    @Test func anActionStartedOverTheProtocolIsWatchedAndCancelledFromTheMonitor() async throws {
        try await withMonitor { s in
            let c = try await s.connect("alice", password: "pw")
            let tag = "monitor-cancel-\(UUID().uuidString)"
            let call = try await startSleep(c, tag: tag)
            let b = try await MonitorBrowser.loggedIn(s, "alice")

            let actions = try #require(try await b.api("actions")["actions"].listValue)
            #expect(actions.count == 1)
            let a = try #require(actions.first)
            #expect(a["action"] == "testing.sleep")
            #expect(a["session"].stringValue == c.sessionId)
            #expect(a["user"] == "alice")
            #expect(a["state"] == "running")
            #expect(a["progress"]["total"] == 60_000)
            #expect(a["progress"]["unit"] == "ms")
            #expect(a["progress"]["message"] == "sleeping")
            #expect(a["percent"] == 0.0)
            #expect(a["etaSeconds"].isNull, "nothing done yet: no pace to estimate from")
            let page = try await b.get("/monitor/actions")
            #expect(page.text.contains(#"<progress max="100" value="0.0"></progress>"#))
            #expect(page.text.contains("testing.sleep"))
            let server = try await b.api("server")
            #expect(server["runningActions"] == 1)
            let sessions = try #require(try await b.api("sessions")["sessions"].listValue)
            #expect(sessions.first?["state"] == "connected")
            #expect(sessions.first?["actions"] == 1)

            // The page's Cancel button: a form post, then back to the page.
            let id = try #require(a["id"].stringValue)
            let cancelled = try await b.post("/monitor/api/actions/\(id)/cancel", csrf: b.csrf)
            #expect(cancelled.status == 303)
            #expect(cancelled.headers.first(name: "location") == "/monitor/actions")
            let r = try #require(await call.value)
            #expect(r.disposition.severity == .error)
            #expect(r.disposition.reason == "abort")
            #expect(Sleep.outcome(tag) == "cancelled")
            #expect(try await b.api("actions")["actions"].listValue?.isEmpty == true)
            #expect(try await b.postJSON("/monitor/api/actions/\(id)/cancel", csrf: b.csrf).status == 404, "it has ended")
            try await ok(c, "builtins.ping")
            await b.close()
        }
    }

    @Test func tablesAreShownThroughTheTableGate() async throws {
        try await withMonitor { s in
            let alice = try await s.connect("alice", password: "pw")
            _ = try await s.connect("bob", password: "pw")
            try await ok(alice, "table.addTable", ["table": "mine", "vars": [["name": "x"], ["name": "y"]], "rows": [[1, 2], [3, 4], [5, 6]]])
            try await ok(alice, "table.addTable", ["table": "secret", "caslib": "Public", "promote": true, "vars": [["name": "x"]], "rows": [[42]]])
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let b = try await MonitorBrowser.loggedIn(s, "bob")
            let root = try await MonitorBrowser.loggedIn(s, "root")
            let names = { (m: MonitorBrowser) in Set(try await m.api("tables")["tables"].listValue?.compactMap { $0["name"].stringValue } ?? []) }

            let mine = try #require(try await a.api("tables")["tables"].listValue?.first { $0["name"] == "mine" })
            #expect(mine["scope"] == "session")
            #expect(mine["session"].stringValue == alice.sessionId)
            #expect(mine["rows"] == 3)
            #expect(mine["columns"] == 2)
            #expect(mine["owner"] == "alice")
            #expect(mine["memoryBytes"].intValue ?? 0 > 0)
            #expect(try await names(a) == ["mine", "secret"])
            #expect(try await names(b).isEmpty, "another user's session table and unshared global table are not shown")
            #expect(try await names(root) == ["mine", "secret"])

            try await ok(alice, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "secret", "identity": "bob", "identityType": "User",
                                                                       "permType": "Grant", "permission": "ReadInfo"]]])
            #expect(try await names(b) == ["secret"])
            let page = try await b.get("/monitor/tables")
            #expect(page.text.contains(">secret</a></td>") && !page.text.contains(">mine</a></td>"))
            for m in [a, b, root] { await m.close() }
        }
    }

    @Test func theLogPageShowsTheLinesOfOnesOwnSessionsFilteredByLevel() async throws {
        try await withMonitor { s in
            let alice = try await s.connect("alice", password: "pw")
            let bob = try await s.connect("bob", password: "pw")
            try await ok(alice, "session.sessionName", ["name": "<b>mine</b>"])
            _ = try await alice.call("table.fetch", ["table": "nosuchtable"])
            try await ok(bob, "session.sessionName", ["name": "bobs"])
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let lines = try #require(try await a.api("log")["lines"].listValue)
            #expect(lines.contains { $0["level"] == "NOTE" && $0["message"] == "The session name is now '<b>mine</b>'." && $0["action"] == "session.sessionName" })
            #expect(lines.contains { $0["level"] == "ERROR" && $0["action"] == "table.fetch" })
            #expect(lines.allSatisfy { $0["session"].stringValue == alice.sessionId }, "bob's lines are bob's")
            let errors = try #require(try await a.api("log?level=error")["lines"].listValue)
            #expect(!errors.isEmpty && errors.allSatisfy { $0["level"] == "ERROR" })
            #expect(try await a.get("/monitor/api/log?level=LOUD").status == 400)
            #expect(try await a.api("log?session=\(bob.sessionId)")["lines"].listValue?.isEmpty == true)
            let page = try await a.get("/monitor/log")
            #expect(page.text.contains("The session name is now &#39;&lt;b&gt;mine&lt;/b&gt;&#39;."))
            #expect(!page.text.contains("<b>mine</b>"))
            let root = try await MonitorBrowser.loggedIn(s, "root")
            #expect(try await root.api("log?session=\(bob.sessionId)")["lines"].listValue?.count == 1)
            await a.close()
            await root.close()
        }
    }

    @Test func hostileInputIsRefusedOrEscapedAndTheServerStaysUp() async throws {
        try await withMonitor { s in
            let c = try await s.connect("alice", password: "pw")
            try await ok(c, "session.sessionName", ["name": #"<script>alert("x")</script>&'"#])
            let b = try await MonitorBrowser.loggedIn(s, "alice")
            let page = try await b.get("/monitor/sessions")
            #expect(!page.text.contains("<script>alert"))
            #expect(page.text.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"))
            #expect(try await b.api("sessions")["sessions"].listValue?.first?["name"] == #"<script>alert("x")</script>&'"#)

            for path in ["/monitor/static/../../etc/passwd", "/monitor/static/%2e%2e/%2e%2e/etc/passwd", "/monitor/static/..%2f..%2fetc%2fpasswd",
                         "/monitor/static/", "/monitor/static/monitor.js/.."] {
                let r = try await b.get(path)
                #expect(r.status == 404, "\(path)")
                #expect(!r.text.contains("root:"))
            }
            let js = try await b.get("/monitor/static/monitor.js")
            #expect(js.status == 200)
            #expect(js.headers.first(name: "content-type") == "text/javascript; charset=utf-8")
            #expect(try await b.get("/monitor/static/monitor.css").headers.first(name: "content-type") == "text/css; charset=utf-8")

            // A megabyte of cookie: refused (or the connection closed), and the server answers the next client.
            let big = try await MonitorBrowser.open(s)
            let huge = try? await big.http.send("GET", "/monitor/api/sessions", headers: [("Cookie", "caslite_monitor=" + String(repeating: "a", count: 1 << 20))],
                                                user: .some(nil))
            #expect(huge.map { $0.status >= 400 } ?? true)
            await big.close()
            let other = try await MonitorBrowser.open(s)
            let large = try await other.post("/monitor/login", form: ["user": String(repeating: "x", count: 100_000)], csrf: nil)
            #expect(large.status == 413)
            await other.close()
            #expect(try await b.api("server")["nodes"] == 1, "still serving")
            await b.close()
        }
    }

    @Test func underTLSTheCookieIsSecure() async throws {
        let certs = try TestCertificates.make()
        defer { certs.remove() }
        try await TestServer.start(auth: .password, users: Self.users, http: true, tls: certs.server).run { s in
            var b = try await MonitorBrowser.open(s, tls: try ClientTLS(caFile: certs.caFile))
            let ok = try await b.logIn("alice")
            #expect(ok.status == 303)
            #expect(ok.headers.first(name: "set-cookie")?.contains("; Secure") == true)
            #expect(try await b.api("sessions")["sessions"].listValue?.isEmpty == true)
            await b.close()
        }
    }

    @Test func withAuthNoneAnyValidUserNameLogsIn() async throws {
        try await TestServer.start(admins: ["root"], http: true).run { s in
            var b = try await MonitorBrowser.open(s)
            #expect(try await b.get("/").text.contains("--auth none"))
            #expect(try await b.logIn("bad name\u{0}").status == 401)
            #expect(try await b.logIn("carol", "").status == 303)
            #expect(try await b.get("/monitor/sessions").text.contains(">carol</span>"))
            var root = try await MonitorBrowser.open(s)
            try await root.logIn("root", "")
            #expect(try await root.get("/monitor/server").text.contains("root (administrator)"))
            await b.close()
            await root.close()
        }
    }
}
