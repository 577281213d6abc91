// Core benchmarks (make bench): builtins.ping round trips and table.fetch throughput over loopback,
// each next to a local peer measured in the same run, and both again over TLS next to plaintext
// (TLSBench.swift). Figures are printed, never asserted.
import CASClient
import CASCore
import CASServer
import CASStandardSets
import CASWire
import Foundation

let args = CommandLine.arguments
let pingCount = Int(ProcessInfo.processInfo.environment["BENCH_PINGS"] ?? "") ?? 20_000
let fetchRows = Int(ProcessInfo.processInfo.environment["BENCH_ROWS"] ?? "") ?? 1_000_000
/// BENCH_ONLY=fetch stops after the fetch lines (for profiling that path alone).
let only = ProcessInfo.processInfo.environment["BENCH_ONLY"]

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
config.auth = .none
let server = try await CASServer.start(config, sets: StandardRegistry.sets, logger: .init(label: "bench") { _ in BenchNoLog() })

print("caslite core benchmarks (release build, loopback, \(ProcessInfo.processInfo.activeProcessorCount) cores)")
print("")

// 1. Round trips.
let echo = try EchoPeer()
let rawEcho = try BlockingLineSocket(port: echo.port)
var peerTimes: [Double] = []
for _ in 0..<pingCount {
    let t0 = ServerClock.monotonic
    try rawEcho.send("{\"ping\":1}\n")
    _ = try rawEcho.readLine()
    peerTimes.append(ServerClock.monotonic - t0)
}
let raw = try BlockingLineSocket(port: server.port)
try raw.send("{\"hello\":{\"user\":\"bench\"}}\n")
_ = try raw.readLine()
var rawTimes: [Double] = []
for i in 0..<pingCount {
    let t0 = ServerClock.monotonic
    try raw.send("{\"id\":\(i),\"action\":\"builtins.ping\"}\n")
    _ = try raw.readLine()
    rawTimes.append(ServerClock.monotonic - t0)
}
let conn = try await CASConnection.connect(host: "127.0.0.1", port: server.port, user: "bench")
var clientTimes: [Double] = []
for _ in 0..<pingCount {
    let t0 = ServerClock.monotonic
    _ = try await conn.call("builtins.ping")
    clientTimes.append(ServerClock.monotonic - t0)
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
// The raw client re-attaches to the CASClient's session, which holds the table.
let rawFetch = try BlockingLineSocket(port: server.port)
try rawFetch.send("{\"hello\":{\"user\":\"bench\",\"session\":\"\(conn.sessionId)\"}}\n")
_ = try rawFetch.readLine()
var best = Double.infinity
var bytes = 0
for _ in 0..<3 {
    let t0 = ServerClock.monotonic
    try rawFetch.send("{\"id\":1,\"action\":\"table.fetch\",\"params\":{\"table\":{\"name\":\"rows\",\"caslib\":\"public\"},\"to\":\(fetchRows),\"maxRows\":\(fetchRows)}}\n")
    let line = try rawFetch.readLine()
    best = min(best, ServerClock.monotonic - t0)
    bytes = line.utf8.count
}
// Peer: the same number of bytes pushed through a loopback socket and read back as one line.
let blob = String(repeating: "x", count: bytes) + "\n"
var peerBest = Double.infinity
for _ in 0..<3 {
    let t0 = ServerClock.monotonic
    // Send from another thread: a blocking send of more than the socket buffers would otherwise
    // deadlock against the echo coming back.
    let sender = rawEcho
    Thread.detachNewThread { try? sender.send(blob) }
    _ = try rawEcho.readLine()
    peerBest = min(peerBest, ServerClock.monotonic - t0)
}
let mb = Double(bytes) / 1e6
print("table.fetch of \(fetchRows) rows x 5 columns (\(String(format: "%.1f", mb)) MB of JSON), best of 3")
print("  caslite: \(String(format: "%.2f", best)) s = \(String(format: "%.0f", mb / best)) MB/s  (goal >= 300 MB/s)")
print("  peer: loopback echo of the same bytes: \(String(format: "%.2f", peerBest)) s = \(String(format: "%.0f", mb / peerBest)) MB/s")
print("  ratio caslite/peer throughput: \(String(format: "%.2f", (mb / best) / (mb / peerBest)))")
// Where the time goes: the server's JSON writer alone on the same table, in this process.
let sameTable = DataTable(name: "Fetch", columns: [
    Column(name: "_Index_", data: .int64((0..<fetchRows).map { Int64($0 + 1) })),
    Column(name: "id", data: .double((0..<fetchRows).map { Double($0) })),
    Column(name: "x", data: .double((0..<fetchRows).map { Double($0) * 0.5 })),
    Column(name: "y", data: .double((0..<fetchRows).map { Double($0 % 1000) / 7 })),
    Column(name: "label", data: .varchar((0..<fetchRows).map { "lbl\($0 % 100)" })),
    Column(name: "n", data: .double((0..<fetchRows).map { Double($0 % 17) })),
])
var encodeBest = Double.infinity
for _ in 0..<3 {
    let t0 = ServerClock.monotonic
    let bytes = Value.table(sameTable).jsonBytes()
    encodeBest = min(encodeBest, ServerClock.monotonic - t0)
    precondition(bytes.count > fetchRows)
}
print("  (the JSON writer alone on the same table: \(String(format: "%.3f", encodeBest)) s = \(String(format: "%.0f", mb / encodeBest)) MB/s)")
print("")
if only == "fetch" { await conn.close(); await server.stop(); exit(0) }

// 2b. The same two measurements over TLS, next to plaintext through the same client.
try await compareTLS(plain: conn, plainPort: server.port, root: root, csv: "\(root)/public/rows.csv", pings: pingCount, rows: fetchRows, fetchMB: mb)

// 3. table.save / loadTable (SQLite) next to the sqlite3 shell importing the same data.
func shell(_ args: [String]) throws -> Double {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    let t0 = ServerClock.monotonic
    try p.run()
    p.waitUntilExit()
    return ServerClock.monotonic - t0
}
let csvBytes = Double(csv.utf8.count) / 1e6
let save = try await conn.call("table.save", ["table": ["name": "rows", "caslib": "public"], "name": "rows_saved", "caslib": "public"])
let loadBack = try await conn.call("table.loadTable", ["path": "rows_saved", "caslib": "public", "casOut": "rows_back"])
let sqlitePeer = try shell(["sqlite3", "\(root)/peer.sqlite", ".mode csv", ".import \(root)/public/rows.csv rows"])
let sqliteRead = try shell(["sh", "-c", "sqlite3 \(root)/peer.sqlite 'SELECT * FROM rows' > /dev/null"])
print("table.save / loadTable of \(fetchRows) rows x 5 mixed columns (\(String(format: "%.1f", csvBytes)) MB as CSV)")
print("  caslite save: \(String(format: "%.2f", save.performance.elapsedTime)) s = \(String(format: "%.0f", csvBytes / save.performance.elapsedTime)) MB/s; loadTable: \(String(format: "%.2f", loadBack.performance.elapsedTime)) s = \(String(format: "%.0f", csvBytes / loadBack.performance.elapsedTime)) MB/s")
print("  peer sqlite3 shell: .import \(String(format: "%.2f", sqlitePeer)) s = \(String(format: "%.0f", csvBytes / sqlitePeer)) MB/s; SELECT * \(String(format: "%.2f", sqliteRead)) s")
print("  ratio caslite/sqlite3 write throughput: \(String(format: "%.2f", sqlitePeer / save.performance.elapsedTime))")

// 3b. A 1 M-row group-by: fedSql.execDirect (the table copied into SQLite, then the query) next to the
// same query in the sqlite3 shell on a typed table already in a database file.
let groupBy = "SELECT label, COUNT(*) AS n, AVG(x) AS mx, SUM(n) AS sn FROM %@ GROUP BY label ORDER BY label"
_ = try shell(["sqlite3", "\(root)/peer2.sqlite", "CREATE TABLE rows(id INTEGER, x REAL, y REAL, label TEXT, n INTEGER);",
               ".mode csv", ".import --skip 1 \(root)/public/rows.csv rows"])
var sqlBest = Double.infinity, shellBest = Double.infinity
for _ in 0..<3 {
    let q = try await conn.call("fedSql.execDirect", ["query": .string(groupBy.replacingOccurrences(of: "%@", with: "public.rows"))])
    guard q.disposition.severity != .error else { print("fedSql failed: \(q.logs)"); exit(1) }
    guard q.results["Result"]?.tableValue?.rowCount == 100 else { print("fedSql: expected 100 groups"); exit(1) }
    sqlBest = min(sqlBest, q.performance.elapsedTime)
    shellBest = min(shellBest, try shell(["sh", "-c", "sqlite3 \(root)/peer2.sqlite '\(groupBy.replacingOccurrences(of: "%@", with: "rows"))' > /dev/null"]))
}
print("fedSql.execDirect group-by over \(fetchRows) rows (100 groups: COUNT, AVG, SUM), best of 3")
print("  caslite fedSql (copy into SQLite + query): \(String(format: "%.3f", sqlBest)) s")
print("  peer sqlite3 shell, same query on a typed table in a database file: \(String(format: "%.3f", shellBest)) s")
print("  ratio caslite/sqlite3 time: \(String(format: "%.2f", sqlBest / shellBest))")

// 2 000 image-sized blobs (random bytes standing in for PNG files, 24 KB each).
let blobDir = "\(root)/blobs"
try FileManager.default.createDirectory(atPath: blobDir, withIntermediateDirectories: true)
var state: UInt64 = 0x9E37_79B9_7F4A_7C15
var blobRows: [Value] = []
for i in 0..<2000 {
    var b = [UInt8](repeating: 0, count: 24_576)
    for k in 0..<b.count { state = state &* 6364136223846793005 &+ 1442695040888963407; b[k] = UInt8(truncatingIfNeeded: state >> 33) }
    try Data(b).write(to: URL(fileURLWithPath: "\(blobDir)/img\(i).png"))
    blobRows.append([.string("img\(i).png"), .blob(b)])
}
_ = try await conn.call("table.addTable", ["table": "blobs", "caslib": "public", "rows": .list(blobRows),
                                           "vars": [["name": "name", "type": "varchar"], ["name": "_image_", "type": "varbinary"]]])
let blobMB = 2000.0 * 24_576 / 1e6
let bsave = try await conn.call("table.save", ["table": ["name": "blobs", "caslib": "public"], "name": "blobs_saved", "caslib": "public"])
let bload = try await conn.call("table.loadTable", ["path": "blobs_saved", "caslib": "public", "casOut": "blobs_back"])
let blobPeer = try shell(["sqlite3", "\(root)/peer.sqlite", "CREATE TABLE blobs AS SELECT name, data FROM fsdir('\(blobDir)') WHERE mode & 0x8000"])
print("table.save / loadTable of 2000 image blobs (\(String(format: "%.1f", blobMB)) MB)")
print("  caslite save: \(String(format: "%.2f", bsave.performance.elapsedTime)) s = \(String(format: "%.0f", blobMB / bsave.performance.elapsedTime)) MB/s; loadTable: \(String(format: "%.2f", bload.performance.elapsedTime)) s = \(String(format: "%.0f", blobMB / bload.performance.elapsedTime)) MB/s")
print("  peer sqlite3 shell (fsdir import): \(String(format: "%.2f", blobPeer)) s = \(String(format: "%.0f", blobMB / blobPeer)) MB/s")
print("  ratio caslite/sqlite3 write throughput: \(String(format: "%.2f", blobPeer / bsave.performance.elapsedTime))")
await conn.close()
await server.stop()
