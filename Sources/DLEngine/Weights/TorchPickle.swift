import CheckedSize
import Foundation

/// Reads PyTorch `state_dict` files (`torch.save(model.state_dict(), path)`): the legacy format
/// (five pickles followed by raw storages) and the zip format (`archive/data.pkl` + `archive/data/<key>`,
/// stored uncompressed). Only what state dicts use is supported: a small pickle machine that knows
/// `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter` and
/// `torch.*Storage` persistent ids — not a general unpickler. Float tensors come back as
/// `NamedTensor`s; integer tensors (`num_batches_tracked`) are listed in `skipped`.
///
/// Crafted files fail with `.weightsFormat`, never a trap: storage sizes, shapes, strides and offsets
/// are checked (`Checked`) against the storage before anything is read, containers may nest at most
/// `maxNesting` levels, and a tensor may not read more elements than its storage holds.
public enum TorchStateDict {
    /// Deepest nesting of tuples, lists and dicts a state dict pickle may build (real ones use 3).
    static let maxNesting = 64

    /// Float32 tensors in file order, and the names of non-float tensors left out.
    public static func read(_ data: Data) throws -> (tensors: [NamedTensor], skipped: [String]) {
        let bytes = [UInt8](data)
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return try readZip(bytes) }
        return try readLegacy(bytes)
    }

    /// One pickle starting at `pos`; `pos` moves past its STOP.
    static func unpickle(_ bytes: [UInt8], _ pos: inout Int) throws -> PValue {
        var u = Unpickler(bytes, start: pos)
        return try u.run(&pos)
    }

    static func fail(_ message: String) -> EngineError { EngineError(.weightsFormat, "torch state_dict: \(message)") }

    // MARK: formats

    private static func readLegacy(_ bytes: [UInt8]) throws -> (tensors: [NamedTensor], skipped: [String]) {
        var pos = 0
        for _ in 0..<3 { _ = try unpickle(bytes, &pos) }   // magic number, protocol, sys info
        let root = try unpickle(bytes, &pos)
        guard case .list(let keys) = try unpickle(bytes, &pos) else { throw fail("missing storage key list") }
        var storages: [String: ArraySlice<UInt8>] = [:]
        for case .string(let key) in keys.items {
            guard pos + 8 <= bytes.count else { throw fail("truncated storage \(key)") }
            let raw = readUInt64(bytes, pos); pos += 8
            let range: Range<Int>
            do {
                let count = try Checked.int(raw, "elements of storage \(key)", max: Limits.maxTensorElements)
                let size = try Checked.bytes(count, try elementSize(of: root, key: key), "bytes of storage \(key)")
                range = try Checked.slice(offset: pos, length: size, size: bytes.count, "storage \(key) (truncated file?)")
            } catch let e as SizeError { throw fail("\(e)") }
            storages[key] = bytes[range]
            pos = range.upperBound
        }
        return try collect(root, storages)
    }

    private static func readZip(_ bytes: [UInt8]) throws -> (tensors: [NamedTensor], skipped: [String]) {
        let entries = try ZipReader.entries(bytes)
        guard let pkl = entries.keys.first(where: { $0.hasSuffix("data.pkl") }) else { throw fail("zip without data.pkl") }
        let prefix = String(pkl.dropLast("data.pkl".count))
        var pos = 0
        let root = try unpickle(Array(entries[pkl]!), &pos)
        var storages: [String: ArraySlice<UInt8>] = [:]
        for (name, body) in entries where name.hasPrefix(prefix + "data/") { storages[String(name.dropFirst(prefix.count + 5))] = body }
        return try collect(root, storages)
    }

    /// The element size of the first tensor of the state dict (the root's values) using storage `key`.
    private static func elementSize(of root: PValue, key: String) throws -> Int {
        guard case .dict(let d) = root else { throw fail("the top-level object is not a dict") }
        for case (_, .tensor(let t)) in d.items where t.storageKey == key { return t.elementSize }
        throw fail("storage \(key) is not used by any tensor")
    }

    private static func collect(_ root: PValue, _ storages: [String: ArraySlice<UInt8>]) throws -> (tensors: [NamedTensor], skipped: [String]) {
        guard case .dict(let dict) = root else { throw fail("the top-level object is not a dict") }
        var tensors: [NamedTensor] = [], skipped: [String] = []
        for (k, v) in dict.items {
            guard case .string(let name) = k, case .tensor(let t) = v else { continue }
            guard t.dtype == "FloatStorage" else { skipped.append(name); continue }
            guard let raw = storages[t.storageKey] else { throw fail("tensor \(name): storage \(t.storageKey) missing") }
            tensors.append(NamedTensor(name: name, shape: t.shape, values: try t.gather(raw, name)))
        }
        return (tensors, skipped)
    }

    static func readUInt64(_ b: [UInt8], _ p: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[p + $1]) << (8 * UInt64($1)) } }
    static func readUInt32(_ b: [UInt8], _ p: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[p + $1]) << (8 * UInt32($1)) } }
    static func readUInt16(_ b: [UInt8], _ p: Int) -> Int { Int(b[p]) | Int(b[p + 1]) << 8 }
}

