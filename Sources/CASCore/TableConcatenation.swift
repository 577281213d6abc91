import CASWire

/// Several tables' rows one table after the other (the DATA step's SET, a view of several tables), the
/// columns of all of them by name (case-insensitive, in order of first appearance); a table without a
/// column has missing values there. A column that is numeric in one table and character in another is an
/// error, as in SAS. Numbers of different types become doubles.
public enum TableConcatenation {
    /// The tables' rows one after the other; errors name `parameter`.
    public static func concatenate(_ tables: [DataTable], parameter: String) throws(ActionError) -> DataTable {
        guard var out = tables.first else { return DataTable(name: "") }
        guard tables.count > 1 else { return out }
        out.columns = try union(tables, parameter: parameter).map { c in
            var col = c.template
            col.data = joined(tables.map { t in t.column(c.template.name).map { convert($0.data, to: c.type) } ?? missing(c.type, t.rowCount) }, type: c.type)
            return col
        }
        return out
    }

    /// The columns of all the tables by name (case-insensitive, in order of first appearance), each with the
    /// type it has in every table (numbers of different types: double). Numeric in one table and character
    /// in another is an error, as in SAS.
    public static func union(_ tables: [DataTable], parameter: String) throws(ActionError) -> [(template: Column, type: ColumnType)] {
        var names: [String] = [], types: [String: ColumnType] = [:], templates: [String: Column] = [:]
        for t in tables {
            for c in t.columns {
                let key = c.name.lowercased()
                guard let seen = types[key] else { names.append(key); types[key] = c.type; templates[key] = c; continue }
                guard seen.isNumeric == c.type.isNumeric, seen.isNumeric || seen == c.type else {
                    throw ActionError(.parameterValue, "\(parameter): the variable \(Names.quote(c.name)) has been defined as both \(seen.rawValue) and \(c.type.rawValue) in the tables read.",
                                      parameter: parameter)
                }
                if seen != c.type { types[key] = .double }
            }
        }
        return names.map { (templates[$0]!, types[$0]!) }
    }

    public static func convert(_ d: ColumnData, to type: ColumnType) -> ColumnData {
        guard d.type != type else { return d }
        return .double((0..<d.count).map { d.double(at: $0) ?? .nan })    // only numbers change type
    }

    public static func missing(_ type: ColumnType, _ n: Int) -> ColumnData {
        switch type {
        case .double: .double(Array(repeating: .nan, count: n))
        case .int64: .int64(Array(repeating: nil, count: n))
        case .int32: .int32(Array(repeating: nil, count: n))
        case .varchar: .varchar(Array(repeating: nil, count: n))
        case .varbinary: .varbinary(Array(repeating: nil, count: n))
        }
    }

    /// The parts one after the other (every part already has `type`).
    public static func joined(_ parts: [ColumnData], type: ColumnType) -> ColumnData {
        var d: [Double] = [], i64: [Int64?] = [], i32: [Int32?] = [], text: [String?] = [], bytes: [[UInt8]?] = []
        for p in parts {
            switch p {
            case .double(let a): d += a
            case .int64(let a): i64 += a
            case .int32(let a): i32 += a
            case .varchar(let a): text += a
            case .varbinary(let a): bytes += a
            }
        }
        switch type {
        case .double: return .double(d)
        case .int64: return .int64(i64)
        case .int32: return .int32(i32)
        case .varchar: return .varchar(text)
        case .varbinary: return .varbinary(bytes)
        }
    }
}

extension ColumnData {
    /// Appends `other`'s cells in place (amortised: the array is taken out of the enum first so it is not copied);
    /// `other` must have this column's type (`TableConcatenation.convert` makes numbers agree).
    public mutating func append(contentsOf other: ColumnData) {
        // switch on self alone (a tuple would hold a second reference and make `a += b` copy the whole array)
        switch self {
        case .double(var a): if case .double(let b) = other { self = .double([]); a += b; self = .double(a); return }
        case .int64(var a): if case .int64(let b) = other { self = .int64([]); a += b; self = .int64(a); return }
        case .int32(var a): if case .int32(let b) = other { self = .int32([]); a += b; self = .int32(a); return }
        case .varchar(var a): if case .varchar(let b) = other { self = .varchar([]); a += b; self = .varchar(a); return }
        case .varbinary(var a): if case .varbinary(let b) = other { self = .varbinary([]); a += b; self = .varbinary(a); return }
        }
        self = TableConcatenation.joined([self, TableConcatenation.convert(other, to: type)], type: type)
    }
}
