#if canImport(CHDF5Shim)   // see Sources/DLEngine/Weights/CaffeHDF5.swift
import Foundation
import Testing
@testable import DLEngine

/// The fixtures of scripts/fixtures/make_caffe_h5_fixtures.py: a tiny Caffe-named ResNet in DLPy's
/// "SAS-compatible HDF5" layout and PyTorch's eval-mode logits for a fixed input.
enum CaffeFixture {
    static func data(_ name: String, _ ext: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    static var weights: Data { get throws { try data("caffe_resnet_tiny.caffemodel", "h5") } }

    static var expected: [String: NamedTensor] {
        get throws {
            Dictionary(uniqueKeysWithValues: try WeightsFile.decode(data("caffe_resnet_tiny_expected", "dlew")).map { ($0.name, $0) })
        }
    }

    /// The graph of the fixture, with CAS "same" padding everywhere. `rename` changes layer names
    /// (e.g. to upper case), `change` replaces layers by name.
    static func layers(classes: Int = 5, rename: [String: String] = [:], change: [String: Layer] = [:]) -> [Layer] {
        func n(_ s: String) -> String { rename[s] ?? s }
        let all: [Layer] = [
            InputLayer(name: n("data"), shape: [32, 32, 3], offsets: [103.939, 116.779, 123.68]),
            ConvolutionLayer(name: n("conv1"), source: n("data"), filters: 8, kernel: 7, stride: 2, bias: true),
            BatchNormLayer(name: n("bn_conv1"), source: n("conv1"), activation: .relu),
            PoolingLayer(name: n("pool1"), source: n("bn_conv1"), mode: .max, kernel: 3, stride: 2),
            ConvolutionLayer(name: n("res2a_branch1"), source: n("pool1"), filters: 16, kernel: 1, stride: 2, bias: false),
            BatchNormLayer(name: n("bn2a_branch1"), source: n("res2a_branch1")),
            ConvolutionLayer(name: n("res2a_branch2a"), source: n("pool1"), filters: 4, kernel: 1, stride: 2, bias: false),
            BatchNormLayer(name: n("bn2a_branch2a"), source: n("res2a_branch2a"), activation: .relu),
            ConvolutionLayer(name: n("res2a_branch2b"), source: n("bn2a_branch2a"), filters: 4, kernel: 3, bias: false),
            BatchNormLayer(name: n("bn2a_branch2b"), source: n("res2a_branch2b"), activation: .relu),
            ConvolutionLayer(name: n("res2a_branch2c"), source: n("bn2a_branch2b"), filters: 16, kernel: 1, bias: false),
            BatchNormLayer(name: n("bn2a_branch2c"), source: n("res2a_branch2c")),
            ResidualLayer(name: n("res2a"), sources: [n("bn2a_branch2c"), n("bn2a_branch1")], activation: .relu),
            PoolingLayer(name: n("pool5"), source: n("res2a"), mode: .average, kernel: 2, stride: 2),
            FullyConnectedLayer(name: n("fc"), source: n("pool5"), outputs: classes),
            SoftmaxCrossEntropyLayer(name: n("prob"), source: n("fc")),
        ]
        return all.map { change[$0.name] ?? $0 }
    }

    static func input(_ expected: [String: NamedTensor]) throws -> Tensor {
        let x = try #require(expected["input"])
        return try Tensor(shape: x.shape, values: x.values)
    }
}

@Suite("Caffe HDF5 weights (DLPy/SAS layout)")
struct CaffeHDF5Tests {
    @Test("the reader returns every group below /data with its blobs in index order")
    func readsGroups() throws {
        let groups = try CaffeHDF5.read(CaffeFixture.weights)
        let byName = Dictionary(uniqueKeysWithValues: groups.map { ($0.name, $0) })
        #expect(groups.count == 20)
        #expect(byName["conv1"]?.blobs.map(\.shape) == [[8, 3, 7, 7], [8]])
        #expect(byName["bn_conv1"]?.blobs.map(\.name) == ["0", "1", "2"])
        #expect(byName["bn_conv1"]?.blob(2)?.values == [999.982])
        #expect(byName["bn_conv1_scale"]?.blobs.map(\.shape) == [[8], [8]])
        #expect(byName["fc"]?.blobs.map(\.shape) == [[5, 64], [5]])
        #expect(byName["pool1"]?.blobs == [])
        #expect(byName["data"]?.blobs == [])
    }

