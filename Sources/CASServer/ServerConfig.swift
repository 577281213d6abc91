import CASCore
import CASTLS
import Logging

/// Who may read `/metrics` (docs/security.md "Metrics").
public enum MetricsAccess: String, Sendable, CaseIterable {
    /// An administrator's HTTP Basic credentials (Prometheus: `basic_auth` in the scrape config); every series.
    case admin
    /// Anyone who reaches the REST port; series that name sessions, users or tables are left out.
    case open
}

/// Settings of one caslite server. The defaults are safe for a shared server: passwords are
/// checked, and the login limits of `LoginLimits` apply.
public struct ServerConfig: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port.
    public var port: Int = 5570
    /// Port of the REST front end for the Python `swat` client (docs/python.md); nil: none, 0: a free port.
    public var httpPort: Int?
    /// Folder holding caslibs (`casuser/<user>`, `public`).
    public var dataRoot: String = "./caslite-data"
    /// Longest accepted request line (JSON-lines) or request body (REST) in bytes, once logged in.
    public var maxLineLength: Int = 256 << 20
    /// Default idle time-out of new sessions, in seconds.
    public var sessionTimeout: Double = 3600
    /// How often expired sessions are reaped, in seconds.
    public var reapInterval: Double = 30
    /// Users with the administrator role.
    public var admins: Set<String> = []
    /// Most memory (bytes) tables and running actions may hold in the whole server; nil: 75 % of physical memory.
    public var maxMemory: Int?
    /// Most memory (bytes) one session may hold; nil: half of `maxMemory`.
    public var maxSessionMemory: Int?
    /// Folders of `*.casl` action-set definitions loaded at start (`caslite serve --actionsets DIR`).
    public var actionSetDirs: [String] = []

    /// How logins are checked: `.password` against the users in `<data>/server.sqlite` (the default), or
    /// `.none` (any user name is accepted — refused by `CASServer.start` unless `host` is a loopback
    /// address; the embedded server of `caslite call` runs this way as the local user).
    public var auth: AuthMode = .password
    /// Limits on connections that have not logged in yet and on login attempts (docs/security.md).
    public var login = LoginLimits()
    /// The certificate and key both front ends present (JSON-lines over TLS, HTTPS); nil: plaintext.
    /// Reloaded by `CASServer.reloadTLS()` (`caslite serve` on SIGHUP).
    public var tls: ServerTLS.Files?
    /// Accept `.password` logins in clear text on a non-loopback address (refused by `CASServer.start` otherwise).
    public var allowPlaintextPasswords = false
    /// Who may read `/metrics` on the REST port (docs/security.md "Metrics").
    public var metricsAccess: MetricsAccess = .admin
    /// The level of the log line each finished call writes.
    public var callLogLevel: Logger.Level = .debug

    /// The workers of an MPI scale-out server (`caslite serve --mpi`); nil: one process holds every table.
    public var cluster: (any TableCluster)?
    public init() {}
}
