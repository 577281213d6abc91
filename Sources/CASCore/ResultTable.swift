import CASWire

extension DataTable {
    /// A small result table from typed column names and rows of values.
    public static func result(_ name: String, label: String = "", columns: [(String, ColumnType)], rows: [[Value]]) -> DataTable {
        var b = TableBuilder(name: name, columns: columns.map { (name: $0.0, type: $0.1) }, label: label)
        for r in rows { b.append(r) }
        return b.table
    }

    /// CAS's `OutputCasTables` result: caslib, name, rows and columns of each table an action wrote.
    public static func outputCasTables(_ tables: [CASTable]) -> DataTable {
        .result("OutputCasTables", columns: [("casLib", .varchar), ("Name", .varchar), ("Rows", .double), ("Columns", .double)],
                rows: tables.map { [.string($0.caslib), .string($0.name), .double(Double($0.rowCount)), .double(Double($0.data.columns.count))] })
    }
}
