import CASCore
import CASWire
import DLEngine
import ImageCodec

/// The targets of a model whose output is a `segmentation` layer: a mask image per row (DLPy's
/// `create_segmentation_table` puts them in column `labels`), each pixel's value × the layer's
/// `targetScale`, rounded, is that pixel's class (masks of 0 and 255 with targetScale 1/255 give classes 0 and 1).
struct SegmentationMasks: Sendable {
    /// The segmentation layer: its name, classes (its source's channels) and output size.
    let layer: String
    let classes: Int
    let height: Int
    let width: Int
    let targetScale: Double

    /// The range addLayer allows for targetScale; a model table edited by hand is checked against it here.
    static let targetScales = 1e-6...1e6

    /// The model's segmentation output, or nil when it classifies whole images. A segmentation layer that is not
    /// the model's output, or a targetScale out of range (a model table is a table anyone may edit), is an error.
    init?(_ m: ModelTable, _ engine: Model) throws(ActionError) {
        guard let spec = m.layers.last(where: { $0.kind == .segmentation }) else { return nil }
        guard let out = engine.outputLayer as? SoftmaxCrossEntropyLayer, out.perPosition, out.name == spec.name else {
            let readers = m.layers.filter { $0.sources.contains(spec.name) }.map(\.name)
            throw ActionError(.parameterValue, "Segmentation layer '\(spec.name)' of model \(m.modelName) must be the model's output (the layer nothing reads)\(readers.isEmpty ? "" : "; layer '\(readers[0])' reads it").",
                              parameter: "modelTable")
        }
        let scale = spec.number("targetscale") ?? 1
        guard Self.targetScales.contains(scale) else {
            throw ActionError(.parameterValue, "Segmentation layer '\(spec.name)' of model \(m.modelName) has targetScale \(scale); it must be between 1e-06 and 1e+06.",
                              parameter: "modelTable")
        }
        let shape = out.outputShape
        layer = spec.name
        classes = out.classes
        (height, width) = (shape[0], shape[1])
        targetScale = scale
    }

    /// The 8-bit value each class is written as in a predicted mask (class ÷ targetScale), or an error when two
    /// classes would share a value or one would not fit in 0…255.
    func codes() throws(ActionError) -> [UInt8] {
        let values = (0..<classes).map { (Double($0) / targetScale).rounded() }
        guard values.allSatisfy({ $0 <= 255 }), Set(values).count == classes else {
            throw ActionError(.parameterValue, "Segmentation layer '\(layer)': with targetScale \(targetScale) its \(classes) classes are coded as \(values.prefix(4).map { Fixed.text($0, 0) }.joined(separator: ", "))\(classes > 4 ? ", …" : ""), which do not fit distinct 8-bit values; predicted masks cannot be written (a targetScale of 1 or 1/255 codes up to 256 classes).",
                              parameter: "modelTable")
        }
        return values.map { UInt8($0) }
    }

    /// Class names: the class indices.
    var levels: [String] { (0..<classes).map(String.init) }

    /// Training samples: the decoded images of the rows that also have a mask, and their masks. Rows without a
    /// mask are not used (as rows without a target are not for classification). Masks are charged to the
    /// session's memory first.
    func samples(_ images: ImageSamples, _ t: DataTable, target: String, parameter: String, _ ctx: ActionContext) throws(ActionError) -> MaskDataSource {
        let targetParameter = parameter == "table" ? "target" : parameter
        guard let column = t.column(target) else {
            throw ActionError(.notFound, "Target column '\(target)' (the masks of segmentation layer '\(layer)') does not exist in table \(t.name) (columns: \(t.columns.map(\.name).joined(separator: ", "))).",
                              parameter: targetParameter)
        }
        guard case .varbinary(let blobs) = column.data else {
            throw ActionError(.parameterValue, "Target column '\(target)' of table \(t.name) must hold mask images (varbinary) for segmentation layer '\(layer)', not \(column.type.rawValue).",
                              parameter: targetParameter)
        }
        let positions = height * width, size = images.shape.reduce(1, *)
        let count = images.rows.filter { blobs[$0] != nil }.count
        let bytes = count.multipliedReportingOverflow(by: positions * MemoryLayout<Int>.size)
        try ctx.reserve(bytes.overflow ? Int.max : bytes.partialValue, for: "\(count) masks of table \(t.name)")
        // the decoded images are kept as they are when every row has a mask (the usual case); otherwise the rows
        // without one are left out of a copy
        let all = count == images.count
        var values: [Float] = all ? images.values : [], masks: [Int] = []
        if !all { values.reserveCapacity(count * size) }
        masks.reserveCapacity(count * positions)
        for (k, row) in images.rows.enumerated() {
            guard let mask = blobs[row] else { continue }
            masks += try classes(of: mask, row: row, table: t.name, parameter: targetParameter)
            if !all { values += images.values[(k * size)..<((k + 1) * size)] }
        }
        guard count > 0 else {
            throw ActionError(.parameterValue, "Table \(t.name) has no usable rows (an image and a mask in \(target)); it has \(t.rowCount) rows.",
                              parameter: parameter)
        }
        var seen = [Bool](repeating: false, count: classes)
        for c in masks { seen[c] = true }
        if let missing = seen.firstIndex(of: false), parameter == "table" {
            ctx.warning("No pixel of the masks in \(target) of table \(t.name) is class \(missing)\(seen.filter { !$0 }.count > 1 ? " (nor \(seen.filter { !$0 }.count - 1) other classes)" : ""): check segmentation layer '\(layer)''s targetScale (\(targetScale)) against the mask values.")
        }
        return MaskDataSource(values: values, masks: masks, sampleShape: images.shape, positions: positions)
    }