    @Test("headers alone map like the whole file: same problems, declared bytes, and only used groups are read")
    func headersFirst() throws {
        let model = try Model(layers: CaffeFixture.layers(classes: 2, rename: ["fc": "fc_new"]), seed: 3)
        let headers = try CaffeHDF5.read(CaffeFixture.weights, values: .none)
        #expect(headers.allSatisfy { $0.blobs.allSatisfy(\.values.isEmpty) })
        let planned = CaffeHDF5.map(headers, onto: model)
        let whole = CaffeHDF5.map(try CaffeHDF5.read(CaffeFixture.weights), onto: model)
        #expect(planned.problems == whole.problems && planned.initialLayers == whole.initialLayers && planned.ignoredGroups == whole.ignoredGroups)
        #expect(planned.declaredBytes == whole.tensors.reduce(0) { $0 + 4 * $1.values.count })
        #expect(!planned.usedGroups.contains("fc"), "the replaced head's group is not read")
        let read = try CaffeHDF5.read(CaffeFixture.weights, values: .groups(planned.usedGroups))
        #expect(read.allSatisfy { planned.usedGroups.contains($0.name) != $0.blobs.allSatisfy(\.values.isEmpty) })
    }

    @Test("imported weights reproduce PyTorch's eval-mode logits", arguments: [ConvBackend.oneDNN, .im2col])
    func parity(_ backend: ConvBackend) throws {
        let expected = try CaffeFixture.expected
        // Layer names in another case match too (CAS stores them lower-case, DLPy sends Caffe's).
        let model = try Model(layers: CaffeFixture.layers(rename: ["conv1": "Conv1", "bn2a_branch2b": "BN2a_Branch2b"]), seed: 3)
        for case let conv as ConvolutionLayer in model.layers { conv.backend = backend }
        let result = try model.loadCaffeWeights(CaffeFixture.weights)
        #expect(result.initialLayers.isEmpty && result.ignoredGroups.isEmpty && result.problems.isEmpty)
        #expect(result.tensors.count == 2 + 4 + 4 + 4 * 4 + 2)   // conv1 + bias, bn_conv1, 4 convs, 4 batch norms, fc
        // BN statistics were divided by f (999.982 in bn_conv1, 0.5 in bn2a_branch2a).
        let groups = Dictionary(uniqueKeysWithValues: try CaffeHDF5.read(CaffeFixture.weights).map { ($0.name, $0) })
        let mean = try #require(model.layer(named: "bn2a_branch2a")?.buffers.first { $0.name == "running_mean" })
        #expect(zip(Array(mean.value), groups["bn2a_branch2a"]!.blob(0)!.values).allSatisfy { abs($0 - $1 / 0.5) < 1e-6 })

        let probs = try model.forward(CaffeFixture.input(expected), training: false).array
        let logits = try #require(model.activation(of: "fc")).array
        let d = scaledMaxDiff(logits, try #require(expected["logits"]).values)
        #expect(d < 1e-4, "logits: max scaled difference \(d)")
        let dp = scaledMaxDiff(probs, try #require(expected["probabilities"]).values)
        #expect(dp < 1e-5, "probabilities: max scaled difference \(dp)")
    }

    @Test("a new output layer keeps its initial values; unused groups are listed")
    func newHead() throws {
        let model = try Model(layers: CaffeFixture.layers(classes: 2, rename: ["fc": "fc_new"]), seed: 3)
        let before = Array(try #require(model.layer(named: "fc_new")).parameters[0].value)
        let result = try model.loadCaffeWeights(CaffeFixture.weights)
        #expect(result.initialLayers == ["fc_new"])
        #expect(result.ignoredGroups == ["fc"])
        #expect(Array(model.layer(named: "fc_new")!.parameters[0].value) == before)
        #expect(!result.tensors.contains { $0.name.hasPrefix("fc_new.") })
        // The head can also be skipped explicitly (a classifier with another number of classes).
        let other = try Model(layers: CaffeFixture.layers(classes: 2), seed: 3)
        let skipped = try other.loadCaffeWeights(CaffeFixture.weights, skipLayers: ["fc"])
        #expect(skipped.initialLayers == ["fc"] && skipped.ignoredGroups.isEmpty)
    }

    @Test("shape mismatches are listed with the model's and the file's shapes, nothing is loaded")
    func wrongShape() throws {
        let model = try Model(layers: CaffeFixture.layers(classes: 3), seed: 3)
        let before = model.parameters.array + model.buffers.array
        let e = try #require(throws: EngineError.self) { try model.loadCaffeWeights(CaffeFixture.weights) }
        #expect(e.code == .weightsMismatch)
        #expect(e.message.contains("fc/0 (weight): model [3, 64], file [5, 64]"), "\(e.message)")
        #expect(e.message.contains("fc/1 (bias): model [3], file [5]"), "\(e.message)")
        #expect(model.parameters.array + model.buffers.array == before)
        // A convolution with another number of filters: its own blobs and the next batch norm's.
        let narrow = try Model(layers: CaffeFixture.layers(change: [
            "res2a_branch2b": ConvolutionLayer(name: "res2a_branch2b", source: "bn2a_branch2a", filters: 6, kernel: 3, bias: false),
            "bn2a_branch2b": BatchNormLayer(name: "bn2a_branch2b", source: "res2a_branch2b", activation: .relu),
        ]))
        let e2 = try #require(throws: EngineError.self) { try narrow.loadCaffeWeights(CaffeFixture.weights) }
        #expect(e2.message.contains("res2a_branch2b/0 (weight): model [6, 4, 3, 3], file [4, 4, 3, 3]"), "\(e2.message)")
        #expect(e2.message.contains("bn2a_branch2b/0 (mean·f): model [6], file [4]"), "\(e2.message)")
        #expect(e2.message.contains("bn2a_branch2b_scale/1 (bias): model [6], file [4]"), "\(e2.message)")
        #expect(e2.message.contains("res2a_branch2c/0 (weight): model [16, 6, 1, 1], file [16, 4, 1, 1]"), "\(e2.message)")
    }

    @Test("missing groups and datasets, unexpected biases: one error listing all of them")
    func missing() throws {
        let model = try Model(layers: CaffeFixture.layers(rename: ["res2a_branch2b": "res2a_branch2x", "bn_conv1": "bn_first"], change: [
            "res2a_branch1": ConvolutionLayer(name: "res2a_branch1", source: "pool1", filters: 16, kernel: 1, stride: 2, bias: true),
            "conv1": ConvolutionLayer(name: "conv1", source: "data", filters: 8, kernel: 7, stride: 2, bias: false),
        ]))
        let e = try #require(throws: EngineError.self) { try model.loadCaffeWeights(CaffeFixture.weights) }
        #expect(e.code == .weightsMismatch)
        #expect(e.message.contains("no group 'res2a_branch2x' for convolution layer res2a_branch2x"), "\(e.message)")
        #expect(e.message.contains("no group 'bn_first' for batch norm layer bn_first"), "\(e.message)")
        #expect(e.message.contains("no group 'bn_first_scale'"), "\(e.message)")
        #expect(e.message.contains("res2a_branch1/1 (bias [16]) is missing"), "\(e.message)")
        #expect(e.message.contains("conv1/1: the file has a bias [8] but convolution layer conv1 has none"), "\(e.message)")
        #expect(e.message.contains("Layers that would get no weights: bn_first, res2a_branch2x"), "\(e.message)")
        #expect(e.message.contains("Groups in the file that no layer uses: bn_conv1, bn_conv1_scale, res2a_branch2b"), "\(e.message)")
    }

    @Test("Caffe's own Scale names (scale_conv1 for bn_conv1) are accepted")
    func caffeScaleNames() throws {
        var groups = try CaffeHDF5.read(CaffeFixture.weights)
        for i in groups.indices where groups[i].name.hasSuffix("_scale") {
            groups[i].name = "scale" + groups[i].name.dropFirst(2).dropLast(6)
        }
        #expect(groups.contains { $0.name == "scale_conv1" } && groups.contains { $0.name == "scale2a_branch2c" })
        let model = try Model(layers: CaffeFixture.layers())
        let mapped = CaffeHDF5.map(groups, onto: model)
        #expect(mapped.problems.isEmpty && mapped.ignoredGroups.isEmpty, "\(mapped.problems)")
    }

    @Test("legacy 4-D Caffe blob shapes with singleton axes are accepted; f = 0 zeroes the statistics as Caffe")
    func legacyShapes() throws {
        var groups = try CaffeHDF5.read(CaffeFixture.weights)
        for i in groups.indices where groups[i].name == "bn_conv1" || groups[i].name == "fc" {
            for j in groups[i].blobs.indices {
                groups[i].blobs[j].shape = [1, 1] + groups[i].blobs[j].shape
                if groups[i].name == "bn_conv1" && j == 2 { groups[i].blobs[j].values = [0] }
            }
        }
        let model = try Model(layers: CaffeFixture.layers())
        let mapped = CaffeHDF5.map(groups, onto: model)
        #expect(mapped.problems.isEmpty, "\(mapped.problems)")
        let mean = try #require(mapped.tensors.first { $0.name == "bn_conv1.running_mean" })
        #expect(mean.shape == [8] && mean.values.allSatisfy { $0 == 0 })
    }

    @Test("the fc input axis goes from Caffe's C·H·W order to the engine's H·W·C")
    func fcPermutation() throws {
        let model = try Model(layers: CaffeFixture.layers())
        let mapped = CaffeHDF5.map(try CaffeHDF5.read(CaffeFixture.weights), onto: model)
        let file = try #require(try CaffeHDF5.read(CaffeFixture.weights).first { $0.name == "fc" }?.blob(0))
        let engine = try #require(mapped.tensors.first { $0.name == "fc.weight" })
        // pool5 output [2, 2, 16]: engine column (y·2 + x)·16 + c = Caffe column c·4 + y·2 + x.
        for o in 0..<5 { for y in 0..<2 { for x in 0..<2 { for c in 0..<16 {
            #expect(engine.values[o * 64 + (y * 2 + x) * 16 + c] == file.values[o * 64 + c * 4 + y * 2 + x])
        } } } }
    }

    @Test("files that are not HDF5, truncated or without /data are refused with a clear error")
    func badFiles() throws {
        let notHDF5 = try #require(throws: EngineError.self) { try CaffeHDF5.read(Data("not an HDF5 file at all".utf8)) }
        #expect(notHDF5.code == .weightsFormat && notHDF5.message.contains("not an HDF5 file"), "\(notHDF5)")
        #expect(throws: EngineError.self) { try CaffeHDF5.read(Data()) }
        // A torch file is not an HDF5 file either.
        #expect(throws: EngineError.self) { try CaffeHDF5.read(CaffeFixture.data("torch_zip", "pth")) }
        let full = try CaffeFixture.weights
        for keep in [8, 100, 1000, full.count / 2, full.count - 1] {
            let e = try #require(throws: EngineError.self, "kept \(keep) bytes") { try CaffeHDF5.read(full.prefix(keep)) }
            #expect(e.code == .weightsFormat, "kept \(keep): \(e)")
        }
        let truncated = try #require(throws: EngineError.self) { try CaffeHDF5.read(full.prefix(full.count / 2)) }
        #expect(truncated.message.contains("truncated"), "\(truncated.message)")
        // The same bytes after a 512-byte user block are still read (HDF5 looks at 0, 512, 1024, ...).
        var shifted = Data(count: 512)
        shifted.append(full)
        #expect((try CaffeHDF5.read(shifted)).count == 20)
        let model = try Model(layers: CaffeFixture.layers())
        let before = model.parameters.array + model.buffers.array
        #expect(throws: EngineError.self) { try model.loadCaffeWeights(full.prefix(full.count / 2)) }
        #expect(model.parameters.array + model.buffers.array == before)
    }
}
#endif
