import CASClient
import CASCore
import CASStandardSets
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import SeededRandom
import Testing

/// Every standard set: the pipelines use sampling, image, deepLearn and fcmpact.
let allSets: [ActionSet] = StandardRegistry.sets

/// A connection with sampling and deepLearn loaded.
func deepLearnSession(_ s: TestServer) async throws -> CASConnection {
    let c = try await s.connect()
    try await ok(c, "builtins.loadActionSet", ["actionSet": "sampling"])
    try await ok(c, "builtins.loadActionSet", ["actionSet": "deepLearn"])
    try await ok(c, "builtins.loadActionSet", ["actionSet": "simple"])
    return c
}

/// A 16x16 RGB image: dim noise, and for class A a bright 5x5 square at the top left, for B at the bottom right.
func squareImage(classA: Bool, seed: UInt64) throws -> Image {
    var rng = SplitMix64(seed: seed)
    var img = try Image(width: 16, height: 16, format: .rgb)
    let x0 = classA ? 1 : 10, y0 = classA ? 1 : 10
    for y in 0..<16 {
        for x in 0..<16 {
            let inSquare = (x0..<x0 + 5).contains(x) && (y0..<y0 + 5).contains(y)
            for ch in 0..<3 { img[x, y, ch] = inSquare ? UInt8(200 + Int(rng.next() % 55)) : UInt8(rng.next() % 70) }
        }
    }
    return img
}

/// Adds table `name` with `_id_`, `_label_` ("A"/"B") and `_image_` (CLRI raw for even ids, PNG for odd ones).
func addSquares(_ c: CASConnection, _ name: String, perClass: Int, seed: UInt64 = 1) async throws {
    var rows: [Value] = []
    for i in 0..<(2 * perClass) {
        let a = i % 2 == 0
        let img = try squareImage(classA: a, seed: seed &* 1000 &+ UInt64(i))
        let bytes = i % 4 < 2 ? img.rawBytes() : try ImageCodec.encodePNG(img)
        rows.append([.int(Int64(i + 1)), .string(a ? "A" : "B"), .blob(bytes)])
    }
    try await ok(c, "table.addTable", ["table": .string(name), "replace": true, "vars": [
        ["name": "_id_", "type": "int64"], ["name": "_label_", "type": "varchar"], ["name": "_image_", "type": "varbinary"],
    ], "rows": .list(rows)])
}

/// The small CNN of these tests: 16x16x3 → conv 8 → max pool → conv 8 → max pool → softmax output with 2 classes.
func buildSmallCNN(_ c: CASConnection, _ model: String = "cnn", classes: Int = 2) async throws {
    try await ok(c, "deepLearn.buildModel", ["model": ["name": .string(model), "replace": true], "type": "CNN"])
    let layers: [(String, Value, [String])] = [
        ("data", ["type": "input", "nChannels": 3, "width": 16, "height": 16, "scale": 0.00392156862745098], []),
        ("conv1", ["type": "convolution", "nFilters": 8, "width": 3, "height": 3, "stride": 1, "act": "relu"], ["data"]),
        ("pool1", ["type": "pooling", "width": 2, "height": 2, "stride": 2, "pool": "max"], ["conv1"]),
        ("conv2", ["type": "convolution", "nFilters": 8, "width": 3, "act": "relu"], ["pool1"]),
        ("pool2", ["type": "pooling", "width": 2, "pool": "max"], ["conv2"]),
        ("output", ["type": "output", "n": .int(Int64(classes)), "act": "softmax"], ["pool2"]),
    ]
    for (name, layer, src) in layers {
        try await ok(c, "deepLearn.addLayer", ["model": .string(model), "name": .string(name), "layer": layer, "srcLayers": .list(src.map { .string($0) })])
    }
}

