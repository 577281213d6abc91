import CASCore
import CASWire

/// The `layer` selector union of `addLayer`: one parameter list per layer type (CAS option names),
/// and the reading of a validated `layer` value into a `LayerSpec`.
enum LayerOptions {
    static func act(_ d: String) -> ParamSpec {
        P.string("act", "Activation: AUTO (the type's usual one), IDENTITY, RELU, RELU6, LEAKY, SIGMOID, TANH, SOFTMAX.",
                 default: d, allowed: Enumerations.accepted("act")).spec
    }
    static let initSpec = P.string("init", "Weight initialisation (the engine uses He/Kaiming uniform for every choice).",
                                   default: "XAVIER", allowed: Enumerations.accepted("init")).spec
    static let includeBias = P.bool("includeBias", "Whether the layer has a bias term.", default: true).spec
    /// Options of CAS's weight initialisation that DLPy always sends (recorded; the engine uses He-uniform).
    static let initDetails: [ParamSpec] = [
        P.optionalDouble("initBias", "Initial bias value (recorded; biases start at 0).").spec,
        P.optionalDouble("std", "Standard deviation for init=NORMAL (recorded).").spec,
        P.optionalDouble("mean", "Mean for init=NORMAL (recorded).").spec,
        P.optionalDouble("truncationFactor", "Truncation for init=NORMAL (recorded).").spec,
    ]
    static let dropout = P.double("dropout", "Dropout rate applied to the layer's output in training (0 = none; below 1).",
                                  default: 0, min: 0, max: 0.999).spec
    /// Largest spatial size (width, height, stride, padding) a layer may declare: an image's largest side.
    static let maxSide = Limits.maxImageSide
    /// Largest channel, filter or group count.
    static let maxChannels = 65_536
    static func size(_ n: String, _ what: String, min: Int = 0) -> ParamSpec { P.optionalInt(n, what, min: min, max: maxSide).spec }

