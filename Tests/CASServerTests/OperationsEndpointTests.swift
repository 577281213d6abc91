import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

/// `/healthz`, `/readyz` and `/metrics` on the REST port of a real `caslite serve` (docs/operations.md "Health and metrics").
@Suite("Health and metrics endpoints", .serialized)
struct OperationsEndpointTests {
    /// One sample of the Prometheus text format: name, labels, value.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Parses the text exposition format strictly: every line is a `# HELP`/`# TYPE` comment or `name{k="v",…} value`;
    /// each sample's family was declared by a `# TYPE` line before it.
    static func parse(_ text: String) throws -> [Sample] {
        var samples: [Sample] = [], declared: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                try #require(parts.count == 4 && ["counter", "gauge", "histogram"].contains(parts[3]), "\(line)")
                declared.insert(String(parts[2]))
                continue
            }
            if line.hasPrefix("# HELP ") { continue }
            let match = try #require(line.wholeMatch(of: /([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/), "not a sample: \(line)")
            var labels: [String: String] = [:]
            if let body = match.3 {
                for pair in body.matches(of: /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/) { labels[String(pair.1)] = String(pair.2) }
            }
            let value = try #require(Double(match.4) ?? (match.4 == "+Inf" ? .infinity : nil), "\(line)")
            let family = String(match.1).replacing(/_(bucket|sum|count)$/, with: "")
            #expect(declared.contains(family) || declared.contains(String(match.1)), "\(match.1) has no # TYPE line")
            samples.append(Sample(name: String(match.1), labels: labels, value: value))
        }
        return samples
    }

    static func scrape(_ port: Int, user: String?, password: String = "") async throws -> RESTClient.Reply {
        let c = try await RESTClient.connect(port: port, user: user ?? "nobody", password: password)
        defer { Task { await c.close() } }
        return try await c.send("GET", "/metrics", user: user == nil ? .some(nil) : .none)
    }

    @Test func metricsCountKnownCallsAndOnlyAdministratorsReadThem() async throws {
        try await withDataRoot { parent in
            let root = parent + "/data"
            try DataFolderFixture.copy(to: root)
            try await ServerProcess(dataRoot: root, auth: "password", http: true).run { p in
                let http = try #require(p.httpPort)
                let alice = try await p.connect("alice", password: "alicepw1")
                for _ in 0..<3 { try await ok(alice, "builtins.echo", ["x": 1]) }
                try await fails(alice, "table.fetch", ["table": "nothere"])
                try await fails(alice, "nosuchset.nosuchaction")

                let reply = try await Self.scrape(http, user: "alice", password: "alicepw1")
                #expect(reply.status == 200)
                #expect(reply.headers.first(name: "content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
                let samples = try Self.parse(String(decoding: reply.body, as: UTF8.self))
                func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
                    samples.first { s in s.name == name && labels.allSatisfy { k, v in s.labels[k] == v } }?.value
                }
                #expect(value("caslite_actions_total", ["action": "builtins.echo", "severity": "Normal"]) == 3)
                #expect(value("caslite_actions_total", ["action": "table.fetch", "severity": "Error"]) == 1)
                #expect(value("caslite_actions_total", ["action": "(unresolved)", "severity": "Error"]) == 1, "made-up names add no series")
                #expect(value("caslite_action_duration_seconds_count", ["action": "builtins.echo"]) == 3)
                #expect(value("caslite_action_duration_seconds_bucket", ["action": "builtins.echo", "le": "+Inf"]) == 3)
                let buckets = samples.filter { $0.name == "caslite_action_duration_seconds_bucket" && $0.labels["action"] == "builtins.echo" }.map(\.value)
                #expect(buckets == buckets.sorted(), "buckets are cumulative")
                #expect((value("caslite_sessions") ?? 0) >= 1)
                #expect((value("caslite_table_bytes", ["caslib": "Public", "table": "gh"]) ?? 0) > 0)
                #expect(value("caslite_global_tables") == 2)
                #expect(samples.contains { $0.name == "caslite_session_memory_bytes" && $0.labels["user"] == "alice" })

                #expect(try await Self.scrape(http, user: "bob", password: "bobpw123").status == 403, "bob is no administrator")
                #expect(try await Self.scrape(http, user: nil).status == 401)
                #expect(try await Self.scrape(http, user: "alice", password: "wrong").status == 401)
                await alice.close()
            }
        }
    }

    @Test func openMetricsNameNoTablesUsersOrSessionsAndHealthNeedsNoLogin() async throws {
        try await withDataRoot { parent in
            let root = parent + "/data"
            try DataFolderFixture.copy(to: root)
            try await ServerProcess(dataRoot: root, auth: "password", http: true, arguments: ["--metrics-access", "open"]).run { p in
                let http = try #require(p.httpPort)
                let alice = try await p.connect("alice", password: "alicepw1")
                try await ok(alice, "table.addTable", ["table": "secretname", "caslib": "Public", "promote": true, "vars": [["name": "x"]], "rows": [[1]]])
                let reply = try await Self.scrape(http, user: nil)
                #expect(reply.status == 200)
                let text = String(decoding: reply.body, as: UTF8.self)
                _ = try Self.parse(text)
                for secret in ["secretname", "gh", "alice", "caslite_session_memory_bytes", "caslite_table_bytes{"] {
                    #expect(!text.contains(secret), "\(secret) leaked to an anonymous scraper")
                }
                #expect(text.contains("caslite_global_tables 3"))
                let c = try await RESTClient.connect(port: http, user: "nobody", password: "")
                let health = try await c.send("GET", "/healthz", user: .some(nil))
                let healthStatus = try health.json["status"].stringValue
                #expect(health.status == 200 && healthStatus == "alive")
                let ready = try await c.send("GET", "/readyz", user: .some(nil))
                let readyStatus = try ready.json["status"].stringValue
                #expect(ready.status == 200 && readyStatus == "ready")
                await c.close()
                await alice.close()
            }
        }
    }
}
