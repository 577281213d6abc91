import CheckedSize
import Foundation
import Testing
@testable import DLEngine

/// Numbers and files from outside that used to trap the server (a Swift trap kills every session) or
/// allocate without bound: each must now give a clear error before anything large is allocated.
@Suite("Hostile input: impossible shapes and crafted weights files are refused")
struct HostileInputTests {
    /// A `.dlew` file with a hand-written JSON index over a blob of `floats` floats.
    static func dlew(index json: String, floats: Int = 4) -> Data {
        var data = Data("DLEWGT01".utf8)
        let j = Data(json.utf8)
        withUnsafeBytes(of: UInt64(j.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(j)
        data.append(Data(count: 4 * floats))
        return data
    }

    static func index(_ tensors: String) -> String { #"{"format":"dlengine-weights","version":1,"tensors":[\#(tensors)]}"# }

    @Test("a .dlew shape [2^32, 2^32], a data offset 2^63-1, overlapping tensors: weightsFormat errors", arguments: [
        #"{"name":"w","shape":[4294967296,4294967296],"offset":0}"#,
        #"{"name":"w","shape":[1],"offset":9223372036854775807}"#,
        #"{"name":"w","shape":[-1,-4],"offset":0}"#,
        #"{"name":"w","shape":[2],"offset":3}"#,
        #"{"name":"a","shape":[4],"offset":0},{"name":"b","shape":[4],"offset":0}"#,
    ])
    func craftedDLEW(_ tensors: String) {
        let e = #expect(throws: EngineError.self) { try WeightsFile.decode(Self.dlew(index: Self.index(tensors))) }
        #expect(e?.code == .weightsFormat, "\(String(describing: e))")
    }

    @Test func dlewIndexLengthBeyondTheFile() {
        var data = Self.dlew(index: Self.index(""))
        data.replaceSubrange(8..<16, with: [UInt8](repeating: 0xFF, count: 8))
        #expect(throws: EngineError.self) { try WeightsFile.decode(data) }
    }

    @Test("a weights table cell _Shape_=\"4294967296,4294967296\" is refused by the engine")
    func weightsTableShape() {
        let e = #expect(throws: EngineError.self) {
            try NamedTensor(name: "fc.weight", shape: [4_294_967_296, 4_294_967_296], littleEndianBytes: [0, 0, 0, 0])
        }
        #expect(e?.code == .tooLarge)
        #expect(e?.message.contains("at most 2147483647") == true, "\(String(describing: e))")
        #expect(throws: EngineError.self) { try NamedTensor(name: "b", shape: [2], littleEndianBytes: [0, 0, 0, 0]) }
        #expect((try? NamedTensor(name: "b", shape: [1], littleEndianBytes: [0, 0, 0x80, 0x3F]))?.values == [1])
    }

    @Test func encodeRefusesValuesThatDoNotFillTheShape() {
        #expect(throws: EngineError.self) { try WeightsFile.encode([NamedTensor(name: "w", shape: [3], values: [1])]) }
        #expect(throws: EngineError.self) { try WeightsFile.encode([NamedTensor(name: "w", shape: [1 << 40, 1 << 40], values: [])]) }
    }

    @Test(arguments: [[-1], [1 << 31], [1 << 32, 1 << 32], [Int.max, 2]])
    func tensorAllocationThrows(_ shape: [Int]) {
        let e = #expect(throws: EngineError.self) { try Tensor(shape: shape) }
        #expect(e?.code == .tooLarge)
        #expect(e?.size != nil)
    }

    @Test("an input layer of width 2^63-1 is refused when the model is built")
    func hugeInputLayer() {
        let e = #expect(throws: EngineError.self) {
            try Model(layers: [
                InputLayer(name: "data", shape: [1, Int.max, 3]),
                FullyConnectedLayer(name: "fc", source: "data", outputs: 2),
                SoftmaxCrossEntropyLayer(name: "out", source: "fc"),
            ])
        }
        #expect(e?.code == .tooLarge && e?.layer == "data", "\(String(describing: e))")
    }

    static func fcModel(inputs: [Int], neurons: Int) -> [Layer] {
        [
            InputLayer(name: "data", shape: inputs),
            FullyConnectedLayer(name: "fc", source: "data", outputs: neurons),
            SoftmaxCrossEntropyLayer(name: "out", source: "fc"),
        ]
    }

    @Test("a fully connected layer of 2^26 neurons is refused, not fatalError(\"out of memory\")")
    func hugeFullyConnected() {
        let e = #expect(throws: EngineError.self) { try Model(layers: Self.fcModel(inputs: [224, 224, 3], neurons: 1 << 26)) }
        #expect(e?.code == .tooLarge && e?.layer == "fc", "\(String(describing: e))")
        #expect(throws: EngineError.self) { try Model.estimate(layers: Self.fcModel(inputs: [224, 224, 3], neurons: 1 << 26), batchSize: 1, training: false) }
    }

    @Test("fc n=2^20 then training: the cost is known before anything is allocated")
    func estimateBeforeAllocating() throws {
        let cost = try Model.estimate(layers: Self.fcModel(inputs: [64], neurons: 1 << 20), batchSize: 32, training: true)
        let slab = ((1 << 20) * 64 + (1 << 20)) * 4   // weight + bias
        #expect(cost.parameters == slab && cost.gradients == slab && cost.optimizer == slab)
        #expect(cost.total > 3 * slab)
        let inference = try Model.estimate(layers: Self.fcModel(inputs: [64], neurons: 1 << 20), batchSize: 32, training: false)
        #expect(inference.gradients == 0 && inference.optimizer == 0 && inference.total < cost.total)
        // A batch whose activations would not fit one tensor is refused by the estimate too.
        #expect(throws: EngineError.self) { try Model.estimate(layers: Self.fcModel(inputs: [64], neurons: 1 << 20), batchSize: 1 << 12, training: false) }
    }

    @Test("convolution and pooling numbers that would overflow the geometry arithmetic", arguments: [
        (Int.max, 1, 1, Padding.same), (3, Int.max, 1, .same), (3, 1, Int.max, .same), (-5, 1, 1, .same),
        (3, 1, 1, .symmetric(height: Int.max, width: 0)), (3, 1, 1, .explicit(top: -1, left: 0, bottom: 0, right: 0)),
        (1 << 40, 1 << 40, 1 << 40, .same),
    ])
    func convolutionNumbers(_ c: (kernel: Int, stride: Int, dilation: Int, padding: Padding)) {
        let conv = ConvolutionLayer(name: "conv", source: "data", filters: 4, kernel: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation)
        let e = #expect(throws: EngineError.self) {
            try Model(layers: [InputLayer(name: "data", shape: [8, 8, 3]), conv, SoftmaxCrossEntropyLayer(name: "out", source: "conv")])
        }
        #expect(e?.layer == "conv", "\(String(describing: e))")
        guard c.dilation == 1 else { return }   // pooling has no dilation
        let pool = PoolingLayer(name: "pool", source: "data", mode: .max, kernel: c.kernel, stride: c.stride, padding: c.padding)
        #expect(throws: EngineError.self) {
            try Model(layers: [InputLayer(name: "data", shape: [8, 8, 3]), pool, SoftmaxCrossEntropyLayer(name: "out", source: "pool")])
        }
    }

    @Test func tooManyFiltersForTheInput() {
        let conv = ConvolutionLayer(name: "conv", source: "data", filters: 1 << 30, kernel: 3)
        let e = #expect(throws: EngineError.self) {
            try Model(layers: [InputLayer(name: "data", shape: [64, 64, 3]), conv, SoftmaxCrossEntropyLayer(name: "out", source: "conv")])
        }
        #expect(e?.code == .tooLarge, "\(String(describing: e))")
    }
}

