import CASCore
import CASWire
import DLEngine
import ImageCodec

/// Reads the image and label columns of a table (`_image_`: PNG/JPEG bytes or CLRI raw pixels).
enum ImageData {
    /// Decodes every row; `shape` is the input layer's [H, W, C]. A wrong size is an error naming both sizes.
    static func read(_ t: DataTable, inputs: String, target: String?, shape: [Int], requireTarget: Bool) throws(ActionError) -> ImageSamples {
        guard let img = t.column(inputs) else {
            throw ActionError(.notFound, "Column '\(inputs)' (inputs) does not exist in table \(t.name).", parameter: "inputs")
        }
        guard case .varbinary(let blobs) = img.data else {
            throw ActionError(.parameterValue, "Column '\(inputs)' of table \(t.name) must be varbinary (images), not \(img.type.rawValue).", parameter: "inputs")
        }
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
        for r in 0..<t.rowCount {
            guard let bytes = blobs[r] else { continue }
            let label = labelColumn.map { $0.data.isMissing(at: r) ? nil : LevelText.text($0.data.value(at: r)) }
            if requireTarget, label ?? nil == nil { continue }
            out.values += try pixels(bytes, row: r, shape: shape)
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
