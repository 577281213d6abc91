import Testing
@testable import DLEngine

/// A small graph with a fan-out (a feeds b, c and cat), a residual join and a concat.
func branchyLayers() -> [Layer] {
    [
        InputLayer(name: "data", shape: [5, 5, 2], scale: 0.5),
        ConvolutionLayer(name: "a", source: "data", filters: 4, kernel: 3, activation: .tanh),
        ConvolutionLayer(name: "b", source: "a", filters: 4, kernel: 3, activation: .tanh),
        ConvolutionLayer(name: "c", source: "a", filters: 4, kernel: 1, bias: false),
        ResidualLayer(name: "res", sources: ["b", "c"]),
        ConcatLayer(name: "cat", sources: ["res", "a"]),
        BatchNormLayer(name: "bn", source: "cat", activation: .sigmoid),
        PoolingLayer(name: "pool", source: "bn", mode: .average, kernel: 2),
        GlobalAveragePoolingLayer(name: "gap", source: "pool"),
        FullyConnectedLayer(name: "fc", source: "gap", outputs: 3),
        SoftmaxCrossEntropyLayer(name: "out", source: "fc"),
    ]
}

private func expectError(_ code: EngineError.Code, naming layer: String?, _ build: () throws -> Void,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try build()
        Issue.record("expected \(code) error", sourceLocation: sourceLocation)
    } catch let e as EngineError {
        #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
        if let layer { #expect(e.layer == layer && e.message.contains(layer), "\(e)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("Model graph")
struct ModelTests {
    @Test("shape inference and a deterministic topological order")
    func shapes() throws {
        // Declared out of order: execution order must still put sources first.
        var layers = branchyLayers()
        layers.swapAt(1, 4)
        let m = try Model(layers: layers)
        #expect(m.layer(named: "a")!.outputShape == [5, 5, 4])
        #expect(m.layer(named: "cat")!.outputShape == [5, 5, 8])
        #expect(m.layer(named: "pool")!.outputShape == [3, 3, 8])
        #expect(m.layer(named: "gap")!.outputShape == [1, 1, 8])
        let position = Dictionary(uniqueKeysWithValues: m.order.enumerated().map { (m.layers[$0.element].name, $0.offset) })
        for (i, l) in m.layers.enumerated() { for s in l.sources { #expect(position[s]! < position[m.layers[i].name]!) } }
        // weights: a 4·2·9+4, b 4·4·9+4, c 4·4, bn 8+8, fc 3·8+3
        #expect(m.parameterCount == 76 + 148 + 16 + 16 + 27)
        let row = m.summary.first { $0.name == "cat" }!
        #expect(row.kind == "concat" && row.sources == ["res", "a"] && row.outputShape == [5, 5, 8] && row.parameters == 0)
        #expect(m.summary.map(\.parameters).reduce(0, +) == m.parameterCount)
        #expect(m.buffers.count == 16)
    }

    @Test("validation errors name the layer")
    func validation() {
        expectError(.duplicateName, naming: "a") {
            _ = try Model(layers: [InputLayer(name: "a", shape: [2]), FullyConnectedLayer(name: "a", source: "a", outputs: 2)])
        }
        expectError(.missingSource, naming: "fc") {
            _ = try Model(layers: [InputLayer(name: "in", shape: [2]), FullyConnectedLayer(name: "fc", source: "nope", outputs: 2)])
        }
        expectError(.cycle, naming: nil) {
            _ = try Model(layers: [
                InputLayer(name: "in", shape: [2, 2, 1]),
                ResidualLayer(name: "r1", sources: ["in", "r2"]), ActivationLayer(name: "r2", source: "r1", activation: .relu),
                SoftmaxCrossEntropyLayer(name: "out", source: "r2"),
            ])
        }
        expectError(.shapeMismatch, naming: "sum") {
            _ = try Model(layers: [
                InputLayer(name: "in", shape: [4, 4, 1]),
                ConvolutionLayer(name: "c1", source: "in", filters: 2, kernel: 3),
                ConvolutionLayer(name: "c2", source: "in", filters: 3, kernel: 3),
                ResidualLayer(name: "sum", sources: ["c1", "c2"]),
            ])
        }
        expectError(.shapeMismatch, naming: "conv") {
            _ = try Model(layers: [InputLayer(name: "in", shape: [6]), ConvolutionLayer(name: "conv", source: "in", filters: 2, kernel: 3)])
        }
        expectError(.noOutput, naming: nil) {
            _ = try Model(layers: [
                InputLayer(name: "in", shape: [3]),
                FullyConnectedLayer(name: "f1", source: "in", outputs: 2), FullyConnectedLayer(name: "f2", source: "in", outputs: 2),
            ])
        }
        expectError(.cycle, naming: "f") { _ = try Model(layers: [FullyConnectedLayer(name: "f", source: "f", outputs: 2)]) }
        expectError(.invalidLayer, naming: "orphan") {
            _ = try Model(layers: [InputLayer(name: "in", shape: [2]), ConcatLayer(name: "orphan", sources: [])])
        }
        expectError(.invalidLayer, naming: nil) {
            _ = try Model(layers: [InputLayer(name: "in1", shape: [2]), InputLayer(name: "in2", shape: [2]), ResidualLayer(name: "r", sources: ["in1", "in2"])])
        }
    }

    @Test("whole-graph gradients match finite differences (fan-out summed)")
    func graphGradient() throws {
        let m = try Model(layers: branchyLayers(), seed: 3)
        let x = randomTensor([3, 5, 5, 2], seed: 11), labels = [0, 2, 1]
        func loss() throws -> Double {
            try m.forward(x, training: true)
            return m.lossAndErrors(labels: labels).loss
        }
        _ = try loss()
        m.zeroGradients()
        try m.backward(labels: labels)
        let analytic = m.gradients.array
        var rng = Xoshiro256(seed: 5)
        var checked = 0
        for _ in 0..<40 {
            let i = Int(rng.next() % UInt64(m.parameterCount))
            let saved = m.parameters[i], eps: Float = 1e-2
            m.parameters[i] = saved + eps; let up = try loss()
            m.parameters[i] = saved - eps; let down = try loss()
            m.parameters[i] = saved
            let numeric = (up - down) / Double(2 * eps)
            #expect(abs(numeric - Double(analytic[i])) < 2e-3 + 2e-2 * abs(numeric), "parameter \(i): \(analytic[i]) vs \(numeric)")
            checked += 1
        }
        #expect(checked == 40 && analytic.contains { $0 != 0 })
    }

    @Test("a frozen prefix does no backward work and keeps zero gradients")
    func frozenPrefix() throws {
        let m = try Model(layers: branchyLayers(), seed: 3)
        try m.setFrozen(["a", "b", "c", "bn"])
        #expect(m.backwardLayers == ["fc", "out"])
        let x = randomTensor([2, 5, 5, 2], seed: 1)
        try m.forward(x, training: true)
        m.zeroGradients()
        try m.backward(labels: [1, 2])
        for l in m.layers {
            let nonzero = l.parameters.contains { $0.grad!.contains { $0 != 0 } }
            #expect(nonzero == (l.name == "fc"), "layer \(l.name)")
        }
        try m.setFrozen(["a"])
        #expect(m.backwardLayers.contains("b") && !m.backwardLayers.contains("a") && !m.backwardLayers.contains("data"))
        #expect(throws: EngineError.self) { try m.setFrozen(["nope"]) }
    }

    @Test("a frozen batch norm uses its running statistics and leaves them unchanged")
    func frozenBatchNorm() throws {
        let m = try Model(layers: branchyLayers(), seed: 3)
        try m.setFrozen(["bn"])
        let before = m.buffers.array
        try m.forward(randomTensor([2, 5, 5, 2], seed: 1), training: true)
        #expect(m.buffers.array == before)
        try m.setFrozen([])
        try m.forward(randomTensor([2, 5, 5, 2], seed: 1), training: true)
        #expect(m.buffers.array != before)
    }

    @Test("input shape and labels are checked")
    func inputChecks() throws {
        let m = try Model(layers: branchyLayers())
        #expect(throws: EngineError.self) { try m.forward(randomTensor([2, 4, 5, 2], seed: 1), training: false) }
        try m.forward(randomTensor([2, 5, 5, 2], seed: 1), training: false)
        #expect(throws: EngineError.self) { try m.backward(labels: [0, 3]) }
        #expect(throws: EngineError.self) { try m.backward(labels: [0]) }
    }

    @Test("probabilities sum to one and a smaller batch reuses the buffers")
    func probabilities() throws {
        let m = try Model(layers: branchyLayers())
        for n in [4, 1, 3] {
            let p = try m.forward(randomTensor([n, 5, 5, 2], seed: UInt64(n)), training: false)
            #expect(p.shape == [n, 3])
            for r in 0..<n { #expect(abs((0..<3).reduce(Float(0)) { $0 + p[r * 3 + $1] } - 1) < 1e-5) }
        }
    }

    @Test("inference sees direct weight writes after parametersChanged(); training always does")
    func weightCache() throws {
        let m = try Model(layers: branchyLayers(), seed: 2)
        try m.setFrozen(["bn"])                                             // keep running stats fixed in training
        let x = randomTensor([2, 5, 5, 2], seed: 3)
        let before = try m.forward(x, training: false).array
        let conv = m.layer(named: "b")!.parameters[0].value
        for i in conv.indices { conv[i] *= -1 }
        #expect(try m.forward(x, training: true).array != before)           // training always reorders
        m.parametersChanged()
        let after = try m.forward(x, training: false).array
        #expect(after != before)
        for i in conv.indices { conv[i] *= -1 }
        m.parametersChanged()
        #expect(try m.forward(x, training: false).array == before)
    }
}
