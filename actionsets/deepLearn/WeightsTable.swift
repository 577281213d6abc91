import CASCore
import CASWire
import DLEngine
import Foundation

/// The weights table: one row per parameter or buffer tensor, so it can be fetched, saved,
/// promoted and filtered (`where="_LayerID_<125"`) like any table. Columns:
/// `_LayerID_` (double; −1 on metadata rows), `_Layer_`, `_Tensor_` (torch-style name `<layer>.<param>`),
/// `_Shape_` ("64,3,7,7"), `_Weights_` (varbinary, little-endian float32 in torch layout).
/// Metadata rows: `_Tensor_="_target_"` (`_Layer_` = target column) and one `_Tensor_="_level_"` row per
/// target level (`_Layer_` = level, `_Shape_` = its class index); after an INT8 calibration one
/// `_Tensor_="_int8range_"` row per quantized convolution (`_Layer_` = its name, `_Weights_` = the two
/// float32 bounds of its input range; docs/decisions/020-precision.md).
struct WeightsTable: Sendable {
    var tensors: [NamedTensor]
    var target: String?
    var levels: [String]
    /// INT8 calibration: input range per convolution.
    var int8Ranges: [String: ClosedRange<Float>] = [:]
    /// What is wrong with an `_int8range_` row, if one is malformed: only INT8 scoring from the stored
    /// calibration fails on it (FP32/BF16 ignore the rows, a new calibration replaces them).
    var int8RangeProblem: String?

    static let columns: [(String, ColumnType)] = [
        ("_LayerID_", .double), ("_Layer_", .varchar), ("_Tensor_", .varchar), ("_Shape_", .varchar), ("_Weights_", .varbinary),
    ]

    /// The model's current weights with the ids of the model table.
    init(model: Model, specs: ModelTable, target: String?, levels: [String]) {
        var rows: [NamedTensor] = []
        for l in model.layers {
            for b in l.parameters + l.buffers {
                rows.append(NamedTensor(name: "\(l.name).\(b.name)", shape: b.shape, values: Array(b.value)))
            }
        }
        tensors = rows
        self.target = target
        self.levels = levels
        layerIds = Dictionary(uniqueKeysWithValues: specs.layers.enumerated().map { ($0.element.name, $0.offset) })
    }

    init(tensors: [NamedTensor], specs: ModelTable, target: String?, levels: [String]) {
        self.tensors = tensors
        self.target = target
        self.levels = levels
        layerIds = Dictionary(uniqueKeysWithValues: specs.layers.enumerated().map { ($0.element.name, $0.offset) })
    }

    private var layerIds: [String: Int] = [:]

    /// The layer a tensor name belongs to (the longest layer name that prefixes it; `res1#proj0.weight`,
    /// a part the engine adds to layer res1, belongs to res1).
    func layer(of tensor: String) -> String { Self.layer(of: tensor, among: layerIds.keys) }

    static func layer(of tensor: String, among names: some Collection<String>) -> String {
        names.filter { tensor.hasPrefix($0 + ".") || tensor.hasPrefix($0 + "#") }.max { $0.count < $1.count }
            ?? String(tensor.split(separator: ".").first ?? "")
    }

    func table(name: String) -> DataTable {
        var rows: [[Value]] = []
        if let target { rows.append([.double(-1), .string(target), "_target_", "", .blob([])]) }
        for (i, level) in levels.enumerated() { rows.append([.double(-1), .string(level), "_level_", .string(String(i)), .blob([])]) }
        for (layer, r) in int8Ranges.sorted(by: { $0.key < $1.key }) {
            rows.append([.double(-1), .string(layer), "_int8range_", "2", .blob(Self.bytes([r.lowerBound, r.upperBound]))])
        }
        for t in tensors {
            let l = layer(of: t.name)
            rows.append([layerIds[l].map { .double(Double($0)) } ?? .null, .string(l), .string(t.name),
                         .string(t.shape.map(String.init).joined(separator: ",")), .blob(Self.bytes(t.values))])
        }
        return .result(name, label: "Model weights", columns: Self.columns, rows: rows)
    }

