import CASStorage
import Dispatch
import Logging
import Synchronization

/// How connections prove who they are.
public enum AuthMode: String, Sendable, CaseIterable {
    /// The password is checked against the users in `<data>/server.sqlite` (`caslite users`).
    case password
    /// Any valid user name is accepted without a password. Loopback addresses only (`Login.init` refuses others).
    case none
}

/// A user whose login was accepted.
public struct LoginIdentity: Sendable, Equatable {
    /// The user name, as checked by `Names`.
    public var user: String
    /// From `serve --admin` or the stored user.
    public var isAdmin: Bool

    public init(user: String, isAdmin: Bool) {
        self.user = user
        self.isAdmin = isAdmin
    }
}

/// The one login path of every front end (JSON-lines `hello`, REST Basic credentials):
///
/// 1. the user name must pass `Names.check(_, .user)`;
/// 2. an address that failed too often waits (`LoginThrottle`: 1 s, 2 s, 4 s, … up to `maxBackoff`);
/// 3. with `.password`, the stored hash is fetched from `ServerStore` and verified on `LoginHashPool`
///    (never inside an actor; a bounded number at a time; unknown users cost the same as known ones);
/// 4. the administrator role comes from `serve --admin` or the stored user.
///
/// Every refusal waits `failureDelay` and says nothing about whether the user exists. Front ends
/// close the connection after a refusal. Connections that have not logged in yet hold a `LoginTicket`
/// (`admit`), which bounds how many there are in all and per address.
///
/// ```swift
/// let login = try Login(mode: .password, host: "127.0.0.1", store: store, admins: [])
/// let ticket = try login.admit(from: "192.0.2.7")          // at accept
/// let who = try await login.authenticate(user: "alice", password: "…", from: "192.0.2.7")
/// ticket.settle()                                          // logged in: no longer counted
/// ```
public final class Login: Sendable {
    /// How logins are checked.
    public let mode: AuthMode
    /// Limits on waiting connections, the login clock, hashing and back-off.
    public let limits: LoginLimits
    let store: ServerStore
    let admins: Set<String>
    let throttle: LoginThrottle
    let hashes: LoginHashPool
    /// Where refused logins are logged (WARNING, with the address and the user name).
    let logger: Logger?

    /// Refuses `.none` unless `host` is a loopback address: without passwords, anyone who can reach
    /// the port could name any user. Refuses `.password` on a non-loopback address unless the front
    /// ends speak TLS (`encrypted`) or `allowPlaintextPasswords` says the clear-text risk is accepted:
    /// passwords would cross the network readable by anyone on the path.
    public init(mode: AuthMode, host: String, store: ServerStore, admins: Set<String> = [], limits: LoginLimits = LoginLimits(),
                encrypted: Bool = false, allowPlaintextPasswords: Bool = false, logger: Logger? = nil) throws(LoginError) {
        try Self.check(mode: mode, host: host, encrypted: encrypted, allowPlaintextPasswords: allowPlaintextPasswords)
        self.logger = logger
        self.mode = mode
        self.limits = limits
        self.store = store
        self.admins = admins
        self.throttle = LoginThrottle(limits)
        self.hashes = LoginHashPool(width: limits.concurrentHashes)
        // The decoy is made on first use; make it now, so the first unknown user costs no more than later ones.
        if mode == .password { DispatchQueue(label: "caslite.login.decoy").async { _ = Passwords.decoy } }
    }

    /// The two network rules of logging in: no `.none` off loopback; no clear-text passwords off loopback.
    public static func check(mode: AuthMode, host: String, encrypted: Bool, allowPlaintextPasswords: Bool) throws(LoginError) {
        guard mode == .password || isLoopback(host) else {
            throw LoginError(.misconfigured, "Authentication 'none' is only allowed on a loopback address, not \(Names.quote(host))",
                             details: "listen on 127.0.0.1 or ::1, or use password authentication with users added by `caslite users add`")
        }
        guard mode == .none || encrypted || allowPlaintextPasswords || isLoopback(host) else {
            throw LoginError(.misconfigured, "Passwords would cross the network in clear text on \(Names.quote(host))",
                             details: "serve TLS with --tls-cert FILE --tls-key FILE (`caslite tls self-signed --out DIR` makes a CA and a certificate), "
                                 + "listen on 127.0.0.1, or accept the risk with --allow-plaintext-passwords")
        }
    }