    static let input: [ParamSpec] = [
        P.int("nChannels", "Number of channels (3 = RGB, 1 = gray).", default: 3, min: 1, max: maxChannels).spec,
        size("width", "Image width in pixels (required).", min: 1), size("height", "Image height in pixels (required).", min: 1),
        P.double("scale", "Pixel values are multiplied by this first.", default: 1).spec,
        P.doubleList("offsets", "Per-channel values subtracted after scaling.").spec,
        P.value("std", "Per-channel divisors after the offsets (a list), or NONE.").spec,
        P.doubleList("normStds", "Per-channel standard deviations the values are divided by after the offsets (CAS's name; same as a std list).").spec,
        P.string("randomFlip", "Training only: flip each image at random, horizontally (H), vertically (V), either (HV), or NONE.",
                 default: "NONE", allowed: Enumerations.allowed("flip")).spec,
        P.string("randomCrop", "Training only: UNIQUE (a window of the input size at a random place; images already of that size are unchanged), RANDOMRESIZED (a random 8-100 % part resized back), or NONE.",
                 default: "NONE", allowed: Enumerations.allowed("crop")).spec,
        P.string("randomMutation", "Training only: RANDOM brightness and contrast changes per image, or NONE.",
                 default: "NONE", allowed: Enumerations.allowed("mutation")).spec,
        dropout,
    ]
    /// Filters, kernel and strides: the same for convolutions and transposed convolutions.
    static let kernelAndStrides: [ParamSpec] = [
        P.optionalInt("nFilters", "Number of filters (output channels).", min: 1, max: maxChannels, required: true).spec,
        size("width", "Kernel width (default 3).", min: 1), size("height", "Kernel height (default: width).", min: 1),
        P.int("stride", "Stride in both directions.", default: 1, min: 1, max: maxSide).spec,
        size("strideHorizontal", "Horizontal stride (default: stride).", min: 1), size("strideVertical", "Vertical stride (default: stride).", min: 1),
    ]
    /// `padding` (described per layer type), then its per-direction spellings.
    static func paddings(_ padding: String) -> [ParamSpec] {
        [size("padding", padding),
         P.optionalInt("padHeight", "Padding at top and bottom.", min: 0, max: maxSide).aliases("paddingHeight").spec,
         P.optionalInt("padWidth", "Padding at left and right.", min: 0, max: maxSide).aliases("paddingWidth").spec]
    }
    static let convolution: [ParamSpec] = kernelAndStrides + paddings("Padding on every side; CAS \"same\" padding (output = ceil(input/stride)) when omitted.") + [
        P.int("groups", "Convolution groups (nChannels = depthwise).", default: 1, min: 1, max: maxChannels).aliases("nGroups").spec,
        act("AUTO"), includeBias, initSpec, dropout,
    ] + initDetails
    static let transposedConvolution: [ParamSpec] = kernelAndStrides + paddings("Rows and columns taken off each side of the full output (default 0).") + [
        size("outputPadding", "Rows and columns added back at the bottom/right (smaller than the stride; default 0)."),
        size("outputPaddingHeight", "Output padding at the bottom."), size("outputPaddingWidth", "Output padding at the right."),
        act("AUTO"), includeBias, initSpec, dropout,
    ] + initDetails
    static let pooling: [ParamSpec] = [
        size("width", "Window width; 0 means global pooling (mean only)."), size("height", "Window height (default: width)."),
        size("stride", "Stride (default: width).", min: 1),
        size("strideHorizontal", "Horizontal stride (DLPy sends it; must equal strideVertical: the engine pools with one stride).", min: 1),
        size("strideVertical", "Vertical stride (default: stride).", min: 1),
        P.string("pool", "MAX, or MEAN (alias AVERAGE).", default: "MAX", allowed: ["MAX", "MEAN", "AVERAGE"]).spec,
    ] + paddings("Padding on every side; CAS \"same\" padding when omitted.") + [dropout]
    static let fc: [ParamSpec] = [P.optionalInt("n", "Number of neurons (one tensor holds at most 2^31-1 weights: inputs × n).", min: 1, max: Int(Int32.max), required: true).spec, act("AUTO"), includeBias, initSpec, dropout] + initDetails
    static let output: [ParamSpec] = [
        P.optionalInt("n", "Number of classes (default: the number of target levels, set by dlTrain from the training table).", min: 1, max: 1 << 24)
            .aliases("nClasses").spec,
        act("SOFTMAX"), P.string("error", "Loss: AUTO or ENTROPY (cross-entropy).", default: "AUTO", allowed: Enumerations.accepted("error")).spec,
        includeBias, initSpec,
        P.bool("fullConnect", "Whether the output layer has its own fully connected part (false: softmax of its source).", default: true).spec,
    ]
    static let actOnly: [ParamSpec] = [act("AUTO")]
    static let reshape: [ParamSpec] = [
        size("width", "Output width (required).", min: 1), size("height", "Output height (required).", min: 1),
        P.optionalInt("depth", "Output depth = channels (required).", min: 1, max: maxChannels).spec, act("AUTO"),
    ]
    static let channelShuffle: [ParamSpec] = [
        P.int("nGroups", "Number of channel groups to interleave (the channels must divide evenly).", default: 1, min: 1, max: maxChannels).spec,
        P.double("scale", "Multiplies the output (only 1 is supported).", default: 1, min: 1, max: 1).spec,
    ]
    static let segmentation: [ParamSpec] = [
        P.string("act", "Activation: AUTO or SOFTMAX (a softmax over the classes at every pixel).", default: "AUTO", allowed: ["AUTO", "SOFTMAX"]).spec,
        P.string("error", "Loss: AUTO or ENTROPY (cross-entropy per pixel, averaged).", default: "AUTO", allowed: Enumerations.accepted("error")).spec,
        P.double("targetScale", "Target mask pixel values are multiplied by this to give the class (e.g. 1/255 for masks of 0 and 255).",
                 default: 1, min: 1e-6, max: 1e6).spec,
        P.string("outputImageType", "dlScore's predicted mask: PNG or BASE64 (a PNG image; WIDE, CAS's one column per pixel, is written as PNG here).",
                 default: "WIDE", allowed: ["WIDE", "PNG", "BASE64"]).spec,
        P.bool("outputImageProb", "Whether dlScore also writes per-class probability images (not supported: must be false).", default: false).spec,
    ]
    /// CAS's YOLO v2 `detection` layer (docs/decisions/022-detection.md): what DLPy's YoloV2 and Tiny_YoloV2 send.
    static let detection: [ParamSpec] = [
        P.string("act", "Activation of the predictions: AUTO (YOLO's own: logistic centre offsets and objectness, exponential sizes) or LOGISTIC/SIGMOID (the same).",
                 default: "AUTO", allowed: ["AUTO", "AUTOMATIC", "LOGISTIC", "SIGMOID"]).spec,
        P.value("detectionModelType", "YOLOV2 (YOLOV1 is not supported); the model table's code 2 is accepted too (DLPy's Model.from_table sends it).").spec,
        P.doubleList("anchors", "Anchor box sizes in grid cells, width then height for each of the predictionsPerGrid anchors (required).").spec,
        P.bool("softmaxForClassProb", "Softmax over the class scores of a prediction (false: a logistic per class).", default: true).spec,
        P.value("coordType", "How the table's boxes (and dlScore's) are written: YOLO (centre x, y, width, height, relative to the image), COCO (xmin, ymin, xmax, ymax in pixels) or RECT (x, y of the top left, width, height in pixels; the default); the model table's codes 1 RECT, 2 YOLO, 3 COCO are accepted too.").spec,
        P.optionalInt("classNumber", "Number of object classes (required; the source must have predictionsPerGrid × (5 + classNumber) channels).", min: 1, max: maxChannels).spec,
        P.optionalInt("gridNumber", "Grid cells per side (the source's height and width; checked when given).", min: 1, max: maxSide).spec,
        P.optionalInt("predictionsPerGrid", "Predictions (anchors) per grid cell (default: half the anchors' values).", min: 1, max: 1024).spec,
        P.bool("doSqrt", "Width and height errors on square roots of the sizes (false: on the log-space offsets).", default: true).spec,
        P.double("coordScale", "Weight of the box errors of the predictions responsible for an object.", default: 1, min: 0, max: 1e6).spec,
        P.double("objectScale", "Weight of the objectness error of those predictions.", default: 5, min: 0, max: 1e6).spec,
        P.double("predictionNotAObjectScale", "Weight of the objectness of predictions that are not responsible for an object.", default: 1, min: 0, max: 1e6).spec,
        P.double("classScale", "Weight of the class error.", default: 1, min: 0, max: 1e6).spec,
        P.double("detectionThreshold", "dlScore keeps predictions whose objectness × class probability reaches this.", default: 0.3, min: 0, max: 1).spec,
        P.double("iouThreshold", "dlScore's non-maximum suppression drops a box overlapping a better one of its class by more than this.", default: 0.45, min: 0, max: 1).spec,
        P.bool("randomBoxes", "Randomise the boxes when loading them (not supported: must be false).", default: false).spec,
        P.int("maxLabelPerImage", "Most objects one image may hold in the training table.", default: 30, min: 1, max: Limits.maxObjectsPerImage).spec,
        P.int("maxBoxes", "Most boxes dlScore writes per image.", default: 30, min: 1, max: Limits.maxObjectsPerImage).spec,
        P.bool("matchAnchorSize", "Force predictions to the anchors' sizes (not supported: must be false).", default: false).spec,
        P.int("numToForceCoord", "Leading images trained with predictions forced to the anchors (not supported: must be 0).", default: 0, min: 0, max: 0).spec,
        P.optionalDouble("forceCoordScale", "Weight of that forcing (recorded; unused while numToForceCoord is 0).").spec,
    ]
    static let dropoutLayer: [ParamSpec] = [P.double("dropout", "Fraction of values zeroed in training (below 1).", default: 0.5, min: 0, max: 0.999).spec]

