import CASWire
import NIOHTTP1

/// One HTTP request as the REST routes see it: method, path, headers and the whole body.
struct RESTRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var headers: HTTPHeaders
    var body: [UInt8]

    init(head: HTTPRequestHead, body: [UInt8]) {
        self.method = head.method
        self.uri = head.uri
        self.headers = head.headers
        self.body = body
    }

    init(method: HTTPMethod, uri: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }

    /// The path without the query string.
    var path: Substring { uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
}

/// One HTTP response: status, JSON body and extra headers (Content-Type and Content-Length are added when written).
struct RESTResponse: Sendable {
    var status: HTTPResponseStatus
    var body: [UInt8]
    var headers: [(String, String)] = []

    /// A JSON value with status 200 unless told otherwise.
    static func json(_ v: Value, status: HTTPResponseStatus = .ok) -> RESTResponse {
        RESTResponse(status: status, body: v.jsonBytes(missingStyle: .swat))
    }

    /// The `{"error": …, "details": …}` body swat turns into `SWATError("error (details)")`.
    static func error(_ status: HTTPResponseStatus, _ error: String, details: String) -> RESTResponse {
        json(["error": .string(error), "details": .string(details)], status: status)
    }
}

/// A request that cannot be served; `RESTRoutes.handle` turns it into an error response (the one place).
struct RESTError: Error, Sendable {
    var status: HTTPResponseStatus
    var error: String
    var details: String
    var headers: [(String, String)] = []

    init(_ status: HTTPResponseStatus, _ error: String, details: String, headers: [(String, String)] = []) {
        self.status = status
        self.error = error
        self.details = details
        self.headers = headers
    }

    var response: RESTResponse {
        var r = RESTResponse.error(status, error, details: details)
        r.headers = headers
        return r
    }
}
