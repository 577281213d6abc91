import CASCore
import CASWire
import NIOHTTP1

/// Checks the `Authorization: Basic …` header that swat sends with every request, through the same
/// `Login` as the JSON-lines `hello`. A header already accepted on this connection is not checked
/// again (swat repeats it with every request).
struct RESTAuthenticator: Sendable {
    let login: Login

    static let challenge = [("WWW-Authenticate", "Basic realm=\"caslite\"")]

    func authenticate(_ headers: HTTPHeaders, from address: String, _ verified: inout VerifiedCredentials) async throws(RESTError) -> LoginIdentity {
        guard let header = headers.first(name: "authorization") else {
            throw RESTError(.unauthorized, "Authentication required",
                            details: "send HTTP Basic credentials, e.g. swat.CAS(url, username='NAME', password='PASSWORD')", headers: Self.challenge)
        }
        if let known = verified.byHeader[header] { return known }
        let (user, password) = try Self.basic(header)
        let accepted: LoginIdentity
        do { accepted = try await login.authenticate(user: user, password: password, from: address) } catch {
            throw Self.refusal(error)
        }
        verified.byHeader[header] = accepted
        return accepted
    }

    /// The HTTP answer to a refused login.
    static func refusal(_ e: LoginError) -> RESTError {
        let retry = e.retryAfter.map { [("Retry-After", String(Int($0)))] } ?? []
        switch e.reason {
        case .invalidUserName, .wrongCredentials: return RESTError(.unauthorized, e.error, details: e.details, headers: challenge)
        case .throttled: return RESTError(.tooManyRequests, e.error, details: e.details, headers: retry)
        case .busy: return RESTError(.serviceUnavailable, e.error, details: e.details, headers: [("Retry-After", "1")])
        case .unavailable, .misconfigured: return RESTError(.internalServerError, e.error, details: e.details)
        }
    }

    /// `Basic base64(user:password)` → (user, password).
    static func basic(_ header: String) throws(RESTError) -> (String, String) {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic" else {
            throw RESTError(.unauthorized, "Unsupported authorization scheme \(Names.quote(String(parts.first ?? "")))",
                            details: "caslite accepts HTTP Basic credentials (user name and password); OAuth tokens are not supported",
                            headers: challenge)
        }
        guard let bytes = Base64.decode(String(parts[1])), let text = String(validating: bytes, as: UTF8.self),
              let colon = text.firstIndex(of: ":") else {
            throw RESTError(.unauthorized, "Malformed Basic credentials", details: "expected base64 of 'user:password'", headers: challenge)
        }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}

/// Authorization header values already accepted on one connection, with the user they name.
struct VerifiedCredentials: Sendable {
    var byHeader: [String: LoginIdentity] = [:]
}
