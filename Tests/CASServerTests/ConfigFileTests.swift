import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

/// `caslite serve --config FILE` and `caslite config check FILE` (docs/operations.md "Configuration").
@Suite("Configuration file", .serialized)
struct ConfigFileTests {
    @Test(arguments: [
        ("port = 5570\nhtp-port = 1\n", "2: unknown key 'htp-port' (did you mean 'http-port'?)"),
        ("# a comment\n\nport = \"5570\"\n", "3: key 'port': expected an integer"),
        ("http-port = 70000\n", "1: key 'http-port': must be between 0 and 65535; got 70000"),
        ("max-line = 10\n", "1: key 'max-line': must be between 1024"),
        ("session-timeout = -1\n", "1: key 'session-timeout': must be between"),
        ("auth = \"nobody\"\n", "1: key 'auth': expected \"password\" or \"none\""),
        ("admin = \"alice\"\n", "1: key 'admin': expected a list of strings"),
        ("admin = [\"bad name!\"]\n", "1: key 'admin': 'bad name!'"),
        ("max-memory = \"lots\"\n", "1: key 'max-memory': must be a size"),
        ("tls-cert = \"a.pem\"\n", "1: key 'tls-cert': tls-cert and tls-key go together"),
        ("port = 1\n[server]\nhost = \"x\"\n", "2: unknown key 'server'"),
        ("port = = 1\n", "1: "),
        ("host = \"0.0.0.0\"\nauth = \"none\"\n", "1: key 'host': Authentication 'none' is only allowed on a loopback address"),
        ("auth = \"password\"\nhost = \"10.1.2.3\"\n", "2: key 'host': Passwords would cross the network in clear text"),
    ])
    func checkNamesTheKeyAndLine(_ text: String, _ expected: String) async throws {
        try await withDataRoot { root in
            let file = root + "/caslite.toml"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let (status, output) = try await ServerProcess.cliOutput(["config", "check", file])
            #expect(status == 1)
            #expect(output.contains("\(file):\(expected)"), "\(output)")
            let serve = try await ServerProcess.cliOutput(["serve", "--config", file, "--data", root + "/data", "--port", "0"])
            #expect(serve.status != 0 && serve.output.contains(expected), "serve refuses the same file: \(serve.output)")
        }
    }

    @Test func flagsAreCheckedByTheSameRules() async throws {
        try await withDataRoot { root in
            for (args, expected) in [(["--port", "70000"], "--port: must be between 0 and 65535; got 70000"),
                                     (["--login-timeout", "0"], "--login-timeout: must be between 0.1 and 3600.0"),
                                     (["--config", root + "/missing.toml"], "missing.toml: cannot be read")] {
                let r = try await ServerProcess.cliOutput(["serve", "--data", root] + args)
                #expect(r.status != 0 && r.output.contains(expected), "\(args): \(r.output)")
            }
        }
    }

    @Test func theFileSetsEveryOptionAndFlagsOverrideIt() async throws {
        try await withDataRoot { root in
            let file = root + "/caslite.toml"
            try """
                # caslite serve configuration
                host = "127.0.0.1"
                port = 1                      # overridden by ServerProcess's --port 0
                data = "/nonexistent/overridden"
                auth = "password"             # overridden by --auth none
                session-timeout = 120
                max-line = 1048576
                max-memory = "2G"
                max-session-memory = "1G"
                login-timeout = 5.5
                max-pending-logins = 50
                admin = ["alice"]
                log-format = "json"
                metrics-access = "open"
                http-port = 0
                """.write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try await ServerProcess.cliOutput(["config", "check", file]).output.contains("ok (14 keys)"))
            try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
            try await ServerProcess(dataRoot: root + "/data", http: true, arguments: ["--config", file], log: true).run { p in
                let c = try await p.connect("alice")
                try await ok(c, "builtins.echo")
                await c.close()
                // the log is JSON lines with the call's metadata
                try await Task.sleep(for: .milliseconds(200))
                let lines = p.log.split(separator: "\n").filter { $0.hasPrefix("{") }
                let done = try lines.map { try JSONParser.parse(String($0)) }.first { $0["action"].stringValue == "builtins.echo" }
                let d = try #require(done, "\(p.log)")
                #expect(d["user"].stringValue == "alice" && d["severity"].stringValue == "Normal" && d["elapsed"].doubleValue != nil)
                #expect(d["session"].stringValue != nil && d["request"].stringValue != nil && d["time"].stringValue != nil)
                // metrics-access = open from the file: an anonymous scrape works
                let http = try await RESTClient.connect(port: try #require(p.httpPort), user: "x", password: "")
                #expect(try await http.send("GET", "/metrics", user: .some(nil)).status == 200)
                await http.close()
            }
        }
    }
}
