/// Column types of a CAS table, as they travel on the wire (docs/protocol.md "Values").
public enum ColumnType: String, Sendable, CaseIterable, Equatable {
    case double, int64, int32, varchar, varbinary

    /// Parses a type name as clients send it (case-insensitive; `string`/`char` mean varchar, `int` means int64,
    /// `binary`/`blob` mean varbinary).
    public init?(name: String) {
        switch name.lowercased() {
        case "double", "float", "num", "numeric": self = .double
        case "int64", "int", "integer": self = .int64
        case "int32": self = .int32
        case "varchar", "char", "string", "str": self = .varchar
        case "varbinary", "binary", "blob": self = .varbinary
        default: return nil
        }
    }

    public var isNumeric: Bool { self == .double || self == .int64 || self == .int32 }
}

/// The cells of one column. Missing values: NaN for double, nil otherwise.
public enum ColumnData: Sendable, Equatable {
    case double([Double])
    case int64([Int64?])
    case int32([Int32?])
    case varchar([String?])
    case varbinary([[UInt8]?])

    public var type: ColumnType {
        switch self {
        case .double: .double
        case .int64: .int64
        case .int32: .int32
        case .varchar: .varchar
        case .varbinary: .varbinary
        }
    }

    public var count: Int {
        switch self {
        case .double(let a): a.count
        case .int64(let a): a.count
        case .int32(let a): a.count
        case .varchar(let a): a.count
        case .varbinary(let a): a.count
        }
    }

