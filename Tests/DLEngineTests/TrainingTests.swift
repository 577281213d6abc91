import Foundation
import SeededRandom
import Testing
@testable import DLEngine

/// 4 classes of 8x8 single-channel images (horizontal bar, vertical bar, diagonal, centre square) plus noise.
func patternDataset(perClass: Int, seed: UInt64) -> ArrayDataSource {
    var rng = Xoshiro256(seed: seed)
    var values: [Float] = [], labels: [Int] = []
    for i in 0..<(4 * perClass) {
        let cls = i % 4, offset = Int(rng.next() % 4) + 2
        for r in 0..<8 { for c in 0..<8 {
            let on: Bool
            switch cls {
            case 0: on = r == offset
            case 1: on = c == offset
            case 2: on = r == c
            default: on = (2...5).contains(r) && (2...5).contains(c)
            }
            values.append((on ? 1 : 0) + 0.2 * (rng.nextUniform() - 0.5))
        } }
        labels.append(cls)
    }
    return ArrayDataSource(values: values, labels: labels, sampleShape: [8, 8, 1])
}

private func trainSmall(epochs: Int = 25, seed: UInt64 = 1, progress: (TrainingProgress) -> TrainingControl = { _ in .proceed }) throws
    -> (Model, TrainingResult) {
    let model = try ModelBuilders.smallCNN(inputShape: [8, 8, 1], classes: 4, seed: seed)
    let options = TrainingOptions(epochs: epochs, batchSize: 8, learningRate: 0.05, sgd: SGDOptions(momentum: 0.9), seed: seed)
    let result = try Trainer.train(model, data: patternDataset(perClass: 8, seed: 2), validation: patternDataset(perClass: 4, seed: 3),
                                   options: options, progress: progress)
    return (model, result)
}

@Suite("Training")
struct TrainingTests {
    @Test("a small CNN overfits a tiny set to 100 % with falling loss")
    func overfit() throws {
        let (model, result) = try trainSmall()
        let h = result.history
        #expect(h.count == 25 && !result.stopped)
        let first = h.prefix(5).map(\.loss).reduce(0, +) / 5, last = h.suffix(5).map(\.loss).reduce(0, +) / 5
        #expect(last < first / 4, "loss \(first) -> \(last)")
        // Falls monotonically on average: most epoch-to-epoch changes are decreases.
        let drops = zip(h, h.dropFirst()).filter { $1.loss < $0.loss }.count
        #expect(drops * 3 >= (h.count - 1) * 2, "\(drops) decreases in \(h.count - 1) steps")
        let score = try Trainer.score(model, data: patternDataset(perClass: 8, seed: 2))
        #expect(score.errorRate == 0, "confusion \(score.confusion)")
        #expect(score.perClassAccuracy.allSatisfy { $0 == 1 })
        #expect(h.last!.validError != nil && h.last!.validLoss! < h.first!.validLoss!)
    }

    @Test("the same seeds give bit-identical runs; another seed does not")
    func determinism() throws {
        let (m1, r1) = try trainSmall(epochs: 3, seed: 5)
        let (m2, r2) = try trainSmall(epochs: 3, seed: 5)
        let (m3, _) = try trainSmall(epochs: 3, seed: 6)
        #expect(r1.history == r2.history)
        #expect(m1.parameters.array == m2.parameters.array && m1.buffers.array == m2.buffers.array)
        #expect(m1.parameters.array != m3.parameters.array)
    }

    @Test("the progress callback sees every batch and can stop the run")
    func cancellation() throws {
        var seen: [(Int, Int)] = []
        let (_, result) = try trainSmall(epochs: 5) { p in
            seen.append((p.epoch, p.batch))
            #expect(p.batchesPerEpoch == 4 && p.batchLoss.isFinite)
            return p.epoch == 2 && p.batch == 3 ? .stop : .proceed
        }
        #expect(result.stopped && result.history.count == 1)
        #expect(seen.count == 7 && seen.last! == (2, 3))
    }

    @Test("predict needs no labels and agrees with score")
    func predict() throws {
        struct Unlabelled: DataSource {
            let inner: ArrayDataSource
            var count: Int { inner.count }
            var sampleShape: [Int] { inner.sampleShape }
            func label(_ i: Int) -> Int { fatalError("predict must not read labels") }
            func fill(_ indices: ArraySlice<Int>, into batch: Tensor) { inner.fill(indices, into: batch) }
        }
        let (model, _) = try trainSmall(epochs: 3)
        let data = patternDataset(perClass: 3, seed: 9)
        let p = try Trainer.predict(model, data: Unlabelled(inner: data), batchSize: 5)
        let s = try Trainer.score(model, data: data, batchSize: 7)
        #expect(p.predicted == s.predicted && p.probabilities.count == 12 * 4)
        #expect(scaledMaxDiff(p.probabilities, s.probabilities) < 1e-6)
    }

