import CASCore
import CASStorage
import CASWire
import NIOHTTP1

/// A user whose credentials were accepted.
struct AuthenticatedUser: Sendable, Equatable {
    var name: String
    var isAdmin: Bool
}

/// Checks the `Authorization: Basic …` header that swat sends with every request, the way `hello`
/// checks the JSON-lines handshake: with `.password` the password is verified against the users in
/// `<data>/server.sqlite`; with `.none` the user name is accepted as given (loopback only).
struct RESTAuthenticator: Sendable {
    let server: ServerContext
    let mode: AuthMode

    static let challenge = [("WWW-Authenticate", "Basic realm=\"caslite\"")]

    func authenticate(_ headers: HTTPHeaders, _ verified: inout VerifiedCredentials) async throws(RESTError) -> AuthenticatedUser {
        guard let header = headers.first(name: "authorization") else {
            throw RESTError(.unauthorized, "Authentication required",
                            details: "send HTTP Basic credentials, e.g. swat.CAS(url, username='NAME', password='PASSWORD')", headers: Self.challenge)
        }
        if let known = verified.byHeader[header] { return known }
        let (user, password) = try Self.basic(header)
        guard !user.isEmpty, user.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else {
            throw RESTError(.unauthorized, "Invalid user name '\(user)'", details: "use letters, digits, '_', '-' or '.'", headers: Self.challenge)
        }
        let accepted = AuthenticatedUser(name: user, isAdmin: try await check(user, password))
        verified.byHeader[header] = accepted
        return accepted
    }

    /// `Basic base64(user:password)` → (user, password).
    static func basic(_ header: String) throws(RESTError) -> (String, String) {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic" else {
            throw RESTError(.unauthorized, "Unsupported authorization scheme '\(parts.first ?? "")'",
                            details: "caslite accepts HTTP Basic credentials (user name and password); OAuth tokens are not supported",
                            headers: challenge)
        }
        guard let bytes = Base64.decode(String(parts[1])), let text = String(validating: bytes, as: UTF8.self),
              let colon = text.firstIndex(of: ":") else {
            throw RESTError(.unauthorized, "Malformed Basic credentials", details: "expected base64 of 'user:password'", headers: challenge)
        }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// Verifies the password when the server requires one; returns whether the user is an administrator.
    /// A refusal waits a moment (slowing guessing) and does not say whether the user exists.
    func check(_ user: String, _ password: String) async throws(RESTError) -> Bool {
        let stored: UserRecord?
        do { stored = try await server.store.user(user) } catch { throw RESTError(.internalServerError, "Cannot read users", details: error.message) }
        let admin = server.admins.contains(user) || (stored?.isAdmin ?? false)
        guard mode == .password else { return admin }
        let ok: UserRecord?
        do { ok = try await server.store.verify(user, password: password) } catch {
            throw RESTError(.internalServerError, "Cannot read users", details: error.message)
        }
        guard ok != nil else {
            try? await Task.sleep(for: .milliseconds(400))
            throw RESTError(.unauthorized, "Authentication failed for user '\(user)'", details: "wrong user name or password", headers: Self.challenge)
        }
        return admin
    }
}
