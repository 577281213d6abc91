// DLEngine's HDF5 dependency is optional: the repo's Package.swift always gives DLEngine the CHDF5Shim
// target (and deepLearn's dlImportModelWeights needs this file, so a missing dependency fails the build
// there), while packages that mirror only the compute targets (bench/dlengine, private dev packages)
// still build without libhdf5.
#if canImport(CHDF5Shim)
import CHDF5Shim
import CheckedSize
import Foundation

/// DLPy's and SAS's "SAS-compatible HDF5" Caffe weights (`*.caffemodel.h5`, as written by DLPy's
/// `model_conversion/write_caffe_model_parm.py`; DLPy itself never opens the file; docs/deeplearn.md):
///
///     /data/<Caffe layer name>/"0", "1", …   the layer's Caffe blobs in index order (float32)
///       Convolution   0 weight [out, in/groups, kh, kw], 1 bias [out] (when the layer has one)
///       InnerProduct  0 weight [out, in] (in = C·H·W of Caffe's NCHW input), 1 bias [out]
///       BatchNorm     0 mean·f [C], 1 variance·f [C], 2 f [1] (Caffe's moving-average factor)
///       Scale         stored as "<batch norm name>_scale": 0 gamma [C], 1 beta [C]
///       anything else an empty group (pool1, res2a, conv1_relu, …)
///
/// `read` returns the groups without interpreting them; `map(_:onto:)` lays them onto a model by
/// layer name (case-insensitive: CAS stores layer names lower-case) and converts them to the engine's
/// tensors (`<layer>.weight`, `.bias`, `.running_mean`, `.running_var`), which `Model.loadWeights` or a
/// weights table take as they are. `Model.loadCaffeWeights(_:)` does both. All HDF5 calls are in
/// Sources/CHDF5Shim/h5_shim.c.
public enum CaffeHDF5 {
    /// One group below `/data`: a Caffe layer's blobs, named by dataset ("0", "1", … in numeric order).
    /// Nested groups (Caffe names containing "/") are named by their path below `/data`.
    public struct Group: Sendable, Equatable {
        public var name: String
        public var blobs: [NamedTensor]

        public init(name: String, blobs: [NamedTensor]) {
            self.name = name
            self.blobs = blobs
        }

        /// Blob `i` (the dataset named "i").
        public func blob(_ i: Int) -> NamedTensor? { blobs.first { $0.name == String(i) } }
    }

    /// HDF5's format signature; the superblock is at offset 0, 512, 1024, 2048, … (after a user block).
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    static func fail(_ message: String) -> EngineError { EngineError(.weightsFormat, "Caffe HDF5 weights: \(message)") }

    /// The datasets of one file may hold at most this many times the file's size in float32 values:
    /// deflate, HDF5's strongest filter, compresses at most about 1032:1, so anything beyond is a crafted
    /// header (a huge dataspace with no data behind it) and is refused before it is allocated.
    static let maxExpansion = 1032

    // MARK: reading

    /// Which datasets `read` reads the values of. A dataset not read keeps its declared shape (from the
    /// file's header) and has no values: `map` checks such headers against a model before anything is
    /// allocated, and `CaffeWeights.declaredBytes` says what reading the used groups will take.
    public enum Values: Sendable, Equatable {
        /// Every dataset (tests, small files).
        case all
        /// No dataset: shapes only.
        case none
        /// The datasets of these groups (names below `/data`, as `Group.name`).
        case groups(Set<String>)

        func includes(_ group: String) -> Bool {
            switch self {
            case .all: true
            case .none: false
            case .groups(let names): names.contains(group)
            }
        }
    }

    /// Every group below `/data` in name order. Errors (`.weightsFormat`): not an HDF5 file, a damaged or
    /// truncated file (HDF5's own diagnosis is quoted), no `/data` group, non-numeric datasets, a declared
    /// shape beyond `Limits.maxTensorElements`. With `values` other than `.all`, only the selected groups'
    /// datasets are read (the others keep their declared shapes and no values).
    public static func read(_ data: Data, values: Values = .all) throws -> [Group] {
        let file = try data.withUnsafeBytes { raw -> File in
            var offset = 0, found = false
            while offset + signature.count <= raw.count {
                if signature.indices.allSatisfy({ raw[offset + $0] == signature[$0] }) { found = true; break }
                offset = offset == 0 ? 512 : offset * 2
            }
            guard found else {
                throw fail("not an HDF5 file (\(raw.count) bytes, no HDF5 signature at offset 0, 512, 1024, …)")
            }
            return try File(image: raw, maxBytes: max(raw.count, 1 << 16) * maxExpansion)   // HDF5 copies the image
        }
        guard try file.kind("/data") == 1 else {
            let root = (try? file.links("/")) ?? []
            throw fail("no group 'data' at the root, so this is not a DLPy/SAS Caffe weights file (the root holds \(root.isEmpty ? "nothing" : root.joined(separator: ", ")))")
        }
        var groups: [Group] = []
        try collect(file, path: "/data", name: "", depth: 0, values: values, into: &groups)
        return groups
    }

