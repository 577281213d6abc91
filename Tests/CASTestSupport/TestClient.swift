import CASClient
import CASTLS
import CASWire
import Testing

/// The front ends an action-level test runs over: one test body, `@Test(arguments: Transport.allCases)`,
/// so that REST cannot fall behind JSON-lines.
public enum Transport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case jsonLines
    case rest

    public var testDescription: String { rawValue }
}

/// A client attached to one session, over either front end.
public protocol TestClient: Sendable {
    var sessionId: String { get }
    var user: String { get }
    /// Calls an action; the response carries every log line of the call.
    func call(_ action: String, _ params: ValueDict) async throws -> Response
    func close() async
}

extension CASConnection: TestClient {
    public func call(_ action: String, _ params: ValueDict) async throws -> Response {
        try await call(action, params, onEvent: nil)
    }
}

extension TestClient {
    /// Calls and throws unless the call succeeded (set-up steps).
    @discardableResult
    public func expectOK(_ action: String, _ params: ValueDict = ValueDict()) async throws -> Response {
        let r = try await call(action, params)
        guard r.disposition.severity != .error else { throw ClientError("\(action) failed: \(r.errorText)") }
        return r
    }
}

/// swat's side of the REST protocol, as a `TestClient`: a session made with `PUT /cas/sessions` (or
/// re-attached with `GET /cas/sessions/{id}`), calls posted as JSON, the envelope turned back into a
/// `Response`.
public final class RESTTestClient: TestClient {
    public let sessionId: String
    public let user: String
    public let http: RESTClient

    init(sessionId: String, user: String, http: RESTClient) {
        self.sessionId = sessionId
        self.user = user
        self.http = http
    }

    public static func connect(port: Int, user: String, password: String, session: String? = nil, tls: ClientTLS? = nil) async throws -> RESTTestClient {
        let http = try await RESTClient.connect(port: port, user: user, password: password, tls: tls)
        do {
            if let session {
                let r = try await http.json("GET", "/cas/sessions/\(session)")
                guard r.status == 200 else { throw ClientError(Self.errorText(r.json)) }
                return RESTTestClient(sessionId: session, user: user, http: http)
            }
            let r = try await http.json("PUT", "/cas/sessions")
            guard r.status == 200, let id = r.json["session"].stringValue else { throw ClientError(Self.errorText(r.json)) }
            return RESTTestClient(sessionId: id, user: user, http: http)
        } catch {
            await http.close()
            throw error
        }
    }

    static func errorText(_ v: Value) -> String { "\(v["error"].stringValue ?? "") (\(v["details"].stringValue ?? ""))" }

    public func call(_ action: String, _ params: ValueDict) async throws -> Response {
        let r = try await http.json("POST", "/cas/sessions/\(sessionId)/actions/\(action)", body: Value.dict(params).jsonBytes())
        guard r.status == 200 else {
            let m = Self.errorText(r.json)
            return Response(disposition: Disposition(severity: .error, reason: "http\(r.status)", statusCode: 0, formattedStatus: m),
                            logs: [LogLine(.error, m)])
        }
        return Self.response(r.json)
    }

    public func close() async { await http.close() }

    /// swat's envelope (disposition, logEntries, metrics, results) as a `Response`.
    static func response(_ v: Value) -> Response {
        let d = v["disposition"]
        let severity = Severity(rawValue: d["severity"].stringValue ?? "") ?? .error
        let disposition = Disposition(severity: severity, reason: d["reason"].stringValue ?? "", statusCode: d["statusCode"].intValue ?? 0,
                                      formattedStatus: d["formattedStatus"].stringValue ?? "")
        let logs: [LogLine] = (v["logEntries"].listValue ?? []).map { entry in
            let level: LogLevel = switch entry["level"].stringValue { case "error": .error; case "warning": .warning; default: .note }
            let text = entry["message"].stringValue ?? ""
            let prefix = "\(level.rawValue): "
            return LogLine(level, text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text)
        }
        let m = v["metrics"]
        let performance = Performance(elapsedTime: m["elapsedTime"].doubleValue ?? 0, cpuUserTime: m["cpuUserTime"].doubleValue ?? 0,
                                      cpuSystemTime: m["cpuSystemTime"].doubleValue ?? 0)
        return Response(disposition: disposition, results: results(v["results"]), performance: performance, logs: logs)
    }

    /// The results object; a list (swat's form of `builtins.reflect`) keyed back by each item's `name`.
    static func results(_ v: Value) -> ValueDict {
        guard let list = v.listValue else { return v.dictValue ?? ValueDict() }
        var out = ValueDict()
        for item in list { out[item["name"].stringValue ?? "\(out.count)"] = item }
        return out
    }
}
