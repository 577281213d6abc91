import CASCore
import CASWire
import ImageCodec

extension ImageStep {
    /// The step types and their parameters (one selector union, shared by `step` and `functionOptions`).
    static let alternatives: [ParamType.Alternative] = [
        .init("RESIZE", "Resize to width × height.", [
            P.int("width", "Output width in pixels.", default: 224, min: 1, max: 65536).aliases("w").spec,
            P.int("height", "Output height in pixels.", default: 224, min: 1, max: 65536).aliases("h").spec,
            P.string("type", "TO_FIXED_SIZE (CAS), or an interpolation name.", default: "TO_FIXED_SIZE",
                     allowed: ["TO_FIXED_SIZE", "BILINEAR", "LINEAR", "NEAREST", "AREA"]).spec,
            P.optionalString("interpolation", "BILINEAR (default, OpenCV INTER_LINEAR), NEAREST or AREA.",
                             allowed: ["BILINEAR", "LINEAR", "NEAREST", "AREA"]).spec,
        ]),
        .init("NORMALIZE", "MINMAX: min → alpha, max → beta over all color samples (uint8). MEAN_STD: (v − mean[c]) / std[c] (float32, last step only).", [
            P.string("type", "Normalization.", default: "MINMAX", allowed: ["MINMAX", "MEAN_STD"]).spec,
            P.double("alpha", "MINMAX: value of the minimum.", default: 0, min: 0, max: 255).spec,
            P.double("beta", "MINMAX: value of the maximum.", default: 255, min: 0, max: 255).spec,
            P.value("mean", "MEAN_STD: one mean per channel, in the image's channel order (BGR for decoded files).").with { $0.type = .list(.double) }.spec,
            P.value("std", "MEAN_STD: one standard deviation per channel (> 0).").with { $0.type = .list(.double) }.spec,
        ]),
        .init("CONVERT_COLOR", "Color conversion.", [
            P.string("type", "GRAY2COLOR (→ BGR), COLOR2GRAY (BT.601), BGR2RGB or RGB2BGR (swap red and blue).",
                     allowed: ["GRAY2COLOR", "COLOR2GRAY", "BGR2RGB", "RGB2BGR"]).spec,
        ]),
        .init("CROP", "Crop a rectangle (it must lie inside the image).", rectParams),
        .init("GET_PATCH", "CAS's name for CROP.", rectParams),
        .init("CENTER_CROP", "Crop width × height around the center.", [
            P.int("width", "Crop width.", default: 224, min: 1).aliases("w").spec,
            P.int("height", "Crop height.", default: 224, min: 1).aliases("h").spec,
        ]),
        .init("FLIP", "Mirror the image.", [
            P.string("type", "Axis.", default: "HORIZONTAL", allowed: ["HORIZONTAL", "VERTICAL", "BOTH"]).spec,
        ]),
        .init("ROTATE", "Rotate by a quarter turn.", [
            P.int("angle", "Clockwise degrees: 90, 180 or 270 (-90 = 270).", default: 90).aliases("degrees").spec,
        ]),
        .init("THRESHOLD", "OpenCV threshold per sample (alpha untouched).", [
            P.string("type", "BINARY, BINARY_INV, TRUNC, TO_ZERO or TO_ZERO_INV.", default: "BINARY",
                     allowed: ["BINARY", "BINARY_INV", "TRUNC", "TO_ZERO", "TO_ZERO_INV"]).spec,
            P.int("value", "Threshold level.", default: 127, min: 0, max: 255).aliases("level").spec,
            P.int("maxValue", "Value for BINARY / BINARY_INV.", default: 255, min: 0, max: 255).spec,
        ]),
        .init("MUTATIONS", "A CAS mutation.", [
            P.string("type", "HORIZONTAL_FLIP, VERTICAL_FLIP, ROTATE_LEFT, ROTATE_RIGHT, INVERT_PIXELS, DARKEN, LIGHTEN, SHARPEN, PYRAMID_DOWN or PYRAMID_UP.",
                     allowed: Array(mutationNames.keys).sorted()).spec,
        ]),
    ]

    static let rectParams: [ParamSpec] = [
        P.int("x", "Left column.", default: 0, min: 0).spec,
        P.int("y", "Top row.", default: 0, min: 0).spec,
        P.int("width", "Width.", default: 224, min: 1).aliases("w").spec,
        P.int("height", "Height.", default: 224, min: 1).aliases("h").spec,
    ]

    static let mutationNames: [String: Mutation] = [
        "HORIZONTAL_FLIP": .horizontalFlip, "VERTICAL_FLIP": .verticalFlip, "ROTATE_LEFT": .rotateLeft, "ROTATE_RIGHT": .rotateRight,
        "INVERT_PIXELS": .invertPixels, "DARKEN": .darken, "LIGHTEN": .lighten, "SHARPEN": .sharpen,
        "PYRAMID_DOWN": .pyramidDown, "PYRAMID_UP": .pyramidUp,
    ]

    /// One item of the `steps` list: `{step={stepType=…}}` or `{functionOptions={functionType=…}}` (alias `options`).
    static let itemParameters: [ParamSpec] = [
        P.selector("step", "The step: stepType and its parameters.", key: "stepType", alternatives, required: false).spec,
        P.selector("functionOptions", "The older CAS spelling: functionType and its parameters.", key: "functionType", alternatives,
                   required: false).aliases("options").spec,
    ]
}