    /// Reads a weights table; refuses other tables and inconsistent rows.
    init(_ t: DataTable, parameter: String) throws(ActionError) {
        let cols = Self.columns.map { t.column($0.0) }
        guard cols.allSatisfy({ $0 != nil }) else {
            throw ActionError(.parameterValue, "Table \(t.name) is not a weights table (it needs columns \(Self.columns.map(\.0).joined(separator: ", "))).",
                              parameter: parameter)
        }
        let c = cols.map { $0!.data }
        var tensors: [NamedTensor] = [], levels: [(Int, String)] = [], target: String?
        var rowOf: [String: Int] = [:]
        for r in 0..<t.rowCount {
            let name = c[2].value(at: r).stringValue ?? "", text = c[1].value(at: r).stringValue ?? ""
            let shapeText = c[3].value(at: r).stringValue ?? ""
            let at = "Weights table \(t.name), row \(r + 1) (tensor \(Names.quote(name)))"
            switch name {
            case "_target_": target = text
            case "_level_": levels.append((Int(shapeText) ?? levels.count, text))
            case "_int8range_":
                let bytes = c[4].value(at: r).blobValue ?? []
                let v = bytes.count == 8 ? bytes.withUnsafeBytes { [$0.loadUnaligned(as: Float.self), $0.loadUnaligned(fromByteOffset: 4, as: Float.self)] } : []
                if v.count == 2, v[0].isFinite, v[1].isFinite, v[0] <= v[1], int8Ranges[text] == nil {
                    int8Ranges[text] = v[0]...v[1]
                } else if int8RangeProblem == nil {
                    int8RangeProblem = "\(at): an _int8range_ row needs two finite float32 bounds, low ≤ high, once per layer"
                }
            default:
                if let first = rowOf[name] {
                    throw ActionError(.parameterValue, "\(at): tensor \(Names.quote(name)) is also in row \(first + 1); each tensor may appear once.", parameter: parameter)
                }
                rowOf[name] = r
                let shape = try Self.shape(shapeText, at: at, parameter: parameter)
                let tensor: NamedTensor
                do { tensor = try NamedTensor(name: name, shape: shape, littleEndianBytes: c[4].value(at: r).blobValue ?? []) } catch {
                    throw ActionError(.parameterValue, "\(at), _Shape_ \(Names.quote(shapeText)): \(error.message).", parameter: parameter)
                }
                if let i = tensor.values.firstIndex(where: { !$0.isFinite }) {
                    throw ActionError(.parameterValue, """
                        \(at): value \(i + 1) of \(tensor.values.count) is \(tensor.values[i]); weights must be finite numbers \
                        (a training run that diverged? train again with a lower learning rate).
                        """, parameter: parameter)
                }
                tensors.append(tensor)
            }
        }
        self.tensors = tensors
        self.target = target
        self.levels = levels.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The one reading of a `_Shape_` cell: whole numbers separated by commas ("64,3,7,7"; spaces around
    /// a number are allowed, "" is a scalar). Anything else — "a,b", "1e3", "4;3;3;3", an empty
    /// dimension, a number beyond Int — is an error quoting the cell; sizes are checked by the tensor.
    static func shape(_ text: String, at: String, parameter: String) throws(ActionError) -> [Int] {
        if text.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
        var dims: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let digits = part.trimmingCharacters(in: .whitespaces)
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let d = Int(digits) else {
                throw ActionError(.parameterValue, """
                    \(at): _Shape_ \(Names.quote(text)) is not a shape; give whole numbers separated by commas, such as "64,3,7,7" \
                    (\(Names.quote(digits)) is not one\(digits.utf8.count > 18 ? ", or is too large" : "")).
                    """, parameter: parameter)
            }
            dims.append(d)
        }
        return dims
    }

    /// Little-endian float32 bytes (a plain copy: every platform Swift runs caslite on is little-endian).
    static func bytes(_ v: [Float]) -> [UInt8] {
        v.withUnsafeBytes { Array($0) }
    }

    /// Loads into `model`: layers without any tensor keep their initial values (a new head); everything
    /// else must match by name and shape.
    func load(into model: Model, parameter: String) throws(ActionError) {
        let names = model.layers.map(\.name)
        let present = Set(tensors.map { Self.layer(of: $0.name, among: names) })
        let skip = Set(model.layers.map(\.name).filter { !present.contains($0) })
        do {
            try model.loadWeights(tensors, skipLayers: skip)
        } catch let e as EngineError {
            throw ActionError(.parameterValue, "The weights in \(parameter) do not fit the model: \(e.message)", parameter: parameter)
        } catch {
            throw ActionError(.internalError, "\(error)")
        }
    }
}