    static let alternatives: [ParamType.Alternative] = [
        .init("input", "Input layer: image size, channels and normalisation.", input),
        .init("convolution", "Convolution (+ activation).", convolution),
        .init("convo", "Same as convolution (DLPy's name).", convolution),
        .init("transconvo", "Transposed convolution (upsampling; output (in−1)·stride − 2·padding + kernel + outputPadding).", transposedConvolution),
        .init("groupconvo", "Grouped convolution (DLPy's GroupConv2d; nGroups = nChannels is depthwise).", convolution),
        .init("pooling", "Max or mean pooling; width 0 = global mean pooling.", pooling),
        .init("pool", "Same as pooling (DLPy's name).", pooling),
        .init("fc", "Fully connected layer.", fc),
        .init("fullconnect", "Same as fc.", fc),
        .init("output", "Softmax output with cross-entropy loss (and its fully connected part).", output),
        .init("batchnorm", "Batch normalisation (+ activation).", actOnly),
        .init("residual", "Element-wise sum of its sources (+ activation).", actOnly),
        .init("concat", "Channel concatenation of its sources.", actOnly),
        .init("scale", "Multiplies its first source by per-channel factors from its second (+ activation).", actOnly),
        .init("channelshuffle", "Interleaves the channels of nGroups groups (ShuffleNet).", channelShuffle),
        .init("reshape", "Lays each sample's values out again as height × width × depth (CAS's channel-major order).", reshape),
        .init("dropout", "Dropout layer (caslite; CAS has dropout as an option).", dropoutLayer),
        .init("segmentation", "Per-pixel softmax output with cross-entropy against a class mask (its source's channels are the classes).", segmentation),
        .init("detection", "YOLO v2 object detection output: boxes per grid cell and anchor, trained against the table's objects.", detection),
    ]

