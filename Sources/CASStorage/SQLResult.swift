import CASWire
import CSQLite

/// The rows of one SQLite statement as they are stepped, turned into CAS columns at the end.
///
/// Types map exactly both ways: a column that reads a copied table keeps its declared CAS type
/// (`SQLScratch.declaredType`); a computed column takes its type from its values (integers only:
/// int64; any real: double; any text: varchar; blobs: varbinary; nothing but NULL: double). NULL is
/// a missing value, and a missing value was copied in as NULL.
struct SQLResult {
    enum Cell {
        case null, int(Int64), real(Double), text(String), blob([UInt8])
    }

    var names: [String]
    var declared: [ColumnType?]
    var cells: [[Cell]]
    /// Infinite reals seen (1e999, an overflow): CAS has no infinity, so they are kept as missing values.
    var infinite = 0

    init(_ stmt: OpaquePointer) {
        let n = Int(sqlite3_column_count(stmt))
        var seen = Set<String>()
        names = (0..<n).map { i in
            let base = sqlite3_column_name(stmt, Int32(i)).map { String(cString: $0) } ?? "_C\(i + 1)"
            return Self.unique(base, &seen)
        }
        declared = (0..<n).map { i in sqlite3_column_decltype(stmt, Int32(i)).flatMap { Self.casType(String(cString: $0)) } }
        cells = Array(repeating: [], count: n)
    }

    /// `x`, then `x_2`, `x_3`… for repeated names (a join's `SELECT *`): CAS columns have unique names.
    static func unique(_ base: String, _ seen: inout Set<String>) -> String {
        var name = base
        var k = 2
        while !seen.insert(name.lowercased()).inserted {
            name = "\(base)_\(k)"
            k += 1
        }
        return name
    }

    /// The CAS type of a declared column type that `SQLScratch.declaredType` wrote.
    static func casType(_ decl: String) -> ColumnType? {
        switch decl.uppercased() {
        case "DOUBLE": .double
        case "BIGINT": .int64
        case "INT32": .int32
        case "VARCHAR": .varchar
        case "BLOB": .varbinary
        default: nil
        }
    }

    /// Appends the current row; returns about how many bytes it holds.
    mutating func append(_ stmt: OpaquePointer) -> Int {
        var bytes = 0
        for i in 0..<cells.count {
            let c = Int32(i)
            let cell: Cell
            switch sqlite3_column_type(stmt, c) {
            case SQLITE_INTEGER: cell = .int(sqlite3_column_int64(stmt, c))
            case SQLITE_FLOAT:
                let v = sqlite3_column_double(stmt, c)
                if v.isInfinite { infinite += 1 }
                cell = v.isInfinite ? .null : .real(v)
            case SQLITE_TEXT:
                let n = Int(sqlite3_column_bytes(stmt, c))
                let p = sqlite3_column_text(stmt, c)
                cell = .text(p.map { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) } ?? "")
                bytes += n
            case SQLITE_BLOB:
                let n = Int(sqlite3_column_bytes(stmt, c))
                let p = sqlite3_column_blob(stmt, c)
                cell = .blob(p.map { Array(UnsafeRawBufferPointer(start: $0, count: n)) } ?? [])
                bytes += n
            default: cell = .null
            }
            cells[i].append(cell)
            bytes += 16
        }
        return bytes
    }

    func table(name: String) -> DataTable {
        var t = DataTable(name: name)
        t.columns = zip(names, zip(declared, cells)).map { name, dc in
            Column(name: name, data: Self.column(dc.1, declared: dc.0))
        }
        return t
    }

    /// The declared type when every value fits it, else the type the values call for.
    static func column(_ cells: [Cell], declared: ColumnType?) -> ColumnData {
        if let declared, let data = convert(cells, to: declared) { return data }
        var sawReal = false, sawText = false, sawBlob = false, sawInt = false
        for c in cells {
            switch c {
            case .int: sawInt = true
            case .real: sawReal = true
            case .text: sawText = true
            case .blob: sawBlob = true
            case .null: break
            }
        }
        let type: ColumnType = sawText || (sawBlob && (sawInt || sawReal)) ? .varchar : sawBlob ? .varbinary : sawReal || !sawInt ? .double : .int64
        return convert(cells, to: type) ?? .varchar(cells.map(text))
    }

    /// The cells as `type`, or nil when one does not fit (text in a numeric column, an int64 in int32).
    static func convert(_ cells: [Cell], to type: ColumnType) -> ColumnData? {
        switch type {
        case .double:
            var a = [Double]()
            a.reserveCapacity(cells.count)
            for c in cells {
                switch c {
                case .null: a.append(.nan)
                case .int(let v): a.append(Double(v))
                case .real(let v): a.append(v)
                default: return nil
                }
            }
            return .double(a)
        case .int64, .int32:
            var a = [Int64?]()
            a.reserveCapacity(cells.count)
            for c in cells {
                switch c {
                case .null: a.append(nil)
                case .int(let v): a.append(v)
                case .real(let v) where v == v.rounded() && abs(v) < 9.2e18: a.append(Int64(v))
                default: return nil
                }
            }
            guard type == .int32 else { return .int64(a) }
            var b = [Int32?]()
            b.reserveCapacity(a.count)
            for v in a {
                guard let v else { b.append(nil); continue }
                guard let w = Int32(exactly: v) else { return nil }
                b.append(w)
            }
            return .int32(b)
        case .varchar:
            return .varchar(cells.map(text))
        case .varbinary:
            var a = [[UInt8]?]()
            for c in cells {
                switch c {
                case .null: a.append(nil)
                case .blob(let v): a.append(v)
                default: return nil
                }
            }
            return .varbinary(a)
        }
    }

    static func text(_ c: Cell) -> String? {
        switch c {
        case .null: nil
        case .int(let v): String(v)
        case .real(let v): String(v)
        case .text(let s): s
        case .blob(let b): String(decoding: b, as: UTF8.self)
        }
    }
}
