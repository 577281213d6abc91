/// torchvision Inception v3 (`inception_v3(aux_logits=False, transform_input=False)`) with torchvision parameter
/// names: `Conv2d_1a_3x3.conv.weight`, `Mixed_6b.branch7x7dbl_3.bn.running_var`, `fc.weight`, ... Every BasicConv2d is
/// a convolution without bias, batch norm (ε = 0.001) and ReLU. One difference in the arithmetic: the branches'
/// 3×3 average pooling (stride 1, padding 1) divides by the taps inside the image, torchvision's
/// `F.avg_pool2d` by 9 (count_include_pad): the border pixels of those branches differ, the cost does not.
extension ModelBuilders {
    /// Inception v3 layers for a 299×299 input. `width` < 1 scales every convolution (small test models; 1 is torchvision's).
    /// Layers: data, Conv2d_1a_3x3 … Conv2d_4a_3x3, maxpool1/2, Mixed_5b … Mixed_7c (each a concat of its branches),
    /// avgpool (global), dropout, fc, output.
    public static func inceptionV3Layers(classes: Int = 1000, inputShape: [Int] = [299, 299, 3], width: Double = 1,
                                         dropout: Float = 0.5, dropoutSeed: UInt64 = 0,
                                         normalization: InputNormalization = .none) -> [Layer] {
        var layers: [Layer] = [normalization.inputLayer(shape: inputShape)]
        func w(_ c: Int) -> Int { max(1, Int((Double(c) * width).rounded())) }
        /// BasicConv2d: returns its output layer's name.
        @discardableResult
        func conv(_ name: String, _ src: String, _ filters: Int, _ kh: Int, _ kw: Int? = nil, stride: Int = 1,
                  pad: (Int, Int) = (0, 0)) -> String {
            layers.append(ConvolutionLayer(name: "\(name).conv", source: src, filters: w(filters), kernel: kh, kernelW: kw ?? kh,
                                           stride: stride, padding: .symmetric(height: pad.0, width: pad.1), bias: false))
            layers.append(BatchNormLayer(name: "\(name).bn", source: "\(name).conv", epsilon: 0.001, activation: .relu))
            return "\(name).bn"
        }
        func maxPool(_ name: String, _ src: String) -> String {
            layers.append(PoolingLayer(name: name, source: src, mode: .max, kernel: 3, stride: 2, padding: .symmetric(height: 0, width: 0)))
            return name
        }
        func avgPool(_ name: String, _ src: String) -> String {
            layers.append(PoolingLayer(name: name, source: src, mode: .average, kernel: 3, stride: 1, padding: .symmetric(height: 1, width: 1)))
            return name
        }
        func concat(_ name: String, _ sources: [String]) -> String {
            layers.append(ConcatLayer(name: name, sources: sources))
            return name
        }
        func inceptionA(_ p: String, _ src: String, poolFeatures: Int) -> String {
            let b1 = conv("\(p).branch1x1", src, 64, 1)
            var b5 = conv("\(p).branch5x5_1", src, 48, 1)
            b5 = conv("\(p).branch5x5_2", b5, 64, 5, pad: (2, 2))
            var b3 = conv("\(p).branch3x3dbl_1", src, 64, 1)
            b3 = conv("\(p).branch3x3dbl_2", b3, 96, 3, pad: (1, 1))
            b3 = conv("\(p).branch3x3dbl_3", b3, 96, 3, pad: (1, 1))
            let bp = conv("\(p).branch_pool", avgPool("\(p).pool", src), poolFeatures, 1)
            return concat(p, [b1, b5, b3, bp])
        }
        func inceptionB(_ p: String, _ src: String) -> String {
            let b3 = conv("\(p).branch3x3", src, 384, 3, stride: 2)
            var bd = conv("\(p).branch3x3dbl_1", src, 64, 1)
            bd = conv("\(p).branch3x3dbl_2", bd, 96, 3, pad: (1, 1))
            bd = conv("\(p).branch3x3dbl_3", bd, 96, 3, stride: 2)
            return concat(p, [b3, bd, maxPool("\(p).pool", src)])
        }
        func inceptionC(_ p: String, _ src: String, c7: Int) -> String {
            let b1 = conv("\(p).branch1x1", src, 192, 1)
            var b7 = conv("\(p).branch7x7_1", src, c7, 1)
            b7 = conv("\(p).branch7x7_2", b7, c7, 1, 7, pad: (0, 3))
            b7 = conv("\(p).branch7x7_3", b7, 192, 7, 1, pad: (3, 0))
            var bd = conv("\(p).branch7x7dbl_1", src, c7, 1)
            bd = conv("\(p).branch7x7dbl_2", bd, c7, 7, 1, pad: (3, 0))
            bd = conv("\(p).branch7x7dbl_3", bd, c7, 1, 7, pad: (0, 3))
            bd = conv("\(p).branch7x7dbl_4", bd, c7, 7, 1, pad: (3, 0))
            bd = conv("\(p).branch7x7dbl_5", bd, 192, 1, 7, pad: (0, 3))
            let bp = conv("\(p).branch_pool", avgPool("\(p).pool", src), 192, 1)
            return concat(p, [b1, b7, bd, bp])
        }
        func inceptionD(_ p: String, _ src: String) -> String {
            var b3 = conv("\(p).branch3x3_1", src, 192, 1)
            b3 = conv("\(p).branch3x3_2", b3, 320, 3, stride: 2)
            var b7 = conv("\(p).branch7x7x3_1", src, 192, 1)
            b7 = conv("\(p).branch7x7x3_2", b7, 192, 1, 7, pad: (0, 3))
            b7 = conv("\(p).branch7x7x3_3", b7, 192, 7, 1, pad: (3, 0))
            b7 = conv("\(p).branch7x7x3_4", b7, 192, 3, stride: 2)
            return concat(p, [b3, b7, maxPool("\(p).pool", src)])
        }
        func inceptionE(_ p: String, _ src: String) -> String {
            let b1 = conv("\(p).branch1x1", src, 320, 1)
            let b3 = conv("\(p).branch3x3_1", src, 384, 1)
            let b3cat = concat("\(p).branch3x3", [conv("\(p).branch3x3_2a", b3, 384, 1, 3, pad: (0, 1)),
                                                  conv("\(p).branch3x3_2b", b3, 384, 3, 1, pad: (1, 0))])
            var bd = conv("\(p).branch3x3dbl_1", src, 448, 1)
            bd = conv("\(p).branch3x3dbl_2", bd, 384, 3, pad: (1, 1))
            let bdcat = concat("\(p).branch3x3dbl", [conv("\(p).branch3x3dbl_3a", bd, 384, 1, 3, pad: (0, 1)),
                                                     conv("\(p).branch3x3dbl_3b", bd, 384, 3, 1, pad: (1, 0))])
            let bp = conv("\(p).branch_pool", avgPool("\(p).pool", src), 192, 1)
            return concat(p, [b1, b3cat, bdcat, bp])
        }
        var x = conv("Conv2d_1a_3x3", "data", 32, 3, stride: 2)
        x = conv("Conv2d_2a_3x3", x, 32, 3)
        x = conv("Conv2d_2b_3x3", x, 64, 3, pad: (1, 1))
        x = maxPool("maxpool1", x)
        x = conv("Conv2d_3b_1x1", x, 80, 1)
        x = conv("Conv2d_4a_3x3", x, 192, 3)
        x = maxPool("maxpool2", x)
        x = inceptionA("Mixed_5b", x, poolFeatures: 32)
        x = inceptionA("Mixed_5c", x, poolFeatures: 64)
        x = inceptionA("Mixed_5d", x, poolFeatures: 64)
        x = inceptionB("Mixed_6a", x)
        x = inceptionC("Mixed_6b", x, c7: 128)
        x = inceptionC("Mixed_6c", x, c7: 160)
        x = inceptionC("Mixed_6d", x, c7: 160)
        x = inceptionC("Mixed_6e", x, c7: 192)
        x = inceptionD("Mixed_7a", x)
        x = inceptionE("Mixed_7b", x)
        x = inceptionE("Mixed_7c", x)
        layers += [
            GlobalAveragePoolingLayer(name: "avgpool", source: x),
            DropoutLayer(name: "dropout", source: "avgpool", rate: dropout, seed: dropoutSeed),
            FullyConnectedLayer(name: "fc", source: "dropout", outputs: classes),
            SoftmaxCrossEntropyLayer(name: "output", source: "fc"),
        ]
        return layers
    }
}
