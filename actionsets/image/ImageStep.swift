import CASCore
import CASWire
import ImageCodec
import SeededRandom

/// One processImages step, parsed from `{step={stepType="RESIZE", …}}` (or the older
/// `{functionOptions={functionType="RESIZE", …}}` / `{options={functionType=…}}`).
enum ImageStep: Sendable, Equatable {
    /// A 3-D image (DICOM series) → its slices along an axis, every `every`-th from `start`; the first step.
    case slice(axis: HUVolume.Axis, every: Int, start: Int)
    /// Hounsfield units → 8-bit gray; the first step (after SLICE and LUNG_FILTER), and only for HU input.
    case window(HUWindow)
    /// Keeps a HU slice only when its lung area is at least `percent` % of its body area (``HUImage/lungArea(lower:upper:)``).
    case lungFilter(lower: Int, upper: Int, percent: Double)

    /// True for the steps that read Hounsfield units (they must come before WINDOW).
    var readsHounsfield: Bool {
        switch self {
        case .slice, .window, .lungFilter: true
        default: false
        }
    }
    case resize(width: Int, height: Int, method: ResizeMethod)
    case normalizeMinMax(alpha: Double, beta: Double)
    /// Per-channel `(v − mean) / std`: float32 output, so it must be the last step.
    case normalizeMeanStd(mean: [Float], std: [Float])
    case convertColor(String)
    case crop(PixelRect)
    case centerCrop(width: Int, height: Int)
    case flip(FlipDirection)
    case rotate(Rotation)
    case threshold(level: UInt8, maxValue: UInt8, type: ThresholdType)
    /// HIST_EQUALIZATION method GLOBAL (per color channel).
    case equalizeHistogram
    case mutation(Mutation)

    /// The output of a pipeline: 8-bit pixels, or float32 after a mean/std NORMALIZE.
    enum Output: Sendable {
        case uint8(Image)
        case float32(FloatImage)
    }

    /// What a pipeline starts from: 8-bit pixels, Hounsfield units (a DICOM cell: LUNG_FILTER and WINDOW
    /// read them), or a 3-D image (a DICOM series: SLICE reads it).
    enum Input: Sendable {
        case uint8(Image)
        case hu(HUImage)
        case volume(HUVolume)
    }

    /// One image a pipeline made: the pixels, and for a slice of a 3-D image its index along the axis
    /// and its distance from the first slice (mm).
    struct Made: Sendable {
        var output: Output
        var sliceIndex: Int? = nil
        var slicePosition: Double? = nil
    }

    /// Applies `steps` to `input`: one image, or with a first SLICE step one per slice kept; LUNG_FILTER
    /// drops the slices (or the image) without enough lung, counted in `dropped`.
    static func runAll(_ steps: [ImageStep], on input: Input,
                       reserve: (Int) throws(ImageCodecError) -> Void = { _ throws(ImageCodecError) in }) throws(ImageCodecError) -> (made: [Made], dropped: Int) {
        guard case .slice(let axis, let every, let start)? = steps.first else {
            if case .volume = input {
                throw ImageCodecError(.unsupported, "a 3-D image (DICOM series) needs a SLICE step first, e.g. {step={stepType=\"SLICE\"}}")
            }
            guard let rest = try filtered(steps, input) else { return ([], 1) }
            return ([Made(output: try run(rest, on: input, offset: steps.count - rest.count, reserve: reserve))], 0)
        }
        guard case .volume(let v) = input else {
            throw ImageCodecError(.unsupported, "SLICE needs a 3-D image (loadImages series=True); this image is 2-D")
        }
        let spacing = axis == .axial ? v.spacing.z : axis == .coronal ? v.spacing.y : v.spacing.x
        let count = v.count(along: axis)
        guard start < count else {
            throw ImageCodecError(.unsupported, "SLICE start=\(start) is past the end: this 3-D image has \(count) slices along \(axis.rawValue.uppercased()) (start 0…\(count - 1))")
        }
        var out: [Made] = [], dropped = 0
        for i in stride(from: start, to: count, by: every) {
            let hu = v.slice(i, along: axis)
            try reserve(hu.width &* hu.height &* 2)
            guard let rest = try filtered(Array(steps.dropFirst()), .hu(hu)) else {
                dropped += 1
                continue
            }
            out.append(Made(output: try run(rest, on: .hu(hu), offset: steps.count - rest.count, reserve: reserve),
                            sliceIndex: i, slicePosition: Double(i) * spacing))
        }
        return (out, dropped)
    }

