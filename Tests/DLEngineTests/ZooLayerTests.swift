import Testing
@testable import DLEngine

/// The layers DLPy's model zoo needs beyond ResNet (scale, channel shuffle, reshape) against naive
/// definitions, and the input layer's training augmentation. Gradients: LayerGradientTests.
@Suite("Zoo layers and augmentation")
struct ZooLayerTests {
    /// Runs one layer forward on `x` (per-sample `shapes`, batch `n`).
    func run(_ layer: Layer, _ xs: [[Float]], _ shapes: [[Int]], batch n: Int, training: Bool = false, step: UInt64 = 0) throws -> [Float] {
        layer.inputShapes = shapes
        layer.outputShape = try layer.inferShape(shapes)
        let fed = (layer as? InputLayer).map { [$0.shape] } ?? shapes   // an input layer is fed the data batch
        let inputs = try zip(xs, fed).map { try Tensor(shape: [n] + $0.1, values: $0.0) }
        let y = try Tensor(shape: [n] + layer.outputShape)
        try layer.forward(inputs, y, ForwardContext(training: training, step: step))
        return y.array
    }

    @Test func channelShuffleInterleavesTheGroupsAsShuffleNetDoes() throws {
        // ShuffleNet: view the channels as [groups, C/groups], transpose, flatten.
        let (h, w, c, g) = (2, 3, 6, 3)
        let x = (0..<(2 * h * w * c)).map(Float.init)
        let y = try run(ChannelShuffleLayer(name: "cs", source: "x", groups: g), [x], [[h, w, c]], batch: 2)
        for p in 0..<(2 * h * w) {
            let pixel = Array(x[(p * c)..<((p + 1) * c)])
            let grid = (0..<g).map { Array(pixel[($0 * c / g)..<(($0 + 1) * c / g)]) }
            let expected = (0..<(c / g)).flatMap { j in grid.map { $0[j] } }
            #expect(Array(y[(p * c)..<((p + 1) * c)]) == expected)
        }
        #expect(throws: EngineError.self) { try run(ChannelShuffleLayer(name: "cs", source: "x", groups: 4), [x], [[h, w, c]], batch: 2) }
    }

    @Test func reshapeKeepsCASChannelMajorOrder() throws {
        // Naive: NHWC → C×H×W sequence → read as depth×height×width → NHWC.
        let (hi, wi, ci) = (2, 3, 4), out = [4, 2, 3]
        let x = randomArray(2 * hi * wi * ci, seed: 3)
        let y = try run(ReshapeLayer(name: "r", source: "x", shape: out), [x], [[hi, wi, ci]], batch: 2)
        for n in 0..<2 {
            var chw: [Float] = []
            for c in 0..<ci { for h in 0..<hi { for w in 0..<wi { chw.append(x[n * 24 + (h * wi + w) * ci + c]) } } }
            for h in 0..<out[0] { for w in 0..<out[1] { for d in 0..<out[2] {
                #expect(y[n * 24 + (h * out[1] + w) * out[2] + d] == chw[d * out[0] * out[1] + h * out[1] + w])
            } } }
        }
        #expect(throws: EngineError.self) { try run(ReshapeLayer(name: "r", source: "x", shape: [5, 5, 1]), [x], [[hi, wi, ci]], batch: 2) }
    }

