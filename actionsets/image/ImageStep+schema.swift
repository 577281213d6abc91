import CASCore
import CASWire
import ImageCodec

extension ImageStep {
    /// RESIZE: the output size and the interpolation.
    enum Resize: ParamGroup {
        static let width = P.int("width", "Output width in pixels.", default: 224, min: 1, max: Limits.maxImageSide).aliases("w")
        static let height = P.int("height", "Output height in pixels.", default: 224, min: 1, max: Limits.maxImageSide).aliases("h")
        static let type = P.string("type", "TO_FIXED_SIZE (CAS), or an interpolation name.", default: "TO_FIXED_SIZE",
                                   allowed: ["TO_FIXED_SIZE", "BILINEAR", "LINEAR", "NEAREST", "AREA"])
        static let interpolation = P.optionalString("interpolation", "BILINEAR (default, OpenCV INTER_LINEAR), NEAREST or AREA.",
                                                    allowed: ["BILINEAR", "LINEAR", "NEAREST", "AREA"])
        static let parameters = [width.spec, height.spec, type.spec, interpolation.spec]
    }

    /// NORMALIZE: min/max stretching or per-channel mean and standard deviation.
    enum Normalize: ParamGroup {
        static let type = P.string("type", "Normalization.", default: "MINMAX", allowed: ["MINMAX", "MEAN_STD"])
        static let alpha = P.double("alpha", "MINMAX: value of the minimum.", default: 0, min: 0, max: 255)
        static let beta = P.double("beta", "MINMAX: value of the maximum.", default: 255, min: 0, max: 255)
        static let mean = P.doubleList("mean", "MEAN_STD: one mean per channel, in the image's channel order (BGR for decoded files).")
        static let std = P.doubleList("std", "MEAN_STD: one standard deviation per channel (> 0).")
        static let parameters = [type.spec, alpha.spec, beta.spec, mean.spec, std.spec]
    }

    /// CONVERT_COLOR: the conversion.
    enum ConvertColor: ParamGroup {
        static let type = P.string("type", "GRAY2COLOR (→ BGR), COLOR2GRAY (BT.601), BGR2RGB or RGB2BGR (swap red and blue).",
                                   allowed: ["GRAY2COLOR", "COLOR2GRAY", "BGR2RGB", "RGB2BGR"])
        static let parameters = [type.spec]
    }

    /// CROP and GET_PATCH: the rectangle.
    enum Rect: ParamGroup {
        static let x = P.int("x", "Left column.", default: 0, min: 0)
        static let y = P.int("y", "Top row.", default: 0, min: 0)
        static let width = P.int("width", "Width.", default: 224, min: 1).aliases("w")
        static let height = P.int("height", "Height.", default: 224, min: 1).aliases("h")
        static let parameters = [x.spec, y.spec, width.spec, height.spec]
    }

    /// CENTER_CROP: the size around the center.
    enum CenterCrop: ParamGroup {
        static let width = P.int("width", "Crop width.", default: 224, min: 1).aliases("w")
        static let height = P.int("height", "Crop height.", default: 224, min: 1).aliases("h")
        static let parameters = [width.spec, height.spec]
    }

    /// FLIP: the axis.
    enum Flip: ParamGroup {
        static let type = P.string("type", "Axis.", default: "HORIZONTAL", allowed: ["HORIZONTAL", "VERTICAL", "BOTH"])
        static let parameters = [type.spec]
    }

    /// ROTATE: the quarter turn.
    enum Rotate: ParamGroup {
        static let angle = P.int("angle", "Clockwise degrees: 90, 180 or 270 (-90 = 270).", default: 90).aliases("degrees")
        static let parameters = [angle.spec]
    }

    /// THRESHOLD: OpenCV's threshold type, level and maximum.
    enum Threshold: ParamGroup {
        static let type = P.string("type", "BINARY, BINARY_INV, TRUNC, TO_ZERO or TO_ZERO_INV.", default: "BINARY",
                                   allowed: ["BINARY", "BINARY_INV", "TRUNC", "TO_ZERO", "TO_ZERO_INV"])
        static let value = P.int("value", "Threshold level.", default: 127, min: 0, max: 255).aliases("level")
        static let maxValue = P.int("maxValue", "Value for BINARY / BINARY_INV.", default: 255, min: 0, max: 255)
        static let parameters = [type.spec, value.spec, maxValue.spec]
    }

    /// HIST_EQUALIZATION: the method (GLOBAL only).
    enum HistEqualization: ParamGroup {
        static let method = P.string("method", "GLOBAL: one histogram per channel over the whole image (OpenCV's equalizeHist).",
                                     default: "GLOBAL", allowed: ["GLOBAL"])
        static let parameters = [method.spec]
    }

    /// MUTATIONS: which CAS mutation.
    enum MutationStep: ParamGroup {
        static let type = P.string(
            "type", "HORIZONTAL_FLIP, VERTICAL_FLIP, ROTATE_LEFT, ROTATE_RIGHT, INVERT_PIXELS, DARKEN, LIGHTEN, SHARPEN, PYRAMID_DOWN or PYRAMID_UP.",
            allowed: Array(mutationNames.keys).sorted())
        static let parameters = [type.spec]
    }

