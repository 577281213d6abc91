import CASCore
import CASServer
import CASTestSupport
import CASWire
import Foundation
import NIOHTTP1
import Testing

/// A server with the REST front end on a free port, and one keep-alive HTTP connection to it
/// (`RESTClient`), as swat holds.
struct RESTServer {
    let test: TestServer
    let http: RESTClient
    var server: CASServer { test.server }

    /// Runs `body` and stops the server however it ends (also when the first connection fails).
    static func with(auth: AuthMode = .none, users: [(String, String)] = [], _ body: (RESTServer) async throws -> Void) async throws {
        try await TestServer.start(auth: auth, users: users.map { ($0.0, $0.1, false) }, http: true).run { test in
            let s = RESTServer(test: test, http: try await RESTClient.connect(port: test.server.httpPort!, user: "alice", password: "pw"))
            do { try await body(s) } catch {
                await s.http.close()
                throw error
            }
            await s.http.close()
        }
    }

    /// Sends one request; returns the status and the body parsed as JSON.
    func send(_ method: String, _ path: String, body: [UInt8] = [], user: String? = "alice", password: String = "pw",
              headers: [String: String] = [:]) async throws -> (status: Int, json: Value, headers: HTTPHeaders) {
        try await http.json(method, path, body: body, headers: headers.map { ($0.key, $0.value) }, user: .some(user), password: password)
    }

    /// `PUT /cas/sessions` → the new session id.
    func newSession(user: String = "alice", password: String = "pw") async throws -> String {
        let r = try await send("PUT", "/cas/sessions", user: user, password: password)
        #expect(r.status == 200)
        return try #require(r.json["session"].stringValue)
    }

    /// `POST …/actions/<action>` with a JSON object body → the envelope.
    func call(_ session: String, _ action: String, _ params: Value = .dict(ValueDict())) async throws -> Value {
        let r = try await send("POST", "/cas/sessions/\(session)/actions/\(action)", body: params.jsonBytes())
        #expect(r.status == 200)
        return r.json
    }
}