/// `Model.estimatedBytes` against what the engine actually holds after a training step.
@Suite("Memory estimate")
struct MemoryEstimateTests {
    static func layers() -> [Layer] {
        [
            InputLayer(name: "data", shape: [16, 16, 3]),
            ConvolutionLayer(name: "conv1", source: "data", filters: 8, kernel: 3, bias: false),
            BatchNormLayer(name: "bn1", source: "conv1", activation: .relu),
            ConvolutionLayer(name: "conv2", source: "bn1", filters: 8, kernel: 3, activation: .relu),
            ResidualLayer(name: "res", sources: ["conv2", "bn1"]),
            PoolingLayer(name: "pool", source: "res", mode: .max, kernel: 2),
            DropoutLayer(name: "drop", source: "pool", rate: 0.25),
            FullyConnectedLayer(name: "fc", source: "drop", outputs: 5),
            SoftmaxCrossEntropyLayer(name: "out", source: "fc"),
        ]
    }

    /// Tolerance: the estimate of the engine's own buffers is never below what the engine holds after
    /// a training step (or an inference forward), and at most 25% above it (scratch a layer may skip).
    @Test(arguments: [1, 4, 8])
    func trainingEstimateMatchesAllocations(batch: Int) throws {
        let before = try Model.estimate(layers: Self.layers(), batchSize: batch, training: true)
        let model = try Model(layers: Self.layers(), seed: 1)
        #expect(try model.estimatedBytes(batchSize: batch, training: true) == before)
        let x = randomTensor([batch, 16, 16, 3], seed: 3)
        let sgd = try SGD(model: model, options: SGDOptions(momentum: 0.9))
        try model.forward(x, training: true)
        try model.backward(labels: (0..<batch).map { $0 % 5 })
        sgd.step(model, rate: 0.01)
        let actual = model.allocatedBytes + model.parameterCount * 4 + x.capacity * 4   // + momentum + input batch
        let estimated = before.total - before.backend
        #expect(estimated >= actual && Double(estimated) <= 1.25 * Double(actual), "estimate \(before), engine holds \(actual)")
    }

