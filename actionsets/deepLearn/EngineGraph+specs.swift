import DLEngine

extension EngineGraph {
    /// Specs for engine layers (the torchvision builders), names lower-cased.
    static func specs(_ layers: [Layer]) -> [LayerSpec] {
        layers.map { l in
            var s = LayerSpec(name: l.name.lowercased(), kind: .input, sources: l.sources.map { $0.lowercased() })
            if let x = l as? InputLayer {
                s.numbers = ["height": Double(x.shape[0]), "width": Double(x.shape[1]), "nchannels": Double(x.shape[2]), "scale": Double(x.scale)]
                if let o = x.offsets { s.setList("offsets", o.map(Double.init)) }
                if let d = x.std { s.setList("std", d.map(Double.init)) }
                s.words["std"] = x.std == nil ? "NONE" : "VALUES"
            } else if let x = l as? ConvolutionLayer {
                s.kind = .convolution
                s.numbers = ["nfilters": Double(x.filters), "width": Double(x.kernelW), "height": Double(x.kernelH),
                             "stride": Double(x.strideH), "stridehorizontal": Double(x.strideW), "stridevertical": Double(x.strideH),
                             "groups": Double(x.groups), "no_bias": x.hasBias ? 0 : 1]
                setPadding(x.padding, &s)
                s.words = ["act": word(x.activation), "init": "MSRA"]
            } else if let x = l as? BatchNormLayer {
                s.kind = .batchnorm
                s.words = ["act": word(x.activation)]
            } else if let x = l as? PoolingLayer {
                s.kind = .pooling
                s.numbers = ["width": Double(x.kernelW), "height": Double(x.kernelH), "stride": Double(x.strideH)]
                setPadding(x.padding, &s)
                s.words = ["pool": x.mode == .max ? "MAX" : "MEAN"]
            } else if l is GlobalAveragePoolingLayer {
                s.kind = .pooling
                s.numbers = ["width": 0, "height": 0, "stride": 1]
                s.words = ["pool": "MEAN"]
            } else if let x = l as? FullyConnectedLayer {
                s.kind = .fc
                s.numbers = ["n": Double(x.outputs), "no_bias": x.hasBias ? 0 : 1]
                s.words = ["act": word(x.activation)]
            } else if let x = l as? SoftmaxCrossEntropyLayer, x.perPosition {
                s.kind = .segmentation
                s.numbers = ["targetscale": 1]
                s.words = ["act": "AUTO", "error": "AUTO", "outputimagetype": "WIDE"]
            } else if l is SoftmaxCrossEntropyLayer {
                s.kind = .output
                s.numbers = ["nofullconnect": 1]
                s.words = ["act": "SOFTMAX", "error": "ENTROPY"]
            } else if let x = l as? DropoutLayer {
                s.kind = .dropout
                s.numbers = ["dropout": Double(x.rate)]
            } else if let x = l as? ResidualLayer {
                s.kind = .residual
                s.words = ["act": word(x.activation)]
            } else {
                s.kind = .concat
            }
            return s
        }
    }

    static func setPadding(_ p: Padding, _ s: inout LayerSpec) {
        switch p {
        case .same, .sameAfter: break  // the defaults (pooling: sameAfter)
        case .symmetric(let h, let w): s.numbers["padheight"] = Double(h); s.numbers["padwidth"] = Double(w)
        case .explicit(let t, let l, let b, let r):
            s.numbers["pad_top"] = Double(t); s.numbers["pad_left"] = Double(l); s.numbers["pad_bottom"] = Double(b); s.numbers["pad_right"] = Double(r)
        }
    }

    static func word(_ a: Activation) -> String {
        switch a {
        case .identity: "IDENTITY"
        case .relu: "RELU"
        case .relu6: "RELU6"
        case .leakyReLU: "LEAKY"
        case .sigmoid: "SIGMOID"
        case .tanh: "TANH"
        }
    }
}
