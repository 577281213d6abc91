import CASWire

extension DataTable {
    /// A small result table from typed column names and rows of values.
    public static func result(_ name: String, label: String = "", columns: [(String, ColumnType)], rows: [[Value]]) -> DataTable {
        var b = TableBuilder(name: name, columns: columns.map { (name: $0.0, type: $0.1) }, label: label)
        for r in rows { b.append(r) }
        return b.table
    }
}