/// A tensor reference from `_rebuild_tensor_v2(storage, offset, size, stride, ...)`.
final class TensorRef {
    let storageKey: String, dtype: String, offset: Int, shape: [Int], stride: [Int]
    init(storageKey: String, dtype: String, offset: Int, shape: [Int], stride: [Int]) {
        self.storageKey = storageKey; self.dtype = dtype; self.offset = offset; self.shape = shape; self.stride = stride
    }
    var elementSize: Int {
        switch dtype {
        case "DoubleStorage", "LongStorage": return 8
        case "FloatStorage", "IntStorage": return 4
        case "HalfStorage", "BFloat16Storage", "ShortStorage": return 2
        default: return 1
        }
    }

    /// Values in row-major order of `shape`, following `stride` into the float32 storage. The largest
    /// element index (`offset + Σ (size-1)·stride`) is computed once with checked arithmetic and must lie
    /// inside the storage, and the tensor may not have more elements than the storage, so the loop
    /// below neither overflows nor reads outside nor allocates beyond the file.
    func gather(_ raw: ArraySlice<UInt8>, _ name: String) throws -> [Float] {
        let storage = raw.count / 4
        let count: Int
        do {
            guard shape.count == stride.count else { throw TorchStateDict.fail("tensor \(name): \(shape.count) sizes but \(stride.count) strides") }
            count = try Checked.product(shape, "elements of tensor \(name) \(shape)", max: min(storage, Limits.maxTensorElements))
            var last = try Checked.int(offset, "storage offset of tensor \(name)", max: Limits.maxTensorElements)
            for (d, s) in zip(shape, stride) where d > 0 {
                let step = try Checked.int(s, "stride of tensor \(name)", max: Limits.maxTensorElements)
                last = try Checked.sum(last, try Checked.product([d - 1, step], "extent of tensor \(name)", max: Limits.maxTensorElements),
                                       "last element of tensor \(name)", max: Limits.maxTensorElements)
            }
            if count > 0 { _ = try Checked.slice(offset: last, length: 1, size: storage, "last element of tensor \(name) in its storage") }
        } catch let e as SizeError { throw TorchStateDict.fail("\(e)") }
        let base = raw.startIndex
        var out = [Float](repeating: 0, count: count), index = [Int](repeating: 0, count: shape.count)
        for i in 0..<count {
            let e = offset + zip(index, stride).reduce(0) { $0 + $1.0 * $1.1 }
            let p = base + 4 * e
            out[i] = Float(bitPattern: UInt32(raw[p]) | UInt32(raw[p + 1]) << 8 | UInt32(raw[p + 2]) << 16 | UInt32(raw[p + 3]) << 24)
            var d = shape.count - 1
            while d >= 0 { index[d] += 1; if index[d] < shape[d] { break }; index[d] = 0; d -= 1 }
        }
        return out
    }
}

