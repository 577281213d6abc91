import Foundation
import Testing
@testable import DLEngine

/// The YOLO v2 detection output: its loss against a hand-computed case, gradients against finite differences,
/// non-maximum suppression on hand-made boxes, and a small model that learns where a square is.
@Suite("YOLO v2 detection")
struct DetectionTests {
    func layer(_ o: YoloOptions, rows: Int, cols: Int) throws -> YoloDetectionLayer {
        let l = YoloDetectionLayer(name: "det", source: "x", options: o)
        l.inputShapes = [[rows, cols, o.predictionsPerCell * o.valuesPerPrediction]]
        l.outputShape = try l.inferShape(l.inputShapes)
        return l
    }

    @Test func theLossOfOneBoxMatchesTheFormulaWorkedByHand() throws {
        // One cell, one anchor of 1×1 cells, two classes; raw values 0 decode to a centred box of the anchor's size,
        // objectness 0.5, class probabilities 0.5 each.
        let l = try layer(YoloOptions(classes: 2, anchors: [1, 1]), rows: 1, cols: 1)
        let raw = try Tensor(shape: [1, 1, 1, 7]), decoded = try Tensor(shape: [1, 1, 1, 7])
        try l.forward([raw], decoded, ForwardContext(training: true))
        #expect(decoded.array == [0.5, 0.5, 1, 1, 0.5, 0.5, 0.5])
        let truth: [Float] = [1, 0.25, 0.75, 0.5, 0.25]
        let r = l.loss(raw: raw, decoded: decoded, targets: truth + [Float](repeating: -1, count: 5 * 29))
        let scale = 1.0 * (2 - 0.5 * 0.25)
        let coords = scale * (pow(0.5 - 0.25, 2) + pow(0.5 - 0.75, 2))
        let sizes = scale * (pow(1 - 0.5.squareRoot(), 2) + pow(1 - 0.25.squareRoot(), 2))
        let expected = coords + sizes + 5 * pow(0.5 - 1, 2) + -log(0.5)
        #expect(abs(r.loss - expected) < 1e-5, "loss \(r.loss), by hand \(expected)")
        #expect(r.truths == 1 && r.errors == 1)   // IoU of the 1×1 prediction with the truth is 0.125
        // Without truth boxes only the "no object" term is left: 1 · 0.5².
        let empty = l.loss(raw: raw, decoded: decoded, targets: [Float](repeating: -1, count: 150))
        #expect(abs(empty.loss - 0.25) < 1e-6 && empty.truths == 0)
    }

    func harness(_ o: YoloOptions, targets: [Float]) throws -> LayerHarness {
        let (rows, cols, n) = (3, 3, 2)
        let l = YoloDetectionLayer(name: "det", source: "x", options: o)
        l.targets = targets
        return try LayerHarness(l, inputShapes: [[rows, cols, o.predictionsPerCell * o.valuesPerPrediction]], batch: n, customLoss: { h in
            let d = h.layer as! YoloDetectionLayer
            return d.loss(raw: h.inputs[0], decoded: h.output, targets: d.targets).loss
        })
    }

    /// Two images on a 3×3 grid with two anchors: three truth boxes in the first, one in the second.
    var boxes: [Float] {
        let pad = [Float](repeating: -1, count: 5)
        let first: [Float] = [0, 0.2, 0.3, 0.3, 0.4, 2, 0.7, 0.8, 0.2, 0.15, 1, 0.5, 0.5, 0.6, 0.6] + pad
        let second: [Float] = [1, 0.35, 0.6, 0.25, 0.5] + pad + pad + pad
        return first + second
    }

    @Test(arguments: [(true, true), (false, false), (true, false)])
    func gradientsMatchFiniteDifferences(softmax: Bool, sqrt: Bool) throws {
        let o = YoloOptions(classes: 3, anchors: [1, 1.5, 2, 1], softmaxClasses: softmax, doSqrt: sqrt, coordScale: 1.5,
                            objectScale: 4, noObjectScale: 0.7, classScale: 1.2, maxLabels: 4)
        let h = try harness(o, targets: boxes)
        try h.check(samples: 40, eps: 1e-3)
    }

