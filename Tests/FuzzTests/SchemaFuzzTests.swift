import CASWire
import Foundation
import ImageCodec
import Testing

/// The systemic guard of "Safe to share": walks every action of the registry (as `builtins.reflect`
/// describes it) and every declared parameter at every nesting level, sending boundary values to a
/// real `caslite serve` process over a prepared session. After every call: exactly one final frame,
/// the session still answers `builtins.ping`, the process is alive, its resident memory stays under
/// the budget, and no message shows a server path.
///
/// `make test` runs a fixed sample in a few minutes; `CASLITE_FUZZ_THOROUGH=1` (`make fuzz`) tries
/// every boundary value on every parameter.
@Suite("Schema-driven boundary fuzzer", .serialized)
struct SchemaFuzzTests {
    static let thorough = ProcessInfo.processInfo.environment["CASLITE_FUZZ_THOROUGH"] == "1"
    /// The server's memory budget, and the resident size it must stay under (budget plus the process's own needs).
    static let budget = 1 << 30
    static let rssLimit = budget + (1 << 30)
    /// Actions left out, and why.
    static let skipped: [String: String] = [
        "session.endSession": "ends the fuzzing session itself (tested in SessionTests)",
    ]

    @Test func everyParameterOfEveryActionSurvivesBoundaryValues() throws {
        var run = try FuzzRun(thorough: Self.thorough)
        defer { run.stop() }
        try run.prepare()
        let actions = try run.registry()
        var calls = 0, parameters = 0, failures: [String] = []
        let started = Date()
        var shallow: [String] = []
        var slowest: [(String, TimeInterval)] = []
        let only = ProcessInfo.processInfo.environment["CASLITE_FUZZ_ONLY"].map { Set($0.split(separator: ",").map(String.init)) }
        for (action, params) in actions where Self.skipped[action] == nil && (only?.contains(action) ?? true) {
            // the baseline alone: when it fails, fuzzed values mostly stop at the same error (reported, not a failure)
            if let why = try run.baselineProblem(action, params) { shallow.append("\(action): \(why)") }
            let paths = allPaths(params)
            parameters += paths.count
            // every path of every action is tried: a hang is caught per call (cancelled after 10 s, HANG if it does not
            // end), so no wall-clock budget per action (one made a slower machine fail the run without finding anything)
            let actionStarted = Date()
            for (path, node) in paths {
                for value in Boundary.values(for: node.shape, thorough: Self.thorough) {
                    calls += 1
                    if let f = try run.attempt(action, params, path: path, value: value) { failures.append(f) }
                }
            }
            slowest.append((action, Date().timeIntervalSince(actionStarted)))
        }
        let seconds = Int(Date().timeIntervalSince(started))
        if !shallow.isEmpty { print("schema fuzzer: baselines that fail (deeper parameters less covered):\n  " + shallow.joined(separator: "\n  ")) }
        print("schema fuzzer: slowest actions " + slowest.sorted { $0.1 > $1.1 }.prefix(5).map { "\($0.0) \(Int($0.1)) s" }.joined(separator: ", "))
        print("schema fuzzer: \(calls) calls over \(parameters) parameters of \(actions.count) actions in \(seconds) s; peak RSS \(run.peakRSS >> 20) MiB")
        #expect(actions.count > 70, "the registry walk saw \(actions.count) actions")
        if only != nil { print("schema fuzzer: only \(only!.sorted().joined(separator: ", "))") }
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(60).joined(separator: "\n"))")
    }
}

/// One fuzzing run: the server process, the connection, and the prepared session.
struct FuzzRun {
    var server: ServeProcess
    var client: RawClient
    var nextId: Int64 = 1
    var peakRSS = 0
    let thorough: Bool

    init(thorough: Bool) throws {
        self.thorough = thorough
        server = try ServeProcess(extra: ["--max-memory", "\(SchemaFuzzTests.budget)", "--max-session-memory", "\(SchemaFuzzTests.budget / 2)",
                                          "--max-line", "\(16 << 20)", "--admin", "fuzzer"])
        client = try RawClient(port: server.port)
        _ = try client.hello("fuzzer")
    }

    func stop() { server.stop() }

    mutating func id() -> Int64 {
        defer { nextId += 1 }
        return nextId
    }

    /// Calls and requires success (preparation).
    @discardableResult
    mutating func ok(_ action: String, _ params: ValueDict = [:]) throws -> Value {
        let r = try client.call(id(), action, params, timeout: 120)
        guard let f = r.final, f["response"]["disposition"]["severity"].stringValue != "Error" else {
            throw FuzzFailure("preparing: \(action) failed: \(r.frames.map(\.jsonString).joined(separator: " ").prefix(600))")
        }
        return f["response"]
    }