    /// One mask's classes, row-major: its first channel × targetScale, rounded; the size must be the layer's output size.
    func classes(of bytes: [UInt8], row: Int, table: String, parameter: String) throws(ActionError) -> [Int] {
        let first: [Float], w: Int, h: Int
        do {
            if ImageFormat.sniff(bytes) == .png {
                let info = try ImageCodec.probe(bytes)
                guard !info.isPalette, info.bitDepth <= 8 else {
                    throw ActionError(.parameterValue, "The mask in row \(row + 1) of table \(table) is a \(info.isPalette ? "palette (indexed-colour) PNG: its pixels decode to colours, not class numbers" : "\(info.bitDepth)-bit PNG: masks are read as 8-bit values"); save the masks as 8-bit gray images whose values are the classes.",
                                      parameter: parameter)
                }
            }
            if ImageFormat.sniff(bytes) == .raw, case .float32(let f) = try RawImage.decode(bytes) {
                (w, h) = (f.width, f.height)
                first = stride(from: 0, to: f.pixels.count, by: f.channels).map { f.pixels[$0] }
            } else {
                let image = try ImageCodec.decode(bytes)
                (w, h) = (image.width, image.height)
                first = stride(from: 0, to: image.pixels.count, by: image.channels).map { Float(image.pixels[$0]) }
            }
        } catch let e as ActionError {
            throw e
        } catch {
            throw ActionError(.parameterValue, "The mask in row \(row + 1) of table \(table) cannot be decoded: \(error).", parameter: parameter)
        }
        guard w == width, h == height else {
            throw ActionError(.parameterValue, "The mask in row \(row + 1) of table \(table) is \(w)x\(h), but segmentation layer '\(layer)' outputs \(width)x\(height) (one class per pixel); resize the masks (image.processImages RESIZE with interpolation=NEAREST, which keeps class values) or the images.",
                              parameter: parameter)
        }
        var out = [Int](repeating: 0, count: first.count)
        for (i, p) in first.enumerated() {
            let v = (Double(p) * targetScale).rounded()
            guard v.isFinite, v >= 0, v < Double(classes) else {
                throw ActionError(.parameterValue, "The mask in row \(row + 1) of table \(table) has pixel value \(p) at x=\(i % width), y=\(i / width), which is class \(Fixed.text(v, 0)) with targetScale \(targetScale); segmentation layer '\(layer)' has classes 0–\(classes - 1) (set the layer's targetScale, e.g. 1/255 for masks of 0 and 255).",
                                  parameter: parameter)
            }
            out[i] = Int(v)
        }
        return out
    }

    /// Models whose input layer crops at random in training are refused: the mask (or the boxes) would not move with
    /// the image. Random flips move them too (the trainer flips the targets with the image).
    static func checkAugmentation(_ input: InputLayer, _ layer: String, what: String = "its mask") throws(ActionError) {
        guard input.augmentation.crop != .randomResized else {
            let kind = what == "its mask" ? "segmentation" : "detection"
            throw ActionError(.parameterValue, "The input layer's randomCrop=RANDOMRESIZED moves the image but not \(what); a model with \(kind) layer '\(layer)' must use randomCrop=NONE (randomFlip is allowed: the trainer flips \(what) with the image).",
                              parameter: "modelTable")
        }
    }
}