// Containers are classes that know their nesting depth, so it is checked in O(1) as they grow (a
// crafted pickle could otherwise nest a million levels, whose release recurses off the stack).
final class PList { var items: [PValue] = []; var depth = 1 }
final class PDict { var items: [(PValue, PValue)] = []; var depth = 1 }
final class PTuple {
    let items: [PValue], depth: Int
    init(_ items: [PValue]) { self.items = items; depth = 1 + (items.map(\.depth).max() ?? 0) }
}

/// Values of the small pickle machine.
enum PValue {
    case none, bool(Bool), int(Int), float(Double), string(String), bytes([UInt8])
    case tuple(PTuple), list(PList), dict(PDict), global(String), tensor(TensorRef), storage(key: String, dtype: String), mark

    /// Nesting depth: 0 for scalars.
    var depth: Int {
        switch self {
        case .tuple(let t): t.depth
        case .list(let l): l.depth
        case .dict(let d): d.depth
        default: 0
        }
    }

    /// A short name for messages (never the contents, which may be huge or cyclic).
    var kind: String {
        switch self {
        case .none: "None"
        case .bool: "a bool"
        case .int(let i): "the int \(i)"
        case .float: "a float"
        case .string(let s): "the string '\(s.prefix(40))'"
        case .bytes: "bytes"
        case .tuple(let t): "a tuple of \(t.items.count)"
        case .list: "a list"
        case .dict: "a dict"
        case .global(let g): "the global \(g.prefix(80))"
        case .tensor: "a tensor"
        case .storage: "a storage"
        case .mark: "a MARK"
        }
    }
}

/// The pickle opcodes torch state dicts use (protocols 2-4).
struct Unpickler {
    let b: [UInt8]
    var p: Int
    var stack: [PValue] = []
    var memo: [Int: PValue] = [:]

    init(_ bytes: [UInt8], start: Int) { b = bytes; p = start }

    func fail(_ m: String) -> EngineError { TorchStateDict.fail("pickle at byte \(p): \(m)") }

