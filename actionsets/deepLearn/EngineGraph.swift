import CASCore
import DLEngine

/// Turns model-table layer specs into engine layers (and engine layers from the builders back into specs).
enum EngineGraph {
    /// What a model is built for, which decides the memory it needs.
    enum Use {
        /// Its parameters only (import, export, modelInfo).
        case parameters
        /// Scoring `batch` images at a time.
        case inference(batch: Int)
        /// Training on mini-batches of `batch` images (gradients, `optimizerSlabs` parameter-sized optimizer slabs —
        /// SGDOptions.slabs —, activations kept for backward).
        case training(batch: Int, optimizerSlabs: Int = 1)
    }

    /// Builds the engine model after reserving the memory `use` needs from the session's budget (before
    /// anything large is allocated); engine errors (cycles, missing sources, shapes, sizes) become parameter errors.
    static func model(_ m: ModelTable, seed: UInt64, for use: Use, _ ctx: ActionContext) throws(ActionError) -> Model {
        guard !m.layers.isEmpty else {
            throw ActionError(.parameterValue, "Model \(m.modelName) has no layers; add them with deepLearn.addLayer.", parameter: "model")
        }
        let layers = try engineLayers(m, seed: seed)
        do {
            let (batch, training, slabs, what): (Int, Bool, Int, String) = switch use {
            case .parameters: (1, false, 0, "Model \(m.modelName)")
            case .inference(let n): (n, false, 0, "Model \(m.modelName) scoring \(n) images at a time")
            case .training(let n, let slabs): (n, true, slabs, "Model \(m.modelName) training on mini-batches of \(n)")
            }
            let need = try Model.estimate(layers: layers, batchSize: batch, training: training, optimizerSlabs: slabs)
            try ctx.reserve(need.total, for: what)
            return try Model(layers: layers, seed: seed)
        } catch let e as EngineError {
            throw ActionError(.parameterValue, "Model \(m.modelName) is not valid: \(e.message)\(e.layer.map { " (layer \($0))" } ?? "").",
                              parameter: "model")
        } catch {
            throw ActionError(.internalError, "Model \(m.modelName): \(error)")
        }
    }

    /// Every spec's engine layers in model order, with the parts CAS adds on its own: a dropout layer
    /// after a layer with a `dropout` option (its consumers read the dropout), and 1×1 projections in
    /// front of a residual layer whose sources differ in shape (`projected`).
    static func engineLayers(_ m: ModelTable, seed: UInt64) throws(ActionError) -> [Layer] {
        var layers: [Layer] = []
        var readAs: [String: String] = [:]      // spec name → the engine layer its consumers read
        var shapes: [String: [Int]] = [:]       // engine layer → per-sample output shape (while shapes are known)
        for (i, spec) in m.layers.enumerated() {
            var s = spec
            s.sources = s.sources.map { readAs[$0] ?? $0 }
            var added: [Layer] = []
            func known(_ names: [String]) -> [[Int]]? {
                let found = names.compactMap { shapes[$0] }
                return found.count == names.count ? found : nil
            }
            if s.kind == .residual, s.sources.count >= 2, let inputs = known(s.sources) {
                let (projections, sources) = try projected(s, inputs)
                added += projections
                s.sources = sources
            }
            added += try engineLayers(s, seed: seed &+ UInt64(i))
            if let rate = s.number("dropout"), rate > 0, s.kind != .dropout, s.kind != .output, let last = added.last {
                added.append(DropoutLayer(name: "\(s.name)#dropout", source: last.name, rate: Float(rate), seed: seed &+ UInt64(i) &+ 0x5eed))
            }
            for l in added {
                if let inputs = known(l.sources) { shapes[l.name] = try? l.outputShape(given: inputs) }
            }
            if let last = added.last, last.name != s.name { readAs[s.name] = last.name }
            layers += added
        }
        return layers
    }

    /// CAS adds a projection when a residual layer's sources differ in shape (DLPy's ResNet*_SAS rely on it):
    /// every source that differs from the target shape — the smallest spatial size, then the most channels —
    /// goes through a 1×1 convolution without bias, with the stride that brings it to the target size.
    static func projected(_ s: LayerSpec, _ shapes: [[Int]]) throws(ActionError) -> ([Layer], [String]) {
        guard shapes.contains(where: { $0 != shapes[0] }) else { return ([], s.sources) }
        guard shapes.allSatisfy({ $0.count == 3 }) else {
            throw ActionError(.parameterValue, "Residual layer '\(s.name)': its sources have shapes \(shapes.map { "\($0)" }.joined(separator: ", ")), which no projection can match.",
                              parameter: "srcLayers")
        }
        let target = shapes.min { a, b in a[0] * a[1] != b[0] * b[1] ? a[0] * a[1] < b[0] * b[1] : a[2] > b[2] }!
        var layers: [Layer] = [], sources: [String] = []
        for (k, (source, shape)) in zip(s.sources, shapes).enumerated() {
            guard shape != target else { sources.append(source); continue }
            let sh = (shape[0] + target[0] - 1) / target[0], sw = (shape[1] + target[1] - 1) / target[1]
            guard (shape[0] + sh - 1) / sh == target[0], (shape[1] + sw - 1) / sw == target[1] else {
                throw ActionError(.parameterValue, "Residual layer '\(s.name)': source '\(source)' is \(shape[1])x\(shape[0]) but the sum is \(target[1])x\(target[0]); no stride of a projection maps one onto the other.",
                                  parameter: "srcLayers")
            }
            let p = ConvolutionLayer(name: "\(s.name)#proj\(k)", source: source, filters: target[2], kernel: 1, kernelW: 1, stride: sh, strideW: sw,
                                     padding: .same, groups: 1, bias: false, activation: .identity)
            layers.append(p)
            sources.append(p.name)
        }
        return (layers, sources)
    }