    /// Reads the file at `url`.
    public static func read(contentsOf url: URL) throws -> [Group] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw fail("cannot read \(url.path): \(error.localizedDescription)") }
        return try read(data)
    }

    private static func collect(_ file: File, path: String, name: String, depth: Int, values: Values, into groups: inout [Group]) throws {
        guard depth < 16 else { throw fail("groups nested deeper than 16 levels at \(path)") }
        var blobs: [NamedTensor] = [], children: [(String, String)] = []
        for link in try file.links(path) {
            let child = "\(path)/\(link)"
            switch try file.kind(child) {
            case 1: children.append((child, name.isEmpty ? link : "\(name)/\(link)"))
            case 2: blobs.append(try file.dataset(child, name: link, readValues: values.includes(name)))
            default: break   // soft/external links and named datatypes carry no weights
            }
        }
        if !name.isEmpty && (!blobs.isEmpty || children.isEmpty) {
            groups.append(Group(name: name, blobs: blobs.sorted { blobOrder($0.name, $1.name) }))
        }
        for (p, n) in children { try collect(file, path: p, name: n, depth: depth + 1, values: values, into: &groups) }
    }

    /// "0" < "1" < "2" < "10" < other names.
    static func blobOrder(_ a: String, _ b: String) -> Bool {
        switch (Int(a), Int(b)) {
        case let (x?, y?): return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a < b
        }
    }

    /// A NUL-terminated C buffer as a String.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// An open in-memory HDF5 file (closed on deinit).
    final class File {
        let id: Int64
        private var err = [CChar](repeating: 0, count: 1024)
        /// Bytes of float32 values the datasets may still take (see `maxExpansion`).
        private var remainingBytes: Int

        init(image: UnsafeRawBufferPointer, maxBytes: Int) throws {
            remainingBytes = maxBytes
            var err = [CChar](repeating: 0, count: 1024)
            id = caslite_h5_open_image(image.baseAddress, image.count, &err, err.count)
            guard id >= 0 else { throw CaffeHDF5.fail(CaffeHDF5.text(err)) }
        }

        deinit { caslite_h5_close(id) }

        private func failure() -> EngineError { CaffeHDF5.fail(CaffeHDF5.text(err)) }

        /// 0 nothing, 1 group, 2 dataset, 3 other.
        func kind(_ path: String) throws -> Int32 {
            let k = caslite_h5_kind(id, path, &err, err.count)
            guard k >= 0 else { throw failure() }
            return k
        }

        func links(_ path: String) throws -> [String] {
            let n = caslite_h5_link_count(id, path, &err, err.count)
            guard n >= 0 else { throw failure() }
            var names: [String] = []
            var buffer = [CChar](repeating: 0, count: 512)
            for i in 0..<UInt64(n) {
                var length = caslite_h5_link_name(id, path, i, &buffer, buffer.count, &err, err.count)
                guard length >= 0 else { throw failure() }
                if length >= buffer.count {
                    buffer = [CChar](repeating: 0, count: Int(length) + 1)
                    length = caslite_h5_link_name(id, path, i, &buffer, buffer.count, &err, err.count)
                    guard length >= 0 else { throw failure() }
                }
                names.append(CaffeHDF5.text(buffer))
            }
            return names
        }

        /// The dataset's declared shape, checked against the limits; its values only with `readValues`
        /// (and then charged to the file's expansion allowance before they are allocated).
        func dataset(_ path: String, name: String, readValues: Bool) throws -> NamedTensor {
            var dims = [UInt64](repeating: 0, count: 32)
            var typeClass: Int32 = 0
            let rank = caslite_h5_dataset_info(id, path, &dims, Int32(dims.count), &typeClass, &err, err.count)
            guard rank >= 0 else { throw failure() }
            guard typeClass != 0 else { throw CaffeHDF5.fail("dataset \(path) is not numeric (Caffe blobs are float32)") }
            let shape = dims.prefix(Int(min(rank, Int32(dims.count)))).map { Int(clamping: $0) }
            let count: Int
            do {
                count = try Checked.product(shape, "elements of dataset \(path) \(shape)", max: Limits.maxTensorElements)
                guard readValues else { return NamedTensor(name: name, shape: shape, values: []) }
                let bytes = try Checked.bytes(count, 4, "float32 values of the datasets up to \(path) (a file may expand at most \(CaffeHDF5.maxExpansion)-fold)",
                                              max: remainingBytes)
                remainingBytes -= bytes
            } catch {
                throw CaffeHDF5.fail("\(error)")
            }
            var values = [Float](repeating: 0, count: count)
            let rc = values.withUnsafeMutableBufferPointer { caslite_h5_read_float(id, path, $0.baseAddress, UInt64(count), &err, err.count) }
            guard rc == 0 else { throw failure() }
            return NamedTensor(name: name, shape: shape, values: values)
        }
    }

    // MARK: mapping onto a model

    /// Lays `groups` onto `model` by layer name. Convolution: group `<layer>` (0 weight, 1 bias when the
    /// layer has one), same layout. Fully connected: group `<layer>` (0 [out, in], 1 bias); when the
    /// layer's input is an [H, W, C] image with H·W > 1 the input axis is permuted from Caffe's C·H·W
    /// order to the engine's H·W·C. Batch norm: `<layer>` (mean = blob0 / f, variance = blob1 / f with
    /// f = blob2, and 0 when f = 0, as Caffe) plus `<layer>_scale` (gamma, beta; the Caffe ResNet name
    /// `scale…` for `bn…` is accepted too). Shapes are compared ignoring dimensions of size 1
    /// (legacy Caffe 4-D blobs). Layers in `skipLayers`, and the fully connected output layer when the file
    /// has no group for it (DLPy replaces the classifier), are left out and listed in `initialLayers`.
    /// Nothing throws here: check `problems` (or call `check()`).
    public static func map(_ groups: [Group], onto model: Model, skipLayers: Set<String> = []) -> CaffeWeights {
        var byName: [String: Group] = [:], byLower: [String: Group] = [:]
        for g in groups {
            byName[g.name] = g
            if byLower[g.name.lowercased()] == nil { byLower[g.name.lowercased()] = g }
        }
        func group(_ name: String) -> Group? { byName[name] ?? byLower[name.lowercased()] }

        var result = CaffeWeights()
        var used = Set<String>(), wanted = Set<String>()
        let heads = outputLayers(of: model)
        for layer in model.layers where !(layer.parameters.isEmpty && layer.buffers.isEmpty) {
            if skipLayers.contains(layer.name) {
                result.initialLayers.append(layer.name)
                if let g = group(layer.name) { used.insert(g.name) }
                continue
            }
            var m = LayerMapping(layer: layer)
            switch layer {
            case let conv as ConvolutionLayer:
                m.parameterGroup(group(layer.name)) { m, g in
                    m.copy(g, 0, into: "weight")
                    if conv.hasBias { m.copy(g, 1, into: "bias") } else { m.refuseBias(g, 1) }
                    m.refuseOthers(g, known: 2)
                }
            case let fc as FullyConnectedLayer:
                if group(layer.name) == nil && heads.contains(layer.name) {
                    result.initialLayers.append(layer.name)
                    continue
                }
                m.parameterGroup(group(layer.name)) { m, g in
                    m.copy(g, 0, into: "weight", permute: fcPermutation(fc))
                    if fc.hasBias { m.copy(g, 1, into: "bias") } else { m.refuseBias(g, 1) }
                    m.refuseOthers(g, known: 2)
                }
            case is BatchNormLayer:
                m.parameterGroup(group(layer.name)) { m, g in
                    m.batchNormStatistics(g)
                    m.refuseOthers(g, known: 3)
                }
                let scaleNames = ["\(layer.name)_scale"] + (layer.name.lowercased().hasPrefix("bn") ? ["scale" + layer.name.dropFirst(2)] : [])
                m.parameterGroup(scaleNames.lazy.compactMap(group).first, missingName: scaleNames[0], what: " (its Caffe Scale layer: gamma, beta)") { m, g in
                    m.copy(g, 0, into: "weight")
                    m.copy(g, 1, into: "bias")
                    m.refuseOthers(g, known: 2)
                }
            default:
                m.problems.append(CaffeProblem(.unsupportedLayer, layer: layer.name, "no Caffe mapping for a \(layer.kind) layer"))
            }
            used.formUnion(m.usedGroups)
            wanted.formUnion(m.usedGroups)
            result.problems += m.problems
            // Tensors in the model's block order, so they line up with Model.exportWeights.
            for b in layer.parameters + layer.buffers {
                if let values = m.values[b.name] { result.tensors.append(NamedTensor(name: "\(layer.name).\(b.name)", shape: b.shape, values: values)) }
            }
        }
        result.ignoredGroups = groups.filter { !used.contains($0.name) && !$0.blobs.isEmpty }.map(\.name)
        result.usedGroups = Set(groups.map(\.name).filter { wanted.contains($0) })
        return result
    }

    /// The fully connected layers that produce the model's output (the sink itself, or what feeds its
    /// softmax): the layers that may be absent from the file.
    public static func outputLayers(of model: Model) -> Set<String> {
        let sink = model.outputLayer
        if sink is FullyConnectedLayer { return [sink.name] }
        return Set(sink.sources.filter { model.layer(named: $0) is FullyConnectedLayer })
    }

    /// Engine input index → Caffe input index for an FC layer after an [H, W, C] image (nil: same order).
    static func fcPermutation(_ fc: FullyConnectedLayer) -> [Int]? {
        let s = fc.inputShapes[0]
        guard s.count == 3, s[0] * s[1] > 1, s[2] > 1 else { return nil }
        let (h, w, c) = (s[0], s[1], s[2])
        var p = [Int](repeating: 0, count: h * w * c)
        for y in 0..<h { for x in 0..<w { for ch in 0..<c { p[(y * w + x) * c + ch] = (ch * h + y) * w + x } } }
        return p
    }
}

