import Synchronization

/// Per-address bookkeeping of logins: how many connections from each address have not logged in
/// yet (bounded in all and per address), and how many logins failed in a row (the back-off).
final class LoginThrottle: Sendable {
    struct Entry {
        var failures = 0
        var lastFailure = 0.0
        var pending = 0
    }

    struct State {
        var entries: [String: Entry] = [:]
        var pending = 0
    }

    /// Entries kept before old ones are dropped (an attacker with many addresses cannot grow the table without bound).
    static let maxEntries = 16_384

    let limits: LoginLimits
    private let state = Mutex(State())

    init(_ limits: LoginLimits) { self.limits = limits }

    /// Counts one more connection from `address` that has not logged in; refuses it over the limits.
    func admit(_ address: String) throws(LoginError) {
        let refusal: String? = state.withLock { s in
            if s.pending >= limits.maxPending { return "\(s.pending) connections are waiting to log in" }
            if s.entries[address, default: Entry()].pending >= limits.maxPendingPerAddress {
                return "\(limits.maxPendingPerAddress) connections from \(address) are waiting to log in"
            }
            s.pending += 1
            s.entries[address, default: Entry()].pending += 1
            return nil
        }
        if let refusal { throw LoginError(.busy, "Too many connections", details: "\(refusal); try again later") }
    }

    /// A counted connection logged in or closed.
    func leave(_ address: String) {
        state.withLock { s in
            s.pending -= 1
            s.entries[address]?.pending -= 1
            if let e = s.entries[address], e.pending == 0, e.failures == 0 { s.entries[address] = nil }
        }
    }

    /// Seconds `address` must still wait before its next login is checked; nil when it may log in now.
    func retryAfter(_ address: String, now: Double = ServerClock.monotonic) -> Double? {
        state.withLock { s in
            guard let e = s.entries[address] else { return nil }
            let wait = e.lastFailure + limits.backoff(afterFailures: e.failures) - now
            return wait > 0 ? wait : nil
        }
    }

    func failed(_ address: String, now: Double = ServerClock.monotonic) {
        state.withLock { s in
            var e = s.entries[address, default: Entry()]
            if now - e.lastFailure > limits.forgetAfter { e.failures = 0 }
            e.failures += 1
            e.lastFailure = now
            s.entries[address] = e
            if s.entries.count > Self.maxEntries { Self.prune(&s, now: now, limits: limits) }
        }
    }

    func succeeded(_ address: String) {
        state.withLock { s in
            s.entries[address]?.failures = 0
            if let e = s.entries[address], e.pending == 0 { s.entries[address] = nil }
        }
    }

    /// Drops forgotten entries, then (still too many) the half that failed longest ago; entries of
    /// connections still waiting stay.
    static func prune(_ s: inout State, now: Double, limits: LoginLimits) {
        s.entries = s.entries.filter { $0.value.pending > 0 || now - $0.value.lastFailure <= limits.forgetAfter }
        guard s.entries.count > maxEntries else { return }
        let oldest = s.entries.filter { $0.value.pending == 0 }.sorted { $0.value.lastFailure < $1.value.lastFailure }
        for (address, _) in oldest.prefix(s.entries.count - maxEntries / 2) { s.entries[address] = nil }
    }
}