    static func activation(_ s: LayerSpec, auto: Activation) throws(ActionError) -> Activation {
        switch s.word("act") ?? "AUTO" {
        case "AUTO": return auto
        case "IDENTITY": return .identity
        case "RELU": return .relu
        case "RELU6": return .relu6
        case "LEAKY": return .leakyReLU(alpha: 0.1)
        case "SIGMOID": return .sigmoid
        case "TANH": return .tanh
        case let w:
            throw ActionError(.parameterValue, "Layer '\(s.name)' (\(s.kind.rawValue)) cannot use act=\(w).", parameter: "layer.act")
        }
    }

    static func source(_ s: LayerSpec) throws(ActionError) -> String {
        guard s.sources.count == 1 else {
            throw ActionError(.parameterValue, "Layer '\(s.name)' (\(s.kind.rawValue)) needs exactly one source layer (srcLayers), got \(s.sources.count).",
                              parameter: "srcLayers")
        }
        return s.sources[0]
    }

    /// Explicit padding options, else CAS's default: `same` for convolutions; for pooling (`pooling: true`)
    /// the same output size with all padding at the bottom/right.
    static func padding(_ s: LayerSpec, pooling: Bool = false) -> Padding {
        let keys = ["pad_top", "pad_left", "pad_bottom", "pad_right"]
        if s.number("pad_bottom") == nil, s.number("pad_right") == nil {
            // CAS's pad_top/pad_left (DLPy's padding_height/width): the same on both sides; −1 (or one alone) is CAS "same"
            if let t = s.int("pad_top"), let l = s.int("pad_left"), t >= 0, l >= 0 { return .symmetric(height: t, width: l) }
        } else if keys.contains(where: { (s.int($0) ?? -1) >= 0 }) {
            let v = keys.map { max(0, s.int($0) ?? 0) }
            return .explicit(top: v[0], left: v[1], bottom: v[2], right: v[3])
        }
        if let p = s.int("padheight") ?? s.int("padding"), let q = s.int("padwidth") ?? s.int("padding") {
            return .symmetric(height: p, width: q)
        }
        return pooling ? .sameAfter : .same
    }

