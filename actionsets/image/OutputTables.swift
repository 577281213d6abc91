import CASCore
import CASWire

/// The result of an action that writes a table: `caslib` and `tableName` (swat then adds
/// `casTable`) and CAS's `OutputCasTables` table.
enum OutputTables {
    static func result(_ t: CASTable) -> ValueDict {
        var b = TableBuilder(name: "OutputCasTables", columns: [("casLib", .varchar), ("Name", .varchar), ("Rows", .int64), ("Columns", .int64)])
        b.append([.string(t.caslib), .string(t.name), .int(Int64(t.rowCount)), .int(Int64(t.data.columns.count))])
        var tbl = b.table
        tbl.label = "Output CAS Tables"
        return ["caslib": .string(t.caslib), "tableName": .string(t.name), "OutputCasTables": .table(tbl)]
    }
}
