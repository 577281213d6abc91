import Testing
@testable import DLEngine

/// A named factory so parameterised tests print readable case names.
struct LayerCase: CustomTestStringConvertible, Sendable {
    let label: String
    let inputShapes: [[Int]]
    let batch: Int
    let training: Bool
    /// Finite-difference step; smaller where a kink is near every point (BN couples a whole channel).
    let eps: Float
    let make: @Sendable () -> Layer
    var testDescription: String { label }

    init(_ label: String, _ inputShapes: [[Int]], batch: Int = 2, training: Bool = true, eps: Float = 1e-2,
         _ make: @escaping @Sendable () -> Layer) {
        self.label = label; self.inputShapes = inputShapes; self.batch = batch; self.training = training; self.eps = eps
        self.make = make
    }
}

private func conv(_ backend: ConvBackend, filters: Int, kernel: Int, stride: Int = 1, padding: Padding = .same, dilation: Int = 1,
                  groups: Int = 1, bias: Bool = true, act: Activation = .identity) -> @Sendable () -> Layer {
    {
        let l = ConvolutionLayer(name: "c", source: "x", filters: filters, kernel: kernel, stride: stride, padding: padding,
                                 dilation: dilation, groups: groups, bias: bias, activation: act)
        l.backend = backend
        return l
    }
}

let convLayerCases: [LayerCase] = [ConvBackend.oneDNN, .im2col].flatMap { b in [
    LayerCase("\(b) 3x3 same", [[5, 5, 3]], conv(b, filters: 4, kernel: 3)),
    LayerCase("\(b) 3x3 stride 2 same (asymmetric pad)", [[6, 6, 2]], conv(b, filters: 3, kernel: 3, stride: 2)),
    LayerCase("\(b) 1x1 no bias", [[4, 4, 3]], conv(b, filters: 5, kernel: 1, bias: false)),
    LayerCase("\(b) 3x3 explicit pad", [[5, 6, 2]], conv(b, filters: 2, kernel: 3, padding: .explicit(top: 0, left: 2, bottom: 1, right: 0))),
    LayerCase("\(b) dilated", [[7, 7, 2]], conv(b, filters: 2, kernel: 3, dilation: 2)),
    LayerCase("\(b) grouped", [[5, 5, 4]], conv(b, filters: 6, kernel: 3, groups: 2)),
    LayerCase("\(b) depthwise stride 2", [[6, 5, 3]], conv(b, filters: 3, kernel: 3, stride: 2, groups: 3)),
    LayerCase("\(b) fused relu", [[5, 5, 3]], conv(b, filters: 4, kernel: 3, act: .relu)),
    LayerCase("\(b) tanh", [[4, 4, 2]], conv(b, filters: 3, kernel: 3, act: .tanh)),
] }