    /// Tables, images, a trained model and files the baselines refer to.
    mutating func prepare() throws {
        let home = server.dataRoot + "/casuser/fuzzer"
        try FileManager.default.createDirectory(atPath: home + "/img/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: home + "/img/b", withIntermediateDirectories: true)
        try "x,y,s\n1,2,a\n3,4,b\n".write(toFile: home + "/data.csv", atomically: true, encoding: .utf8)
        var rows: [Value] = []
        for i in 0..<8 {
            let img = try Image(width: 16, height: 16, format: .rgb, fill: UInt8(30 * i))
            let png = try ImageCodec.encodePNG(img)
            try Data(png).write(to: URL(fileURLWithPath: "\(home)/img/\(i % 2 == 0 ? "a" : "b")/\(i).png"))
            rows.append([.int(Int64(i + 1)), .string(i % 2 == 0 ? "A" : "B"), .blob(png), .string("img/\(i).png")])
        }
        for set in ["simple", "image", "deepLearn", "sampling", "percentile", "aggregation", "fcmpact", "sccasl"] {
            _ = try? client.call(id(), "builtins.loadActionSet", ["actionSet": .string(set)], timeout: 30)
        }
        try ok("table.addTable", ["table": "alltypes", "replace": true, "vars": [
            ["name": "d", "type": "double"], ["name": "l", "type": "int64"], ["name": "i", "type": "int32"], ["name": "s", "type": "varchar"],
            ["name": "b", "type": "varbinary"],
        ], "rows": [[1.5, 7, -2, "héllo", .blob([1, 2])], [nil, nil, nil, nil, nil], [-0.25, .int(.max), 2_147_483_647, "", .blob([])]]])
        try ok("table.addTable", ["table": "images", "replace": true, "vars": [
            ["name": "_id_", "type": "int64"], ["name": "_label_", "type": "varchar"], ["name": "_image_", "type": "varbinary"], ["name": "_path_", "type": "varchar"],
        ], "rows": .list(rows)])
        try ok("deepLearn.buildModel", ["model": ["name": "cnn", "replace": true], "type": "CNN"])
        let layers: [(String, Value, [String])] = [
            ("data", ["type": "input", "nChannels": 3, "width": 16, "height": 16], []),
            ("conv1", ["type": "convolution", "nFilters": 4, "width": 3, "act": "relu"], ["data"]),
            ("pool1", ["type": "pooling", "width": 2, "stride": 2, "pool": "max"], ["conv1"]),
            ("output", ["type": "output", "n": 2, "act": "softmax"], ["pool1"]),
        ]
        for (name, layer, src) in layers {
            try ok("deepLearn.addLayer", ["model": "cnn", "name": .string(name), "layer": layer, "srcLayers": .list(src.map { .string($0) })])
        }
        try ok("deepLearn.buildModel", ["model": ["name": "scratch", "replace": true], "type": "CNN"])
        try ok("deepLearn.addLayer", ["model": "scratch", "name": "data", "layer": ["type": "input", "nChannels": 3, "width": 16, "height": 16]])
        try ok("deepLearn.dlTrain", ["table": "images", "modelTable": "cnn", "modelWeights": ["name": "cnn_w", "replace": true], "inputs": "_image_",
                                     "target": "_label_", "seed": 1, "optimizer": ["miniBatchSize": 4, "maxEpochs": 1]])
        try ok("deepLearn.dlScore", ["table": "images", "model": "cnn", "initWeights": "cnn_w", "casOut": ["name": "scored", "replace": true],
                                     "copyVars": ["_label_", "_id_", "_image_"]])
        try ok("deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w", "path": "model.dlew"])
        try ok("table.addTable", ["table": "pubt", "caslib": "Public", "promote": true, "replace": true, "vars": [["name": "x"]], "rows": [[1]]])
    }

    /// Every action of every set: its declared parameters as reflect reports them (hidden actions too).
    mutating func registry() throws -> [(String, [ParamNode])] {
        let sets = try ok("builtins.listActionSets")["results"]
        var names: [String] = []
        for (_, v) in sets.dictValue?.entries.map({ ($0.key, $0.value) }) ?? [] {
            if let t = v.tableValue, let c = t.column("actionset") ?? t.column("name"), case .varchar(let a) = c.data { names += a.compactMap { $0 } }
        }
        var out: [(String, [ParamNode])] = []
        for set in Set(names).sorted() {
            let r = try ok("builtins.reflect", ["actionSet": .string(set), "showHidden": true])["results"]
            for (_, s) in r.dictValue?.entries.map({ ($0.key, $0.value) }) ?? [] {
                for a in s["actions"].listValue ?? [] {
                    out.append(("\(s["name"].stringValue ?? set).\(a["name"].stringValue ?? "?")", (a["params"].listValue ?? []).map(ParamNode.init)))
                }
            }
        }
        return out
    }