    /// Whether `host` names the loopback interface (`127.0.0.0/8`, `::1`, `localhost`).
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Counts a connection that has not logged in yet; refused (`.busy`) when too many are waiting,
    /// in all or from `address`. The ticket stops counting when settled or released.
    public func admit(from address: String) throws(LoginError) -> LoginTicket {
        try throttle.admit(address)
        return LoginTicket { [throttle] in throttle.leave(address) }
    }

    /// Checks a login; see the type's description for the steps.
    public func authenticate(user: String, password: String?, from address: String) async throws(LoginError) -> LoginIdentity {
        if let problem = Names.problem(user, .user) {
            throw await refused(address, LoginError(.invalidUserName, "Invalid user name \(Names.quote(user))", details: problem), user: user, failure: true)
        }
        if let wait = throttle.retryAfter(address) { throw await refused(address, .throttled(address, wait), user: user, failure: false) }
        let stored: (user: UserRecord, hash: String)?
        do { stored = try await store.credentials(user) } catch {
            // the reason names server paths: it goes to the server's log, never to a client that has not logged in
            logger?.error("Cannot read users for a login from \(address): \(error.message)")
            throw LoginError(.unavailable, "Cannot read users", details: "the server's user database cannot be read; the server's log says why")
        }
        if mode == .password {
            let given = password ?? "", hash = stored?.hash ?? Passwords.decoy
            let verdict = await hashes.run(key: address) { [throttle] () -> Bool? in
                throttle.retryAfter(address) == nil ? Passwords.verify(given, against: hash) : nil
            }
            guard let matched = verdict ?? nil else {
                throw await refused(address, .throttled(address, throttle.retryAfter(address) ?? 1), user: user, failure: false)
            }
            guard matched, stored != nil else { throw await refused(address, .wrongCredentials(user), user: user, failure: true) }
        }
        throttle.succeeded(address)
        return LoginIdentity(user: user, isAdmin: admins.contains(user) || (stored?.user.isAdmin ?? false))
    }

    /// Records and logs a failure (when it is one: throttled attempts are not checked, so not logged one by
    /// one), waits `failureDelay`, and returns the error to throw.
    func refused(_ address: String, _ error: LoginError, user: String, failure: Bool) async -> LoginError {
        if failure {
            throttle.failed(address)
            logger?.warning("Refused login for user \(Names.quote(user, limit: 64)) from \(address): \(error.description)")
        }
        try? await Task.sleep(for: .seconds(limits.failureDelay))
        return error
    }
}

/// A connection that has not logged in yet, counted against `LoginLimits.maxPending`. Settle it once
/// the connection logged in; a ticket that is released unsettled (the connection closed) settles itself.
public final class LoginTicket: Sendable {
    private let leave: @Sendable () -> Void
    private let settled = Atomic<Bool>(false)

    init(leave: @escaping @Sendable () -> Void) { self.leave = leave }

    /// Stops counting this connection (idempotent).
    public func settle() {
        if !settled.exchange(true, ordering: .acquiringAndReleasing) { leave() }
    }

    deinit { settle() }
}

/// A refused login. `error` is a short title and `details` says what to do; front ends show both
/// (`hello: <error>: <details>` on JSON-lines, `{"error", "details"}` with a status on REST).
public struct LoginError: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The user name breaks `Names`' rule.
        case invalidUserName
        /// Wrong user name or password (which one is not said).
        case wrongCredentials
        /// Too many failed logins from this address; `retryAfter` says how long to wait.
        case throttled
        /// Too many connections are waiting to log in.
        case busy
        /// The users cannot be read.
        case unavailable
        /// The server's settings are unsafe (authentication `none`, or passwords without TLS, on a non-loopback address).
        case misconfigured
    }

    public var reason: Reason
    /// A short title, e.g. `Authentication failed for user 'alice'`.
    public var error: String
    /// What was wrong or what to do, e.g. `wrong user name or password`.
    public var details: String
    /// Seconds to wait before trying again (`.throttled`).
    public var retryAfter: Double?

    public init(_ reason: Reason, _ error: String, details: String, retryAfter: Double? = nil) {
        self.reason = reason
        self.error = error
        self.details = details
        self.retryAfter = retryAfter
    }

    public var description: String { "\(error): \(details)" }

    static func wrongCredentials(_ user: String) -> LoginError {
        LoginError(.wrongCredentials, "Authentication failed for user \(Names.quote(user))", details: "wrong user name or password")
    }

    static func throttled(_ address: String, _ wait: Double) -> LoginError {
        let seconds = Int(wait.rounded(.up))
        return LoginError(.throttled, "Too many failed logins from \(address)", details: "try again in \(seconds) s", retryAfter: Double(seconds))
    }
}
