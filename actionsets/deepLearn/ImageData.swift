import CASCore
import CASWire
import DLEngine
import ImageCodec

/// Reads the image and label columns of a table (`_image_`: PNG/JPEG bytes or CLRI raw pixels).
enum ImageData {
    /// How an image larger than the input layer is brought to its size. Only models whose input layer
    /// has `randomCrop` (UNIQUE or RANDOMRESIZED) take larger images, as in CAS: each training image keeps
    /// one window of the input layer's size at a place drawn from dlTrain's seed and the row (UNIQUE: a
    /// unique crop per image); validation, scoring and heat maps take the centre window.
    enum Window: Sendable, Equatable {
        /// The image must have the input layer's size.
        case exact
        case random(seed: UInt64)
        case center

        /// The window for a model's input layer: `training` images at a random place, the others centred.
        static func of(_ input: InputLayer, training seed: UInt64?) -> Window {
            guard input.augmentation.crop != .none else { return .exact }
            return seed.map { .random(seed: $0) } ?? .center
        }
    }

    /// Decodes every row (the first `limit` rows with an image); `shape` is the input layer's [H, W, C]. A
    /// wrong size is an error naming both sizes. The decoded floats are charged to the session's memory
    /// first. Errors name `parameter` (the table's parameter) next to `inputs`.
    static func read(_ t: DataTable, inputs: String, target: String?, shape: [Int], requireTarget: Bool, ctx: ActionContext,
                     limit: Int = .max, parameter: String = "table", window: Window = .exact) throws(ActionError) -> ImageSamples {
        try read(t, inputs: inputs, target: target, shape: shape, requireTarget: requireTarget, reserve: { n, what throws(ActionError) in try ctx.reserve(n, for: what) },
                 limit: limit, parameter: parameter, window: window)
    }

    /// `reserve(bytes, what)` charges the decoded floats before they are made (a worker of an MPI server has no
    /// session budget: its controller charged them).
    static func read(_ t: DataTable, inputs: String, target: String?, shape: [Int], requireTarget: Bool,
                     reserve: (Int, String) throws(ActionError) -> Void,
                     limit: Int = .max, parameter: String = "table", window: Window = .exact) throws(ActionError) -> ImageSamples {
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
        try reserve(decodedBytes(present, shape), "\(present) decoded images of table \(t.name)")
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
            do { out.values += try pixels(bytes, row: r, shape: shape, window: window) } catch {
                throw parameter == "table" ? error : ActionError(error.code, "\(parameter) \(t.name): \(error.message)", parameter: parameter)
            }
            out.rows.append(r)
            out.labels.append(label ?? nil)
        }
        return out
    }

    /// The bytes `count` decoded images of `shape` take (Int.max when that overflows: the budget refuses it).
    static func decodedBytes(_ count: Int, _ shape: [Int]) -> Int {
        let floats = count.multipliedReportingOverflow(by: shape.reduce(1, *))
        let bytes = floats.partialValue.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        return floats.overflow || bytes.overflow ? Int.max : bytes.partialValue
    }

    /// One image's pixels as floats, checked against the expected [H, W, C].
    static func pixels(_ bytes: [UInt8], row: Int, shape: [Int], window: Window = .exact) throws(ActionError) -> [Float] {
        let (h, w, c) = (shape[0], shape[1], shape[2])
        do {
            if ImageFormat.sniff(bytes) == .raw, case .float32(let f) = try RawImage.decode(bytes) {
                try check(f.width, f.height, f.channels, row: row, shape: shape, window: window)
                return crop(f.pixels, f.width, f.height, row: row, shape: shape, window: window)
            }
            // BGR, as CAS feeds models (ChannelOrder); CLRI cells from processImages already are
            let image = try ImageCodec.decode(bytes, as: c == 1 ? .gray : .bgr)
            try check(image.width, image.height, image.channels, row: row, shape: shape, window: window)
            return crop(image.pixels.map(Float.init), image.width, image.height, row: row, shape: shape, window: window)
        } catch let e as ActionError {
            throw e
        } catch {
            throw ActionError(.parameterValue, "The image in row \(row + 1) cannot be decoded: \(error) (expected \(w)x\(h), \(c) channels).", parameter: "inputs")
        }
    }

    /// The window of the input layer's size of a `width` × `height` image (the image itself when it has that size).
    static func crop(_ p: [Float], _ width: Int, _ height: Int, row: Int, shape: [Int], window: Window) -> [Float] {
        let (h, w, c) = (shape[0], shape[1], shape[2])
        guard width != w || height != h else { return p }
        var (x0, y0) = ((width - w) / 2, (height - h) / 2)
        if case .random(let seed) = window {
            var rng = Xoshiro256(seed: seed &+ UInt64(row) &* 0x9E37_79B9_7F4A_7C15)
            x0 = Int(rng.nextUniform() * Float(width - w + 1))
            y0 = Int(rng.nextUniform() * Float(height - h + 1))
        }
        var out: [Float] = []
        out.reserveCapacity(h * w * c)
        for y in 0..<h {
            let start: Int = ((y0 + y) * width + x0) * c
            out += p[start..<(start + w * c)]
        }
        return out
    }

    static func check(_ w: Int, _ h: Int, _ c: Int, row: Int, shape: [Int], window: Window = .exact) throws(ActionError) {
        if window != .exact, c == shape[2], w >= shape[1], h >= shape[0] { return }
        guard w == shape[1], h == shape[0], c == shape[2] else {
            if window != .exact {
                throw ActionError(.parameterValue, "The image in row \(row + 1) is \(w)x\(h) with \(c) channels, but the model's input layer crops \(shape[1])x\(shape[0]) windows with \(shape[2]) channels; images may be larger, not smaller (resize them with image.processImages).",
                                  parameter: "inputs")
            }
            throw ActionError(.parameterValue, "The image in row \(row + 1) is \(w)x\(h) with \(c) channels, but the model's input layer expects \(shape[1])x\(shape[0]) with \(shape[2]); resize the images first (image.processImages).",
                              parameter: "inputs")
        }
    }
}