    @Test(arguments: [1, 8])
    func inferenceEstimateMatchesAllocations(batch: Int) throws {
        let cost = try Model.estimate(layers: Self.layers(), batchSize: batch, training: false)
        let model = try Model(layers: Self.layers(), seed: 1)
        let x = randomTensor([batch, 16, 16, 3], seed: 3)
        try model.forward(x, training: false)
        let actual = model.allocatedBytes + x.capacity * 4
        let estimated = cost.total - cost.backend
        #expect(estimated >= actual && Double(estimated) <= 1.25 * Double(actual), "estimate \(cost), engine holds \(actual)")
    }
}

@Suite("Hostile input: torch pickles")
struct HostileTorchTests {
    /// A legacy-format file: three scalar pickles, the state dict pickle, the key list, then storages.
    static func legacy(_ root: [UInt8], keys: [String], storages: [(count: UInt64, bytes: [UInt8])]) -> Data {
        let scalar: [UInt8] = [0x80, 0x02, 0x4B, 0x01, 0x2E]   // PROTO 2, BININT1 1, STOP
        var out = scalar + scalar + scalar + root
        out += [0x80, 0x02, 0x5D, 0x28]   // EMPTY_LIST, MARK
        for k in keys { out += [0x58] + le32(k.utf8.count) + Array(k.utf8) }
        out += [0x65, 0x2E]               // APPENDS, STOP
        for s in storages {
            out += withUnsafeBytes(of: s.count.littleEndian, Array.init)
            out += s.bytes
        }
        return Data(out)
    }