    @Test func nonMaximumSuppressionKeepsTheBestBoxOfEachOverlappingGroupPerClass() {
        func d(_ c: Int, _ s: Float, _ x: Float) -> Detection { Detection(classIndex: c, score: s, box: DetectionBox(x: x, y: 0.5, w: 0.2, h: 0.2)) }
        // IoU of boxes shifted by 0.02: 0.18·0.2/(0.08 − 0.036) ≈ 0.82; by 0.3: 0.
        let kept = YoloDetectionLayer.nonMaximumSuppression([d(0, 0.6, 0.3), d(0, 0.9, 0.32), d(1, 0.5, 0.31), d(0, 0.7, 0.6), d(0, 0.95, 0.62)],
                                                            iouThreshold: 0.45, maxBoxes: 10)
        #expect(kept == [d(0, 0.95, 0.62), d(0, 0.9, 0.32), d(1, 0.5, 0.31)])
        // a looser threshold keeps the overlapping ones too; maxBoxes cuts best first
        #expect(YoloDetectionLayer.nonMaximumSuppression([d(0, 0.6, 0.3), d(0, 0.9, 0.32)], iouThreshold: 0.9, maxBoxes: 10).count == 2)
        #expect(YoloDetectionLayer.nonMaximumSuppression([d(0, 0.6, 0.3), d(0, 0.9, 0.62), d(0, 0.8, 0.9)], iouThreshold: 0.45, maxBoxes: 2)
                    == [d(0, 0.9, 0.62), d(0, 0.8, 0.9)])
    }

    @Test func shapesAndOptionsAreChecked() throws {
        #expect(throws: EngineError.self) { try layer(YoloOptions(classes: 2, anchors: [1, 1]), rows: 2, cols: 2).inferShape([[2, 2, 8]]) }
        #expect(throws: EngineError.self) { try layer(YoloOptions(classes: 2, anchors: [1]), rows: 2, cols: 2) }
        #expect(throws: EngineError.self) { try layer(YoloOptions(classes: 2, anchors: [1, -1]), rows: 2, cols: 2) }
        #expect(throws: EngineError.self) { try layer(YoloOptions(classes: 0, anchors: [1, 1]), rows: 2, cols: 2) }
    }

    /// 8×8 images, each black but for one bright pixel; its box (detection) or its mask pixel (segmentation) is the
    /// target. After a training forward with random flips, the targets the loss saw must sit where the bright pixel
    /// of the augmented image is.
    @Test(arguments: [false, true])
    func randomFlipsMoveBoxesAndMasksWithTheImage(segmentation: Bool) throws {
        let (n, side) = (12, 8)
        var rng = Xoshiro256(seed: 4), values: [Float] = [], boxes: [Float] = [], masks: [Int] = [], pixels: [(Int, Int)] = []
        for _ in 0..<n {
            let (px, py) = (Int(rng.next() % 8), Int(rng.next() % 8))
            pixels.append((px, py))
            values += (0..<(side * side)).map { $0 == py * side + px ? 1 : 0 }
            boxes += [0, (Float(px) + 0.5) / 8, (Float(py) + 0.5) / 8, 0.25, 0.25] + [-1, 0, 0, 0, 0]
            masks += (0..<(side * side)).map { $0 == py * side + px ? 1 : 0 }
        }
        let input = InputLayer(name: "data", shape: [side, side, 1], augmentation: Augmentation(flip: .both, seed: 9))
        let o = YoloOptions(classes: 2, anchors: [1, 1], maxLabels: 2)
        let model = try Model(layers: [
            input,
            ConvolutionLayer(name: "head", source: "data", filters: segmentation ? 2 : o.valuesPerPrediction, kernel: 1, activation: .identity),
            segmentation ? SoftmaxCrossEntropyLayer(name: "out", source: "head", perPosition: true) : YoloDetectionLayer(name: "out", source: "head", options: o),
        ], seed: 1)
        let data: DataSource = segmentation ? MaskDataSource(values: values, masks: masks, sampleShape: [side, side, 1], positions: side * side)
                                            : BoxDataSource(values: values, targets: boxes, sampleShape: [side, side, 1], maxLabels: 2)
        let batch = try Tensor(shape: [n, side, side, 1])
        data.fill(Array(0..<n)[...], into: batch)
        try model.forward(batch, training: true)
        _ = try Trainer.lossAndBackward(model, data, Array(0..<n)[...])
        let seen = try #require(model.activation(of: "data"))
        var moved = 0
        for k in 0..<n {
            let image = (0..<(side * side)).map { seen[k * side * side + $0] }
            let bright = image.indices.max { image[$0] < image[$1] }!
            let (bx, by) = (bright % side, bright / side)
            if (bx, by) != pixels[k] { moved += 1 }
            if segmentation {
                let labels = (model.outputLayer as! SoftmaxCrossEntropyLayer).labels
                #expect(labels[(k * side * side)..<((k + 1) * side * side)].firstIndex(of: 1)! - k * side * side == bright, "sample \(k)")
            } else {
                let t = (model.outputLayer as! YoloDetectionLayer).targets
                #expect(abs(t[k * 10 + 1] - (Float(bx) + 0.5) / 8) < 1e-6 && abs(t[k * 10 + 2] - (Float(by) + 0.5) / 8) < 1e-6, "sample \(k)")
            }
        }
        #expect(moved >= 3, "only \(moved) of \(n) images were flipped")
    }

    @Test func aSmallDetectorLearnsWhereTheSquareIs() throws {
        // 16×16 gray images with one bright square (side 4–7) of class 0 (on the left half) or 1 (right half). Seeded.
        var rng = Xoshiro256(seed: 17)
        let (count, side, maxLabels) = (32, 16, 2)
        var values: [Float] = [], targets: [Float] = [], truth: [DetectionBox] = []
        for _ in 0..<count {
            let s = 4 + Int(rng.nextUniform() * 4), x0 = Int(rng.nextUniform() * Float(side - s)), y0 = Int(rng.nextUniform() * Float(side - s))
            for y in 0..<side {
                for x in 0..<side { values.append((x >= x0 && x < x0 + s && y >= y0 && y < y0 + s ? 0.9 : 0.1) + (rng.nextUniform() - 0.5) * 0.1) }
            }
            let box = DetectionBox(x: (Float(x0) + Float(s) / 2) / Float(side), y: (Float(y0) + Float(s) / 2) / Float(side),
                                   w: Float(s) / Float(side), h: Float(s) / Float(side))
            truth.append(box)
            targets += [box.x < 0.5 ? 0 : 1, box.x, box.y, box.w, box.h] + [-1, 0, 0, 0, 0]
        }
        let data = BoxDataSource(values: values, targets: targets, sampleShape: [side, side, 1], maxLabels: maxLabels)
        let o = YoloOptions(classes: 2, anchors: [1.5, 1.5], maxLabels: maxLabels)
        let model = try Model(layers: [
            InputLayer(name: "data", shape: [side, side, 1]),
            ConvolutionLayer(name: "c1", source: "data", filters: 8, kernel: 3, activation: .relu),
            PoolingLayer(name: "p1", source: "c1", mode: .max, kernel: 2, stride: 2),
            ConvolutionLayer(name: "c2", source: "p1", filters: 16, kernel: 3, activation: .relu),
            PoolingLayer(name: "p2", source: "c2", mode: .max, kernel: 2, stride: 2),
            ConvolutionLayer(name: "c3", source: "p2", filters: 16, kernel: 3, activation: .relu),
            ConvolutionLayer(name: "head", source: "c3", filters: o.valuesPerPrediction, kernel: 1, activation: .identity),
            YoloDetectionLayer(name: "det", source: "head", options: o),
        ], seed: 5)
        let result = try Trainer.train(model, data: data, options: TrainingOptions(epochs: 60, batchSize: 4, learningRate: 0.02,
                                                                                 sgd: SGDOptions(momentum: 0.9), seed: 3))
        let first = try #require(result.history.first), last = try #require(result.history.last)
        #expect(last.loss < first.loss / 3, "loss \(first.loss) → \(last.loss)")
        let (probabilities, _) = try Trainer.predict(model, data: data, batchSize: 8)
        let decoded = try Tensor(shape: [count, 4, 4, o.valuesPerPrediction], values: probabilities)
        let det = model.outputLayer as! YoloDetectionLayer
        var hits = 0
        for n in 0..<count {
            let found = det.detections(decoded, sample: n, threshold: 0.3, iouThreshold: 0.45, maxBoxes: 5)
            if let best = found.first, best.box.iou(truth[n]) >= 0.5, best.classIndex == (truth[n].x < 0.5 ? 0 : 1) { hits += 1 }
        }
        #expect(hits >= count * 3 / 4, "\(hits) of \(count) squares found (IoU ≥ 0.5, right class)")
        #expect(last.error < first.error, "missed share \(first.error) → \(last.error)")
    }
}