    /// A leading LUNG_FILTER: nil when it drops the image, else the steps after it.
    static func filtered(_ steps: [ImageStep], _ input: Input) throws(ImageCodecError) -> [ImageStep]? {
        guard case .lungFilter(let lower, let upper, let percent)? = steps.first else { return steps }
        guard case .hu(let hu) = input else {
            throw ImageCodecError(.unsupported, "LUNG_FILTER needs Hounsfield units (a DICOM image from loadImages); this image has 8-bit pixels")
        }
        let (lung, body) = hu.lungArea(lower: lower, upper: upper)
        return body > 0 && 100 * Double(lung) >= percent * Double(body) ? Array(steps.dropFirst()) : nil
    }

    /// Applies `steps` in order; `reserve` is told the bytes of each step's image before it is made
    /// (so that a memory budget can refuse it first).
    static func run(_ steps: [ImageStep], on input: Input, offset: Int = 0,
                    reserve: (Int) throws(ImageCodecError) -> Void = { _ throws(ImageCodecError) in }) throws(ImageCodecError) -> Output {
        var rest = steps[...]
        let img: Image
        switch (input, rest.first) {
        case (.hu(let hu), .window(let w)?):
            try reserve(hu.width &* hu.height)
            img = hu.windowed(w)
            rest = rest.dropFirst()
        case (.hu, _):
            throw ImageCodecError(.unsupported, "Hounsfield units (a DICOM image) need a WINDOW step first, e.g. {step={stepType=\"WINDOW\", type=\"LUNG\"}}")
        case (.uint8, .window?):
            throw ImageCodecError(.unsupported, "WINDOW needs Hounsfield units (a DICOM image from loadImages); this image has 8-bit pixels")
        case (.uint8(let u8), _):
            img = u8
        case (.volume, _):
            throw ImageCodecError(.unsupported, "a 3-D image (DICOM series) needs a SLICE step first")
        }
        return try run(Array(rest), on: img, offset: offset + steps.count - rest.count, reserve: reserve)
    }

    /// The 8-bit part of a pipeline; `offset` steps came before (for messages).
    static func run(_ steps: [ImageStep], on input: Image, offset: Int = 0,
                    reserve: (Int) throws(ImageCodecError) -> Void = { _ throws(ImageCodecError) in }) throws(ImageCodecError) -> Output {
        var img = input
        for (j, s) in steps.enumerated() {
            let i = j + offset
            // a size the caller asked for that no image may have: say which step (processImages refuses the call)
            if let (w, h) = s.growsTo(img) {
                do { _ = try Image.byteCount(width: w, height: h, format: img.format) } catch {
                    throw ImageCodecError(.tooLarge, "steps[\(i + 1)] (\(s.title)) would make a \(w)×\(h) image from \(img.width)×\(img.height): \(error.message)")
                }
            }
            try reserve(s.outputBytes(img))
            if case .normalizeMeanStd(let m, let sd) = s { return .float32(try img.normalizedMeanStd(mean: m, std: sd)) }
            img = try s.apply(img)
        }
        return .uint8(img)
    }

    /// The size of the image this step makes, for the steps whose size the caller chooses (RESIZE) or
    /// that grow the image (PYRAMID_UP); nil for the others.
    func growsTo(_ img: Image) -> (Int, Int)? {
        switch self {
        case .resize(let w, let h, _): (w, h)
        case .mutation(.pyramidUp): (img.width &* 2, img.height &* 2)
        default: nil
        }
    }

