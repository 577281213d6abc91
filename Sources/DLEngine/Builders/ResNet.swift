/// torchvision ResNets (v1.5: stride on the 3x3 of a bottleneck) with torchvision parameter names,
/// e.g. `conv1.weight`, `layer2.0.downsample.1.running_mean`, `fc.bias`. Padding is torch's symmetric
/// k/2, not CAS "same", so weights and activations match PyTorch exactly.
extension ModelBuilders {
    public enum ResNetBlock: Sendable { case basic, bottleneck }

    /// ResNet-18 (basic blocks 2-2-2-2).
    public static func resNet18Layers(classes: Int = 1000, inputShape: [Int] = [224, 224, 3], width: Int = 64,
                                      normalization: InputNormalization = .none) -> [Layer] {
        resNetLayers(block: .basic, counts: [2, 2, 2, 2], classes: classes, inputShape: inputShape, width: width, normalization: normalization)
    }

    /// ResNet-50 (bottleneck blocks 3-4-6-3).
    public static func resNet50Layers(classes: Int = 1000, inputShape: [Int] = [224, 224, 3], width: Int = 64,
                                      normalization: InputNormalization = .none) -> [Layer] {
        resNetLayers(block: .bottleneck, counts: [3, 4, 6, 3], classes: classes, inputShape: inputShape, width: width, normalization: normalization)
    }

    /// Any torchvision-style ResNet. `width` is the stem width (64 in torchvision); stage s has width·2^s planes.
    /// Layers: data, conv1, bn1 (+ReLU), maxpool, layer<s>.<b>.{conv1,bn1,...,downsample.0,downsample.1,add}, avgpool, fc, output.
    public static func resNetLayers(block: ResNetBlock, counts: [Int], classes: Int, inputShape: [Int], width: Int,
                                    normalization: InputNormalization = .none) -> [Layer] {
        var layers: [Layer] = [
            normalization.inputLayer(shape: inputShape),
            ConvolutionLayer(name: "conv1", source: "data", filters: width, kernel: 7, stride: 2, padding: .symmetric(height: 3, width: 3), bias: false),
            BatchNormLayer(name: "bn1", source: "conv1", activation: .relu),
            PoolingLayer(name: "maxpool", source: "bn1", mode: .max, kernel: 3, stride: 2, padding: .symmetric(height: 1, width: 1)),
        ]
        let expansion = block == .basic ? 1 : 4
        var previous = "maxpool", channels = width
        for (s, count) in counts.enumerated() {
            let planes = width << s
            for b in 0..<count {
                let stride = b == 0 && s > 0 ? 2 : 1
                let p = "layer\(s + 1).\(b)"
                let needsDownsample = stride != 1 || channels != planes * expansion
                func conv(_ name: String, _ src: String, _ filters: Int, _ k: Int, _ stride: Int) -> Layer {
                    ConvolutionLayer(name: "\(p).\(name)", source: src, filters: filters, kernel: k, stride: stride,
                                     padding: .symmetric(height: k / 2, width: k / 2), bias: false)
                }
                func bn(_ name: String, _ src: String, _ act: Activation) -> Layer {
                    BatchNormLayer(name: "\(p).\(name)", source: "\(p).\(src)", activation: act)
                }
                var last: String
                switch block {
                case .basic:
                    layers += [conv("conv1", previous, planes, 3, stride), bn("bn1", "conv1", .relu),
                               conv("conv2", "\(p).bn1", planes, 3, 1), bn("bn2", "conv2", .identity)]
                    last = "\(p).bn2"
                case .bottleneck:
                    layers += [conv("conv1", previous, planes, 1, 1), bn("bn1", "conv1", .relu),
                               conv("conv2", "\(p).bn1", planes, 3, stride), bn("bn2", "conv2", .relu),
                               conv("conv3", "\(p).bn2", planes * 4, 1, 1), bn("bn3", "conv3", .identity)]
                    last = "\(p).bn3"
                }
                var shortcut = previous
                if needsDownsample {
                    layers += [conv("downsample.0", previous, planes * expansion, 1, stride), bn("downsample.1", "downsample.0", .identity)]
                    shortcut = "\(p).downsample.1"
                }
                layers.append(ResidualLayer(name: "\(p).add", sources: [last, shortcut], activation: .relu))
                previous = "\(p).add"
                channels = planes * expansion
            }
        }
        layers += [
            GlobalAveragePoolingLayer(name: "avgpool", source: previous),
            FullyConnectedLayer(name: "fc", source: "avgpool", outputs: classes),
            SoftmaxCrossEntropyLayer(name: "output", source: "fc"),
        ]
        return layers
    }
}
