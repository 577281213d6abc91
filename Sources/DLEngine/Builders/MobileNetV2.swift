/// torchvision MobileNetV2 with torchvision parameter names (`features.0.0.weight`,
/// `features.3.conv.1.1.running_var`, `classifier.1.weight`, ...).
extension ModelBuilders {
    /// torchvision's `_make_divisible`: round to a multiple of `divisor`, never below 90 % of `v`.
    static func makeDivisible(_ v: Double, _ divisor: Int = 8) -> Int {
        var n = max(divisor, Int(v + Double(divisor) / 2) / divisor * divisor)
        if Double(n) < 0.9 * v { n += divisor }
        return n
    }

    /// MobileNetV2 layers. `widthMultiplier` < 1 gives the narrow variants (and small test models).
    /// Layers: data, features.<i>..., pool (global average), classifier.0 (dropout, torchvision's 0.2 by default), classifier.1, output.
    public static func mobileNetV2Layers(classes: Int = 1000, inputShape: [Int] = [224, 224, 3], widthMultiplier: Double = 1,
                                         dropout: Float = 0.2, dropoutSeed: UInt64 = 0,
                                         normalization: InputNormalization = .none) -> [Layer] {
        var layers: [Layer] = [normalization.inputLayer(shape: inputShape)]
        func convBN(_ prefix: String, _ src: String, _ filters: Int, _ k: Int, _ stride: Int, groups: Int = 1, act: Activation) {
            layers.append(ConvolutionLayer(name: "\(prefix).0", source: src, filters: filters, kernel: k, stride: stride,
                                           padding: .symmetric(height: (k - 1) / 2, width: (k - 1) / 2), groups: groups, bias: false))
            layers.append(BatchNormLayer(name: "\(prefix).1", source: "\(prefix).0", activation: act))
        }
        var input = makeDivisible(32 * widthMultiplier)
        convBN("features.0", "data", input, 3, 2, act: .relu6)
        var previous = "features.0.1", index = 1
        let settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
        for (t, c, n, s) in settings {
            let output = makeDivisible(Double(c) * widthMultiplier)
            for i in 0..<n {
                let stride = i == 0 ? s : 1, p = "features.\(index).conv"
                let hidden = Int((Double(input) * Double(t)).rounded())
                let blockInput = previous
                var k = 0, src = previous
                if t != 1 { convBN("\(p).0", src, hidden, 1, 1, act: .relu6); src = "\(p).0.1"; k = 1 }
                convBN("\(p).\(k)", src, hidden, 3, stride, groups: hidden, act: .relu6)
                layers.append(ConvolutionLayer(name: "\(p).\(k + 1)", source: "\(p).\(k).1", filters: output, kernel: 1,
                                               padding: .symmetric(height: 0, width: 0), bias: false))
                layers.append(BatchNormLayer(name: "\(p).\(k + 2)", source: "\(p).\(k + 1)"))
                previous = "\(p).\(k + 2)"
                if stride == 1 && input == output {
                    layers.append(ResidualLayer(name: "features.\(index).add", sources: [previous, blockInput]))
                    previous = "features.\(index).add"
                }
                input = output
                index += 1
            }
        }
        let last = makeDivisible(1280 * max(1, widthMultiplier))
        convBN("features.\(index)", previous, last, 1, 1, act: .relu6)
        layers += [
            GlobalAveragePoolingLayer(name: "pool", source: "features.\(index).1"),
            DropoutLayer(name: "classifier.0", source: "pool", rate: dropout, seed: dropoutSeed),
            FullyConnectedLayer(name: "classifier.1", source: "classifier.0", outputs: classes),
            SoftmaxCrossEntropyLayer(name: "output", source: "classifier.1"),
        ]
        return layers
    }
}
