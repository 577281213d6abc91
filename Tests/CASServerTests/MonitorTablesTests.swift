import CASClient
import CASCore
import CASTestSupport
import CASWire
import Foundation
import Testing

extension MonitorBrowser {
    /// A script's post: a JSON object as the body, the CSRF token in `X-CSRF-Token`.
    func postJSON(_ path: String, _ body: Value, csrf: String?) async throws -> RESTClient.Reply {
        try await http.send("POST", path, body: body.jsonBytes(),
                            headers: cookieHeader + [("Content-Type", "application/json")] + (csrf.map { [("X-CSRF-Token", $0)] } ?? []),
                            user: .some(nil))
    }

    /// The row of `GET /monitor/api/tables` for a table of that name (nil: not shown).
    func tableRow(_ name: String) async throws -> Value? {
        try await api("tables")["tables"].listValue?.first { $0["name"].stringValue == name }
    }
}

/// The Tables and caslibs page (docs/monitor.md): caslibs and tables through the access controls, a table's columns
/// and first rows, and the Drop / Promote / Save buttons, which run the actions themselves.
@Suite("Web monitor: tables and caslibs", .serialized)
struct MonitorTablesTests {
    /// `token` with its first character changed (to a different one: "0" + dropFirst() was the same token 1 time in 16).
    static func altered(_ token: String) -> String { (token.first == "0" ? "1" : "0") + String(token.dropFirst()) }

    func withMonitor(_ body: (TestServer) async throws -> Void) async throws {
        try await TestServer.start(auth: .password, users: MonitorTests.users, http: true).run(body)
    }

    static func names(_ v: Value, _ key: String) -> Set<String> {
        Set(v[key].listValue?.compactMap { $0["name"].stringValue } ?? [])
    }

    @Test func caslibsAreTheOnesTheUserMaySee() async throws {
        try await withMonitor { s in
            let alice = try await s.connect("alice", password: "pw")
            let root = try await s.connect("root", password: "pw")
            try await ok(alice, "table.addCaslib", ["caslib": "mine", "path": "casuser/alice/mine", "createDirectory": true, "description": "<i>alice's</i>"])
            try await ok(root, "table.addCaslib", ["caslib": "shared", "path": "public/shared", "createDirectory": true, "session": false])
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let b = try await MonitorBrowser.loggedIn(s, "bob")
            let r = try await MonitorBrowser.loggedIn(s, "root")

            #expect(Self.names(try await a.api("caslibs"), "caslibs") == ["CASUSER(alice)", "Public", "mine"])
            #expect(Self.names(try await b.api("caslibs"), "caslibs") == ["CASUSER(bob)", "Public"], "no ReadInfo on shared, not alice's session")
            #expect(Self.names(try await r.api("caslibs"), "caslibs") == ["CASUSER(root)", "Public", "shared", "mine"])
            let mine = try #require(try await a.api("caslibs")["caslibs"].listValue?.first { $0["name"] == "mine" })
            #expect(mine["scope"] == "session")
            #expect(mine["session"].stringValue == alice.sessionId)
            #expect(mine["path"] == "<data>/casuser/alice/mine", "the data folder is not shown")
            #expect(mine["subdirs"] == false)
            let page = try await a.get("/monitor/tables")
            #expect(page.text.contains("&lt;i&gt;alice&#39;s&lt;/i&gt;") && !page.text.contains("<i>alice"), "descriptions are escaped")

            try await ok(root, "accessControl.updSomeAcsCaslib", ["acs": [["caslib": "shared", "identity": "bob", "identityType": "User",
                                                                        "permType": "Grant", "permission": "ReadInfo"]]])
            #expect(Self.names(try await b.api("caslibs"), "caslibs") == ["CASUSER(bob)", "Public", "shared"])
            for m in [a, b, r] { await m.close() }
        }
    }

