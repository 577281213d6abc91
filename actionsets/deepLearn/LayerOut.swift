import CASCore
import CASWire
import DLEngine
import ImageCodec

/// `dlScore layerOut=`: the activations of chosen layers for every scored row (CAS's feature maps),
/// as DLPy's `get_feature_maps` (JPG) and `get_features` (WIDE) read them.
///
/// Layer `l` is the l-th layer of the model table (the input layer is 0). Columns:
/// - JPG: `_LayerAct_<l>_IMG_<c>_`, one grayscale JPEG per channel `c` of a layer with a spatial
///   output (input, convolution, pooling, batch norm, residual, concat, dropout), its values scaled
///   min..max to 0..255 per image and channel; layers without a spatial output are left out.
/// - WIDE: `_LayerAct_<l>_<k>_`, one double per activation, `k` counting in channel, row, column
///   order; an output layer gives its probabilities.
/// Rows are the scored rows, in the order of the scored table.
struct LayerOut {
    enum ImageType: String { case jpg = "JPG", wide = "WIDE" }

    struct Selected {
        /// Position in the model table (the `<l>` of column names).
        var index: Int
        /// The engine layer whose activation is written.
        var engineName: String
        /// Per-sample [height, width, channels], or [n] for a layer without a spatial output.
        var shape: [Int]
    }

    let type: ImageType
    let selected: [Selected]
    /// Column names and attributes, then the cells of each column (images or doubles, by `type`).
    private var columns: [Column] = []
    private var images: [[[UInt8]?]] = []
    private var values: [[Double]] = []

    /// The layers to write: `names` (model-table names, any case), or every layer that fits `type`.
    init(model m: ModelTable, engine: Model, names: [String], type: ImageType) throws(ActionError) {
        self.type = type
        var chosen: [Selected] = []
        var indices: [Int] = []
        if names.isEmpty {
            indices = Array(m.layers.indices)
        } else {
            let position = m.positions
            for (i, n) in names.enumerated() {
                guard let k = position[n.lowercased()] else {
                    throw ActionError(.notFound, "Layer '\(n)' (layers[\(i + 1)]) is not a layer of model \(m.modelName); its layers are "
                                      + "\(m.layers.prefix(20).map(\.name).joined(separator: ", "))\(m.layers.count > 20 ? ", …" : "").",
                                      parameter: "layers")
                }
                guard !indices.contains(k) else {
                    throw ActionError(.parameterValue, "Layer '\(n)' is named twice in layers.", parameter: "layers[\(i + 1)]")
                }
                indices.append(k)
            }
        }
        for k in indices {
            let spec = m.layers[k]
            let name = spec.kind == .output && spec.int("nofullconnect") != 1 ? EngineGraph.softmaxName(spec.name) : spec.name
            guard let layer = engine.layer(named: name) else { continue }
            let spatial = layer.outputShape.count == 3 && spec.kind != .output
            if type == .jpg && !spatial {
                if !names.isEmpty {
                    throw ActionError(.parameterValue, "Layer '\(spec.name)' (\(spec.kind.label)) has no spatial output to write as images; "
                                      + "use layerImageType=\"WIDE\" for its values.", parameter: "layers")
                }
                continue
            }
            chosen.append(Selected(index: k, engineName: name, shape: layer.outputShape))
        }
        guard !chosen.isEmpty else {
            throw ActionError(.parameterValue, "Model \(m.modelName) has no layer with a spatial output to write as images.", parameter: "layerImageType")
        }
        let count = chosen.reduce(0) { $0 &+ (type == .jpg ? $1.shape[2] : $1.shape.reduce(1, &*)) }
        guard count <= Limits.maxColumns else {
            throw ActionError(.parameterValue, "layerOut would have \(count) columns; the most a table may have is \(Limits.maxColumns). "
                              + "Name fewer layers in layers=.", parameter: "layers")
        }
        selected = chosen
        for s in chosen {
            if type == .jpg {
                for c in 0..<s.shape[2] {
                    columns.append(Column(name: "_LayerAct_\(s.index)_IMG_\(c)_", attributes: ValueDict([("MIMEType", .string("image/jpeg"))]),
                                          data: .varbinary([])))
                    images.append([])
                }
            } else {
                for k in 0..<s.shape.reduce(1, *) {
                    columns.append(Column(name: "_LayerAct_\(s.index)_\(k)_", data: .double([])))
                    values.append([])
                }
            }
        }
    }

    /// Bytes the table may take for `rows` rows (JPEGs counted at one byte a pixel plus their headers).
    func estimatedBytes(rows: Int) -> Int {
        let perRow = selected.reduce(0) { sum, s in
            sum &+ (type == .jpg ? s.shape[2] &* (s.shape[0] &* s.shape[1] &+ 700) : s.shape.reduce(1, &*) &* 8)
        }
        return rows.multipliedReportingOverflow(by: perRow).overflow ? .max : rows * perRow
    }

    /// Appends the rows of the batch the engine just scored (`n` samples).
    mutating func append(_ engine: Model, samples n: Int) throws {
        var col = 0
        for s in selected {
            guard let t = engine.activation(of: s.engineName) else {
                throw ActionError(.internalError, "The activation of layer \(s.engineName) was not kept.")
            }
            let per = s.shape.reduce(1, *)
            let a = t.buffer
            if type == .jpg {
                let (h, w, c) = (s.shape[0], s.shape[1], s.shape[2])
                for ch in 0..<c {
                    for i in 0..<n {
                        var plane = [Float](repeating: 0, count: h * w)
                        for p in 0..<(h * w) { plane[p] = a[i * per + p * c + ch] }
                        images[col].append(try Self.jpeg(plane, width: w, height: h))
                    }
                    col += 1
                }
            } else {
                // channel, row, column order from the engine's row, column, channel layout
                let (h, w, c) = s.shape.count == 3 ? (s.shape[0], s.shape[1], s.shape[2]) : (1, 1, per)
                for k in 0..<per {
                    let ch = k / (h * w), p = k % (h * w)
                    for i in 0..<n { values[col].append(Double(a[i * per + p * c + ch])) }
                    col += 1
                }
            }
        }
    }

    /// One channel as a grayscale JPEG, min..max scaled to 0..255 (a constant map is mid-gray 128 when
    /// nonzero, black when zero); non-finite values count as the minimum.
    static func jpeg(_ plane: [Float], width: Int, height: Int) throws -> [UInt8] {
        let finite = plane.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 0
        let pixels: [UInt8] = plane.map { v in
            guard v.isFinite else { return 0 }
            if hi == lo { return lo == 0 ? 0 : 128 }
            return UInt8(((v - lo) / (hi - lo) * 255).rounded())
        }
        return try ImageCodec.encodeJPEG(Image(width: width, height: height, format: .gray, pixels: pixels), quality: 90)
    }

    func table(name: String) -> DataTable {
        var t = DataTable(name: name, columns: columns)
        for i in t.columns.indices { t.columns[i].data = type == .jpg ? .varbinary(images[i]) : .double(values[i]) }
        return t
    }
}
