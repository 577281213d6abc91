import CASCore
import CASWire

/// `table.columnInfo`: names, types, labels and formats of a table's columns.
struct ColumnInfo: Action {
    static let name = "columnInfo"
    static let summary = "Shows the columns of a table: name, label, position, type, lengths and format."
    /// Not flagged isTableDef in reflection, as in CAS: swat then sends a CASTable's column selection
    /// as `table.vars` (its columninfo workaround), so `tbl[["a"]].columninfo()` and `.dtypes` see only "a".
    static let table = P.table().with { $0.isTableDef = false }
    static let parameters = [table.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        // the columns are metadata (ReadInfo, as for tableInfo); computing columns or filtering reads rows (Select)
        let t = try await ctx.filteredTable(args[table], for: .readInfo)
        let rows: [[Value]] = t.data.columns.enumerated().map { i, c in
            let (fmt, w, d) = splitFormat(c.format)
            return [.string(c.name), .string(c.label), .int(Int64(i + 1)), .string(c.type.rawValue), .int(Int64(c.width)),
                    .int(Int64(w > 0 ? w : c.type.isNumeric ? 12 : c.width)), .string(fmt), .int(Int64(w)), .int(Int64(d))]   // a format's width is the formatted length
        }
        return ["ColumnInfo": .table(.result("ColumnInfo", label: "Column Information for \(t.name.uppercased()) in Caslib \(t.caslib)", columns: [
            ("Column", .varchar), ("Label", .varchar), ("ID", .int32), ("Type", .varchar), ("RawLength", .int32),
            ("FormattedLength", .int32), ("Format", .varchar), ("NFL", .int32), ("NFD", .int32),
        ], rows: rows))]
    }

    /// `BEST12.` → ("BEST", 12, 0); `8.2` → ("", 8, 2).
    static func splitFormat(_ f: String) -> (String, Int, Int) {
        var name = "", w = "", d = ""
        var afterDot = false
        for ch in f {
            if ch == "." { afterDot = true } else if ch.isNumber { if afterDot { d.append(ch) } else { w.append(ch) } } else if !afterDot { name.append(ch) }
        }
        return (name, Int(w) ?? 0, Int(d) ?? 0)
    }
}
