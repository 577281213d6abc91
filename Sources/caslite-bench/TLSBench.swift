// TLS next to plaintext (make bench): the same CASClient against two servers of this process, one plain and one
// with TLS (a certificate made in-process, as `caslite tls self-signed` makes it), measured in alternating blocks.
import CASClient
import CASCore
import CASServer
import CASStandardSets
import CASTLS
import CASWire
import Foundation

/// The fetch parameters of both servers' table of `rows` rows.
func fetchParams(_ rows: Int) -> ValueDict { ["table": ["name": "rows", "caslib": "public"], "to": .int(Int64(rows)), "maxRows": .int(Int64(rows))] }

/// Connects (hello, welcome) `n` times; the seconds of each.
func connectTimes(_ n: Int, port: Int, tls: TLSOptions?) async throws -> [Double] {
    var times: [Double] = []
    for _ in 0..<n {
        let t0 = ServerClock.monotonic
        let c = try await CASConnection.connect(host: "127.0.0.1", port: port, user: "bench", tls: tls)
        times.append(ServerClock.monotonic - t0)
        await c.close()
    }
    return times
}

/// Ping round trips in blocks of 1 000, alternating between the connections, so both see the same machine.
func pingTimes(_ conns: [CASConnection], total: Int) async throws -> [[Double]] {
    var times = conns.map { _ in [Double]() }
    for _ in 0..<max(1, total / 1000) {
        for (k, c) in conns.enumerated() {
            for _ in 0..<1000 {
                let t0 = ServerClock.monotonic
                _ = try await c.call("builtins.ping")
                times[k].append(ServerClock.monotonic - t0)
            }
        }
    }
    return times
}

/// The best of three fetches of the whole table, per connection (alternating).
func fetchBest(_ conns: [CASConnection], rows: Int) async throws -> [Double] {
    var best = conns.map { _ in Double.infinity }
    for _ in 0..<3 {
        for (k, c) in conns.enumerated() {
            let t0 = ServerClock.monotonic
            let r = try await c.call("table.fetch", fetchParams(rows))
            guard r.disposition.severity != .error else { throw ClientError("fetch failed: \(r.logs)") }
            best[k] = min(best[k], ServerClock.monotonic - t0)
        }
    }
    return best
}

/// Prints builtins.ping p50/p99, table.fetch MB/s and the connect time, plaintext and TLS, in the same run.
/// `plain` is attached to the plain server's session holding `rows`; `csv` is the file that table came from.
func compareTLS(plain: CASConnection, plainPort: Int, root: String, csv: String, pings: Int, rows: Int, fetchMB: Double) async throws {
    let dir = "\(root)/tls", data = "\(root)/tls-data"
    try FileManager.default.createDirectory(atPath: "\(data)/public", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let ca = try SelfSignedCertificates.CA.make(name: "caslite bench CA")
    let pair = try ca.issue()
    try ca.pair.certificatePEM.write(toFile: "\(dir)/ca.pem", atomically: true, encoding: .utf8)
    try pair.certificatePEM.write(toFile: "\(dir)/server.pem", atomically: true, encoding: .utf8)
    try pair.keyPEM.write(toFile: "\(dir)/server-key.pem", atomically: true, encoding: .utf8)
    try FileManager.default.copyItem(atPath: csv, toPath: "\(data)/public/rows.csv")
    var config = ServerConfig()
    config.port = 0
    config.dataRoot = data
    config.auth = .none
    config.tls = ServerTLS.Files(certificate: "\(dir)/server.pem", privateKey: "\(dir)/server-key.pem")
    let server = try await CASServer.start(config, sets: StandardRegistry.sets, logger: .init(label: "bench") { _ in BenchNoLog() })
    let options = TLSOptions(caFile: "\(dir)/ca.pem")
    let secure = try await CASConnection.connect(host: "127.0.0.1", port: server.port, user: "bench", tls: options)
    let load = try await secure.call("table.loadTable", ["path": "rows.csv", "caslib": "public", "casOut": "rows"])
    guard load.disposition.severity != .error else { throw ClientError("loadTable over TLS failed: \(load.logs)") }

    let ping = try await pingTimes([plain, secure], total: pings)
    let fetch = try await fetchBest([plain, secure], rows: rows)
    let plainConnects = try await connectTimes(200, port: plainPort, tls: nil)
    let tlsConnects = try await connectTimes(200, port: server.port, tls: options)
    print("TLS next to plaintext (CASClient, TLS 1.3, ECDSA P-256; same run, alternating blocks)")
    for (name, k, connects) in [("plaintext", 0, plainConnects), ("TLS      ", 1, tlsConnects)] {
        print("  \(name)  builtins.ping p50 \(us(percentile(ping[k], 0.5)))  p99 \(us(percentile(ping[k], 0.99)))   "
              + "table.fetch \(String(format: "%.0f", fetchMB / fetch[k])) MB/s (\(String(format: "%.2f", fetch[k])) s)   "
              + "connect+login p50 \(us(percentile(connects, 0.5)))")
    }
    print("  ratio TLS/plaintext: ping p50 \(String(format: "%.2f", percentile(ping[1], 0.5) / percentile(ping[0], 0.5))), "
          + "fetch throughput \(String(format: "%.2f", fetch[0] / fetch[1]))")
    print("")
    await secure.close()
    await server.stop()
}
