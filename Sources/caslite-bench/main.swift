// Core benchmarks (make bench): builtins.ping round trips and table.fetch throughput over loopback,
// each next to a local peer measured in the same run. Figures are printed, never asserted.
import CASClient
import CASServer
import CASWire
import Foundation

let args = CommandLine.arguments
let pingCount = Int(ProcessInfo.processInfo.environment["BENCH_PINGS"] ?? "") ?? 20_000
let fetchRows = Int(ProcessInfo.processInfo.environment["BENCH_ROWS"] ?? "") ?? 1_000_000

func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    return s[min(s.count - 1, Int(Double(s.count) * p))]
}
func us(_ x: Double) -> String { fixed3(x * 1e6) + " µs" }
func fixed3(_ x: Double) -> String { String(format: "%.1f", x) }

let root = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: "\(root)/public", withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: root) }
var config = ServerConfig()
config.port = 0
config.dataRoot = root
let server = try await CASServer.start(config, logger: .init(label: "bench") { _ in BenchNoLog() })

print("caslite core benchmarks (release build, loopback, \(ProcessInfo.processInfo.activeProcessorCount) cores)")
print("")

// 1. Round trips.
let echo = try EchoPeer()
let rawEcho = try BlockingLineSocket(port: echo.port)
var peerTimes: [Double] = []
for _ in 0..<pingCount {
    let t0 = Clock.monotonic
    try rawEcho.send("{\"ping\":1}\n")
    _ = try rawEcho.readLine()
    peerTimes.append(Clock.monotonic - t0)
}
let raw = try BlockingLineSocket(port: server.port)
try raw.send("{\"hello\":{\"user\":\"bench\"}}\n")
_ = try raw.readLine()
var rawTimes: [Double] = []
for i in 0..<pingCount {
    let t0 = Clock.monotonic
    try raw.send("{\"id\":\(i),\"action\":\"builtins.ping\"}\n")
    _ = try raw.readLine()
    rawTimes.append(Clock.monotonic - t0)
}
let conn = try await CASConnection.connect(host: "127.0.0.1", port: server.port, user: "bench")
var clientTimes: [Double] = []
for _ in 0..<pingCount {
    let t0 = Clock.monotonic
    _ = try await conn.call("builtins.ping")
    clientTimes.append(Clock.monotonic - t0)
}
print("builtins.ping round trip, \(pingCount) calls")
print("  peer: raw TCP line echo (blocking C sockets)   p50 \(us(percentile(peerTimes, 0.5)))  p99 \(us(percentile(peerTimes, 0.99)))")
print("  caslite, blocking socket client             p50 \(us(percentile(rawTimes, 0.5)))  p99 \(us(percentile(rawTimes, 0.99)))  (goal p50 <= 100 µs)")
print("  caslite, CASClient (async Swift client)     p50 \(us(percentile(clientTimes, 0.5)))  p99 \(us(percentile(clientTimes, 0.99)))")
print("  ratio caslite/peer p50: \(String(format: "%.2f", percentile(rawTimes, 0.5) / percentile(peerTimes, 0.5)))")
print("")

// 2. fetch of N rows x 5 columns.
var csv = "id,x,y,label,n\n"
csv.reserveCapacity(fetchRows * 40)
for i in 0..<fetchRows { csv += "\(i),\(Double(i) * 0.5),\(Double(i % 1000) / 7),lbl\(i % 100),\(i % 17)\n" }
try csv.write(toFile: "\(root)/public/rows.csv", atomically: false, encoding: .utf8)
let load = try await conn.call("table.loadTable", ["path": "rows.csv", "caslib": "public", "casOut": "rows"])
guard load.disposition.severity != .error else { print("loadTable failed: \(load.logs)"); exit(1) }
var best = Double.infinity
var bytes = 0
for _ in 0..<3 {
    let t0 = Clock.monotonic
    try raw.send("{\"id\":1,\"action\":\"table.fetch\",\"params\":{\"table\":{\"name\":\"rows\",\"caslib\":\"public\"},\"to\":\(fetchRows),\"maxRows\":\(fetchRows)}}\n")
    let line = try raw.readLine()
    best = min(best, Clock.monotonic - t0)
    bytes = line.utf8.count
}
// Peer: the same number of bytes pushed through a loopback socket and read back as one line.
let blob = String(repeating: "x", count: bytes) + "\n"
var peerBest = Double.infinity
for _ in 0..<3 {
    let t0 = Clock.monotonic
    try rawEcho.send(blob)
    _ = try rawEcho.readLine()
    peerBest = min(peerBest, Clock.monotonic - t0)
}
let mb = Double(bytes) / 1e6
print("table.fetch of \(fetchRows) rows x 5 columns (\(String(format: "%.1f", mb)) MB of JSON), best of 3")
print("  caslite: \(String(format: "%.2f", best)) s = \(String(format: "%.0f", mb / best)) MB/s  (goal >= 100 MB/s)")
print("  peer: loopback echo of the same bytes: \(String(format: "%.2f", peerBest)) s = \(String(format: "%.0f", mb / peerBest)) MB/s")
print("  ratio caslite/peer throughput: \(String(format: "%.2f", (mb / best) / (mb / peerBest)))")
await conn.close()
await server.stop()