    @Test("data that does not match the input layer is refused")
    func mismatchedData() throws {
        let model = try ModelBuilders.smallCNN(inputShape: [8, 8, 1], classes: 4)
        let wrong = ArrayDataSource(values: [Float](repeating: 0, count: 2 * 16), labels: [0, 1], sampleShape: [4, 4, 1])
        #expect(throws: EngineError.self) { try Trainer.train(model, data: wrong, options: TrainingOptions(epochs: 1)) }
    }

    @Test("weights that stop being numbers end the run even while the loss stays finite")
    func divergedWeightsAreCaught() throws {
        let model = try ModelBuilders.smallCNN(inputShape: [8, 8, 1], classes: 4, seed: 1)
        // training normalises with the batch's statistics, so a NaN running variance never reaches the loss
        let bn = try #require(model.layer(named: "bn2"))
        let runningVar = try #require(bn.buffers.first { $0.name == "running_var" })
        runningVar.value[0] = .nan
        var losses: [Double] = []
        let options = TrainingOptions(epochs: 2, batchSize: 8, learningRate: 0.01, seed: 1)
        do {
            _ = try Trainer.train(model, data: patternDataset(perClass: 4, seed: 2), options: options) { p in
                losses.append(p.batchLoss)
                return .proceed
            }
            Issue.record("training went on with a NaN running variance")
        } catch let e as EngineError {
            #expect(e.code == .diverged && e.layer == "bn2" && e.message.contains("running_var") && e.message.contains("epoch 0"), "\(e)")
        }
        #expect(losses.count == 2 && losses.allSatisfy(\.isFinite), "one epoch of finite losses before the check: \(losses)")
    }

    @Test("head-only fine-tuning changes only the head")
    func headOnly() throws {
        let model = try ModelBuilders.smallCNN(inputShape: [8, 8, 1], classes: 4, seed: 1)
        try model.setFrozen(Set(model.layers.map(\.name)).subtracting(["fc"]))
        let before = model.parameters.array, buffersBefore = model.buffers.array
        _ = try Trainer.train(model, data: patternDataset(perClass: 4, seed: 2), options: TrainingOptions(epochs: 2, batchSize: 8, learningRate: 0.1))
        let fc = model.trainableRanges
        #expect(fc.count == 1)
        let after = model.parameters.array
        for i in after.indices { #expect((after[i] != before[i]) == fc[0].contains(i) || after[i] == before[i]) }
        #expect(after[fc[0]] != before[fc[0]])
        #expect(Array(after[0..<fc[0].lowerBound]) == Array(before[0..<fc[0].lowerBound]))
        #expect(model.buffers.array == buffersBefore)
    }
}

@Suite("SGD and learning-rate policies")
struct OptimizerTests {
    /// A model whose only parameters are a 1x2 FC weight, for hand-computed updates.
    private func tinyModel() throws -> Model {
        try Model(layers: [InputLayer(name: "in", shape: [2]), FullyConnectedLayer(name: "fc", source: "in", outputs: 2, bias: false),
                           SoftmaxCrossEntropyLayer(name: "out", source: "fc")])
    }

    @Test("vanilla, weight decay, momentum and Nesterov updates match PyTorch's formulas")
    func sgd() throws {
        let cases: [(SGDOptions, [Float])] = [
            (SGDOptions(), [0.95, 2.1]),                                  // w - 0.5·g
            (SGDOptions(weightDecay: 0.1), [0.9, 2.0]),                                         // g += 0.1·w
            (SGDOptions(momentum: 0.9), [0.95 - 0.5 * 0.19, 2.1 + 0.5 * 0.38]),                 // v1 = g, v2 = 0.9·g + g
            (SGDOptions(momentum: 0.9, nesterov: true), [1 - 0.5 * 0.19 - 0.5 * (0.1 + 0.9 * 0.19), 2 + 0.5 * 0.38 + 0.5 * (0.2 + 0.9 * 0.38)]),
        ]
        for (opts, expected) in cases {
            let m = try tinyModel()
            m.parameters.base.update(from: [1, 2, 0, 0], count: 4)
            let sgd = try SGD(model: m, options: opts)
            for _ in 0..<(opts.momentum > 0 ? 2 : 1) {
                m.gradients.base.update(from: [0.1, -0.2, 0, 0], count: 4)
                sgd.step(m, rate: 0.5)
            }
            #expect(scaledMaxDiff(Array(m.parameters.array[0..<2]), expected) < 1e-6, "\(opts): \(m.parameters.array)")
        }
    }

