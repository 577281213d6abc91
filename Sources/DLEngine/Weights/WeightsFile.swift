import CheckedSize
import Foundation

/// A named float32 tensor as stored in a weights file (torch layout, e.g. `[OC, IC/G, KH, KW]`).
public struct NamedTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// The engine's own weights format: a flat float blob plus a JSON index of named tensors.
///
///     bytes 0..<8     "DLEWGT01"
///     bytes 8..<16    UInt64 little-endian: length L of the JSON index
///     bytes 16..<16+L JSON {"format":"dlengine-weights","version":1,"tensors":[{"name","shape","offset"}]}
///                     (offset counted in floats from the start of the blob)
///     then            the blob: float32 little-endian, tensors back to back
///
/// Names are `<layer>.<parameter>` (torchvision style: `layer1.0.conv1.weight`, `bn1.running_var`),
/// so a torchvision `state_dict` converts by writing its tensors in this format
/// (scripts/fixtures/torch_to_dlew.py).
public enum WeightsFile {
    static let magic = Array("DLEWGT01".utf8)

    private struct Index: Codable {
        var format = "dlengine-weights"
        var version = 1
        var tensors: [Entry]
    }
    private struct Entry: Codable {
        var name: String
        var shape: [Int]
        var offset: Int
    }

    /// Serialises tensors; a tensor whose values do not fill its shape is refused.
    public static func encode(_ tensors: [NamedTensor]) throws -> Data {
        for t in tensors {
            let n = try t.elementCount()
            guard t.values.count == n else {
                throw EngineError(.shapeMismatch, "tensor \(t.name): \(t.values.count) values for shape \(t.shape)")
            }
        }
        var offset = 0
        let entries = tensors.map { t -> Entry in
            defer { offset += t.values.count }
            return Entry(name: t.name, shape: t.shape, offset: offset)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(Index(tensors: entries))
        var data = Data(magic)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for t in tensors {
            t.values.withUnsafeBufferPointer { p in
                for v in p { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            }
        }
        return data
    }

    /// Parses tensors; malformed input gives a `.weightsFormat` error saying what is wrong. Every
    /// shape and offset is checked against the blob before anything is copied, and the tensors
    /// together may hold at most as many floats as the blob (tensors do not overlap), so a crafted
    /// index cannot make the reader allocate more than the file's size.
    public static func decode(_ data: Data) throws -> [NamedTensor] {
        let bytes = [UInt8](data)
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else {
            throw EngineError(.weightsFormat, "not a DLEngine weights file (missing DLEWGT01 header)")
        }
        let length = bytes[8..<16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(bytes.count - 16) else { throw EngineError(.weightsFormat, "index length \(length) exceeds the file") }
        let blobStart = 16 + Int(length)
        let index: Index
        do { index = try JSONDecoder().decode(Index.self, from: Data(bytes[16..<blobStart])) } catch {
            throw EngineError(.weightsFormat, "unreadable index: \(describe(error))")
        }
        guard index.format == "dlengine-weights", index.version == 1 else {
            throw EngineError(.weightsFormat, "unsupported format \(index.format) version \(index.version)")
        }
        let floats = (bytes.count - blobStart) / 4
        var total = 0
        return try index.tensors.map { e in
            let slice: Range<Int>
            do {
                let n = try Checked.product(e.shape, "elements of tensor \(e.name)", max: Limits.maxTensorElements)
                total = try Checked.sum(total, n, "floats of all tensors (the blob holds \(floats))", max: floats)
                slice = try Checked.slice(offset: e.offset, length: n, size: floats, "tensor \(e.name) in the blob (\(floats) floats)")
            } catch {
                throw EngineError(.weightsFormat, "\(error)")
            }
            let values = slice.map { i -> Float in
                let b = blobStart + 4 * i
                let bits = UInt32(bytes[b]) | UInt32(bytes[b + 1]) << 8 | UInt32(bytes[b + 2]) << 16 | UInt32(bytes[b + 3]) << 24
                return Float(bitPattern: bits)
            }
            return NamedTensor(name: e.name, shape: e.shape, values: values)
        }
    }
}

extension WeightsFile {
    /// A JSON index error in words ("tensors[2].shape: expected a list of whole numbers"), without Swift's
    /// DecodingError internals.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.reduce("") { s, k in k.intValue.map { "\(s)[\($0)]" } ?? (s.isEmpty ? k.stringValue : "\(s).\(k.stringValue)") }
            return text.isEmpty ? "the index" : text
        }
        let expected = ["name": "a string", "shape": "a list of whole numbers", "offset": "a whole number", "tensors": "a list of tensors",
                        "format": "a string", "version": "a whole number"]
        guard let e = error as? DecodingError else { return "not valid JSON" }
        switch e {
        case .keyNotFound(let key, let c):
            return "\(path(c.codingPath)) has no field '\(key.stringValue)'"
        case .typeMismatch(_, let c), .valueNotFound(_, let c):
            let field = c.codingPath.last(where: { $0.intValue == nil })?.stringValue ?? ""
            return "\(path(c.codingPath)): expected \(expected[field] ?? "another kind of value")"
        case .dataCorrupted(let c):
            return c.codingPath.isEmpty ? "not valid JSON" : "\(path(c.codingPath)): a value out of range"
        @unknown default:
            return "not a valid index"
        }
    }
}

extension NamedTensor {
    /// The element count of `shape`, checked: no negative dimension, no overflow, at most
    /// `Limits.maxTensorElements` (`.tooLarge` otherwise).
    public func elementCount() throws(EngineError) -> Int {
        do { return try Checked.product(shape, "elements of tensor \(name) \(shape)", max: Limits.maxTensorElements) } catch {
            throw EngineError(size: error)
        }
    }