let otherLayerCases: [LayerCase] = [
    LayerCase("batch norm train image", [[3, 3, 4]], batch: 3) { BatchNormLayer(name: "bn", source: "x") },
    LayerCase("batch norm train + relu", [[3, 2, 3]], batch: 3, eps: 1e-3) { BatchNormLayer(name: "bn", source: "x", activation: .relu) },
    LayerCase("batch norm train vector", [[5]], batch: 4) { BatchNormLayer(name: "bn", source: "x") },
    LayerCase("batch norm inference", [[3, 3, 4]], training: false) { BatchNormLayer(name: "bn", source: "x") },
    LayerCase("relu", [[3, 3, 2]]) { ActivationLayer(name: "a", source: "x", activation: .relu) },
    LayerCase("relu6", [[3, 3, 2]]) { ActivationLayer(name: "a", source: "x", activation: .relu6) },
    LayerCase("leaky relu", [[3, 3, 2]]) { ActivationLayer(name: "a", source: "x", activation: .leakyReLU(alpha: 0.1)) },
    LayerCase("sigmoid", [[7]]) { ActivationLayer(name: "a", source: "x", activation: .sigmoid) },
    LayerCase("tanh", [[7]]) { ActivationLayer(name: "a", source: "x", activation: .tanh) },
    LayerCase("identity", [[7]]) { ActivationLayer(name: "a", source: "x", activation: .identity) },
    LayerCase("max pool 2x2 s2", [[4, 4, 3]]) { PoolingLayer(name: "p", source: "x", mode: .max, kernel: 2) },
    LayerCase("max pool 3x3 s2 same", [[5, 6, 2]]) { PoolingLayer(name: "p", source: "x", mode: .max, kernel: 3, stride: 2) },
    LayerCase("max pool 3x3 s2 same-after (CAS pooling)", [[5, 6, 2]]) { PoolingLayer(name: "p", source: "x", mode: .max, kernel: 3, stride: 2, padding: .sameAfter) },
    LayerCase("avg pool 3x3 s2 same-after (CAS pooling)", [[5, 5, 2]]) { PoolingLayer(name: "p", source: "x", mode: .average, kernel: 3, stride: 2, padding: .sameAfter) },
    LayerCase("avg pool 2x2 s2", [[4, 4, 3]]) { PoolingLayer(name: "p", source: "x", mode: .average, kernel: 2) },
    LayerCase("avg pool 3x3 s1 same", [[4, 5, 2]]) { PoolingLayer(name: "p", source: "x", mode: .average, kernel: 3, stride: 1) },
    LayerCase("avg pool 3x3 s2 explicit", [[5, 5, 2]]) {
        PoolingLayer(name: "p", source: "x", mode: .average, kernel: 3, stride: 2, padding: .explicit(top: 1, left: 0, bottom: 0, right: 1))
    },
    LayerCase("global average pool", [[3, 4, 5]]) { GlobalAveragePoolingLayer(name: "g", source: "x") },
    LayerCase("residual of 2", [[3, 3, 2], [3, 3, 2]]) { ResidualLayer(name: "r", sources: ["a", "b"]) },
    LayerCase("residual of 3 + relu", [[2, 2, 3], [2, 2, 3], [2, 2, 3]]) { ResidualLayer(name: "r", sources: ["a", "b", "c"], activation: .relu) },
    LayerCase("concat of 3", [[2, 3, 1], [2, 3, 4], [2, 3, 2]]) { ConcatLayer(name: "cat", sources: ["a", "b", "c"]) },
    LayerCase("fully connected on image", [[2, 2, 3]]) { FullyConnectedLayer(name: "fc", source: "x", outputs: 4) },
    LayerCase("fully connected + sigmoid, no bias", [[6]], batch: 3) {
        FullyConnectedLayer(name: "fc", source: "x", outputs: 3, bias: false, activation: .sigmoid)
    },
    LayerCase("dropout (training, seeded mask)", [[4, 4, 2]]) { DropoutLayer(name: "d", source: "x", rate: 0.3, seed: 5) },
    LayerCase("dropout (inference)", [[5]], training: false) { DropoutLayer(name: "d", source: "x", rate: 0.3, seed: 5) },
    LayerCase("input scale/offset/std", [[2, 2, 3]]) {
        InputLayer(name: "in", shape: [2, 2, 3], scale: 0.5, offsets: [0.1, -0.2, 0.3], std: [2, 0.5, 1])
    },
    LayerCase("scale per channel [1,1,C]", [[3, 2, 4], [1, 1, 4]]) { ScaleLayer(name: "s", sources: ["x", "f"]) },
    LayerCase("scale per channel [1,C,1] + sigmoid", [[2, 3, 5], [1, 5, 1]]) { ScaleLayer(name: "s", sources: ["x", "f"], activation: .sigmoid) },
    LayerCase("scale per value", [[2, 2, 3], [2, 2, 3]]) { ScaleLayer(name: "s", sources: ["x", "f"]) },
    LayerCase("transposed conv 3x3 stride 2 pad 1 out-pad 1", [[3, 3, 2]]) {
        TransposedConvolutionLayer(name: "t", source: "x", filters: 3, kernel: 3, stride: 2, padding: 1, outputPadding: 1)
    },
    LayerCase("transposed conv 2x3 stride 1x2, relu, no bias", [[2, 3, 3]]) {
        TransposedConvolutionLayer(name: "t", source: "x", filters: 2, kernel: 2, kernelW: 3, stride: 1, strideW: 2, bias: false, activation: .relu)
    },
    LayerCase("channel shuffle 3 groups", [[2, 2, 6]]) { ChannelShuffleLayer(name: "cs", source: "x", groups: 3) },
    LayerCase("reshape [1,1,C] to [1,C,1]", [[1, 1, 6]]) { ReshapeLayer(name: "r", source: "x", shape: [1, 6, 1]) },
    LayerCase("reshape [2,3,4] to [4,2,3] + tanh", [[2, 3, 4]]) { ReshapeLayer(name: "r", source: "x", shape: [4, 2, 3], activation: .tanh) },
]

@Suite("Layer gradients (finite differences)")
struct LayerGradientTests {
    @Test("convolution", arguments: convLayerCases)
    func convolution(_ c: LayerCase) throws {
        try LayerHarness(c.make(), inputShapes: c.inputShapes, batch: c.batch, training: c.training).check()
    }

    @Test("other layers", arguments: otherLayerCases)
    func layers(_ c: LayerCase) throws {
        // InputLayer has no sources: feed its data as the single "input".
        try LayerHarness(c.make(), inputShapes: c.make() is InputLayer ? [] : c.inputShapes, batch: c.batch, training: c.training,
                         customLoss: nil, inputOverride: c.make() is InputLayer ? c.inputShapes : nil).check(eps: c.eps)
    }

    @Test("softmax cross-entropy", arguments: [nil, [0.5, 2, 1, 3]] as [[Float]?])
    func softmax(_ weights: [Float]?) throws {
        let labels = [2, 0, 3]
        let layer = SoftmaxCrossEntropyLayer(name: "out", source: "x", classWeights: weights)
        layer.labels = labels
        let h = try LayerHarness(layer, inputShapes: [[4]], batch: 3, customLoss: { h in
            (h.layer as! SoftmaxCrossEntropyLayer).lossAndErrors(logits: h.inputs[0], probabilities: h.output, labels: labels).loss
        })
        try h.check(samples: 12, eps: 1e-3)
    }
}