@Suite("REST front end (swat protocol)", .serialized)
struct RESTTests {
    @Test func sessionCreateStatusAndActionCalls() async throws {
        try await RESTServer.with { s in
            let id = try await s.newSession()
            let status = try await s.send("GET", "/cas/sessions/\(id)")
            #expect(status.json["uuid"].stringValue == id)
            #expect(status.json["isIdle"] == true)

            let st = try await s.call(id, "builtins.serverstatus", ["_apptag": "UI", "_messagelevel": "error"])
            #expect(st["disposition"]["severity"] == "Normal")
            #expect(st["disposition"]["reason"] == "ok")
            #expect(st["results"]["About"]["System"]["OS Name"].stringValue?.isEmpty == false)
            #expect(st["logEntries"].listValue?.isEmpty == true, "_messagelevel=error keeps only errors")
            #expect(st["metrics"]["elapsedTime"].doubleValue != nil)
            #expect(st["results"]["server"].tableValue?.rowCount == 1)

            // reflect answers a list; bare, lower-cased names and any URL prefix are accepted.
            let refl = try await s.send("POST", "/x/cas/cas/sessions/\(id)/actions/REFLECT", body: Array(#"{"action": "builtins.reflect"}"#.utf8))
            let sets = try #require(refl.json["results"].listValue)
            #expect(sets.first?["name"] == "builtins")
            #expect(sets.first?["actions"][0]["params"].listValue?.contains { $0["name"] == "levels" } == true)
            let common = try await s.call(id, "builtins.queryname", ["name": "builtins.cascommon"])
            #expect(common["results"]["actionSet"] == "builtins" && common["results"]["action"] == "casCommon")
            let unknown = try await s.call(id, "queryname", ["name": "image"])
            #expect(unknown["results"].dictValue?.isEmpty == true || unknown["results"]["actionSet"] == "image")
            let help = try await s.call(id, "builtins.help", ["showhidden": true])
            #expect(help["results"]["builtins"].tableValue != nil)
            #expect(help["results"]["simple"].tableValue != nil, "sessions start with simple loaded, as in CAS")
            #expect(help["results"]["sccasl"].isNull, "help lists loaded sets only")

            let ended = try await s.call(id, "session.endsession")
            #expect(ended["disposition"]["severity"] == "Normal")
            let gone = try await s.send("GET", "/cas/sessions/\(id)")
            #expect(gone.status == 404)
        }
    }

    @Test func uploadWithJSONParametersHeaderThenFetch() async throws {
        try await RESTServer.with { s in
            let id = try await s.newSession()
            let params = #"{"casout": {"name": "up1", "replace": true}, "importoptions": {"filetype": "csv", "locale": "EN-us", "vars": {"a": {"type": "double"}, "b": {"type": "varchar"}}}}"#
            let up = try await s.send("PUT", "/cas/sessions/\(id)/actions/table.upload", body: Array("a,b\n1,x\n2,\n3,zzz\n".utf8),
                                      headers: ["JSON-Parameters": params, "Content-Type": "application/octet-stream"])
            #expect(up.json["disposition"]["severity"] == "Normal", "\(up.json["logEntries"])")
            #expect(up.json["results"]["tableName"].stringValue?.lowercased() == "up1")
            #expect(up.json["results"]["caslib"].stringValue != nil)

            let f = try await s.call(id, "table.fetch", ["table": ["name": "UP1"], "index": true, "sortby": [["name": "a"]]])
            let t = try #require(f["results"]["Fetch"].tableValue)
            #expect(t.rowCount == 3)
            #expect(t.column("b")?.data == .varchar(["x", "", "zzz"]), "missing strings are sent as \"\" for swat")
        }
    }

    /// swat's upload_frame of a wide frame: a JSON-Parameters header of 5 000 columns (past SwiftNIO's 80 KB default) is
    /// read; headers past Limits.maxHTTPHeaderBytes get a 400 whose JSON says so (swat shows it), not an empty 400.
    @Test func wideUploadHeadersAreReadAndOversizedOnesAreNamed() async throws {
        try await RESTServer.with { s in
            let id = try await s.newSession()
            let n = 5_000
            let vars = (0..<n).map { #""c\#($0)": {"type": "double"}"# }.joined(separator: ", ")
            let params = #"{"casout": {"name": "wide", "replace": true}, "importoptions": {"filetype": "csv", "vars": {\#(vars)}}}"#
            #expect(params.utf8.count > 80 * 1024)
            let csv = (0..<n).map { "c\($0)" }.joined(separator: ",") + "\n" + (0..<n).map { String($0) }.joined(separator: ",") + "\n"
            let up = try await s.send("PUT", "/cas/sessions/\(id)/actions/table.upload", body: Array(csv.utf8),
                                      headers: ["JSON-Parameters": params, "Content-Type": "application/octet-stream"])
            #expect(up.json["disposition"]["severity"] == "Normal", "\(up.json)")
            let info = try await s.call(id, "table.tableInfo", ["name": "wide"])
            #expect(info["results"]["TableInfo"].tableValue?.column("Columns")?.data.double(at: 0) == Double(n))

            // past the limit: a fresh connection (the server closes this one after answering)
            let big = try await RESTClient.connect(port: s.server.httpPort!, user: "alice", password: "pw")
            let huge = String(repeating: "x", count: Limits.maxHTTPHeaderBytes + 1)
            let r = try await big.json("PUT", "/cas/sessions/\(id)/actions/table.upload", body: Array("a\n1\n".utf8),
                                       headers: [("JSON-Parameters", huge)], user: .some("alice"), password: "pw")
            #expect(r.status == 400)
            #expect(r.json["error"].stringValue?.contains("larger than \(Limits.maxHTTPHeaderBytes) bytes") == true, "\(r.json)")
            #expect(r.json["details"].stringValue?.contains("upload_frame") == true)
            await big.close()
            // the server and the session are still there
            let ping = try await s.call(id, "builtins.ping")
            #expect(ping["disposition"]["severity"] == "Normal")
        }
    }

    @Test func badJSONBadParametersAndUnknownSessions() async throws {
        try await RESTServer.with { s in
            let id = try await s.newSession()
            let bad = try await s.send("POST", "/cas/sessions/\(id)/actions/builtins.echo", body: Array("{\"a\": ".utf8))
            #expect(bad.status == 400)
            #expect(bad.json["error"].stringValue?.contains("Malformed JSON") == true)
            #expect(bad.json["details"].stringValue != nil)
            let list = try await s.send("POST", "/cas/sessions/\(id)/actions/builtins.echo", body: Array("[1]".utf8))
            #expect(list.status == 400)

            let p = try await s.call(id, "table.fetch", ["table": ["name": "x"], "bogus": 1])
            #expect(p["disposition"]["severity"] == "Error")
            #expect(p["disposition"]["reason"] == "badParameters")
            #expect(p["disposition"]["statusCode"].intValue.map { $0 / 10000 } == 272)
            #expect(p["logEntries"].listValue?.contains { $0["message"].stringValue?.hasPrefix("ERROR:") == true } == true)
            let dup = try await s.send("POST", "/cas/sessions/\(id)/actions/table.fetch",
                                       body: Array(#"{"table": {"name": "x"}, "fetchVars": ["a"], "fetchvars": ["a"]}"#.utf8))
            #expect(dup.json["disposition"]["severity"] == "Error")

            let nope = try await s.send("GET", "/cas/sessions/nope")
            #expect(nope.status == 404)
            #expect(nope.json["error"] == "Session nope not found")
            #expect(nope.json["details"].stringValue != nil)
            let nopeCall = try await s.send("POST", "/cas/sessions/nope/actions/builtins.ping", body: Array("{}".utf8))
            #expect(nopeCall.json["error"] == "Session nope not found")
            let probe = try await s.send("GET", "/cas", user: nil)
            #expect(probe.status == 404, "swat's protocol probe accepts any status but 400")
        }
    }

    @Test func basicAuthIsRequiredAndChecked() async throws {
        try await RESTServer.with(auth: .password, users: [("alice", "right-pw"), ("bob", "bob-pw")]) { s in
            // Raw sockets: URLSession on Linux waits forever on a 401 challenge.
            let port = s.server.httpPort!
            let none = try await RawSocket.http(port: port, "PUT /cas/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            #expect(none.hasPrefix("HTTP/1.1 401"))
            #expect(none.contains("WWW-Authenticate: Basic"))
            #expect(none.contains(#""error":"Authentication required""#))
            let wrongAuth = Data("alice:nope".utf8).base64EncodedString()
            let wrong = try await RawSocket.http(
                port: port, "PUT /cas/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \(wrongAuth)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            #expect(wrong.hasPrefix("HTTP/1.1 401"))
            #expect(wrong.contains("Authentication failed for user 'alice'"))
            let bearer = try await RawSocket.http(port: port, "PUT /cas/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\nConnection: close\r\n\r\n")
            #expect(bearer.contains("Unsupported authorization scheme"))
            let id = try await s.newSession(user: "alice", password: "right-pw")
            let other = try await s.send("GET", "/cas/sessions/\(id)", user: "bob", password: "bob-pw")
            #expect(other.status == 404, "a session belongs to its user, and whether another's exists is not told")
            let unknownId = UUID().uuidString.lowercased()
            let unknown = try await s.send("GET", "/cas/sessions/\(unknownId)", user: "bob", password: "bob-pw")
            #expect(unknown.status == 404)
            let said = other.json["error"].stringValue?.replacingOccurrences(of: id, with: "ID")
            #expect(said != nil && said == unknown.json["error"].stringValue?.replacingOccurrences(of: unknownId, with: "ID"), "the same words for both")
            let mine = try await s.send("GET", "/cas/sessions/\(id)", user: "alice", password: "right-pw")
            #expect(mine.json["uuid"].stringValue == id)
        }
    }

    @Test func staleContentLengthOnGETDoesNotHang() async throws {
        try await RESTServer.with { s in
            let id = try await s.newSession()
            let auth = Data("alice:pw".utf8).base64EncodedString()
            let reply = try await RawSocket.http(port: s.server.httpPort!,
                                             "GET /cas/sessions/\(id) HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \(auth)\r\nContent-Length: 2\r\n\r\n")
            #expect(reply.hasPrefix("HTTP/1.1 200"))
            #expect(reply.contains(id))
        }
    }
}