    static let kindOf: [String: LayerKind] = [
        "input": .input, "convolution": .convolution, "convo": .convolution, "pooling": .pooling, "pool": .pooling,
        "fc": .fc, "fullconnect": .fc, "output": .output, "batchnorm": .batchnorm, "residual": .residual, "concat": .concat,
        "dropout": .dropout, "groupconvo": .groupConvolution, "transconvo": .transposedConvolution, "scale": .scale, "channelshuffle": .channelShuffle, "reshape": .reshape,
        "segmentation": .segmentation, "detection": .detection,
    ]

    /// A validated `layer` value as a spec (name and sources set by the caller). Every option is
    /// stored under its lower-case name, as the model table keeps it.
    static func spec(name: String, layer: Selection, sources: [String]) throws(ActionError) -> LayerSpec {
        let kind = kindOf[layer.alternative] ?? .input
        var s = LayerSpec(name: name, kind: kind, sources: sources)
        for (key, value) in layer.args.values.entries where key.lowercased() != "type" {
            try read(key.lowercased(), value, into: &s)
        }
        try complete(&s)
        return s
    }

    static func read(_ key: String, _ value: Value, into s: inout LayerSpec) throws(ActionError) {
        switch (key, value) {
        case ("includebias", .bool(let b)): s.numbers["no_bias"] = b ? 0 : 1
        case ("fullconnect", .bool(let b)): s.numbers["nofullconnect"] = b ? 0 : 1
        case ("outputimageprob", .bool(let b)):
            guard !b else {
                throw ActionError(.parameterValue, "layer.outputImageProb: per-class probability images are not supported; set it to false (dlScore writes the predicted mask).",
                                  parameter: "layer.outputImageProb")
            }
        case ("randomflip", .string(let w)): s.words["flip"] = w.uppercased()
        case ("randomcrop", .string(let w)): s.words["crop"] = w.uppercased()
        case ("randommutation", .string(let w)): s.words["mutation"] = w.uppercased()
        case ("pool", .string(let w)): s.words["pool"] = w.uppercased() == "AVERAGE" ? "MEAN" : w.uppercased()
        case ("normstds", .list(let l)): s.setList("std", l.compactMap(\.doubleValue)); s.words["std"] = "VALUES"
        case ("offsets", .list(let l)): s.setList("offsets", l.compactMap(\.doubleValue))
        case ("anchors", .list(let l)): s.setList("anchors", l.compactMap(\.doubleValue))
        case ("std", .list(let l)): s.setList("std", l.compactMap(\.doubleValue)); s.words["std"] = "VALUES"
        case ("std", .string(let w)) where s.words["std"] == "VALUES" && w.uppercased() == "NONE": break   // normStds came first
        case ("std", .string(let w)):
            guard w.uppercased() == "NONE" else {
                throw ActionError(.parameterValue, "layer.std: only a list of per-channel values or NONE is supported, not \"\(w)\".", parameter: "layer.std")
            }
            s.words["std"] = "NONE"
        case ("randomboxes", .bool(true)), ("matchanchorsize", .bool(true)):
            let name = key == "randomboxes" ? "randomBoxes" : "matchAnchorSize"
            throw ActionError(.parameterValue, "layer.\(name)=true is not supported for detection layers; set it to false.", parameter: "layer.\(name)")
        case ("coordtype", let v), ("detectionmodeltype", let v):
            let name = key == "coordtype" ? "coordType" : "detectionModelType"
            let word = try Enumerations.wordOrCode(key, v, parameter: "layer.\(name)")
            guard word != "YOLOV1" else {
                throw ActionError(.parameterValue, "layer.detectionModelType=YOLOV1 is not supported; detection layers are YOLOV2.", parameter: "layer.detectionModelType")
            }
            s.words[key] = word
        case (_, .bool(let b)): s.numbers[key] = b ? 1 : 0
        case (_, .string(let w)): s.words[key] = Enumerations.canonical(key, w)
        case (_, let v):
            if let d = v.doubleValue { s.numbers[key] = d }
        }
    }