    @Test func aTablesColumnsAndFirstRowsAreShownEscapedToThoseWhoMayReadThem() async throws {
        try await withMonitor { s in
            let alice = try await s.connect("alice", password: "pw")
            let rows: [Value] = (0..<30).map { i in [.int(Int64(i)), .string(i == 0 ? "<script>alert(1)</script>" : "row \(i)"), .double(Double(i) / 2)] }
            try await ok(alice, "table.addTable", ["table": "cars", "vars": [["name": "id", "type": "int64"], ["name": "make", "type": "varchar", "label": "Make & model"],
                                                                           ["name": "price", "format": "DOLLAR8.2"]], "rows": .list(rows)])
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let b = try await MonitorBrowser.loggedIn(s, "bob")
            let query = "caslib=CASUSER%28alice%29&name=cars&session=\(alice.sessionId)"

            let detail = try await a.api("table?\(query)")
            #expect(detail["table"]["rows"] == 30)
            #expect(detail["columns"].listValue?.map { $0["name"] } == ["id", "make", "price"])
            #expect(detail["columns"][1]["type"] == "varchar")
            #expect(detail["columns"][1]["label"] == "Make & model")
            #expect(detail["columns"][1]["width"] == 25)
            #expect(detail["columns"][2]["format"] == "DOLLAR8.2")
            #expect(detail["rows"].listValue?.count == 20, "the first 20 rows")
            #expect(detail["rows"][0] == [0, "<script>alert(1)</script>", 0.0])
            #expect(detail["rows"][19][0] == 19)

            let page = try await a.get("/monitor/table?\(query)")
            #expect(page.status == 200)
            #expect(page.text.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>") && !page.text.contains("<script>alert"))
            #expect(page.text.contains("<td>Make &amp; model</td>"))
            #expect(page.text.contains("First 20 of 30 rows"))

            #expect(try await b.get("/monitor/api/table?\(query)").status == 404, "another user's session table is not there for bob")
            #expect(try await b.get("/monitor/table?\(query)").status == 404)
            let missing = try await a.get("/monitor/api/table?caslib=Public")
            #expect(missing.status == 400)
            #expect(try missing.json["error"] == "Which table?")

            // a global table bob may see (ReadInfo) but not read (no Select): its columns, not its rows
            try await ok(alice, "table.addTable", ["table": "pub", "caslib": "Public", "promote": true, "vars": [["name": "secret"]], "rows": [[42]]])
            #expect(try await b.get("/monitor/api/table?caslib=Public&name=pub").status == 404, "not shared yet")
            try await ok(alice, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "pub", "identity": "bob",
                                                                       "identityType": "User", "permType": "Grant", "permission": "ReadInfo"]]])
            let info = try await b.api("table?caslib=Public&name=pub")
            #expect(info["columns"].listValue?.map { $0["name"] } == ["secret"])
            #expect(info["rows"] == .null)
            #expect(info["table"]["rights"]["select"] == false)
            let infoPage = try await b.get("/monitor/table?caslib=Public&name=pub")
            #expect(infoPage.text.contains("not read its rows") && !infoPage.text.contains("<td>42</td>"))
            #expect(try await a.api("table?caslib=Public&name=pub")["rows"] == [[42.0]], "its owner reads it")
            for m in [a, b] { await m.close() }
        }
    }

    @Test func buttonsFollowTheAccessControlsAndRunTheActions() async throws {
        try await withMonitor { s in
            let alice = try await s.connect("alice", password: "pw")
            try await ok(alice, "table.addTable", ["table": "t", "caslib": "Public", "vars": [["name": "x"]], "rows": [[1], [2]]])
            var a = try await MonitorBrowser.loggedIn(s, "alice")
            let b = try await MonitorBrowser.loggedIn(s, "bob")
            let fields: [String: String] = ["caslib": "Public", "name": "t", "session": alice.sessionId]
            let session = try #require(try await a.tableRow("t"))
            #expect(session["rights"] == ["select": true, "drop": true, "promote": true, "save": true])
            #expect(session["acl"] == .null)
            let page = try await a.get("/monitor/tables")
            #expect(page.text.contains(#"<form method="post" action="/monitor/api/tables/drop">"#))

            // refused: no CSRF token, a foreign Origin, another user (the table is not there for bob)
            #expect(try await a.post("/monitor/api/tables/drop", form: fields, csrf: nil).status == 403)
            #expect(try await a.post("/monitor/api/tables/drop", form: fields, csrf: Self.altered(try #require(a.csrf))).status == 403)
            let foreign = try await a.http.send("POST", "/monitor/api/tables/drop", body: Array("csrf=\(try #require(a.csrf))&caslib=Public&name=t".utf8),
                                                headers: a.cookieHeader + [("Content-Type", "application/x-www-form-urlencoded"), ("Origin", "https://evil.example")],
                                                user: .some(nil))
            #expect(foreign.status == 403)
            #expect(try await b.postJSON("/monitor/api/tables/drop", .dict(ValueDict(fields.map { ($0.key, Value.string($0.value)) })), csrf: b.csrf).status == 404)
            #expect(try await a.tableRow("t") != nil, "still there after every refusal")

            // Promote from the page: a form post, back to the page; now a global table with its access entries
            let promoted = try await a.post("/monitor/api/tables/promote", form: fields, csrf: a.csrf)
            #expect(promoted.status == 303)
            #expect(promoted.headers.first(name: "location") == "/monitor/tables")
            let global = try #require(try await a.tableRow("t"))
            #expect(global["scope"] == "global")
            #expect(global["rights"] == ["select": true, "drop": true, "promote": false, "save": true])
            #expect(global["acl"] == [])
            #expect(try await b.tableRow("t") == nil, "Public's tables are their owner's unless shared")

            // bob, granted Select: may read and save it, may not drop it; the action refuses a drop whatever the page shows
            try await ok(alice, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "t", "identity": "bob", "identityType": "User",
                                                                       "permType": "Grant", "permission": "Select"]]])
            let seen = try #require(try await b.tableRow("t"))
            #expect(seen["rights"] == ["select": true, "drop": false, "promote": false, "save": true])
            #expect(seen["acl"].listValue?.first?["identity"] == "bob")
            let bobsPage = try await b.get("/monitor/tables")
            #expect(!bobsPage.text.contains("/monitor/api/tables/drop") && bobsPage.text.contains("+Select bob (table)"))
            let refused = try await b.postJSON("/monitor/api/tables/drop", ["caslib": "Public", "name": "t"], csrf: b.csrf)
            #expect(refused.status == 403)
            #expect(try refused.json["error"].stringValue?.contains("does not have DropTable permission") == true, "\(refused.text)")
            let refusedForm = try await b.post("/monitor/api/tables/drop", form: ["caslib": "Public", "name": "t"], csrf: b.csrf)
            #expect(refusedForm.status == 403)
            #expect(refusedForm.headers.first(name: "content-type") == "text/html; charset=utf-8", "a form post gets a page")

            // Save, as table.save does it: a second save needs replace
            let saved = try await b.postJSON("/monitor/api/tables/save", ["caslib": "Public", "name": "t"], csrf: b.csrf)
            #expect(saved.status == 200, "\(saved.text)")
            #expect(try saved.json["saved"]["name"] == "t")
            let again = try await a.postJSON("/monitor/api/tables/save", ["caslib": "Public", "name": "t"], csrf: a.csrf)
            #expect(again.status == 409, "\(again.text)")
            #expect(try await a.postJSON("/monitor/api/tables/save", ["caslib": "Public", "name": "t", "replace": "true"], csrf: a.csrf).status == 200)

            // the owner drops it; the session the monitor ran it in is gone again
            let sessionsBefore = try await a.api("sessions")["sessions"].listValue?.count
            let dropped = try await a.postJSON("/monitor/api/tables/drop", ["caslib": "Public", "name": "t"], csrf: a.csrf)
            #expect(dropped.status == 200)
            #expect(try dropped.json["dropped"]["name"] == "t")
            #expect(try await a.tableRow("t") == nil)
            #expect(try await a.api("sessions")["sessions"].listValue?.count == sessionsBefore)
            #expect(try await a.postJSON("/monitor/api/tables/drop", ["caslib": "Public", "name": "t"], csrf: a.csrf).status == 404)
            #expect(try await a.postJSON("/monitor/api/tables/explode", ["caslib": "Public", "name": "t"], csrf: a.csrf).status == 404)
            a.csrf = nil
            for m in [a, b] { await m.close() }
        }
    }

    @Test func aBusySessionsTableIsRefusedNotQueuedAndAnAdministratorActsInTheOwnersSession() async throws {
        try await withMonitor { s in
            let alice = try await s.connect("alice", password: "pw")
            try await ok(alice, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1]]])
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let r = try await MonitorBrowser.loggedIn(s, "root")
            let fields: Value = ["caslib": "CASUSER(alice)", "name": "t", "session": .string(alice.sessionId)]

            let sleeping = try await MonitorTests().startSleep(alice, tag: "busy")
            let started = ServerClock.monotonic
            let busy = try await a.postJSON("/monitor/api/tables/drop", fields, csrf: a.csrf)
            #expect(busy.status == 409, "\(busy.text)")
            #expect(try busy.json["details"].stringValue?.contains("one action at a time") == true)
            #expect(ServerClock.monotonic - started < 10, "answered at once, not after the 60 s sleep")
            let id = try #require(try await a.api("actions")["actions"][0]["id"].stringValue)
            #expect(try await a.postJSON("/monitor/api/actions/\(id)/cancel", csrf: a.csrf).status == 200)
            _ = await sleeping.value
            #expect(try await a.tableRow("t") != nil)

            // the administrator's drop runs in alice's session: its NOTE is in her session's log
            let dropped = try await r.postJSON("/monitor/api/tables/drop", fields, csrf: r.csrf)
            #expect(dropped.status == 200, "\(dropped.text)")
            #expect(try await a.tableRow("t") == nil)
            let lines = try #require(try await a.api("log")["lines"].listValue)
            #expect(lines.contains { $0["action"] == "table.dropTable" && $0["session"].stringValue == alice.sessionId
                && $0["message"].stringValue?.contains("dropped table t") == true }, "\(lines)")
            await a.close()
            await r.close()
        }
    }
}
