import CASCore
import CASWire
import ImageCodec

extension ImageStep {
    /// Parses the validated `steps` list; `parameter` names the list in errors.
    static func parse(_ items: [Args], parameter: String) throws(ActionError) -> [ImageStep] {
        var out: [ImageStep] = []
        for (i, item) in items.enumerated() {
            let path = "\(parameter)[\(i + 1)]"
            let (chosen, sub) = item.has(Item.step) ? (item[Item.step], "step") : (item[Item.functionOptions], "functionOptions")
            guard let chosen else {
                throw ActionError(.parameterMissing, "Parameter '\(path)' needs a step: {step={stepType=\"RESIZE\", width=224, height=224}}.",
                                  parameter: path)
            }
            let step = try parse(chosen, path: "\(path).\(sub)")
            if case .slice = step, !out.isEmpty {
                throw ActionError(.parameterValue, "Parameter '\(path)': SLICE cuts a 3-D image into 2-D ones and must be the first step.", parameter: path)
            }
            if step.readsHounsfield, !out.allSatisfy(\.readsHounsfield) || out.contains(where: { if case .window = $0 { true } else { false } }) {
                throw ActionError(.parameterValue, "Parameter '\(path)': \(step.title) reads Hounsfield units and must come first: the order is SLICE, LUNG_FILTER, WINDOW, then the 8-bit steps.",
                                  parameter: path)
            }
            if step.readsHounsfield, out.contains(where: { $0.title == step.title }) {
                throw ActionError(.parameterValue, "Parameter '\(path)': \(step.title) is given twice.", parameter: path)
            }
            if let last = out.last, case .normalizeMeanStd = last {
                throw ActionError(.parameterValue, "Parameter '\(path)': NORMALIZE type=MEAN_STD gives float pixels and must be the last step.",
                                  parameter: path)
            }
            out.append(step)
        }
        return out
    }

    static func parse(_ a: Selection, path: String) throws(ActionError) -> ImageStep {
        switch a.alternative {
        case "RESIZE":
            let name = a[Resize.interpolation] ?? (a[Resize.type] == "TO_FIXED_SIZE" ? "BILINEAR" : a[Resize.type])
            let method: ResizeMethod = name == "NEAREST" ? .nearest : name == "AREA" ? .area : .bilinear
            return .resize(width: a[Resize.width], height: a[Resize.height], method: method)
        case "WINDOW": return try window(a, path: path)
        case "LUNG_FILTER":
            guard a[LungFilter.lower] < a[LungFilter.upper] else {
                throw ActionError(.parameterValue, "Parameter '\(path).lower' (\(a[LungFilter.lower])) must be below '\(path).upper' (\(a[LungFilter.upper])).",
                                  parameter: "\(path).lower")
            }
            return .lungFilter(lower: a[LungFilter.lower], upper: a[LungFilter.upper], percent: a[LungFilter.minPercent])
        case "SLICE": return .slice(axis: HUVolume.Axis(rawValue: a[Slice.axis].lowercased()) ?? .axial, every: a[Slice.every], start: a[Slice.start])
        case "NORMALIZE": return try normalize(a, path: path)
        case "CONVERT_COLOR": return .convertColor(a[ConvertColor.type])
        case "CROP", "GET_PATCH": return .crop(PixelRect(x: a[Rect.x], y: a[Rect.y], width: a[Rect.width], height: a[Rect.height]))
        case "CENTER_CROP": return .centerCrop(width: a[CenterCrop.width], height: a[CenterCrop.height])
        case "FLIP":
            let t = a[Flip.type]
            return .flip(t == "VERTICAL" ? .vertical : t == "BOTH" ? .both : .horizontal)
        case "ROTATE":
            guard let r = Rotation(degreesClockwise: a[Rotate.angle]) else {
                throw ActionError(.parameterValue, "Parameter '\(path).angle' must be 90, 180 or 270 (or -90), but got \(a[Rotate.angle]).",
                                  parameter: "\(path).angle")
            }
            return .rotate(r)
        case "THRESHOLD":
            let t = ThresholdType(casName: a[Threshold.type]) ?? .binary
            return .threshold(level: UInt8(a[Threshold.value]), maxValue: UInt8(a[Threshold.maxValue]), type: t)
        case "HIST_EQUALIZATION": return .equalizeHistogram
        default:
            return .mutation(mutationNames[a[MutationStep.type]] ?? .horizontalFlip)
        }
    }

    var isSlice: Bool {
        if case .slice = self { return true }
        return false
    }

    static func window(_ a: Selection, path: String) throws(ActionError) -> ImageStep {
        let center = a[Window.center], width = a[Window.width]
        if let preset = a[Window.type] {
            guard center == nil, width == nil else {
                throw ActionError(.parameterValue, "Parameter '\(path)': give either type=\"\(preset)\" or center and width, not both.",
                                  parameter: "\(path).type")
            }
            return .window(presets[preset]!)
        }
        guard let center, let width else {
            throw ActionError(.parameterMissing, "Parameter '\(path)' needs center and width (in HU), or type=\"LUNG\" or \"MEDIASTINUM\".",
                              parameter: "\(path).\(center == nil ? "center" : "width")")
        }
        return .window(HUWindow(center: center, width: width))
    }

    static func normalize(_ a: Selection, path: String) throws(ActionError) -> ImageStep {
        guard a[Normalize.type] == "MEAN_STD" else {
            return .normalizeMinMax(alpha: a[Normalize.alpha], beta: a[Normalize.beta])
        }
        let mean = a[Normalize.mean].map(Float.init), std = a[Normalize.std].map(Float.init)
        guard !mean.isEmpty, mean.count == std.count else {
            throw ActionError(.parameterValue, "Parameter '\(path).mean' and '\(path).std' need one value per channel each (got \(mean.count) and \(std.count)).",
                              parameter: "\(path).mean")
        }
        guard std.allSatisfy({ $0 > 0 }) else {
            throw ActionError(.parameterRange, "Parameter '\(path).std' values must be > 0.", parameter: "\(path).std")
        }
        return .normalizeMeanStd(mean: mean, std: std)
    }
}