/// A session with `squares` (`perClass` images of each class) split into `train` and `valid`, and the small CNN `cnn`.
func squaresWithSmallCNN(_ s: TestServer, perClass: Int) async throws -> CASConnection {
    let c = try await deepLearnSession(s)
    try await addSquares(c, "squares", perClass: perClass)
    try await splitSquares(c)
    try await buildSmallCNN(c)
    return c
}

/// dlTrain parameters for the square images.
func trainParams(epochs: Int = 6, weights: String = "cnn_w", seed: Int = 7, valid: Bool = true) -> ValueDict {
    var p: ValueDict = [
        "table": "train", "modelTable": "cnn", "modelWeights": ["name": .string(weights), "replace": true], "seed": .int(Int64(seed)),
        "nThreads": 1, "inputs": "_image_", "target": "_label_",
        "optimizer": ["algorithm": ["method": "MOMENTUM", "learningRate": 0.05, "momentum": 0.9],
                      "miniBatchSize": 8, "maxEpochs": .int(Int64(epochs)), "logLevel": 2],
    ]
    if valid { p["validTable"] = "valid" }
    return p
}

/// Splits `squares` into `train` (75 %) and `valid` (25 %) with sampling.srs + table.partition.
func splitSquares(_ c: CASConnection) async throws {
    try await ok(c, "sampling.srs", ["table": "squares", "samppct": 25, "samppct2": 75, "partInd": true, "seed": 123,
                                     "output": ["casOut": ["name": "squares_part", "replace": true], "copyVars": "ALL"]])
    try await ok(c, "table.partition", ["table": ["name": "squares_part", "where": "_PartInd_=1"], "casOut": ["name": "valid", "replace": true]])
    try await ok(c, "table.partition", ["table": ["name": "squares_part", "where": "_PartInd_=2"], "casOut": ["name": "train", "replace": true]])
}

extension Response {
    func table(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> DataTable {
        try #require(results[key]?.tableValue, "no result table \(key) in \(results.keys)", sourceLocation: sourceLocation)
    }
}

extension DataTable {
    func doubles(_ name: String) -> [Double] {
        guard let c = column(name) else { return [] }
        return (0..<rowCount).map { c.data.double(at: $0) ?? .nan }
    }
    func strings(_ name: String) -> [String] {
        guard let c = column(name) else { return [] }
        return (0..<rowCount).map { c.data.value(at: $0).stringValue ?? "" }
    }
    /// The Value column of a Descr/Value table, by Descr.
    func info(_ descr: String) -> String? {
        zip(strings("Descr"), strings("Value")).first { $0.0 == descr }?.1
    }
}

/// Rows of a session table (via table.fetch).
func fetch(_ c: CASConnection, _ name: String, vars: [String] = []) async throws -> DataTable {
    var p: ValueDict = ["table": .string(name), "to": 100_000, "maxRows": 100_000, "index": false]
    if !vars.isEmpty { p["fetchVars"] = .list(vars.map { .string($0) }) }
    return try await ok(c, "table.fetch", p).table("Fetch")
}

/// Copies model table `model` to `crafted` with the number of row `key` replaced: a model table is a table anyone
/// may edit, so what addLayer checks must be checked again where the table is read.
func craftModelTable(_ c: CASConnection, _ model: String, key: String, value: Double) async throws {
    var rows = try await fetch(c, model)
    let keys: [String] = rows.strings("_DLKey1_")
    guard let i = keys.firstIndex(of: key), case .double(var nums) = rows.column("_DLNumVal_")!.data else { Issue.record("no row \(key)"); return }
    nums[i] = value
    rows.columns[rows.columns.firstIndex { $0.name == "_DLNumVal_" }!] = Column(name: "_DLNumVal_", data: .double(nums))
    try await ok(c, "table.addTable", ["table": "crafted", "replace": true, "vars": .list(rows.columns.map { col in
        ["name": .string(col.name), "type": .string(col.type == .double ? "double" : "varchar")] }),
        "rows": .list((0..<rows.rowCount).map { r in .list(rows.columns.map { $0.data.value(at: r) }) })])
}