    mutating func byte() throws -> UInt8 { guard p < b.count else { throw fail("truncated") }; defer { p += 1 }; return b[p] }
    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, p + n <= b.count else { throw fail("truncated") }
        defer { p += n }
        return b[p..<(p + n)]
    }
    mutating func line() throws -> String {
        guard let end = b[p...].firstIndex(of: 0x0A) else { throw fail("unterminated line") }
        defer { p = end + 1 }
        return String(decoding: b[p..<end], as: UTF8.self)
    }
    mutating func popMark() throws -> [PValue] {
        guard let m = stack.lastIndex(where: { if case .mark = $0 { return true }; return false }) else { throw fail("no MARK") }
        let items = Array(stack[(m + 1)...])
        stack.removeSubrange(m...)
        return items
    }
    mutating func pop() throws -> PValue { guard let v = stack.popLast() else { throw fail("stack underflow") }; return v }
    func int(_ v: PValue) throws -> Int { if case .int(let i) = v { return i }; throw fail("expected an int, got \(v.kind)") }

    /// A tuple, refused when it would nest deeper than `TorchStateDict.maxNesting`.
    func tuple(_ items: [PValue]) throws -> PValue {
        let t = PTuple(items)
        guard t.depth <= TorchStateDict.maxNesting else { throw fail("containers nested deeper than \(TorchStateDict.maxNesting) levels") }
        return .tuple(t)
    }

    /// Runs to STOP; `end` receives the position after it.
    mutating func run(_ end: inout Int) throws -> PValue {
        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()                                                        // PROTO
            case 0x95: _ = try take(8)                                                       // FRAME
            case 0x2E: end = p; return try pop()                                             // STOP
            case 0x28: stack.append(.mark)                                                   // MARK
            case 0x7D: stack.append(.dict(PDict()))                                          // EMPTY_DICT
            case 0x5D: stack.append(.list(PList()))                                          // EMPTY_LIST
            case 0x29: stack.append(try tuple([]))                                           // EMPTY_TUPLE
            case 0x74: stack.append(try tuple(try popMark()))                                // TUPLE
            case 0x85: stack.append(try tuple([try pop()]))                                  // TUPLE1
            case 0x86: let b2 = try pop(), a = try pop(); stack.append(try tuple([a, b2]))   // TUPLE2
            case 0x87: let c = try pop(), b2 = try pop(), a = try pop(); stack.append(try tuple([a, b2, c]))
            case 0x71: memo[Int(try byte())] = stack.last                                    // BINPUT
            case 0x72: memo[Int(TorchStateDict.readUInt32(Array(try take(4)), 0))] = stack.last
            case 0x94: memo[memo.count] = stack.last                                         // MEMOIZE
            case 0x68: stack.append(try memoGet(Int(try byte())))                            // BINGET
            case 0x6A: stack.append(try memoGet(Int(TorchStateDict.readUInt32(Array(try take(4)), 0))))
            case 0x63: let module = try line(), name = try line(); stack.append(.global("\(module).\(name)"))
            case 0x93:                                                                       // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else { throw fail("bad STACK_GLOBAL") }
                stack.append(.global("\(module).\(name)"))
            case 0x58: let n = Int(TorchStateDict.readUInt32(Array(try take(4)), 0)); stack.append(.string(String(decoding: try take(n), as: UTF8.self)))
            case 0x8C: let n = Int(try byte()); stack.append(.string(String(decoding: try take(n), as: UTF8.self)))
            case 0x55: let n = Int(try byte()); stack.append(.string(String(decoding: try take(n), as: UTF8.self)))   // SHORT_BINSTRING
            case 0x54: let n = Int(TorchStateDict.readUInt32(Array(try take(4)), 0)); stack.append(.string(String(decoding: try take(n), as: UTF8.self)))
            case 0x43: let n = Int(try byte()); stack.append(.bytes(Array(try take(n))))     // SHORT_BINBYTES
            case 0x42: let n = Int(TorchStateDict.readUInt32(Array(try take(4)), 0)); stack.append(.bytes(Array(try take(n))))
            case 0x4A: stack.append(.int(Int(Int32(bitPattern: TorchStateDict.readUInt32(Array(try take(4)), 0)))))   // BININT
            case 0x4B: stack.append(.int(Int(try byte())))                                   // BININT1
            case 0x4D: stack.append(.int(TorchStateDict.readUInt16(Array(try take(2)), 0)))  // BININT2
            case 0x8A:                                                                       // LONG1
                let n = Int(try byte()), digits = Array(try take(n))
                guard n <= 8 else { stack.append(.int(0)); continue }                        // only the legacy magic number is longer
                var v: Int64 = 0
                for (i, d) in digits.enumerated() { v |= Int64(d) << (8 * Int64(i)) }
                if n > 0 && n < 8 && digits[n - 1] & 0x80 != 0 { v -= Int64(1) << (8 * Int64(n)) }
                stack.append(.int(Int(v)))
            case 0x47: stack.append(.float(Double(bitPattern: Array(try take(8)).reduce(0) { $0 << 8 | UInt64($1) })))  // BINFLOAT (big-endian)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x4E: stack.append(.none)
            case 0x51: stack.append(try persistent(try pop()))                               // BINPERSID
            case 0x52: let args = try pop(), f = try pop(); stack.append(try reduce(f, args)) // REDUCE
            case 0x62: _ = try pop()                                                         // BUILD: state ignored (_metadata)
            case 0x73: let v = try pop(), k = try pop(); try setItems([k, v])                // SETITEM
            case 0x75: try setItems(try popMark())                                           // SETITEMS
            case 0x61: let v = try pop(); try append([v])                                    // APPEND
            case 0x65: try append(try popMark())                                             // APPENDS
            default: throw fail(String(format: "unsupported pickle opcode 0x%02X", op))
            }
        }
    }

    func memoGet(_ i: Int) throws -> PValue { guard let v = memo[i] else { throw fail("memo \(i) unset") }; return v }

    mutating func setItems(_ kv: [PValue]) throws {
        guard case .dict(let d) = stack.last, kv.count % 2 == 0 else { throw fail("SETITEMS needs a dict") }
        let depth = 1 + (kv.map(\.depth).max() ?? 0)
        guard depth <= TorchStateDict.maxNesting else { throw fail("containers nested deeper than \(TorchStateDict.maxNesting) levels") }
        d.depth = max(d.depth, depth)
        for i in stride(from: 0, to: kv.count, by: 2) { d.items.append((kv[i], kv[i + 1])) }
    }

    mutating func append(_ items: [PValue]) throws {
        guard case .list(let l) = stack.last else { throw fail("APPENDS needs a list") }
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        guard depth <= TorchStateDict.maxNesting else { throw fail("containers nested deeper than \(TorchStateDict.maxNesting) levels") }
        l.depth = max(l.depth, depth)
        l.items += items
    }

    /// ('storage', torch.FloatStorage, key, location, numel)
    func persistent(_ pid: PValue) throws -> PValue {
        guard case .tuple(let tuple) = pid, case let t = tuple.items, t.count >= 3, case .global(let type) = t[1], case .string(let key) = t[2] else {
            throw fail("unsupported persistent id \(pid.kind)")
        }
        return .storage(key: key, dtype: String(type.split(separator: ".").last ?? ""))
    }

    func reduce(_ f: PValue, _ args: PValue) throws -> PValue {
        guard case .global(let name) = f, case .tuple(let tuple) = args else { throw fail("REDUCE on \(f.kind)") }
        let a = tuple.items
        switch name {
        case "collections.OrderedDict": return .dict(PDict())
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            guard a.count >= 4, case .storage(let key, let dtype) = a[0], case .tuple(let size) = a[2], case .tuple(let stride) = a[3] else {
                throw fail("bad _rebuild_tensor_v2 arguments")
            }
            return .tensor(TensorRef(storageKey: key, dtype: dtype, offset: try int(a[1]), shape: try size.items.map(int), stride: try stride.items.map(int)))
        case "torch._utils._rebuild_parameter":
            guard let t = a.first else { throw fail("bad _rebuild_parameter") }
            return t
        default: throw fail("unsupported global \(name) (only state dicts are read)")
        }
    }
}

