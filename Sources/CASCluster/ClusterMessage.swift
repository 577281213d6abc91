import CASWire
import CASCore

/// A command or reply between the controller and a worker: a header (a JSON object: `op` and its arguments, or
/// `error`) and a payload (a table's bytes, `DataTable.binaryEncoded`). On the wire: the header's length (8 bytes),
/// the header, the payload.
struct ClusterMessage: Sendable {
    var header: ValueDict
    var payload: [UInt8]

    init(_ header: ValueDict, payload: [UInt8] = []) {
        self.header = header
        self.payload = payload
    }

    static func error(_ text: String) -> ClusterMessage { ClusterMessage(["error": .string(text)]) }

    var op: String { header["op"]?.stringValue ?? "" }
    var errorText: String? { header["error"]?.stringValue }

    func encoded() -> [UInt8] {
        var w = JSONWriter()
        w.dict(header)
        var out = [UInt8]()
        out.reserveCapacity(8 + w.bytes.count + payload.count)
        withUnsafeBytes(of: UInt64(w.bytes.count).littleEndian) { out.append(contentsOf: $0) }
        out += w.bytes
        out += payload
        return out
    }

    init(decoding bytes: [UInt8]) throws(ClusterError) {
        guard bytes.count >= 8 else { throw ClusterError("a cluster message of \(bytes.count) bytes (no header)") }
        let n = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n <= UInt64(bytes.count - 8) else { throw ClusterError("a cluster message's header is longer than the message") }
        let end = 8 + Int(n)
        guard case .dict(let d)? = try? JSONParser.parseData(Array(bytes[8..<end])) else { throw ClusterError("a cluster message's header is not a JSON object") }
        header = d
        payload = Array(bytes[end...])
    }

    /// A collective run's payload: the table's columns (`DataTable.schemaOnly`, for a worker holding no block) with
    /// their length in front, then the kernel's payload.
    static func collective(schema: DataTable, payload: [UInt8]) -> [UInt8] {
        LengthPrefixed.join([schema.binaryEncoded()]) + payload
    }

    /// The two parts of a collective run's payload; nil when it is not one.
    static func splitCollective(_ bytes: [UInt8]) -> (DataTable, [UInt8])? {
        guard let (parts, rest) = LengthPrefixed.split(bytes, count: 1), let schema = try? DataTable(binary: parts[0]) else { return nil }
        return (schema, rest)
    }
}