    /// WINDOW: a Hounsfield-unit window (a preset, or center and width) → 8-bit gray.
    enum Window: ParamGroup {
        static let type = P.optionalString("type", "A preset: LUNG (center −600, width 1500) or MEDIASTINUM (40, 400); omit it to give center and width.",
                                           allowed: Array(presets.keys).sorted())
        static let center = P.optionalDouble("center", "Window center in HU (DICOM WindowCenter), with width.", min: -32_768, max: 32_767)
        static let width = P.optionalDouble("width", "Window width in HU (DICOM WindowWidth), at least 1, with center.", min: 1, max: 65_536)
        static let parameters = [type.spec, center.spec, width.spec]
    }

    /// SLICE: the axis and which slices.
    enum Slice: ParamGroup {
        static let axis = P.string("axis", "AXIAL (the stored slices), CORONAL or SAGITTAL.", default: "AXIAL", allowed: ["AXIAL", "CORONAL", "SAGITTAL"])
        static let every = P.int("every", "Keep every k-th slice.", default: 1, min: 1, max: Limits.maxImageSide)
        static let start = P.int("start", "Index of the first slice kept (0-based).", default: 0, min: 0, max: Limits.maxImageSide)
        static let parameters = [axis.spec, every.spec, start.spec]
    }

    /// LUNG_FILTER: what counts as lung, and how much is enough.
    enum LungFilter: ParamGroup {
        static let lower = P.int("lower", "Lowest HU of lung (air-like) pixels.", default: -1000, min: -32_768, max: 32_767)
        static let upper = P.int("upper", "Highest HU of air-like pixels; air touching the image border is outside the body.", default: -400,
                                 min: -32_768, max: 32_767)
        static let minPercent = P.double("minPercent", "Keep a slice when its lung area is at least this % of its body area.", default: 5, min: 0, max: 100)
            .aliases("percent")
        static let parameters = [lower.spec, upper.spec, minPercent.spec]
    }

    /// WINDOW's named windows.
    static let presets: [String: HUWindow] = ["LUNG": .lung, "MEDIASTINUM": .mediastinum]

    /// The step types and their parameters (one selector union, shared by `step` and `functionOptions`).
    static let alternatives: [ParamType.Alternative] = [
        .init("SLICE", "A 3-D image (loadImages series=True) → one output row per slice kept, with _sliceIndex_ and _slicePosition_ (mm from the first slice); must be the first step.",
              Slice.self),
        .init("LUNG_FILTER", "Hounsfield units: keeps the slices (or images) whose lung — air-like pixels in lower..upper HU not connected to the image border — is at least minPercent % of the body (all pixels but the air connected to the border); others are dropped without a warning. Before WINDOW.",
              LungFilter.self),
        .init("WINDOW", "Hounsfield units (DICOM images from loadImages) → 8-bit gray by a window (DICOM's linear VOI function); must come first (after SLICE and LUNG_FILTER).",
              Window.self),
        .init("RESIZE", "Resize to width × height.", Resize.self),
        .init("NORMALIZE", "MINMAX: min → alpha, max → beta over all color samples (uint8). MEAN_STD: (v − mean[c]) / std[c] (float32, last step only).",
              Normalize.self),
        .init("CONVERT_COLOR", "Color conversion.", ConvertColor.self),
        .init("CROP", "Crop a rectangle (it must lie inside the image).", Rect.self),
        .init("GET_PATCH", "CAS's name for CROP.", Rect.self),
        .init("CENTER_CROP", "Crop width × height around the center.", CenterCrop.self),
        .init("FLIP", "Mirror the image.", Flip.self),
        .init("ROTATE", "Rotate by a quarter turn.", Rotate.self),
        .init("THRESHOLD", "OpenCV threshold per sample (alpha untouched).", Threshold.self),
        .init("HIST_EQUALIZATION", "Histogram equalization per color channel (alpha untouched): spreads the values present over 0..255.", HistEqualization.self),
        .init("MUTATIONS", "A CAS mutation.", MutationStep.self),
    ]

    static let mutationNames: [String: Mutation] = [
        "HORIZONTAL_FLIP": .horizontalFlip, "VERTICAL_FLIP": .verticalFlip, "ROTATE_LEFT": .rotateLeft, "ROTATE_RIGHT": .rotateRight,
        "INVERT_PIXELS": .invertPixels, "DARKEN": .darken, "LIGHTEN": .lighten, "SHARPEN": .sharpen,
        "PYRAMID_DOWN": .pyramidDown, "PYRAMID_UP": .pyramidUp,
    ]

    /// One item of the `steps` list: `{step={stepType=…}}` or `{functionOptions={functionType=…}}` (alias `options`).
    enum Item: ParamGroup {
        static let step = P.selector("step", "The step: stepType and its parameters.", key: "stepType", alternatives, required: false)
        static let functionOptions = P.selector("functionOptions", "The older CAS spelling: functionType and its parameters.",
                                                key: "functionType", alternatives, required: false).aliases("options")
        static let parameters = [step.spec, functionOptions.spec]
    }
}
