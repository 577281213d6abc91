import CASCore
import CASWire

/// MERGE … BY: SAS's match-merge. Rows are grouped by the BY values (ascending, missing first, as
/// by-groups are); a group with n₁, n₂, … rows in the tables gives max(nᵢ) rows. In its i-th row a
/// column holds the i-th row's value of the last table (in MERGE order) that has the column and still
/// has an i-th row in the group; when none has, the last row's value of the table that has rows in
/// the group (a table that ran out keeps its last row's values, as the DATA step retains them); when
/// no table with the column has rows in the group, it is missing. An `in=` variable is 1 in the groups its table has rows in.
enum MatchMerge {
    /// `charge` is told what the merge allocates (the row picks and the output columns) before it does.
    static func merge(_ tables: [DataTable], inFlags: [String?], by: [String], charge: (Int) throws(ActionError) -> Void) throws(ActionError) -> DataTable {
        var groups: [ByGroups] = []
        for t in tables { groups.append(try ByGroups(t, by: by, parameter: "code (BY)")) }
        var keys: [[ByGroups.Value]] = []
        var seen = Set<[ByGroups.Value]>()
        for g in groups { for k in g.keys where seen.insert(k).inserted { keys.append(k) } }
        keys.sort { $0.lexicographicallyPrecedes($1) }
        let lookups = groups.map { g in Dictionary(uniqueKeysWithValues: zip(g.keys, g.rows)) }
        let columns = try TableConcatenation.union(tables, parameter: "code")
        try charge(bytes(rows: keys.reduce(0) { n, key in n &+ (lookups.map { $0[key]?.count ?? 0 }.max() ?? 0) }, tables, columns: columns, flags: inFlags.count))
        // for every output row: per table, the row it reads (nil: none in this group) and whether it still has one
        var picks: [[(row: Int?, fresh: Bool)]] = []
        for key in keys {
            let rows = lookups.map { $0[key] ?? [] }
            let n = rows.map(\.count).max() ?? 0
            for i in 0..<n { picks.append(rows.map { r in r.isEmpty ? (nil, false) : (r[Swift.min(i, r.count - 1)], i < r.count) }) }
        }
        var out = DataTable(name: tables.first?.name ?? "")
        for (template, type) in columns {
            let sources = tables.indices.filter { tables[$0].column(template.name) != nil }
            let data = sources.map { TableConcatenation.convert(tables[$0].column(template.name)!.data, to: type) }
            var col = ColumnData.empty(type, capacity: picks.count)
            for p in picks {
                // the last table with a row of its own here; else the one that ran out last (its value is kept)
                let fresh = sources.indices.last { p[sources[$0]].fresh }
                let kept = sources.indices.last { p[sources[$0]].row != nil }
                col.append((fresh ?? kept).map { data[$0].value(at: p[sources[$0]].row!) } ?? .null)   // no table with it here: missing
            }
            var c = template
            c.data = col
            out.columns.append(c)
        }
        for (j, flag) in inFlags.enumerated() {
            guard let flag else { continue }
            try Names.check(flag, .column, parameter: "code")
            if out.columns.contains(where: { $0.name.lowercased() == flag.lowercased() }) || inFlags.filter({ $0?.lowercased() == flag.lowercased() }).count > 1 {
                throw ActionError(.parameterValue, "code: the in= variable \(Names.quote(flag)) has the name of a column or of another in= variable; "
                                  + "give it a name of its own.", parameter: "code")
            }
            out.columns.append(Column(name: flag, data: .double(picks.map { $0[j].row == nil ? 0 : 1 })))
        }
        return out
    }

    /// What merging into `rows` rows allocates: a pick per table and row, and the output's cells (a string
    /// column's as long, on average, as in the tables read).
    static func bytes(rows: Int, _ tables: [DataTable], columns: [(template: Column, type: ColumnType)], flags: Int) -> Int {
        var perRow = Double(tables.count * MemoryLayout<(row: Int?, fresh: Bool)>.stride + flags * 8)
        for (c, _) in columns {
            let parts = tables.compactMap { $0.column(c.name) }
            let cells = parts.reduce(0) { $0 + $1.data.count }
            perRow += 16 + (c.type == .varchar ? Double(parts.reduce(0) { $0 + $1.data.estimatedBytes }) / Double(max(1, cells)) : 0)
        }
        return Int(min(Double(Int.max / 4), perRow * Double(rows)))
    }
}
