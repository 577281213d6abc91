import ArgumentParser
import CASCore
import CASServer
import CASTLS

/// How `caslite serve` writes its log: readable lines, or one JSON object per line for log shippers.
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable { case text, json }

/// Every `caslite serve` option as one value: the defaults, overridden by the configuration file
/// (`ServeConfigFile`), overridden by the command line. Checked once, in `check()`, whichever way a value came.
struct ServeSettings {
    var host = ServerConfig().host
    var port = ServerConfig().port
    var data = ServerConfig().dataRoot
    var portFile: String?
    var httpPort: Int?
    var httpPortFile: String?
    var sessionTimeout = ServerConfig().sessionTimeout
    var maxLine = ServerConfig().maxLineLength
    var maxMemory: String?
    var maxSessionMemory: String?
    var auth = ServerConfig().auth
    var loginTimeout = LoginLimits().handshakeTimeout
    var maxPendingLogins = LoginLimits().maxPending
    var tlsCert: String?
    var tlsKey: String?
    var tlsCa: String?
    var allowPlaintextPasswords = false
    var admin: [String] = []
    var actionsets: [String] = []
    var logFormat = LogFormat.text
    /// Who may read `/metrics` (docs/security.md "Metrics").
    var metricsAccess = MetricsAccess.admin
    /// Where each value was set, for errors: `--port`, or `caslite.toml:3: port`. Unset values are defaults.
    var origin: [String: String] = [:]

    /// Where `name` was set (a flag, or a file and line), for an error message.
    func source(_ name: String) -> String { origin[name] ?? "--\(name)" }

    /// Refuses values out of range, with the flag or the file line that set them.
    func check() throws(SettingsError) {
        try within("port", port, 0...65535)
        if let httpPort { try within("http-port", httpPort, 0...65535) }
        try within("max-line", maxLine, 1024...(1 << 31))
        try within("max-pending-logins", maxPendingLogins, 1...100_000)
        try within("session-timeout", sessionTimeout, 1...(366 * 86400))
        try within("login-timeout", loginTimeout, 0.1...3600)
        for name in admin {
            if let problem = Names.problem(name, .user) { throw SettingsError(source("admin"), "\(Names.quote(name)): \(problem)") }
        }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            let given = tlsCert == nil ? "tls-key" : "tls-cert", d = dashes(given)
            throw SettingsError(source(given), "\(d)tls-cert and \(d)tls-key go together: give both, or neither for plaintext")
        }
        guard tlsCa == nil || tlsCert != nil else {
            let d = dashes("tls-ca")
            throw SettingsError(source("tls-ca"), "\(d)tls-ca needs \(d)tls-cert and \(d)tls-key")
        }
        for (name, value) in [("max-memory", maxMemory), ("max-session-memory", maxSessionMemory)] {
            if let value, ByteCount.parse(value) == nil { throw SettingsError(source(name), "must be a size such as 16G, 512M or 1048576; got '\(value)'") }
        }
        for (name, value) in [("host", host), ("data", data)] where value.isEmpty { throw SettingsError(source(name), "must not be empty") }
        // the server's own network rules (no auth none, no clear-text passwords, off loopback), so `config check` sees them too
        do { try Login.check(mode: auth, host: host, encrypted: tlsCert != nil, allowPlaintextPasswords: allowPlaintextPasswords) } catch {
            throw SettingsError(source("host"), error.description)
        }
    }

    /// How the operator spelled the option `name`: "--" on the command line, "" in the configuration file.
    func dashes(_ name: String) -> String { origin[name]?.hasPrefix("--") == false ? "" : "--" }

    func within<T: Comparable>(_ name: String, _ value: T, _ range: ClosedRange<T>) throws(SettingsError) {
        guard range.contains(value) else { throw SettingsError(source(name), "must be between \(range.lowerBound) and \(range.upperBound); got \(value)") }
    }

    /// The server's configuration.
    var config: ServerConfig {
        var config = ServerConfig()
        config.host = host
        config.port = port
        config.httpPort = httpPort
        config.dataRoot = data
        config.sessionTimeout = sessionTimeout
        config.maxLineLength = maxLine
        config.maxMemory = maxMemory.flatMap { ByteCount.parse($0) }
        config.maxSessionMemory = maxSessionMemory.flatMap { ByteCount.parse($0) }
        config.admins = Set(admin)
        config.auth = auth
        config.login.handshakeTimeout = loginTimeout
        config.login.maxPending = maxPendingLogins
        config.actionSetDirs = actionsets
        config.tls = tlsCert.map { ServerTLS.Files(certificate: $0, privateKey: tlsKey ?? "", chain: tlsCa) }
        config.allowPlaintextPasswords = allowPlaintextPasswords
        config.metricsAccess = metricsAccess
        config.callLogLevel = logFormat == .json ? .info : .debug
        return config
    }
}

/// A setting that cannot be used: where it was set (a flag, or `FILE:LINE: key`) and why.
struct SettingsError: Error, CustomStringConvertible {
    var source: String
    var message: String
    init(_ source: String, _ message: String) {
        self.source = source
        self.message = message
    }
    var description: String { "\(source): \(message)" }
}