/// Central-directory zip reader for uncompressed (stored) entries, which is what torch.save writes.
enum ZipReader {
    static func entries(_ b: [UInt8]) throws -> [String: ArraySlice<UInt8>] {
        guard b.count >= 22, let eocd = stride(from: b.count - 22, through: max(0, b.count - 65_557), by: -1)
            .first(where: { TorchStateDict.readUInt32(b, $0) == 0x0605_4B50 }) else { throw TorchStateDict.fail("zip: no end of central directory") }
        let count = TorchStateDict.readUInt16(b, eocd + 10)
        var p = Int(TorchStateDict.readUInt32(b, eocd + 16))
        var out: [String: ArraySlice<UInt8>] = [:]
        for _ in 0..<count {
            guard p + 46 <= b.count, TorchStateDict.readUInt32(b, p) == 0x0201_4B50 else { throw TorchStateDict.fail("zip: bad central directory") }
            let method = TorchStateDict.readUInt16(b, p + 10)
            let size = Int(TorchStateDict.readUInt32(b, p + 20))
            let nameLen = TorchStateDict.readUInt16(b, p + 28), extra = TorchStateDict.readUInt16(b, p + 30), comment = TorchStateDict.readUInt16(b, p + 32)
            let local = Int(TorchStateDict.readUInt32(b, p + 42))
            guard p + 46 + nameLen <= b.count else { throw TorchStateDict.fail("zip: central directory entry name runs past the end of the file") }
            let name = String(decoding: b[(p + 46)..<(p + 46 + nameLen)], as: UTF8.self)
            p += 46 + nameLen + extra + comment
            guard method == 0 else { throw TorchStateDict.fail("zip entry \(name) is compressed (method \(method)); torch.save stores entries uncompressed") }
            guard local + 30 <= b.count else { throw TorchStateDict.fail("zip: bad local header for \(name)") }
            let start = local + 30 + TorchStateDict.readUInt16(b, local + 26) + TorchStateDict.readUInt16(b, local + 28)
            guard start + size <= b.count else { throw TorchStateDict.fail("zip: entry \(name) truncated") }
            out[name] = b[start..<(start + size)]
        }
        return out
    }
}