    /// The step as CAS names it (RESIZE, PYRAMID_UP, …), for messages.
    var title: String {
        switch self {
        case .window: "WINDOW"
        case .slice: "SLICE"
        case .lungFilter: "LUNG_FILTER"
        case .resize: "RESIZE"
        case .normalizeMinMax, .normalizeMeanStd: "NORMALIZE"
        case .convertColor: "CONVERT_COLOR"
        case .crop: "CROP"
        case .centerCrop: "CENTER_CROP"
        case .flip: "FLIP"
        case .rotate: "ROTATE"
        case .threshold: "THRESHOLD"
        case .equalizeHistogram: "HIST_EQUALIZATION"
        case .mutation(let m): Self.mutationNames.first { $0.value == m }?.key ?? "MUTATIONS"
        }
    }

    /// Bytes of the image this step makes from `img` (an upper bound; saturates instead of overflowing).
    func outputBytes(_ img: Image) -> Int {
        func bytes(_ w: Int, _ h: Int, _ c: Int, _ per: Int = 1) -> Int {
            let (a, o1) = w.multipliedReportingOverflow(by: h)
            let (b, o2) = a.multipliedReportingOverflow(by: c * per)
            return o1 || o2 ? Int.max : b
        }
        let (w, h, c) = (img.width, img.height, img.channels)
        switch self {
        case .resize(let tw, let th, _): return bytes(tw, th, c)
        case .normalizeMeanStd: return bytes(w, h, c, MemoryLayout<Float>.stride)
        case .convertColor(let t): return bytes(w, h, t == "COLOR2GRAY" ? 1 : max(c, img.format.hasAlpha ? 4 : 3))
        case .crop(let r): return bytes(min(max(r.width, 0), w), min(max(r.height, 0), h), c)
        case .centerCrop(let cw, let ch): return bytes(min(max(cw, 0), w), min(max(ch, 0), h), c)
        case .mutation(.pyramidUp): return bytes(w &* 2, h &* 2, c)
        case .normalizeMinMax, .flip, .rotate, .threshold, .equalizeHistogram, .mutation, .window, .slice, .lungFilter: return bytes(w, h, c)
        }
    }

    func apply(_ img: Image) throws(ImageCodecError) -> Image {
        switch self {
        case .window, .slice, .lungFilter: return img  // handled by run and runAll (HU and volume input)
        case .resize(let w, let h, let m): return try img.resized(width: w, height: h, method: m)
        case .normalizeMinMax(let a, let b): return img.normalizedMinMax(alpha: a, beta: b)
        case .normalizeMeanStd: return img  // handled by run (float output)
        case .convertColor(let t): return Self.convert(img, t)
        case .crop(let r): return try img.cropped(r)
        case .centerCrop(let w, let h): return try img.centerCropped(width: w, height: h)
        case .flip(let d): return img.flipped(d)
        case .rotate(let r): return img.rotated(r)
        case .threshold(let l, let m, let t): return img.thresholded(level: l, maxValue: m, type: t)
        case .equalizeHistogram: return img.histogramEqualized()
        case .mutation(let m):
            var rng = SplitMix64(seed: 0)
            return try img.mutated(m, using: &rng)
        }
    }

    /// CONVERT_COLOR: GRAY2COLOR gives BGR (the decoded order), COLOR2GRAY uses BT.601 weights
    /// of the image's own order, BGR2RGB / RGB2BGR swap the red and blue channels.
    static func convert(_ img: Image, _ type: String) -> Image {
        switch type {
        case "GRAY2COLOR": img.format.isGray ? img.converted(to: img.format.hasAlpha ? .bgra : .bgr) : img
        case "COLOR2GRAY": img.format.isGray ? img : img.colorToGray()
        default: img.format.isGray ? img : img.swappedRedBlue()
        }
    }
}
