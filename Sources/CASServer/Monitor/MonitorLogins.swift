import CASCore
import CASStorage
import Synchronization

/// The web monitor's logins: a random cookie token names each, with the user it logged in as, its
/// CSRF token and its expiry. Kept in memory only (a restart logs everyone out); bounded in number.
final class MonitorLogins: Sendable {
    /// One logged-in browser.
    struct Entry: Sendable {
        var identity: LoginIdentity
        /// Carried by every POST (form field `csrf` or header `X-CSRF-Token`).
        var csrf: String
        var created: Double
        var lastSeen: Double
    }

    /// The cookie's name.
    static let cookie = "caslite_monitor"
    /// A login ends after this long without a request…
    static let idleTimeout: Double = 30 * 60
    /// …and this long after it was made, whatever happens.
    static let maxAge: Double = 12 * 60 * 60
    /// At most this many at once; the least recently used goes first.
    static let capacity = 10_000
    /// Tokens are 32 random bytes in hex.
    static let tokenLength = 64

    private let entries = Mutex<[String: Entry]>([:])

    /// A new login for `identity`: its cookie token and entry.
    func create(_ identity: LoginIdentity, now: Double = ServerClock.now) -> (token: String, entry: Entry) {
        let token = Secrets.token(), entry = Entry(identity: identity, csrf: Secrets.token(), created: now, lastSeen: now)
        entries.withLock { e in
            e = e.filter { !Self.expired($0.value, now: now) }
            if e.count >= Self.capacity, let oldest = e.min(by: { $0.value.lastSeen < $1.value.lastSeen }) { e[oldest.key] = nil }
            e[token] = entry
        }
        return (token, entry)
    }

    /// The live login a cookie token names (its idle clock restarts); nil for unknown, malformed or expired tokens.
    func lookup(_ token: String, now: Double = ServerClock.now) -> Entry? {
        guard token.utf8.count == Self.tokenLength else { return nil }
        return entries.withLock { e in
            guard var entry = e[token] else { return nil }
            guard !Self.expired(entry, now: now) else { e[token] = nil; return nil }
            entry.lastSeen = now
            e[token] = entry
            return entry
        }
    }

    /// Live logins now (expired ones not counted).
    func count(now: Double = ServerClock.now) -> Int { entries.withLock { $0.values.filter { !Self.expired($0, now: now) }.count } }

    /// Ends a login (logout).
    func remove(_ token: String) { _ = entries.withLock { $0.removeValue(forKey: token) } }

    static func expired(_ e: Entry, now: Double) -> Bool {
        now - e.lastSeen > idleTimeout || now - e.created > maxAge
    }
}