    static func le32(_ n: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(n).littleEndian, Array.init) }
    static func str(_ s: String) -> [UInt8] { [0x58] + le32(s.utf8.count) + Array(s.utf8) }
    static func int(_ i: Int32) -> [UInt8] { [0x4A] + withUnsafeBytes(of: i.littleEndian, Array.init) }

    /// {name: _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', n), offset, size, stride)}
    static func stateDict(offset: Int32, size: [Int32], stride: [Int32]) -> [UInt8] {
        var p: [UInt8] = [0x80, 0x02, 0x7D, 0x28] + str("w")                       // EMPTY_DICT MARK key
        p += [0x63] + Array("torch._utils\n_rebuild_tensor_v2\n".utf8)             // GLOBAL
        p += [0x28, 0x28] + str("storage") + [0x63] + Array("torch\nFloatStorage\n".utf8) + str("0") + str("cpu") + int(4) + [0x74, 0x51]
        p += int(offset) + [0x28] + size.flatMap(int) + [0x74] + [0x28] + stride.flatMap(int) + [0x74]
        p += [0x74, 0x52, 0x75, 0x2E]                                               // TUPLE REDUCE SETITEMS STOP
        return p
    }

    @Test func aWellFormedTinyFileReads() throws {
        let data = Self.legacy(Self.stateDict(offset: 0, size: [2, 2], stride: [2, 1]), keys: ["0"],
                               storages: [(4, [Float](repeating: 1.5, count: 4).withUnsafeBytes(Array.init))])
        let (tensors, _) = try TorchStateDict.read(data)
        #expect(tensors == [NamedTensor(name: "w", shape: [2, 2], values: [1.5, 1.5, 1.5, 1.5])])
    }

    struct Crafted: Sendable, CustomTestStringConvertible {
        var count: UInt64 = 4, offset: Int32 = 0, size: [Int32] = [2], stride: [Int32] = [1]
        var testDescription: String { "storage \(count), offset \(offset), size \(size), stride \(stride)" }
    }

    static let crafted: [Crafted] = [
        Crafted(count: .max), Crafted(count: 1 << 62), Crafted(offset: .max), Crafted(size: [.max, .max], stride: [1, 1]),
        Crafted(size: [2, 2], stride: [.max, 1]), Crafted(size: [8]), Crafted(offset: -1), Crafted(stride: [-1]),
        Crafted(size: [2, 2], stride: [1]),
    ]

    @Test("storage sizes, shapes, strides and offsets beyond the storage", arguments: crafted)
    func craftedTensor(_ c: Crafted) {
        let data = Self.legacy(Self.stateDict(offset: c.offset, size: c.size, stride: c.stride), keys: ["0"],
                               storages: [(c.count, [UInt8](repeating: 0, count: 16))])
        let e = #expect(throws: EngineError.self) { try TorchStateDict.read(data) }
        #expect(e?.code == .weightsFormat, "\(String(describing: e))")
    }

    @Test("a million nested tuples is refused, not a stack overflow")
    func deepNesting() {
        let root: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        let e = #expect(throws: EngineError.self) { try TorchStateDict.read(Self.legacy(root, keys: [], storages: [])) }
        #expect(e?.message.contains("nested deeper") == true, "\(String(describing: e))")
    }

    @Test("a dict that contains itself is not walked forever")
    func selfContainingDict() {
        // EMPTY_DICT BINPUT 0 MARK key BINGET 0 SETITEMS STOP
        let root: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x28] + Self.str("k") + [0x68, 0x00, 0x75, 0x2E]
        #expect(throws: EngineError.self) { try TorchStateDict.read(Self.legacy(root, keys: ["0"], storages: [(1, [0, 0, 0, 0])])) }
    }
}

#if canImport(CHDF5Shim)
@Suite("Hostile input: Caffe HDF5")
struct HostileCaffeTests {
    /// The flaky "truncated file accepted" failure, made deterministic: while one image is open, a
    /// truncated image used to be opened under the same in-memory file name, and HDF5 handed back the
    /// already open (valid) file. Each open now has its own name.
    @Test func aTruncatedFileOpenedWhileAValidOneIsOpenIsRefused() throws {
        let full = try CaffeFixture.weights
        let open = try full.withUnsafeBytes { try CaffeHDF5.File(image: $0, maxBytes: Int.max) }
        let e = #expect(throws: EngineError.self) { try CaffeHDF5.read(full.prefix(full.count / 2)) }
        #expect(e?.code == .weightsFormat)
        withExtendedLifetime(open) {}
    }

    /// The fc weight's dataspace (version 1, rank 2: dims [5, 64] then max dims [5, 64]) at byte 36552
    /// of the fixture, overwritten with other dimensions.
    static func withFCDims(_ dims: [UInt64]) throws -> Data {
        var data = try CaffeFixture.weights
        let at = 36552
        let original = [UInt64(5), 64, 5, 64].flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        try #require(Array(data[at..<(at + 32)]) == original, "the fixture's fc dataspace moved")
        let new = (dims + dims).flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        data.replaceSubrange(at..<(at + 32), with: new)
        return data
    }

    @Test("a dataspace of 2^40 elements, or 4 GB behind a 40 kB file, is refused before allocating",
          arguments: [[UInt64(1) << 20, 1 << 20], [1 << 15, 1 << 15], [UInt64.max, 2]])
    func hugeDataspace(_ dims: [UInt64]) throws {
        let data = try Self.withFCDims(dims)
        let e = #expect(throws: EngineError.self) { try CaffeHDF5.read(data) }
        #expect(e?.code == .weightsFormat, "\(String(describing: e))")
    }
}
#endif