    /// Why the action's baseline parameters fail, or nil when they work.
    mutating func baselineProblem(_ action: String, _ params: [ParamNode]) throws -> String? {
        try refresh(for: action)
        let r = try client.call(id(), action, Baseline(action: action).params(params), timeout: 30)
        guard let f = r.final, f["response"]["disposition"]["severity"].stringValue == "Error" || !f["error"].isNull else { return nil }
        let errors = r.frames.compactMap { $0["log"]["level"].stringValue == "ERROR" ? $0["log"]["message"].stringValue : nil }
        return String((errors.first ?? f.jsonString).prefix(160)) + " — sent " + String(Value.dict(Baseline(action: action).params(params)).jsonString.prefix(200))
    }

    /// Restores what destructive actions may remove, before an action that needs it.
    mutating func refresh(for action: String) throws {
        try ok("table.addTable", ["table": "victim", "replace": true, "vars": [["name": "x"]], "rows": [[1]]])
        try "v\n1\n".write(toFile: server.dataRoot + "/casuser/fuzzer/victim.csv", atomically: true, encoding: .utf8)
        if action.hasPrefix("deepLearn.") {
            try ok("deepLearn.buildModel", ["model": ["name": "scratch", "replace": true], "type": "CNN"])
            try ok("deepLearn.addLayer", ["model": "scratch", "name": "data", "layer": ["type": "input", "nChannels": 3, "width": 16, "height": 16]])
        }
        for t in ["alltypes", "images", "cnn", "cnn_w", "scored"] {
            let r = try ok("table.tableExists", ["name": .string(t)])
            if r["results"]["exists"].intValue == 0 { throw FuzzFailure("table \(t) was lost (by an earlier fuzzed call); restart the run") }
        }
    }

    /// One fuzzed call; a failure description, or nil when every check held. A crashed server is restarted.
    mutating func attempt(_ action: String, _ params: [ParamNode], path: [PathStep], value: Value) throws -> String? {
        var choices: [String: String] = [:]
        for step in path { if case .alternative(let key, let name) = step { choices[key] = name; _ = key } }
        if case .key(let top)? = path.first, case .alternative(_, let alt)? = path.dropFirst().first { choices[top] = alt }
        let base = Baseline(action: action).params(params, choices: choices)
        let request = setting(.dict(base), path[...], to: value).dictValue ?? base
        let what = "\(action) \(path.map(\.description).joined(separator: "."))=\(String(value.jsonString.prefix(60)))"
        do {
            try refresh(for: action)
            let id = id()
            let r = try client.call(id, action, request, timeout: 10)
            guard let final = r.final else { return "HANG: \(what) did not end 15 s after it was cancelled" }
            let finals = r.frames.filter { !$0["response"].isNull || !$0["error"].isNull }.count
            let ping = try client.call(self.id(), "builtins.ping", [:], timeout: 30)
            guard ping.final?["response"]["disposition"]["severity"].stringValue == "Normal" else { return "PING: after \(what) the session does not answer" }
            let late = try client.frame(timeout: 0)
            if finals != 1 || (late != nil && late?["id"].intValue == id) { return "FRAMES: \(what) sent \(finals) final frames" }
            // messages (not result tables: caslibInfo shows caslib folders, as CAS does) never show the server's paths
            let text = (r.frames.map { $0["log"].jsonString } + [final["response"]["disposition"].jsonString, final["error"].jsonString]).joined(separator: " ")
            if text.contains(server.dataRoot) { return "PATH: \(what) shows a server path: \(text.prefix(300))" }
            let rss = server.rss
            peakRSS = max(peakRSS, rss)
            if rss > SchemaFuzzTests.rssLimit { return "MEMORY: after \(what) the server holds \(rss >> 20) MiB" }
            return nil
        } catch {
            if ProcessInfo.processInfo.environment["CASLITE_FUZZ_DEBUG"] != nil { print("fuzz: \(what): \(error)\n\(server.tail(800))") }
            if server.alive, let fresh = try? RawClient(port: server.port) {
                // the connection is gone or a table was lost: start over on a fresh connection
                client = fresh
                _ = try client.hello("fuzzer")
                try prepare()
                return "CONNECTION: \(what): \(error)"
            }
            let report = "CRASH: \(what)\n\(server.crashSummary())"
            server.stop()
            server = try ServeProcess(extra: ["--max-memory", "\(SchemaFuzzTests.budget)", "--max-session-memory", "\(SchemaFuzzTests.budget / 2)",
                                              "--max-line", "\(16 << 20)", "--admin", "fuzzer"])
            client = try RawClient(port: server.port)
            _ = try client.hello("fuzzer")
            try prepare()
            return report
        }
    }
}
