import Testing
@testable import DLEngine

/// Shared activation and gradient buffers (BufferPlan): no two tensors that are alive at the same time
/// share a slot, inference on shared slots gives the same answers as on dedicated ones, and the
/// "fresh gradient" overwrite path gives the same gradients as zero-then-add.
@Suite("Buffer plans")
struct BufferPlanTests {
    static let graphs: [(String, @Sendable () -> [Layer])] = [
        ("ResNet-18 (narrow)", { ModelBuilders.resNet18Layers(classes: 3, inputShape: [16, 16, 3], width: 4) }),
        ("MobileNetV2 (narrow)", { ModelBuilders.mobileNetV2Layers(classes: 3, inputShape: [16, 16, 3], widthMultiplier: 0.25) }),
        ("branchy", { branchyLayers() }),
    ]

    /// Forward liveness: layer i's output is alive from i until its last consumer has run.
    @Test("inference plan: a slot is never shared by two live outputs", arguments: graphs.indices)
    func forwardLiveness(_ g: Int) throws {
        let m = try Model(layers: Self.graphs[g].1())
        let keep = Set([m.outputIndex] + m.sourceIndices[m.outputIndex])
        let sizes = m.layers.map { $0.outputShape.reduce(1, *) }
        let plan = BufferPlan.forward(order: m.order, sources: m.sourceIndices, sizes: sizes, keep: keep)
        let position = Dictionary(uniqueKeysWithValues: m.order.enumerated().map { ($0.element, $0.offset) })
        func interval(_ i: Int) -> ClosedRange<Int> {
            let consumers = m.sourceIndices.indices.filter { m.sourceIndices[$0].contains(i) }.map { position[$0]! }
            return position[i]!...(keep.contains(i) ? m.order.count : (consumers.max() ?? position[i]!))
        }
        for a in m.layers.indices { for b in m.layers.indices where a < b && plan.slot[a] == plan.slot[b] {
            #expect(!interval(a).overlaps(interval(b)), "\(m.layers[a].name) and \(m.layers[b].name) share slot \(plan.slot[a]!) while both alive")
        } }
        for i in m.layers.indices { #expect(plan.capacity[plan.slot[i]!] >= sizes[i]) }
        for k in keep { #expect(plan.survives[k]) }
        #expect(plan.capacity.reduce(0, +) < sizes.reduce(0, +), "sharing saves memory")
    }

    /// Backward liveness: layer i's gradient is alive from its first writer (the first of its consumers in
    /// reverse order) until its own backward.
    @Test("backward plan: a slot is never shared by two live gradients", arguments: graphs.indices)
    func backwardLiveness(_ g: Int) throws {
        let m = try Model(layers: Self.graphs[g].1())
        let reach = m.needsBackward(), sizes = m.layers.map { $0.outputShape.reduce(1, *) }
        let plan = BufferPlan.backward(order: m.order, sources: m.sourceIndices, sizes: sizes, reach: reach, output: m.outputIndex)
        let rev = Array(m.order.reversed()).filter { reach[$0] }
        let position = Dictionary(uniqueKeysWithValues: rev.enumerated().map { ($0.element, $0.offset) })
        func interval(_ i: Int) -> ClosedRange<Int> {
            let writers = rev.filter { m.sourceIndices[$0].contains(i) }.map { position[$0]! }
            return (writers.min() ?? position[i]!)...position[i]!
        }
        let live = m.layers.indices.filter { reach[$0] }
        for a in live { for b in live where a < b && plan.slot[a] == plan.slot[b] {
            #expect(!interval(a).overlaps(interval(b)), "\(m.layers[a].name) and \(m.layers[b].name) share a gradient slot while both alive")
        } }
        for i in live { #expect(plan.zeroBefore.flatMap { $0 }.filter { $0 == i }.count == 1, "\(m.layers[i].name) zeroed once") }
    }

    @Test("inference on shared buffers equals inference on the training buffers", arguments: graphs.indices)
    func sharedInference(_ g: Int) throws {
        let a = try Model(layers: Self.graphs[g].1(), seed: 4), b = try Model(layers: Self.graphs[g].1(), seed: 4)
        a.disableFolding = true                                             // (folding is FoldingTests' subject)
        b.disableFolding = true
        let x = randomTensor([3] + a.inputLayer.outputShape, seed: 9)
        let pa = try a.forward(x, training: false).array                   // never trained: shared slots
        try b.setFrozen(Set(b.layers.map(\.name)))                          // keep the running statistics as they are
        try b.forward(x, training: true)                                    // dedicated slots from now on
        let pb = try b.forward(x, training: false).array
        #expect(pa == pb)
        #expect(a.activation(of: a.outputLayer.name) != nil)
        #expect(b.layers.allSatisfy { b.activation(of: $0.name) != nil })   // after training every activation stays
        #expect(a.layers.contains { a.activation(of: $0.name) == nil })      // shared: some were recycled
        #expect(throws: EngineError.self) { try a.backward(labels: [0, 1, 2]) }   // backward needs a training forward
    }

    /// Feature maps (dlScore layerOut=): kept layers survive an inference forward on shared slots, a
    /// kept convolution is computed on its own (not folded into its batch norm), and the values equal
    /// those of the unfolded model that keeps every activation.
    @Test("kept activations survive inference and equal the unfolded ones", arguments: graphs.indices)
    func keptActivations(_ g: Int) throws {
        let a = try Model(layers: Self.graphs[g].1(), seed: 4), b = try Model(layers: Self.graphs[g].1(), seed: 4)
        let x = randomTensor([2] + a.inputLayer.outputShape, seed: 3)
        let convs = a.layers.filter { $0 is ConvolutionLayer }.map(\.name)
        let kept = Set([a.inputLayer.name] + convs.prefix(3) + [a.layers[a.layers.count / 2].name])
        a.keptActivations = kept
        let pa = try a.forward(x, training: false).array
        b.disableFolding = true
        try b.setFrozen(Set(b.layers.map(\.name)))
        try b.forward(x, training: true)                                    // dedicated slots: every activation kept
        let pb = try b.forward(x, training: false).array
        for name in kept {
            let va = try #require(a.activation(of: name), "\(name) was not kept").array
            let vb = try #require(b.activation(of: name)).array
            let worst = zip(va, vb).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(worst < 1e-4, "\(name): \(worst)")
        }
        #expect(zip(pa, pb).allSatisfy { abs($0 - $1) < 1e-4 })
        a.keptActivations = []                                              // plans again: back to shared slots
        try a.forward(x, training: false)
        #expect(a.layers.contains { a.activation(of: $0.name) == nil })
    }

    @Test("gradients with overwritten fresh buffers equal the zero-then-add ones", arguments: graphs.indices)
    func freshGradients(_ g: Int) throws {
        let a = try Model(layers: Self.graphs[g].1(), seed: 5)
        let x = randomTensor([4] + a.inputLayer.outputShape, seed: 6), labels = [0, 1, 2, 1]
        try a.forward(x, training: true)
        a.zeroGradients()
        try a.backward(labels: labels)
        let fast = a.gradients.array
        // The same model with every layer forced onto the zero-then-add path.
        let b = try Model(layers: Self.graphs[g].1(), seed: 5)
        b.disableFreshGradients = true
        try b.forward(x, training: true)
        b.zeroGradients()
        try b.backward(labels: labels)
        #expect(scaledMaxDiff(fast, b.gradients.array) < 1e-6)
        #expect(fast.contains { $0 != 0 })
    }
}

/// A layer's backward with `freshInputGradient` set overwrites garbage and gives what zero-then-add gives.
@Suite("Fresh input gradients")
struct FreshGradientTests {
    static let layers: [LayerCase] = convLayerCases + otherLayerCases.filter { $0.make().overwritesFreshGradients }

    @Test("overwrite = zero + accumulate", arguments: layers)
    func overwrite(_ c: LayerCase) throws {
        let layer = c.make()
        #expect(layer.overwritesFreshGradients)
        let h = try LayerHarness(layer, inputShapes: c.inputShapes, batch: c.batch, training: c.training)
        _ = try h.loss()
        let dy = try Tensor(shape: h.output.shape, values: h.upstream)
        let zeroed = try h.inputs.map { try Tensor(shape: $0.shape) }
        try layer.backward(h.inputs, h.output, try Tensor(shape: dy.shape, values: dy.array), zeroed)
        let garbage = try h.inputs.map { try Tensor(shape: $0.shape, values: [Float](repeating: .nan, count: $0.count)) }
        layer.freshInputGradient = garbage.map { _ in true }
        defer { layer.freshInputGradient = [] }
        try layer.backward(h.inputs, h.output, Tensor(shape: dy.shape, values: dy.array), garbage)
        for (a, b) in zip(garbage, zeroed) { #expect(scaledMaxDiff(a.array, b.array) < 1e-6, "\(layer.kind)") }
    }
}

/// Convolution + batch norm folded into one oneDNN convolution (inference, and frozen prefixes in training).
@Suite("Folded convolution + batch norm")
struct FoldingTests {
    /// Non-trivial running statistics and affine parameters, so folding has something to get wrong.
    static func model(_ g: Int, seed: UInt64) throws -> Model {
        let m = try Model(layers: BufferPlanTests.graphs[g].1(), seed: seed)
        var rng = Xoshiro256(seed: seed &+ 100)
        for l in m.layers where l is BatchNormLayer {
            for b in l.parameters + l.buffers {
                for i in b.value.indices {
                    let u = rng.nextUniform()
                    b.value[i] = b.name == "running_var" ? 0.5 + u : b.name == "weight" ? 0.5 + u : u - 0.5
                }
            }
        }
        m.parametersChanged()
        return m
    }

    @Test("inference: folded equals unfolded, also after the weights change", arguments: BufferPlanTests.graphs.indices)
    func inference(_ g: Int) throws {
        let a = try Self.model(g, seed: 3), b = try Self.model(g, seed: 3)
        b.disableFolding = true
        let x = randomTensor([3] + a.inputLayer.outputShape, seed: 8)
        for n in [3, 1] {                                    // two batch sizes: two folded primitives
            let xs = try Tensor(shape: [n] + a.inputLayer.outputShape, values: Array(x.array.prefix(n * a.inputLayer.outputShape.reduce(1, *))))
            #expect(scaledMaxDiff(try a.forward(xs, training: false).array, try b.forward(xs, training: false).array) < 1e-5)
        }
        // Direct writes + parametersChanged(): the folded weights are rebuilt.
        for m in [a, b] { for i in 0..<m.parameters.count { m.parameters[i] *= 0.9 }; m.parametersChanged() }
        #expect(scaledMaxDiff(try a.forward(x, training: false).array, try b.forward(x, training: false).array) < 1e-5)
        // A training step (batch norms update their statistics, SGD the weights): still equal afterwards.
        for m in [a, b] {
            try m.forward(x, training: true); m.zeroGradients(); try m.backward(labels: [0, 1, 2])
            try SGD(model: m, options: SGDOptions(momentum: 0.9)).step(m, rate: 0.05)
        }
        #expect(scaledMaxDiff(try a.forward(x, training: false).array, try b.forward(x, training: false).array) < 1e-4)
    }

    @Test("training with a frozen prefix: same loss and gradients folded or not", arguments: BufferPlanTests.graphs.indices)
    func frozenPrefix(_ g: Int) throws {
        let a = try Self.model(g, seed: 5), b = try Self.model(g, seed: 5)
        b.disableFolding = true
        let trainable = Set(a.layers.suffix(4).map(\.name))
        for m in [a, b] { try m.setFrozen(Set(m.layers.map(\.name)).subtracting(trainable)) }
        let x = randomTensor([4] + a.inputLayer.outputShape, seed: 9), labels = [0, 1, 2, 0]
        for m in [a, b] { try m.forward(x, training: true); m.zeroGradients(); try m.backward(labels: labels) }
        #expect(abs(a.lossAndErrors(labels: labels).loss - b.lossAndErrors(labels: labels).loss) < 1e-5)
        #expect(scaledMaxDiff(a.gradients.array, b.gradients.array) < 1e-4)
        #expect(a.gradients.array.contains { $0 != 0 })
    }
}