    /// A tensor from little-endian float32 bytes (a weights table's `_Weights_` cell) that must fill
    /// `shape` exactly. Throws `.tooLarge` for an impossible shape and `.shapeMismatch` when the byte
    /// count does not match, before anything is copied.
    public init(name: String, shape: [Int], littleEndianBytes bytes: [UInt8]) throws(EngineError) {
        self.init(name: name, shape: shape, values: [])
        let n = try elementCount()
        guard bytes.count == n * 4 else {
            throw EngineError(.shapeMismatch, "tensor \(name): shape \(shape) needs \(n) float32 values (\(n * 4) bytes), got \(bytes.count) bytes")
        }
        values = [Float](unsafeUninitializedCapacity: n) { out, count in
            bytes.withUnsafeBytes { raw in
                for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            }
            count = n
        }
    }
}

extension Model {
    /// Every parameter and buffer as `<layer>.<name>` with its block, layer by layer (state_dict order).
    public var namedBlocks: [(name: String, block: ParameterBlock)] {
        layers.flatMap { l in (l.parameters + l.buffers).map { ("\(l.name).\($0.name)", $0) } }
    }

    /// Copies of all parameters and buffers.
    public func exportWeights() -> [NamedTensor] {
        namedBlocks.map { NamedTensor(name: $0.name, shape: $0.block.shape, values: Array($0.block.value)) }
    }

    /// The weights in the engine's file format.
    public func saveWeights() throws -> Data { try WeightsFile.encode(exportWeights()) }

    /// Loads weights by name. Every tensor of the model must be present with the same shape, except those
    /// of layers in `skipLayers` (e.g. a classifier head being replaced), which keep their values; names
    /// in `tensors` that the model does not have are refused too, unless `ignoreUnexpected` (e.g. torch's
    /// `num_batches_tracked`). On error nothing is changed and the message lists every problem.
    public func loadWeights(_ tensors: [NamedTensor], skipLayers: Set<String> = [], ignoreUnexpected: Bool = false) throws {
        var byName: [String: NamedTensor] = [:]
        for t in tensors { byName[t.name] = t }
        var missing: [String] = [], mismatched: [String] = [], used = Set<String>()
        var plan: [(ParameterBlock, [Float])] = []
        for l in layers where !skipLayers.contains(l.name) {
            for b in l.parameters + l.buffers {
                let name = "\(l.name).\(b.name)"
                guard let t = byName[name] else { missing.append(name); continue }
                used.insert(name)
                if t.shape != b.shape || t.values.count != b.value.count {
                    mismatched.append("\(name): file \(t.shape), model \(b.shape)")
                    continue
                }
                plan.append((b, t.values))
            }
        }
        let skipped = Set(layers.filter { skipLayers.contains($0.name) }.flatMap { l in (l.parameters + l.buffers).map { "\(l.name).\($0.name)" } })
        let unexpected = ignoreUnexpected ? [] : byName.keys.filter { !used.contains($0) && !skipped.contains($0) }.sorted()
        guard missing.isEmpty, mismatched.isEmpty, unexpected.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing)") }
            if !mismatched.isEmpty { parts.append("shape mismatch \(mismatched)") }
            if !unexpected.isEmpty { parts.append("unexpected \(unexpected)") }
            throw EngineError(.weightsMismatch, "weights do not fit the model: " + parts.joined(separator: "; "))
        }
        for (b, values) in plan { values.withUnsafeBufferPointer { b.value.baseAddress!.update(from: $0.baseAddress!, count: values.count) } }
        parametersChanged()
    }

    /// Loads a file produced by `saveWeights` (or scripts/fixtures/torch_to_dlew.py).
    public func loadWeights(_ data: Data, skipLayers: Set<String> = [], ignoreUnexpected: Bool = false) throws {
        try loadWeights(WeightsFile.decode(data), skipLayers: skipLayers, ignoreUnexpected: ignoreUnexpected)
    }
}