    @Test func scaleMultipliesEachChannelByItsFactor() throws {
        let x = randomArray(2 * 2 * 2 * 3, seed: 4), f: [Float] = [1, 2, -3, 0.5, 0, 4]
        let y = try run(ScaleLayer(name: "s", sources: ["x", "f"]), [x, f], [[2, 2, 3], [1, 1, 3]], batch: 2)
        for i in 0..<x.count { #expect(y[i] == x[i] * f[(i / 12) * 3 + i % 3]) }
        #expect(throws: EngineError.self) { try run(ScaleLayer(name: "s", sources: ["x", "f"]), [x, [1, 2]], [[2, 2, 3], [1, 1, 2]], batch: 1) }
    }

    /// An image whose every value is distinct: [h, w, c].
    func ramp(_ h: Int, _ w: Int, _ c: Int) -> [Float] { (0..<(h * w * c)).map { Float($0) } }

    @Test func horizontalFlipMirrorsSomeImagesAndLeavesTheOthers() throws {
        let (h, w, c, n) = (3, 4, 2, 16)
        let image = ramp(h, w, c), x = (0..<n).flatMap { _ in image }
        var mirrored = image
        Augmentation.mirror(&mirrored, h, w, c, horizontally: true)
        #expect(mirrored[0..<c] == image[((w - 1) * c)..<(w * c)])
        let layer = InputLayer(name: "in", shape: [h, w, c], augmentation: Augmentation(flip: .horizontal, seed: 9))
        let y = try run(layer, [x], [], batch: n, training: true, step: 5)
        let samples = (0..<n).map { Array(y[($0 * image.count)..<(($0 + 1) * image.count)]) }
        let flipped = samples.filter { $0 == mirrored }.count, kept = samples.filter { $0 == image }.count
        #expect(flipped + kept == n && flipped > 0 && kept > 0, "flipped \(flipped), kept \(kept)")
        // The same seed and step draw the same flips; inference never augments.
        #expect(try run(layer, [x], [], batch: n, training: true, step: 5) == y)
        #expect(try run(layer, [x], [], batch: n, training: false, step: 5) == x)
    }

    @Test func verticalFlipMirrorsRows() throws {
        var image = ramp(3, 2, 1)
        Augmentation.mirror(&image, 3, 2, 1, horizontally: false)
        #expect(image == [4, 5, 2, 3, 0, 1])
    }

    @Test func randomResizedCropStaysInsideTheImageValuesAndVariesBySample() throws {
        let (h, w, c, n) = (8, 8, 1, 8)
        let image = ramp(h, w, c), x = (0..<n).flatMap { _ in image }
        let layer = InputLayer(name: "in", shape: [h, w, c], augmentation: Augmentation(crop: .randomResized, seed: 2))
        let y = try run(layer, [x], [], batch: n, training: true, step: 1)
        #expect(y.allSatisfy { $0 >= 0 && $0 <= Float(h * w - 1) })
        let samples = Set((0..<n).map { Array(y[($0 * image.count)..<(($0 + 1) * image.count)]) })
        #expect(samples.count > 1)
        // A crop zooms in: the value range of a cropped sample is no wider than the image's.
        #expect(samples.contains { $0 != image })
        // UNIQUE on images of the input size changes nothing (the only size the engine receives).
        let unique = InputLayer(name: "in", shape: [h, w, c], augmentation: Augmentation(crop: .unique, seed: 2))
        #expect(try run(unique, [x], [], batch: n, training: true, step: 1) == x)
    }

    @Test func mutationChangesBrightnessAndContrastWithinBounds() throws {
        let (h, w, c) = (4, 4, 3)
        let image = ramp(h, w, c)
        let layer = InputLayer(name: "in", shape: [h, w, c], augmentation: Augmentation(mutation: true, seed: 1))
        let y = try run(layer, [image], [], batch: 1, training: true, step: 2)
        #expect(y != image)
        // y = (x − mean)·k + mean + b with k in [0.75, 1.25]: differences between values scale by k.
        let k = (y[1] - y[0]) / (image[1] - image[0])
        #expect(k >= 0.75 && k <= 1.25)
        for i in 1..<image.count { #expect(abs((y[i] - y[0]) - k * (image[i] - image[0])) < 1e-3) }
    }

    @Test(arguments: [(3, 2, 1, 1), (4, 2, 0, 0), (3, 1, 1, 0), (2, 3, 0, 2)])
    func transposedConvolutionMatchesItsDefinition(_ k: Int, _ stride: Int, _ pad: Int, _ outPad: Int) throws {
        // Naive: every input value spreads kernel·value over the output window it maps to (torch's ConvTranspose2d).
        let (n, h, w, c, f) = (2, 3, 4, 3, 2)
        let layer = TransposedConvolutionLayer(name: "t", source: "x", filters: f, kernel: k, stride: stride, padding: pad, outputPadding: outPad)
        layer.inputShapes = [[h, w, c]]
        layer.outputShape = try layer.inferShape([[h, w, c]])
        let (oh, ow) = (layer.outputShape[0], layer.outputShape[1])
        #expect(oh == (h - 1) * stride - 2 * pad + k + outPad && ow == (w - 1) * stride - 2 * pad + k + outPad)
        let params = try Tensor(shape: [layer.parameterCount], values: randomArray(layer.parameterCount, seed: 11))
        let grads = try Tensor(shape: [layer.parameterCount]), buffers = try Tensor(shape: [0])
        layer.bind(values: params.base, grads: grads.base, buffers: buffers.base)
        let x = randomArray(n * h * w * c, seed: 12)
        let y = try run(layer, [x], [[h, w, c]], batch: n)
        let wt = Array(layer.param("weight").value), bias = Array(layer.param("bias").value)
        var expected = [Float](repeating: 0, count: n * oh * ow * f)
        for b in 0..<n { for i in 0..<h { for j in 0..<w { for ci in 0..<c { for fo in 0..<f { for u in 0..<k { for v in 0..<k {
            let (oy, ox) = (i * stride - pad + u, j * stride - pad + v)
            guard oy >= 0, oy < oh, ox >= 0, ox < ow else { continue }
            expected[((b * oh + oy) * ow + ox) * f + fo] += x[((b * h + i) * w + j) * c + ci] * wt[((ci * f + fo) * k + u) * k + v]
        } } } } } } }
        for p in 0..<(n * oh * ow) { for fo in 0..<f { expected[p * f + fo] += bias[fo] } }
        for i in expected.indices { #expect(abs(y[i] - expected[i]) < 1e-4, "value \(i)") }
    }

    @Test func perPixelSoftmaxGradientsMatchFiniteDifferences() throws {
        let (n, h, w, k) = (2, 3, 2, 3)
        let labels = (0..<(n * h * w)).map { ($0 * 7 + 1) % k }
        let layer = SoftmaxCrossEntropyLayer(name: "seg", source: "x", classWeights: [1, 2, 0.5], perPosition: true)
        layer.labels = labels
        let harness = try LayerHarness(layer, inputShapes: [[h, w, k]], batch: n, customLoss: { h in
            (h.layer as! SoftmaxCrossEntropyLayer).lossAndErrors(logits: h.inputs[0], probabilities: h.output, labels: labels).loss
        })
        #expect(layer.outputShape == [h, w, k] && layer.positions == h * w)
        try harness.check(samples: 12, eps: 1e-3)
    }

    @Test func aSmallSegmentationModelLearnsAMask() throws {
        // 8×8 gray images of random bright blobs; class 1 where a pixel is bright. Seeded.
        var rng = Xoshiro256(seed: 21)
        let (count, side) = (24, 8)
        var values: [Float] = [], masks: [Int] = []
        for _ in 0..<count {
            let (cx, cy, r) = (Int(rng.nextUniform() * 8), Int(rng.nextUniform() * 8), 1 + Int(rng.nextUniform() * 3))
            for y in 0..<side {
                for x in 0..<side {
                    let inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r
                    values.append((inside ? 0.8 : 0.2) + (rng.nextUniform() - 0.5) * 0.2)
                    masks.append(inside ? 1 : 0)
                }
            }
        }
        let data = MaskDataSource(values: values, masks: masks, sampleShape: [side, side, 1], positions: side * side)
        let model = try Model(layers: [
            InputLayer(name: "data", shape: [side, side, 1]),
            ConvolutionLayer(name: "conv1", source: "data", filters: 8, kernel: 3, activation: .relu),
            ConvolutionLayer(name: "conv2", source: "conv1", filters: 2, kernel: 1),
            SoftmaxCrossEntropyLayer(name: "seg", source: "conv2", perPosition: true),
        ], seed: 3)
        let result = try Trainer.train(model, data: data, options: TrainingOptions(epochs: 30, batchSize: 4, learningRate: 0.1, seed: 5))
        let first = try #require(result.history.first), last = try #require(result.history.last)
        #expect(last.loss < first.loss / 2, "loss \(first.loss) → \(last.loss)")
        let score = try Trainer.score(model, data: data, batchSize: 8)
        #expect(score.labels.count == count * side * side)
        #expect(score.errorRate < 0.05, "pixel error \(score.errorRate)")
        #expect(last.error < 0.05, "training pixel error \(last.error) is a share of pixels")
    }
}