    /// Fills the defaults that depend on other options and checks what the engine needs.
    static func complete(_ s: inout LayerSpec) throws(ActionError) {
        switch s.kind {
        case .input:
            guard s.int("width") ?? 0 > 0, s.int("height") ?? 0 > 0 else {
                throw ActionError(.parameterValue, "Input layer '\(s.name)' needs width and height (the image size).", parameter: "layer.width")
            }
            if s.words["std"] == nil { s.words["std"] = "NONE" }
            for key in ["crop", "flip", "mutation"] where s.words[key] == nil { s.words[key] = "NONE" }
        case .convolution, .groupConvolution, .transposedConvolution:
            if s.numbers["width"] == nil { s.numbers["width"] = 3 }
            if s.numbers["height"] == nil { s.numbers["height"] = s.numbers["width"] }
        case .pooling:
            if s.numbers["width"] == nil { s.numbers["width"] = 2 }
            if s.numbers["height"] == nil { s.numbers["height"] = s.numbers["width"] }
            let sh = s.numbers["stridehorizontal"], sv = s.numbers["stridevertical"]
            if let sh, let sv, sh != sv {
                throw ActionError(.parameterValue, "Pooling layer '\(s.name)': strideHorizontal (\(LayerSpec.whole(sh))) and strideVertical (\(LayerSpec.whole(sv))) must be equal; different strides per direction are not supported.",
                                  parameter: "layer.strideHorizontal")
            }
            if s.numbers["stride"] == nil { s.numbers["stride"] = sv ?? sh ?? s.numbers["width"] }
            s.numbers["stridehorizontal"] = nil
            s.numbers["stridevertical"] = nil
        case .detection:
            try DetectionTargets.complete(&s)
        case .reshape:
            guard s.int("width") != nil, s.int("height") != nil, s.int("depth") != nil else {
                throw ActionError(.parameterValue, "Reshape layer '\(s.name)' needs width, height and depth.", parameter: "layer.width")
            }
        default: break
        }
        if s.kind != .dropout, s.number("dropout") == 0 { s.numbers["dropout"] = nil }
        if s.kind == .channelShuffle { s.numbers["scale"] = nil }
    }
}
