import CASCore
import CASServer
import Foundation
import TOMLKit

/// The configuration file of `caslite serve` (`--config FILE`, or `/etc/caslite/caslite.toml` when present):
/// TOML, one key per `serve` option, named as the option without its dashes' prefix (`http-port = 5571`).
/// Unknown keys, wrong types and values out of range are errors naming the key and its line
/// (docs/operations.md "Configuration"; `caslite config check FILE`).
enum ServeConfigFile {
    /// Read when `serve` has no `--config`.
    static let defaultPath = "/etc/caslite/caslite.toml"
    /// Larger files are refused before parsing (a configuration is a few hundred bytes).
    static let maxBytes = 1 << 20

    /// One key: its TOML type (for messages) and how it sets the settings.
    struct Key: Sendable {
        let name: String
        let type: String
        let help: String
        let apply: @Sendable (inout ServeSettings, any TOMLValueConvertible) -> String?  // nil: set; else why not
    }

    static func string(_ name: String, _ help: String, _ set: @escaping @Sendable (inout ServeSettings, String) -> Void) -> Key {
        Key(name: name, type: "a string", help: help) { s, v in
            guard let x = v.string else { return "expected a string" }
            set(&s, x)
            return nil
        }
    }
    static func int(_ name: String, _ help: String, _ set: @escaping @Sendable (inout ServeSettings, Int) -> Void) -> Key {
        Key(name: name, type: "an integer", help: help) { s, v in
            guard let x = v.int else { return "expected an integer" }
            set(&s, x)
            return nil
        }
    }
    static func seconds(_ name: String, _ help: String, _ set: @escaping @Sendable (inout ServeSettings, Double) -> Void) -> Key {
        Key(name: name, type: "a number of seconds", help: help) { s, v in
            guard let x = v.double ?? v.int.map(Double.init), x.isFinite else { return "expected a number of seconds" }
            set(&s, x)
            return nil
        }
    }
    static func strings(_ name: String, _ help: String, _ set: @escaping @Sendable (inout ServeSettings, [String]) -> Void) -> Key {
        Key(name: name, type: "a list of strings", help: help) { s, v in
            guard let a = v.array else { return "expected a list of strings, e.g. [\"alice\"]" }
            var out: [String] = []
            for item in a {
                guard let x = item.string else { return "expected a list of strings, e.g. [\"alice\"]" }
                out.append(x)
            }
            set(&s, out)
            return nil
        }
    }
    static func choice<E: RawRepresentable & CaseIterable>(_ name: String, _ help: String, _: E.Type,
                                                         _ set: @escaping @Sendable (inout ServeSettings, E) -> Void) -> Key where E.RawValue == String {
        let allowed = E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
        return Key(name: name, type: allowed, help: help) { s, v in
            guard let raw = v.string, let x = E(rawValue: raw) else { return "expected \(allowed)" }
            set(&s, x)
            return nil
        }
    }

    /// Every key, in the order docs/operations.md lists them.
    static let keys: [Key] = [
        string("host", "address to listen on") { $0.host = $1 },
        int("port", "JSON-lines port (0: a free port)") { $0.port = $1 },
        string("data", "data folder") { $0.data = $1 },
        string("port-file", "write the bound port to this file") { $0.portFile = $1 },
        int("http-port", "REST (swat) port, also /healthz, /readyz, /metrics") { $0.httpPort = $1 },
        string("http-port-file", "write the bound REST port to this file") { $0.httpPortFile = $1 },
        seconds("session-timeout", "default idle time-out of sessions") { $0.sessionTimeout = $1 },
        int("max-line", "longest request line or body, in bytes") { $0.maxLine = $1 },
        string("max-memory", "memory of the whole server, e.g. \"16G\"") { $0.maxMemory = $1 },
        string("max-session-memory", "memory of one session, e.g. \"4G\"") { $0.maxSessionMemory = $1 },
        choice("auth", "how connections authenticate", AuthMode.self) { $0.auth = $1 },
        seconds("login-timeout", "seconds a connection has to log in") { $0.loginTimeout = $1 },
        int("max-pending-logins", "connections not logged in yet") { $0.maxPendingLogins = $1 },
        string("tls-cert", "PEM certificate") { $0.tlsCert = $1 },
        string("tls-key", "PEM private key") { $0.tlsKey = $1 },
        string("tls-ca", "PEM intermediate certificates") { $0.tlsCa = $1 },
        Key(name: "allow-plaintext-passwords", type: "true or false", help: "accept passwords without TLS off loopback") { s, v in
            guard let x = v.bool else { return "expected true or false" }
            s.allowPlaintextPasswords = x
            return nil
        },
        strings("admin", "users with the administrator role") { $0.admin = $1 },
        strings("actionsets", "folders of *.casl action-set definitions") { $0.actionsets = $1 },
        choice("log-format", "log lines: text or json", LogFormat.self) { $0.logFormat = $1 },
        choice("metrics-access", "who may read /metrics", MetricsAccess.self) { $0.metricsAccess = $1 },
    ]

    /// Reads `path` into `settings`; every problem at once, each naming the file, line and key.
    static func load(_ path: String, into settings: inout ServeSettings) throws(ConfigFileError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigFileError(["\(path): cannot be read"]) }
        guard data.count <= maxBytes else { throw ConfigFileError(["\(path): \(data.count) bytes; a configuration file may have at most \(maxBytes)"]) }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigFileError(["\(path): not UTF-8 text"]) }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw ConfigFileError(["\(path):\(e.source.begin.line): \(e.description)"])
        } catch { throw ConfigFileError(["\(path): \(error)"]) }
        var problems: [String] = []
        let lines = Dictionary(uniqueKeysWithValues: table.keys.map { ($0, line(of: $0, in: text)) })
        for name in table.keys.sorted(by: { (lines[$0] ?? 0, $0) < (lines[$1] ?? 0, $1) }) {
            let at = "\(path):\(lines[name] ?? 0)"
            guard let key = keys.first(where: { $0.name == name }) else {
                let near = NearMiss.suggest(name, among: keys.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
                problems.append("\(at): unknown key '\(name)'\(near); see docs/operations.md for the keys")
                continue
            }
            guard let value = table[name] else { continue }
            if let why = key.apply(&settings, value) {
                problems.append("\(at): key '\(name)': \(why)")
            } else {
                settings.origin[name] = "\(at): key '\(name)'"
            }
        }
        if !problems.isEmpty { throw ConfigFileError(problems) }
    }

    /// The line (from 1) where `key` is set at the top level: `key =`, `"key" =`, `key.x =` or `[key]`; 0 when not found.
    static func line(of key: String, in text: String) -> Int {
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var l = Substring(raw.trimmingCharacters(in: .whitespaces))
            if l.hasPrefix("[") { l = l.dropFirst(l.hasPrefix("[[") ? 2 : 1) }
            for form in [key, "\"\(key)\"", "'\(key)'"] where l.hasPrefix(form) {
                let rest = l.dropFirst(form.count).drop { $0 == " " || $0 == "\t" }
                if rest.hasPrefix("=") || rest.hasPrefix(".") || rest.hasPrefix("]") { return i + 1 }
            }
        }
        return 0
    }
}

/// Problems of a configuration file, one per line (`FILE:LINE: key 'name': why`).
struct ConfigFileError: Error, CustomStringConvertible {
    var problems: [String]
    init(_ problems: [String]) { self.problems = problems }
    var description: String { problems.joined(separator: "\n") }
}
