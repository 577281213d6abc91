import CASCore
import CASWire
import ImageCodec

extension ImageStep {
    /// Parses the validated `steps` list; `parameter` names the list in errors.
    static func parse(_ items: [Args], parameter: String) throws(ActionError) -> [ImageStep] {
        var out: [ImageStep] = []
        for (i, item) in items.enumerated() {
            let path = "\(parameter)[\(i + 1)]"
            let (d, key, sub): (ValueDict?, String, String)
            if let s = item["step"].dictValue {
                (d, key, sub) = (s, "stepType", "step")
            } else {
                (d, key, sub) = (item["functionOptions"].dictValue, "functionType", "functionOptions")
            }
            guard let d else {
                throw ActionError(.parameterMissing, "Parameter '\(path)' needs a step: {step={stepType=\"RESIZE\", width=224, height=224}}.",
                                  parameter: path)
            }
            let step = try parse(Args(d), type: d[key]?.stringValue ?? "", path: "\(path).\(sub)")
            if let last = out.last, case .normalizeMeanStd = last {
                throw ActionError(.parameterValue, "Parameter '\(path)': NORMALIZE type=MEAN_STD gives float pixels and must be the last step.",
                                  parameter: path)
            }
            out.append(step)
        }
        return out
    }

    static func parse(_ a: Args, type: String, path: String) throws(ActionError) -> ImageStep {
        let int = { (k: String) in Int(a[k].intValue ?? 0) }
        switch type {
        case "RESIZE":
            let name = a["interpolation"].stringValue ?? (a["type"].stringValue == "TO_FIXED_SIZE" ? "BILINEAR" : a["type"].stringValue ?? "BILINEAR")
            let method: ResizeMethod = name == "NEAREST" ? .nearest : name == "AREA" ? .area : .bilinear
            return .resize(width: int("width"), height: int("height"), method: method)
        case "NORMALIZE": return try normalize(a, path: path)
        case "CONVERT_COLOR": return .convertColor(a["type"].stringValue ?? "")
        case "CROP", "GET_PATCH": return .crop(PixelRect(x: int("x"), y: int("y"), width: int("width"), height: int("height")))
        case "CENTER_CROP": return .centerCrop(width: int("width"), height: int("height"))
        case "FLIP":
            let t = a["type"].stringValue ?? "HORIZONTAL"
            return .flip(t == "VERTICAL" ? .vertical : t == "BOTH" ? .both : .horizontal)
        case "ROTATE":
            guard let r = Rotation(degreesClockwise: int("angle")) else {
                throw ActionError(.parameterValue, "Parameter '\(path).angle' must be 90, 180 or 270 (or -90), but got \(int("angle")).",
                                  parameter: "\(path).angle")
            }
            return .rotate(r)
        case "THRESHOLD":
            let t = ThresholdType(casName: a["type"].stringValue ?? "BINARY") ?? .binary
            return .threshold(level: UInt8(int("value")), maxValue: UInt8(int("maxValue")), type: t)
        default:
            return .mutation(mutationNames[a["type"].stringValue ?? ""] ?? .horizontalFlip)
        }
    }

    static func normalize(_ a: Args, path: String) throws(ActionError) -> ImageStep {
        guard a["type"].stringValue == "MEAN_STD" else {
            return .normalizeMinMax(alpha: a["alpha"].doubleValue ?? 0, beta: a["beta"].doubleValue ?? 255)
        }
        let mean = a["mean"].listValue?.compactMap(\.doubleValue).map(Float.init) ?? []
        let std = a["std"].listValue?.compactMap(\.doubleValue).map(Float.init) ?? []
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