    @Test("Adam matches torch.optim.Adam's algorithm, computed here in Double, over several steps (vector body and tail)")
    func adam() throws {
        let m = try Model(layers: [InputLayer(name: "in", shape: [5]), FullyConnectedLayer(name: "fc", source: "in", outputs: 7, bias: true),
                                   SoftmaxCrossEntropyLayer(name: "out", source: "fc")])
        let n = m.parameterCount   // 42: two 16-wide blocks and a tail of 10
        var rng = SplitMix64(seed: 21)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) * 2 - 1 }
        let start = (0..<n).map { _ in Float(uniform()) }
        m.parameters.base.update(from: start, count: n)
        let (lr, b1, b2, eps, wd) = (0.01, 0.8, 0.99, 1e-8, 0.01)
        let opt = try SGD(model: m, options: SGDOptions(weightDecay: wd, adam: AdamSettings(beta1: b1, beta2: b2, epsilon: eps)))
        var w = start.map(Double.init), mean = [Double](repeating: 0, count: n), sq = [Double](repeating: 0, count: n)
        for t in 1...5 {
            let g = (0..<n).map { _ in Float(uniform() * 0.5) }
            m.gradients.base.update(from: g, count: n)
            opt.step(m, rate: lr)
            for i in 0..<n {
                let grad = Double(g[i]) + wd * w[i]
                mean[i] = b1 * mean[i] + (1 - b1) * grad
                sq[i] = b2 * sq[i] + (1 - b2) * grad * grad
                let denom = (sq[i].squareRoot() / (1 - pow(b2, Double(t))).squareRoot()) + eps
                w[i] -= lr / (1 - pow(b1, Double(t))) * mean[i] / denom
            }
        }
        let got = Array(m.parameters.array[0..<n])
        let worst = zip(got, w).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 2e-6, "largest difference \(worst)")
        #expect(opt.steps == 5 && SGDOptions(adam: AdamSettings()).slabs == 2 && SGDOptions().slabs == 1)
        // the estimate charges Adam's second slab
        let layers: [Layer] = [InputLayer(name: "in", shape: [5]), FullyConnectedLayer(name: "fc", source: "in", outputs: 7, bias: true),
                               SoftmaxCrossEntropyLayer(name: "out", source: "fc")]
        let one = try Model.estimate(layers: layers, batchSize: 2, training: true), two = try Model.estimate(layers: layers, batchSize: 2, training: true, optimizerSlabs: 2)
        #expect(two.optimizer == 2 * one.optimizer && two.total - one.total == n * 4)
    }

    @Test("step, multistep, poly")
    func simplePolicies() {
        let step = LearningRateSchedule(baseRate: 0.1, policy: .step(size: 2, gamma: 0.5))
        #expect([0, 1, 2, 3, 4].map { step.rate(epoch: $0, iteration: 0) } == [0.1, 0.1, 0.05, 0.05, 0.025])
        let multi = LearningRateSchedule(baseRate: 1, policy: .multiStep(milestones: [1, 3], gamma: 0.1))
        #expect(abs(multi.rate(epoch: 0, iteration: 0) - 1) < 1e-12 && abs(multi.rate(epoch: 2, iteration: 0) - 0.1) < 1e-12
                && abs(multi.rate(epoch: 3, iteration: 0) - 0.01) < 1e-12)
        let poly = LearningRateSchedule(baseRate: 1, policy: .poly(power: 2, maxIterations: 10))
        #expect(abs(poly.rate(epoch: 0, iteration: 5) - 0.25) < 1e-12 && poly.rate(epoch: 0, iteration: 12) == 0)
        #expect(LearningRateSchedule(baseRate: 0.3).rate(epoch: 9, iteration: 99) == 0.3)
    }

    @Test("cyclic modes follow PyTorch CyclicLR")
    func cyclic() {
        func rates(_ mode: LearningRatePolicy.CyclicMode, gamma: Double = 1) -> [Double] {
            let s = LearningRateSchedule(baseRate: 0.1, policy: .cyclic(maxRate: 0.5, stepSize: 2, mode: mode, gamma: gamma))
            return (0..<9).map { s.rate(epoch: 0, iteration: $0) }
        }
        // triangular: 0.1 0.3 0.5 0.3 0.1 0.3 0.5 ...
        #expect(zip(rates(.triangular), [0.1, 0.3, 0.5, 0.3, 0.1, 0.3, 0.5, 0.3, 0.1]).allSatisfy { abs($0 - $1) < 1e-12 })
        // triangular2: second cycle has half the amplitude
        #expect(zip(rates(.triangular2), [0.1, 0.3, 0.5, 0.3, 0.1, 0.2, 0.3, 0.2, 0.1]).allSatisfy { abs($0 - $1) < 1e-12 })
        // exp_range: amplitude scaled by gamma^iteration
        let e = rates(.expRange, gamma: 0.9)
        #expect(abs(e[2] - (0.1 + 0.4 * 0.81)) < 1e-12 && abs(e[6] - (0.1 + 0.4 * pow(0.9, 6))) < 1e-12)
    }

    @Test("reduce on plateau: patience, factor, cooldown, minimum")
    func plateau() {
        var s = LearningRateSchedule(baseRate: 1, policy: .reduceOnPlateau(factor: 0.5, patience: 1, threshold: 0, cooldown: 1, minRate: 0.2))
        var seen: [Double] = []
        for metric in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] {
            s.epochEnded(metric: metric)
            seen.append(s.rate(epoch: 0, iteration: 0))
        }
        // bad epochs: 0,0,1,2(->0.5, cooldown 1),cool,1,2(->0.25),cool,1,2(->0.2 floor)
        #expect(seen == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2])
    }
}
