import CASCore
import CASWire
import ImageCodec

/// One item of augmentImages' `cropList`: a rectangle (or a sweep of rectangles), what to do with
/// it (crop, or mask it in the whole image), the output size, and the mutations to add.
struct CropSpec: Sendable {
    var x = 0, y = 0, width = 0, height = 0
    var step = 0
    var sweep = false
    var wholeImage = false
    var mask = false
    var maskValue: UInt8 = 0
    var outputWidth: Int?, outputHeight: Int?
    var mutations: [(name: String, mutation: Mutation)] = []

    /// The typed keys of one `cropList` item.
    enum Keys: ParamGroup {
        static let x = P.int("x", "Left column of the rectangle (of the first one when sweeping).", default: 0, min: 0)
        static let y = P.int("y", "Top row.", default: 0, min: 0)
        static let width = P.optionalInt("width", "Rectangle width (the whole image when omitted).", min: 1)
        static let height = P.optionalInt("height", "Rectangle height.", min: 1)
        static let stepSize = P.optionalInt("stepSize", "Sweep step in pixels (default: the rectangle's width).", min: 1).aliases("step")
        static let sweepImage = P.bool("sweepImage", "Slide the rectangle over the whole image, row by row: one output per position.", default: false)
        static let useWholeImage = P.bool("useWholeImage", "Use the whole image as the rectangle.", default: false)
        static let mask = P.bool("mask", "Instead of cropping, fill the rectangle with maskValue in the full image (occlusion).", default: false)
        static let maskValue = P.int("maskValue", "Fill value for mask=True.", default: 0, min: 0, max: 255)
        static let outputWidth = P.optionalInt("outputWidth", "Resize each output to this width (bilinear).", min: 1, max: Limits.maxImageSide)
        static let outputHeight = P.optionalInt("outputHeight", "Resize each output to this height.", min: 1, max: Limits.maxImageSide)
        static let mutations = P.group("mutations", "Extra outputs, one per mutation set to True.", Mutations.self)
        static let parameters = [x.spec, y.spec, width.spec, height.spec, stepSize.spec, sweepImage.spec, useWholeImage.spec, mask.spec,
                                 maskValue.spec, outputWidth.spec, outputHeight.spec, mutations.spec]
    }

    /// The `mutations` parameter list: one flag per mutation.
    enum Mutations: ParamGroup {
        static let flags = Mutation.allCases.map { ($0, P.bool($0.rawValue, "Add a copy with \($0.rawValue).", default: false)) }
        static let parameters = flags.map(\.1.spec)
    }

    init(_ a: Args) {
        x = a[Keys.x]
        y = a[Keys.y]
        width = a[Keys.width] ?? 0
        height = a[Keys.height] ?? 0
        step = a[Keys.stepSize] ?? 0
        sweep = a[Keys.sweepImage]
        wholeImage = a[Keys.useWholeImage] || width == 0 || height == 0
        mask = a[Keys.mask]
        maskValue = UInt8(a[Keys.maskValue])
        outputWidth = a[Keys.outputWidth]
        outputHeight = a[Keys.outputHeight]
        let chosen = a[Keys.mutations]
        mutations = Mutations.flags.filter { chosen[$0.1] }.map { ($0.0.rawValue, $0.0) }
    }

    /// The rectangles on a `w × h` image.
    func rects(width w: Int, height h: Int) throws(ImageCodecError) -> [PixelRect] {
        if wholeImage { return [PixelRect(x: 0, y: 0, width: w, height: h)] }
        if sweep { return try Image.slidingWindows(width: w, height: h, patchWidth: width, patchHeight: height, step: step > 0 ? step : width) }
        return [PixelRect(x: x, y: y, width: width, height: height)]
    }

    /// Bytes of the image `render` makes for rectangle `r` of `img` (an upper bound; saturates instead of overflowing).
    func outputBytes(_ img: Image, _ r: PixelRect) -> Int {
        let w = outputWidth ?? (mask ? img.width : min(max(r.width, 0), img.width))
        let h = outputHeight ?? (mask ? img.height : min(max(r.height, 0), img.height))
        let (a, o1) = w.multipliedReportingOverflow(by: h)
        let (b, o2) = a.multipliedReportingOverflow(by: img.channels)
        return o1 || o2 ? Int.max : b
    }

    /// The image for one rectangle: masked full image or crop, resized to the output size.
    func render(_ img: Image, _ r: PixelRect) throws(ImageCodecError) -> Image {
        var out = mask ? img.filled(r, value: maskValue) : try img.cropped(r)
        let (ow, oh) = (outputWidth ?? out.width, outputHeight ?? out.height)
        if ow != out.width || oh != out.height { out = try out.resized(width: ow, height: oh) }
        return out
    }
}
