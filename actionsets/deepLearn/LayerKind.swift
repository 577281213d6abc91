/// Layer types, with CAS's model-table label and code (as in the model tables DLPy ships; docs/deeplearn.md).
enum LayerKind: String, Sendable, CaseIterable {
    case input, convolution, groupConvolution, transposedConvolution, pooling, fc, output, batchnorm, residual, concat, scale, channelShuffle, reshape, dropout, segmentation, detection

    var label: String {
        switch self {
        case .input: "Input"
        case .convolution: "Convolution"
        case .pooling: "Pooling"
        case .fc: "Full Connect"
        case .output: "Output"
        case .batchnorm: "Batch Normalization"
        case .residual: "Residual Layer"
        case .concat: "Concat"
        case .groupConvolution: "Group Convolution"
        case .transposedConvolution: "Transpose Convolution"
        case .scale: "Scale"
        case .channelShuffle: "Channel Shuffle"
        case .reshape: "Reshape"
        case .dropout: "Dropout"
        case .segmentation: "Segmentation"
        case .detection: "Detection"
        }
    }

    /// CAS's layer-type code (those DLPy's model-table reader knows); dropout (an option in CAS, a layer here) uses 20, not a CAS code.
    var code: Double {
        switch self {
        case .input: 1
        case .convolution: 2
        case .pooling: 3
        case .fc: 4
        case .output: 5
        case .batchnorm: 8
        case .residual: 9
        case .concat: 10
        case .scale: 12
        case .groupConvolution: 17
        case .transposedConvolution: 16
        case .channelShuffle: 18
        case .reshape: 14
        case .dropout: 20
        case .segmentation: 19
        case .detection: 11
        }
    }

    /// Prefix of the layer's option keys in the model table (`convopts.nfilters`).
    var optionPrefix: String {
        switch self {
        case .input: "inputopts"
        case .convolution: "convopts"
        case .pooling: "poolingopts"
        case .fc: "fcopts"
        case .output: "outputopts"
        case .batchnorm: "bnopts"
        case .residual: "residualopts"
        case .concat: "concatopts"
        case .groupConvolution: "groupconvopts"
        case .transposedConvolution: "transposeconvopts"
        case .scale: "scaleopts"
        case .channelShuffle: "channelshuffleopts"
        case .reshape: "reshapeopts"
        case .dropout: "dropoutopts"
        case .segmentation: "segmentationopts"
        case .detection: "detectionopts"
        }
    }

    init?(label: String) {
        guard let k = LayerKind.allCases.first(where: { $0.label.lowercased() == label.lowercased() }) else { return nil }
        self = k
    }
}
