import Foundation

/// Limits on connections that have not logged in yet, and on the cost of logging in. Every limit is
/// listed with its flag in docs/security.md ("Front ends").
public struct LoginLimits: Sendable {
    /// Longest line accepted on the JSON-lines port before a successful `hello`, in bytes; the line
    /// limit rises to `ServerConfig.maxLineLength` only after it.
    public var handshakeBytes = 64 << 10
    /// Seconds a new connection has to log in before it is closed (`serve --login-timeout`).
    public var handshakeTimeout: Double = 10
    /// Connections that have not logged in yet, over both front ends; more are refused at once
    /// (`serve --max-pending-logins`).
    public var maxPending = 256
    /// Of those, from one client address.
    public var maxPendingPerAddress = 64
    /// Password hashes computed at the same time. Argon2id at libsodium's "interactive" cost takes
    /// 64 MiB and about 0.1 s of one core each.
    public var concurrentHashes = max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
    /// Seconds every refused login waits before it is answered.
    public var failureDelay: Double = 0.4
    /// Failed logins an address may make before it has to wait: 1 s after the next failure, then
    /// 2 s, 4 s, … up to `maxBackoff`. A successful login from the address starts over.
    public var freeFailures = 5
    /// Longest wait imposed on an address, in seconds.
    public var maxBackoff: Double = 60
    /// An address's failures are forgotten after this many seconds without another one.
    public var forgetAfter: Double = 900

    public init() {}

    /// Seconds an address that failed `failures` times in a row must wait after its last failure.
    public func backoff(afterFailures failures: Int) -> Double {
        guard failures >= freeFailures else { return 0 }
        let exponent = min(failures - freeFailures, 30)
        return min(maxBackoff, Double(1 << exponent))
    }
}
