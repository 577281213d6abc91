import CASClient
import CASWire
import Testing

extension Response {
    public var ok: Bool { disposition.severity == .normal }
    public var errorText: String { logs.filter { $0.level == .error }.map(\.message).joined(separator: " | ") }
    public var warnings: [String] { logs.filter { $0.level == .warning }.map(\.message) }
    public var notes: [String] { logs.filter { $0.level == .note }.map(\.message) }
}

/// Calls and requires a non-Error disposition.
@discardableResult
public func ok(_ conn: any TestClient, _ action: String, _ params: ValueDict = ValueDict(),
               sourceLocation: SourceLocation = #_sourceLocation) async throws -> Response {
    let r = try await conn.call(action, params)
    #expect(r.disposition.severity != .error, "\(action) failed: \(r.errorText)", sourceLocation: sourceLocation)
    return r
}

/// Calls and requires an Error disposition whose messages contain every fragment.
@discardableResult
public func fails(_ conn: any TestClient, _ action: String, _ params: ValueDict = ValueDict(), _ fragments: String...,
                  sourceLocation: SourceLocation = #_sourceLocation) async throws -> Response {
    let r = try await conn.call(action, params)
    #expect(r.disposition.severity == .error, "\(action) should fail", sourceLocation: sourceLocation)
    for f in fragments { #expect(r.errorText.contains(f), "'\(f)' not in: \(r.errorText)", sourceLocation: sourceLocation) }
    return r
}

/// The whole session table `name`, fetched with table.fetch (all rows, no _Index_).
public func fetchAll(_ c: any TestClient, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> DataTable {
    let r = try await ok(c, "table.fetch", ["table": ["name": .string(name)], "to": 100_000, "maxRows": 100_000, "index": false],
                         sourceLocation: sourceLocation)
    return try #require(r.results["Fetch"]?.tableValue, sourceLocation: sourceLocation)
}

extension DataTable {
    /// Strings of a column (nil cells kept).
    public func strings(_ name: String) -> [String?] {
        guard let c = column(name) else { return [] }
        return (0..<rowCount).map { c.data.value(at: $0).stringValue }
    }

    public func ints(_ name: String) -> [Int?] {
        guard let c = column(name) else { return [] }
        return (0..<rowCount).map { c.data.double(at: $0).map { Int($0) } }
    }

    public func blobs(_ name: String) -> [[UInt8]?] {
        guard let c = column(name), case .varbinary(let a) = c.data else { return [] }
        return a
    }
}