/// What `CaffeHDF5.map` produced: the engine tensors and everything that did not line up.
public struct CaffeWeights: Sendable {
    /// `<layer>.<param>` in the engine's layouts, layer by layer in model order.
    public var tensors: [NamedTensor] = []
    /// Layers with parameters that get nothing from the file (the output layer without a group, `skipLayers`).
    public var initialLayers: [String] = []
    /// Groups holding datasets that no layer of the model used (in file order).
    public var ignoredGroups: [String] = []
    /// Missing groups/datasets, shape mismatches, unexpected datasets, unsupported layers.
    public var problems: [CaffeProblem] = []
    /// The groups whose datasets the tensors come from (what `CaffeHDF5.read(_:values:)` must read).
    public var usedGroups: Set<String> = []

    /// Bytes of the float32 values of `tensors`, from their shapes (also when mapped from headers alone).
    public var declaredBytes: Int { tensors.reduce(0) { $0 &+ $1.shape.reduce(4, &*) } }

    public init() {}

    /// Throws one `.weightsMismatch` error listing every problem, grouped by kind.
    public func check() throws {
        guard !problems.isEmpty else { return }
        var parts: [String] = []
        for kind in CaffeProblem.Kind.allCases {
            let items = problems.filter { $0.kind == kind }.map(\.description)
            if !items.isEmpty { parts.append("\(kind.title): \(items.joined(separator: "; "))") }
        }
        var message = "Caffe weights do not fit the model: " + parts.joined(separator: ". ")
        var without: [String] = []
        for p in problems where p.kind == .missingGroup && !without.contains(p.layer) { without.append(p.layer) }
        if !without.isEmpty { message += ". Layers that would get no weights: \(without.joined(separator: ", "))" }
        if !initialLayers.isEmpty { message += " (\(initialLayers.joined(separator: ", ")) would keep initial values, which is allowed for the output layer)" }
        if !ignoredGroups.isEmpty { message += ". Groups in the file that no layer uses: \(ignoredGroups.joined(separator: ", "))" }
        throw EngineError(.weightsMismatch, message + ".")
    }
}