    /// Equal cells; two missing values are equal (NaN == NaN here, unlike IEEE).
    public static func == (a: ColumnData, b: ColumnData) -> Bool {
        switch (a, b) {
        case (.double(let x), .double(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
        case (.int64(let x), .int64(let y)): x == y
        case (.int32(let x), .int32(let y)): x == y
        case (.varchar(let x), .varchar(let y)): x == y
        case (.varbinary(let x), .varbinary(let y)): x == y
        default: false
        }
    }

    /// An empty column of the given type.
    public static func empty(_ type: ColumnType, capacity: Int = 0) -> ColumnData {
        switch type {
        case .double: var a = [Double](); a.reserveCapacity(capacity); return .double(a)
        case .int64: var a = [Int64?](); a.reserveCapacity(capacity); return .int64(a)
        case .int32: var a = [Int32?](); a.reserveCapacity(capacity); return .int32(a)
        case .varchar: var a = [String?](); a.reserveCapacity(capacity); return .varchar(a)
        case .varbinary: var a = [[UInt8]?](); a.reserveCapacity(capacity); return .varbinary(a)
        }
    }

    /// The cell at `row` as a Value (`.null` when missing).
    public func value(at row: Int) -> Value {
        switch self {
        case .double(let a): let d = a[row]; return d.isNaN ? .null : .double(d)
        case .int64(let a): return a[row].map { .int($0) } ?? .null
        case .int32(let a): return a[row].map { .int(Int64($0)) } ?? .null
        case .varchar(let a): return a[row].map { .string($0) } ?? .null
        case .varbinary(let a): return a[row].map { .blob($0) } ?? .null
        }
    }

    /// The cell at `row` as a double, for numeric columns (nil when missing or not numeric).
    public func double(at row: Int) -> Double? {
        switch self {
        case .double(let a): let d = a[row]; return d.isNaN ? nil : d
        case .int64(let a): return a[row].map(Double.init)
        case .int32(let a): return a[row].map(Double.init)
        default: return nil
        }
    }

    public func isMissing(at row: Int) -> Bool {
        switch self {
        case .double(let a): a[row].isNaN
        case .int64(let a): a[row] == nil
        case .int32(let a): a[row] == nil
        case .varchar(let a): a[row] == nil
        case .varbinary(let a): a[row] == nil
        }
    }

    /// A new column holding the given rows, in order.
    public func gather(_ rows: [Int]) -> ColumnData {
        switch self {
        case .double(let a): .double(rows.map { a[$0] })
        case .int64(let a): .int64(rows.map { a[$0] })
        case .int32(let a): .int32(rows.map { a[$0] })
        case .varchar(let a): .varchar(rows.map { a[$0] })
        case .varbinary(let a): .varbinary(rows.map { a[$0] })
        }
    }

    /// A new column holding the given rows, in order; nil rows are missing cells (a left join's unmatched rows).
    public func gather(optional rows: [Int?]) -> ColumnData {
        switch self {
        case .double(let a): .double(rows.map { $0.map { a[$0] } ?? .nan })
        case .int64(let a): .int64(rows.map { $0.flatMap { a[$0] } })
        case .int32(let a): .int32(rows.map { $0.flatMap { a[$0] } })
        case .varchar(let a): .varchar(rows.map { $0.flatMap { a[$0] } })
        case .varbinary(let a): .varbinary(rows.map { $0.flatMap { a[$0] } })
        }
    }

    /// A new column holding rows `range`.
    public func slice(_ range: Range<Int>) -> ColumnData {
        switch self {
        case .double(let a): .double(Array(a[range]))
        case .int64(let a): .int64(Array(a[range]))
        case .int32(let a): .int32(Array(a[range]))
        case .varchar(let a): .varchar(Array(a[range]))
        case .varbinary(let a): .varbinary(Array(a[range]))
        }
    }
}

/// One column: name (case kept, compared case-insensitively), metadata and cells.
public struct Column: Sendable, Equatable {
    public var name: String
    public var label: String
    public var format: String
    /// Extended attributes, e.g. `MIMEType` of an image column.
    public var attributes: ValueDict
    public var data: ColumnData

    public init(name: String, label: String = "", format: String = "", attributes: ValueDict = ValueDict(), data: ColumnData) {
        self.name = name
        self.label = label
        self.format = format
        self.attributes = attributes
        self.data = data
    }

    public var type: ColumnType { data.type }

    /// Display/transport width: 8 for numbers, the longest value in bytes (at least 1) for strings and blobs.
    public var width: Int {
        switch data {
        case .double, .int64: return 8
        case .int32: return 4
        case .varchar(let a): return max(1, a.reduce(0) { max($0, $1?.utf8.count ?? 0) })
        case .varbinary(let a): return max(1, a.reduce(0) { max($0, $1?.count ?? 0) })
        }
    }
}

/// A columnar table: result tables on the wire and the contents of in-memory CAS tables.
public struct DataTable: Sendable, Equatable {
    public var name: String
    public var label: String
    public var title: String
    public var attributes: ValueDict
    public var columns: [Column]

    public init(name: String, label: String = "", title: String = "", attributes: ValueDict = ValueDict(), columns: [Column] = []) {
        self.name = name
        self.label = label
        self.title = title
        self.attributes = attributes
        self.columns = columns
    }

    public var rowCount: Int { columns.first?.data.count ?? 0 }

    /// Index of a column by name, case-insensitively.
    public func columnIndex(_ name: String) -> Int? {
        let lower = name.lowercased()
        return columns.firstIndex { $0.name.lowercased() == lower }
    }

    public func column(_ name: String) -> Column? { columnIndex(name).map { columns[$0] } }

    /// Row `row` as a list of values.
    public func row(_ row: Int) -> [Value] { columns.map { $0.data.value(at: row) } }

    /// A table with the given rows (in that order) of every column.
    public func gather(_ rows: [Int]) -> DataTable {
        var t = self
        for i in t.columns.indices { t.columns[i].data = columns[i].data.gather(rows) }
        return t
    }
}

/// Builds a table row by row from Values, coercing each cell to its column's type.
public struct TableBuilder: Sendable {
    public private(set) var table: DataTable

    public init(name: String, columns: [(name: String, type: ColumnType)], label: String = "") {
        table = DataTable(name: name, label: label, columns: columns.map { Column(name: $0.name, data: .empty($0.type)) })
    }

    public init(_ table: DataTable) { self.table = table }

    /// Appends one row; cells that cannot be converted become missing.
    public mutating func append(_ row: [Value]) {
        precondition(row.count == table.columns.count, "row has \(row.count) cells, table has \(table.columns.count) columns")
        for (i, v) in row.enumerated() { table.columns[i].data.append(v) }
    }
}

extension ColumnData {
    /// Appends a value converted to this column's type (missing when it does not convert).
    public mutating func append(_ v: Value) {
        switch self {
        case .double(var a): self = .double([]); a.append(v.doubleValue ?? .nan); self = .double(a)
        case .int64(var a): self = .int64([]); a.append(v.intValue); self = .int64(a)
        case .int32(var a):
            self = .int32([]); a.append(v.intValue.flatMap { Int32(exactly: $0) }); self = .int32(a)
        case .varchar(var a):
            self = .varchar([])
            switch v {
            case .string(let s): a.append(s)
            case .null: a.append(nil)
            case .int(let i): a.append(String(i))
            case .double(let d): a.append(d.isNaN ? nil : String(d))
            case .bool(let b): a.append(b ? "true" : "false")
            default: a.append(nil)
            }
            self = .varchar(a)
        case .varbinary(var a):
            self = .varbinary([])
            switch v {
            case .blob(let b): a.append(b)
            case .string(let s): a.append(Array(s.utf8))
            default: a.append(nil)
            }
            self = .varbinary(a)
        }
    }
}
