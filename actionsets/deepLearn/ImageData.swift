import CASCore
import CASWire
import DLEngine
import ImageCodec

/// Reads the image and label columns of a table (`_image_`: PNG/JPEG bytes or CLRI raw pixels).
enum ImageData {
    /// Decodes every row (the first `limit` rows with an image); `shape` is the input layer's [H, W, C]. A
    /// wrong size is an error naming both sizes. The decoded floats are charged to the session's memory
    /// first. Errors name `parameter` (the table's parameter) next to `inputs`.
    static func read(_ t: DataTable, inputs: String, target: String?, shape: [Int], requireTarget: Bool, ctx: ActionContext,
                     limit: Int = .max, parameter: String = "table") throws(ActionError) -> ImageSamples {
        let which = parameter == "table" ? "inputs" : "\(parameter), inputs"
        guard let img = t.column(inputs) else {
            throw ActionError(.notFound, "Column '\(inputs)' (\(which)) does not exist in table \(t.name).", parameter: parameter == "table" ? "inputs" : parameter)
        }
        guard case .varbinary(let blobs) = img.data else {
            throw ActionError(.parameterValue, "Column '\(inputs)' of table \(t.name) must be varbinary (images), not \(img.type.rawValue).",
                              parameter: parameter == "table" ? "inputs" : parameter)
        }
        var present = 0
        for r in 0..<t.rowCount where blobs[r] != nil && present < limit { present += 1 }
        let floats = present.multipliedReportingOverflow(by: shape.reduce(1, *))
        let bytes = floats.partialValue.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        try ctx.reserve(floats.overflow || bytes.overflow ? Int.max : bytes.partialValue, for: "\(present) decoded images of table \(t.name)")
        var labelColumn: Column?
        if let target {
            labelColumn = t.column(target)
            if labelColumn == nil && requireTarget {
                throw ActionError(.notFound, "Target column '\(target)' does not exist in table \(t.name) (columns: \(t.columns.map(\.name).joined(separator: ", "))).",
                                  parameter: "target")
            }
        }
        var out = ImageSamples(values: [], rows: [], labels: [], shape: shape)
        out.values.reserveCapacity(t.rowCount * shape.reduce(1, *))
        for r in 0..<t.rowCount where out.rows.count < limit {
            guard let bytes = blobs[r] else { continue }
            let label = labelColumn.map { $0.data.isMissing(at: r) ? nil : LevelText.text($0.data.value(at: r)) }
            if requireTarget, label ?? nil == nil { continue }
            do { out.values += try pixels(bytes, row: r, shape: shape) } catch {
                throw parameter == "table" ? error : ActionError(error.code, "\(parameter) \(t.name): \(error.message)", parameter: parameter)
            }
            out.rows.append(r)
            out.labels.append(label ?? nil)
        }
        return out
    }

    /// One image's pixels as floats, checked against the expected [H, W, C].
    static func pixels(_ bytes: [UInt8], row: Int, shape: [Int]) throws(ActionError) -> [Float] {
        let (h, w, c) = (shape[0], shape[1], shape[2])
        do {
            if ImageFormat.sniff(bytes) == .raw, case .float32(let f) = try RawImage.decode(bytes) {
                try check(f.width, f.height, f.channels, row: row, shape: shape)
                return f.pixels
            }
            // BGR, as CAS feeds models (ChannelOrder); CLRI cells from processImages already are
            let image = try ImageCodec.decode(bytes, as: c == 1 ? .gray : .bgr)
            try check(image.width, image.height, image.channels, row: row, shape: shape)
            return image.pixels.map(Float.init)
        } catch let e as ActionError {
            throw e
        } catch {
            throw ActionError(.parameterValue, "The image in row \(row + 1) cannot be decoded: \(error) (expected \(w)x\(h), \(c) channels).", parameter: "inputs")
        }
    }

    static func check(_ w: Int, _ h: Int, _ c: Int, row: Int, shape: [Int]) throws(ActionError) {
        guard w == shape[1], h == shape[0], c == shape[2] else {
            throw ActionError(.parameterValue, "The image in row \(row + 1) is \(w)x\(h) with \(c) channels, but the model's input layer expects \(shape[1])x\(shape[0]) with \(shape[2]); resize the images first (image.processImages).",
                              parameter: "inputs")
        }
    }
}