/// One thing in a Caffe weights file that does not fit a layer.
public struct CaffeProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case missingGroup, missingDataset, shape, unexpectedDataset, unsupportedLayer
        var title: String {
            switch self {
            case .missingGroup: "missing groups"
            case .missingDataset: "missing datasets"
            case .shape: "shape mismatches (model vs file)"
            case .unexpectedDataset: "unexpected datasets"
            case .unsupportedLayer: "unsupported layers"
            }
        }
    }
    public let kind: Kind
    /// The model layer concerned.
    public let layer: String
    public let detail: String

    public init(_ kind: Kind, layer: String, _ detail: String) {
        self.kind = kind
        self.layer = layer
        self.detail = detail
    }

    public var description: String { detail }
}

/// Collects one layer's converted values and problems.
private struct LayerMapping {
    let layer: Layer
    var values: [String: [Float]] = [:]
    var problems: [CaffeProblem] = []
    var usedGroups: [String] = []

    init(layer: Layer) { self.layer = layer }

    func shape(_ block: String) -> [Int] {
        (layer.parameters + layer.buffers).first { $0.name == block }?.shape ?? []
    }

    mutating func problem(_ kind: CaffeProblem.Kind, _ detail: String) {
        problems.append(CaffeProblem(kind, layer: layer.name, detail))
    }