    /// One spec's engine layers (an output layer with its own fully connected part gives two).
    static func engineLayers(_ s: LayerSpec, seed: UInt64) throws(ActionError) -> [Layer] {
        let bias = s.int("no_bias") != 1
        switch s.kind {
        case .input:
            let c = s.int("nchannels") ?? 3
            let input = InputLayer(name: s.name, shape: [s.int("height") ?? 0, s.int("width") ?? 0, c], scale: Float(s.number("scale") ?? 1),
                                   offsets: s.list("offsets")?.map(Float.init), std: s.word("std") == "VALUES" ? s.list("std")?.map(Float.init) : nil,
                                   augmentation: augmentation(s, seed: seed))
            return [input]
        case .scale:
            guard s.sources.count == 2 else {
                throw ActionError(.parameterValue, "Scale layer '\(s.name)' needs two source layers (the data, then the factors), got \(s.sources.count).", parameter: "srcLayers")
            }
            return [ScaleLayer(name: s.name, sources: s.sources, activation: try activation(s, auto: .identity))]
        case .transposedConvolution:
            let stride = s.int("stride") ?? 1, pad = s.int("padding") ?? 0, outPad = s.int("outputpadding") ?? 0
            return [TransposedConvolutionLayer(name: s.name, source: try source(s), filters: s.int("nfilters") ?? 1, kernel: s.int("height") ?? 3,
                                               kernelW: s.int("width") ?? 3, stride: s.int("stridevertical") ?? stride,
                                               strideW: s.int("stridehorizontal") ?? stride, padding: s.int("padheight") ?? pad,
                                               paddingW: s.int("padwidth") ?? pad, outputPadding: s.int("outputpaddingheight") ?? outPad,
                                               outputPaddingW: s.int("outputpaddingwidth") ?? outPad, bias: s.int("no_bias") != 1,
                                               activation: try activation(s, auto: .relu))]
        case .reshape:
            return [ReshapeLayer(name: s.name, source: try source(s), shape: [s.int("height") ?? 1, s.int("width") ?? 1, s.int("depth") ?? 1],
                                 activation: try activation(s, auto: .identity))]
        case .channelShuffle:
            return [ChannelShuffleLayer(name: s.name, source: try source(s), groups: s.int("ngroups") ?? 1)]
        case .convolution, .groupConvolution:
            let stride = s.int("stride") ?? 1
            return [ConvolutionLayer(name: s.name, source: try source(s), filters: s.int("nfilters") ?? 1, kernel: s.int("height") ?? 3,
                                     kernelW: s.int("width") ?? 3, stride: s.int("stridevertical") ?? stride,
                                     strideW: s.int("stridehorizontal") ?? stride, padding: padding(s), groups: s.int("groups") ?? 1,
                                     bias: bias, activation: try activation(s, auto: .relu))]
        case .pooling:
            return [try pooling(s)]
        case .fc:
            return [FullyConnectedLayer(name: s.name, source: try source(s), outputs: s.int("n") ?? 1, bias: bias,
                                        activation: try activation(s, auto: .relu))]
        case .output:
            return try output(s)
        case .batchnorm:
            return [BatchNormLayer(name: s.name, source: try source(s), activation: try activation(s, auto: .identity))]
        case .residual:
            return [ResidualLayer(name: s.name, sources: try atLeastTwo(s), activation: try activation(s, auto: .identity))]
        case .concat:
            return [ConcatLayer(name: s.name, sources: try atLeastTwo(s))]
        case .dropout:
            return [DropoutLayer(name: s.name, source: try source(s), rate: Float(s.number("dropout") ?? 0.5), seed: seed)]
        case .segmentation:
            let act = s.word("act") ?? "AUTO"
            guard act == "SOFTMAX" || act == "AUTO" else {
                throw ActionError(.parameterValue, "Segmentation layer '\(s.name)': only act=AUTO or SOFTMAX is supported (got \(act)).", parameter: "layer.act")
            }
            return [SoftmaxCrossEntropyLayer(name: s.name, source: try source(s), perPosition: true)]
        case .detection:
            return [YoloDetectionLayer(name: s.name, source: try source(s), options: try DetectionTargets.options(s))]
        }
    }

    /// The input layer's training-time augmentation (CAS's randomFlip, randomCrop, randomMutation).
    static func augmentation(_ s: LayerSpec, seed: UInt64) -> Augmentation {
        let flip: Augmentation.Flip = switch s.word("flip") {
        case "H": .horizontal
        case "V": .vertical
        case "HV": .both
        default: .none
        }
        let crop: Augmentation.Crop = switch s.word("crop") {
        case "UNIQUE": .unique
        case "RANDOMRESIZED": .randomResized
        default: .none
        }
        return Augmentation(flip: flip, crop: crop, mutation: s.word("mutation") == "RANDOM", seed: seed)
    }

    static func atLeastTwo(_ s: LayerSpec) throws(ActionError) -> [String] {
        guard s.sources.count >= 2 else {
            throw ActionError(.parameterValue, "Layer '\(s.name)' (\(s.kind.rawValue)) needs at least two source layers (srcLayers).", parameter: "srcLayers")
        }
        return s.sources
    }

    static func pooling(_ s: LayerSpec) throws(ActionError) -> Layer {
        let w = s.int("width") ?? 2, h = s.int("height") ?? w
        if w == 0 || h == 0 {
            guard s.word("pool") == "MEAN" else {
                throw ActionError(.parameterValue, "Layer '\(s.name)': global pooling (width 0) is supported for pool=MEAN only.", parameter: "layer.pool")
            }
            return GlobalAveragePoolingLayer(name: s.name, source: try source(s))
        }
        return PoolingLayer(name: s.name, source: try source(s), mode: s.word("pool") == "MEAN" ? .average : .max, kernel: h, kernelW: w,
                            stride: s.int("stride") ?? w, padding: padding(s, pooling: true))
    }

    static func output(_ s: LayerSpec) throws(ActionError) -> [Layer] {
        let act = s.word("act") ?? "SOFTMAX"
        guard act == "SOFTMAX" || act == "AUTO" else {
            throw ActionError(.parameterValue, "Output layer '\(s.name)': only act=SOFTMAX is supported (got \(act)).", parameter: "layer.act")
        }
        if s.int("nofullconnect") == 1 { return [SoftmaxCrossEntropyLayer(name: s.name, source: try source(s))] }
        guard let n = s.int("n") else {
            throw ActionError(.parameterValue, "Output layer '\(s.name)' has no n (number of classes): dlTrain sets it from the target's levels; for this action set n with addLayer or use weights trained by dlTrain.",
                              parameter: "model")
        }
        return [FullyConnectedLayer(name: s.name, source: try source(s), outputs: n, bias: s.int("no_bias") != 1),
                SoftmaxCrossEntropyLayer(name: softmaxName(s.name), source: s.name)]
    }

    /// The engine name of an output layer's softmax part.
    static func softmaxName(_ name: String) -> String { "\(name)#softmax" }
}
