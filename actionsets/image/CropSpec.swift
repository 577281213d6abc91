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

    static let mutationParams: [ParamSpec] = Mutation.allCases.map { P.bool($0.rawValue, "Add a copy with \($0.rawValue).", default: false).spec }

    static let parameters: [ParamSpec] = [
        P.int("x", "Left column of the rectangle (of the first one when sweeping).", default: 0, min: 0).spec,
        P.int("y", "Top row.", default: 0, min: 0).spec,
        P.optionalInt("width", "Rectangle width (the whole image when omitted).", min: 1).spec,
        P.optionalInt("height", "Rectangle height.", min: 1).spec,
        P.optionalInt("stepSize", "Sweep step in pixels (default: the rectangle's width).", min: 1).aliases("step").spec,
        P.bool("sweepImage", "Slide the rectangle over the whole image, row by row: one output per position.", default: false).spec,
        P.bool("useWholeImage", "Use the whole image as the rectangle.", default: false).spec,
        P.bool("mask", "Instead of cropping, fill the rectangle with maskValue in the full image (occlusion).", default: false).spec,
        P.int("maskValue", "Fill value for mask=True.", default: 0, min: 0, max: 255).spec,
        P.optionalInt("outputWidth", "Resize each output to this width (bilinear).", min: 1).spec,
        P.optionalInt("outputHeight", "Resize each output to this height.", min: 1).spec,
        P.dict("mutations", "Extra outputs, one per mutation set to True.", mutationParams).spec,
    ]

    init(_ a: Args) {
        x = Int(a["x"].intValue ?? 0)
        y = Int(a["y"].intValue ?? 0)
        width = Int(a["width"].intValue ?? 0)
        height = Int(a["height"].intValue ?? 0)
        step = Int(a["stepSize"].intValue ?? 0)
        sweep = a["sweepImage"].boolValue ?? false
        wholeImage = a["useWholeImage"].boolValue ?? false || width == 0 || height == 0
        mask = a["mask"].boolValue ?? false
        maskValue = UInt8(a["maskValue"].intValue ?? 0)
        outputWidth = a["outputWidth"].intValue.map { Int($0) }
        outputHeight = a["outputHeight"].intValue.map { Int($0) }
        for m in Mutation.allCases where a["mutations"][m.rawValue].boolValue == true { mutations.append((m.rawValue, m)) }
    }

    /// The rectangles on a `w × h` image.
    func rects(width w: Int, height h: Int) throws(ImageCodecError) -> [PixelRect] {
        if wholeImage { return [PixelRect(x: 0, y: 0, width: w, height: h)] }
        if sweep { return try Image.slidingWindows(width: w, height: h, patchWidth: width, patchHeight: height, step: step > 0 ? step : width) }
        return [PixelRect(x: x, y: y, width: width, height: height)]
    }

    /// The image for one rectangle: masked full image or crop, resized to the output size.
    func render(_ img: Image, _ r: PixelRect) throws(ImageCodecError) -> Image {
        var out = mask ? img.filled(r, value: maskValue) : try img.cropped(r)
        let (ow, oh) = (outputWidth ?? out.width, outputHeight ?? out.height)
        if ow != out.width || oh != out.height { out = try out.resized(width: ow, height: oh) }
        return out
    }
}