    /// Runs `body` on the group, or records it as missing.
    mutating func parameterGroup(_ g: CaffeHDF5.Group?, missingName: String? = nil, what: String = "", _ body: (inout LayerMapping, CaffeHDF5.Group) -> Void) {
        guard let g else {
            problem(.missingGroup, "no group '\(missingName ?? layer.name)' for \(layer.kind) layer \(layer.name)\(what)")
            return
        }
        usedGroups.append(g.name)
        body(&self, g)
    }

    /// Blob `i` if present with the element layout of `expected` (dimensions of size 1 ignored).
    mutating func blob(_ g: CaffeHDF5.Group, _ i: Int, _ expected: [Int], _ what: String) -> [Float]? {
        guard let t = g.blob(i) else {
            problem(.missingDataset, "\(g.name)/\(i) (\(what) \(expected)) is missing")
            return nil
        }
        // the declared shape decides (a header read with `.none` has no values yet)
        guard t.shape.filter({ $0 != 1 }) == expected.filter({ $0 != 1 }), t.values.isEmpty || t.values.count == expected.reduce(1, *) else {
            problem(.shape, "\(g.name)/\(i) (\(what)): model \(expected), file \(t.shape)")
            return nil
        }
        return t.values
    }

    mutating func copy(_ g: CaffeHDF5.Group, _ i: Int, into block: String, permute: [Int]? = nil) {
        let expected = shape(block)
        guard var v = blob(g, i, expected, block) else { return }
        if let p = permute {   // [out, in]: engine column j reads Caffe column p[j]
            let inputs = p.count, src = v
            for o in 0..<(v.count / inputs) { for j in 0..<inputs { v[o * inputs + j] = src[o * inputs + p[j]] } }
        }
        values[block] = v
    }

    mutating func refuseBias(_ g: CaffeHDF5.Group, _ i: Int) {
        if let t = g.blob(i) {
            problem(.unexpectedDataset, "\(g.name)/\(i): the file has a bias \(t.shape) but \(layer.kind) layer \(layer.name) has none (includeBias)")
        }
    }

    /// Datasets other than blobs 0..<known (a bias the layer does not have is reported by refuseBias).
    mutating func refuseOthers(_ g: CaffeHDF5.Group, known: Int) {
        for t in g.blobs where !(Int(t.name).map { (0..<known).contains($0) } ?? false) {
            problem(.unexpectedDataset, "\(g.name)/\(t.name) \(t.shape)")
        }
    }

    /// Caffe BatchNorm: 0 mean·f, 1 variance·f, 2 f.
    mutating func batchNormStatistics(_ g: CaffeHDF5.Group) {
        let c = shape("running_mean")
        let mean = blob(g, 0, c, "mean·f"), variance = blob(g, 1, c, "variance·f"), f = blob(g, 2, [1], "factor f")
        guard let mean, let variance, let f else { return }
        guard let f0 = f.first else {   // shapes only
            values["running_mean"] = []
            values["running_var"] = []
            return
        }
        let scale = f0 == 0 ? 0 : 1 / Double(f0)
        values["running_mean"] = mean.map { Float(Double($0) * scale) }
        values["running_var"] = variance.map { Float(Double($0) * scale) }
    }
}

extension Model {
    /// Reads a DLPy/SAS Caffe HDF5 weights file and loads it (see `CaffeHDF5.map`). Throws
    /// `.weightsFormat` for unreadable files and one `.weightsMismatch` listing every problem; on error
    /// nothing is changed. Returns what was loaded, the layers left at their initial values and the
    /// groups the model did not use.
    @discardableResult
    public func loadCaffeWeights(_ data: Data, skipLayers: Set<String> = []) throws -> CaffeWeights {
        // the declared shapes first: nothing is read unless it fits, and only what the model uses
        let planned = CaffeHDF5.map(try CaffeHDF5.read(data, values: .none), onto: self, skipLayers: skipLayers)
        try planned.check()
        let mapped = CaffeHDF5.map(try CaffeHDF5.read(data, values: .groups(planned.usedGroups)), onto: self, skipLayers: skipLayers)
        try mapped.check()
        try loadWeights(mapped.tensors, skipLayers: Set(mapped.initialLayers))
        return mapped
    }
}
#endif
