import DLEngine

/// Models see color images in **BGR** order, as in CAS: images are decoded the way OpenCV's
/// `imread` does (image.loadImages / processImages store BGR), DLPy's `offsets` are BGR means,
/// and DLPy/SAS Caffe weights are BGR-trained. torchvision weights are RGB-trained, so two
/// places adapt them: buildTorchvisionModel's ImageNet mean/std are given in BGR order, and
/// dlImportModelWeights (formatType=PYTORCH) reverses the input channels of every convolution
/// that reads the 3-channel input layer. A torchvision model in caslite then computes exactly
/// what it computes in PyTorch on the RGB image.
enum ChannelOrder {
    /// torchvision's ImageNet normalization with the per-channel mean and std in BGR order.
    static let imageNetBGR = ModelBuilders.InputNormalization(
        scale: ModelBuilders.InputNormalization.imageNet.scale,
        mean: ModelBuilders.InputNormalization.imageNet.mean.map { Array($0.reversed()) },
        std: ModelBuilders.InputNormalization.imageNet.std.map { Array($0.reversed()) })

    /// Names of the weight tensors of convolutions fed directly by a 3-channel input layer, with
    /// one input-channel group of 3 (weights `[OC, 3, KH, KW]`).
    static func firstConvolutionWeights(of model: Model) -> Set<String> {
        let inputs = Set(model.layers.compactMap { ($0 as? InputLayer).flatMap { $0.shape.last == 3 ? $0.name : nil } })
        var out = Set<String>()
        for case let conv as ConvolutionLayer in model.layers where conv.sources.count == 1 && inputs.contains(conv.sources[0]) && conv.groups == 1 {
            out.insert("\(conv.name).weight")
        }
        return out
    }

    /// Reverses axis 1 (input channels) of the named `[OC, 3, KH, KW]` tensors: RGB-trained
    /// weights become BGR-reading ones.
    static func reverseInputChannels(_ tensors: [NamedTensor], names: Set<String>) -> [NamedTensor] {
        tensors.map { t in
            guard names.contains(t.name), t.shape.count == 4, t.shape[1] == 3 else { return t }
            let (oc, kk) = (t.shape[0], t.shape[2] * t.shape[3])
            var v = t.values
            for o in 0..<oc {
                for c in 0..<3 {
                    let dst = (o * 3 + c) * kk, src = (o * 3 + (2 - c)) * kk
                    for k in 0..<kk { v[dst + k] = t.values[src + k] }
                }
            }
            return NamedTensor(name: t.name, shape: t.shape, values: v)
        }
    }
}
