/// Ready-made model definitions.
public enum ModelBuilders {
    /// How a builder's input layer ("data") transforms pixels: y = (x·scale - mean[c]) / std[c].
    public struct InputNormalization: Sendable {
        public var scale: Float
        public var mean: [Float]?
        public var std: [Float]?

        public init(scale: Float = 1, mean: [Float]? = nil, std: [Float]? = nil) {
            self.scale = scale
            self.mean = mean
            self.std = std
        }

        /// Identity.
        public static let none = InputNormalization()
        /// torchvision's ImageNet preprocessing for 0...255 RGB pixels.
        public static let imageNet = InputNormalization(scale: 1.0 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

        func inputLayer(shape: [Int]) -> InputLayer { InputLayer(name: "data", shape: shape, scale: scale, offsets: mean, std: std) }
    }

    /// A small CNN: per width w, conv3x3(w)+BN+ReLU then 2x2 max pooling; then global average pooling,
    /// a fully connected head with `classes` outputs and a softmax output.
    /// Layer names: data, conv<i>, bn<i>, pool<i>, gap, fc, output.
    public static func smallCNNLayers(inputShape: [Int], classes: Int, widths: [Int] = [8, 16]) -> [Layer] {
        var layers: [Layer] = [InputLayer(name: "data", shape: inputShape)]
        var previous = "data"
        for (i, w) in widths.enumerated() {
            let n = i + 1
            layers.append(ConvolutionLayer(name: "conv\(n)", source: previous, filters: w, kernel: 3, bias: false))
            layers.append(BatchNormLayer(name: "bn\(n)", source: "conv\(n)", activation: .relu))
            layers.append(PoolingLayer(name: "pool\(n)", source: "bn\(n)", mode: .max, kernel: 2))
            previous = "pool\(n)"
        }
        layers.append(GlobalAveragePoolingLayer(name: "gap", source: previous))
        layers.append(FullyConnectedLayer(name: "fc", source: "gap", outputs: classes))
        layers.append(SoftmaxCrossEntropyLayer(name: "output", source: "fc"))
        return layers
    }

    /// `smallCNNLayers` built into a model with weights from `seed`.
    public static func smallCNN(inputShape: [Int], classes: Int, widths: [Int] = [8, 16], seed: UInt64 = 0) throws -> Model {
        try Model(layers: smallCNNLayers(inputShape: inputShape, classes: classes, widths: widths), seed: seed)
    }
}
