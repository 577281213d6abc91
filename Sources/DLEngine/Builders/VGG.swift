/// torchvision VGG (no batch norm) with torchvision parameter names: `features.<i>.weight/bias` (torchvision's
/// Sequential index: convolution i, its ReLU i+1, a max pooling after each stage), `classifier.{0,3,6}.weight/bias`.
/// The convolutions fuse their ReLU. torchvision's adaptive average pooling to 7×7 is left out: for a 224×224 input
/// (the only size its 25088-input classifier takes as is) it is the identity. `classifier.0.weight` reads its input
/// in NHWC order, torch's in NCHW: loading torchvision's weights would need that matrix's columns permuted.
extension ModelBuilders {
    /// Convolution widths per stage of the VGG configurations torchvision calls A, B, D and E.
    public static let vggStages: [Int: [[Int]]] = [
        11: [[64], [128], [256, 256], [512, 512], [512, 512]],
        13: [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
        16: [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
        19: [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]],
    ]

    /// VGG16 (torchvision `vgg16`).
    public static func vgg16Layers(classes: Int = 1000, inputShape: [Int] = [224, 224, 3], dropout: Float = 0.5, dropoutSeed: UInt64 = 0,
                                   normalization: InputNormalization = .none) -> [Layer] {
        vggLayers(stages: vggStages[16]!, classes: classes, inputShape: inputShape, dropout: dropout, dropoutSeed: dropoutSeed,
                  normalization: normalization)
    }

    /// Any VGG: 3×3 convolutions (padding 1, bias, ReLU) per stage, 2×2 max pooling after each stage, then
    /// fc 4096 + ReLU, dropout, fc 4096 + ReLU, dropout, fc `classes`, softmax. `hidden` narrows the two 4096 layers (test models).
    public static func vggLayers(stages: [[Int]], classes: Int, inputShape: [Int], hidden: Int = 4096, dropout: Float = 0.5,
                                 dropoutSeed: UInt64 = 0, normalization: InputNormalization = .none) -> [Layer] {
        var layers: [Layer] = [normalization.inputLayer(shape: inputShape)]
        var previous = "data", index = 0
        for widths in stages {
            for w in widths {
                layers.append(ConvolutionLayer(name: "features.\(index)", source: previous, filters: w, kernel: 3,
                                               padding: .symmetric(height: 1, width: 1), activation: .relu))
                previous = "features.\(index)"
                index += 2
            }
            layers.append(PoolingLayer(name: "features.\(index)", source: previous, mode: .max, kernel: 2, stride: 2,
                                       padding: .symmetric(height: 0, width: 0)))
            previous = "features.\(index)"
            index += 1
        }
        layers += [
            FullyConnectedLayer(name: "classifier.0", source: previous, outputs: hidden, activation: .relu),
            DropoutLayer(name: "classifier.2", source: "classifier.0", rate: dropout, seed: dropoutSeed),
            FullyConnectedLayer(name: "classifier.3", source: "classifier.2", outputs: hidden, activation: .relu),
            DropoutLayer(name: "classifier.5", source: "classifier.3", rate: dropout, seed: dropoutSeed &+ 1),
            FullyConnectedLayer(name: "classifier.6", source: "classifier.5", outputs: classes),
            SoftmaxCrossEntropyLayer(name: "output", source: "classifier.6"),
        ]
        return layers
    }
}
