import CASCore
import CASWire

/// `deepLearn.dlJoin`: joins an image table with the table of its annotations (segmentation masks, object
/// labels) on an id column, as DLPy's `create_segmentation_table` uses it.
struct DLJoin: Action {
    static let name = "dlJoin"
    static let summary = "Joins a table with its annotation table on an id column (rows of table with exactly one matching annotation row)."
    static let table = P.table("table", "The data table (its rows and columns come first).")
    static let annotatedTable = P.table("annotatedTable", "The annotation table (its other columns are added).").aliases("annotation")
    static let id = P.string("id", "The id column both tables have (e.g. _filename_0).", default: "_id_")
    static let joinType = P.string("joinType", "INNER: rows of table whose id has an annotation row (LEFT also keeps the others, with missing annotations).",
                                   default: "INNER", allowed: ["INNER", "LEFT"])
    static let casOut = P.outTable("casOut", "The joined table.", required: true)
    static let parameters = [table.spec, annotatedTable.spec, id.spec, joinType.spec, casOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let key = args[id]
        let left = try await ctx.filteredTable(withId(args[table], key)).data
        let right = try await ctx.filteredTable(withId(args[annotatedTable], key), parameter: "annotatedTable").data
        guard let lk = left.column(key) else { throw ActionError.missingColumn(key, in: left, parameter: "id") }
        guard let rk = right.column(key) else { throw ActionError.missingColumn(key, in: right, parameter: "id") }
        // ids compare as numbers (1 and 1.0 match) or as text (exactly), never a number with a text
        let numeric: Set<ColumnType> = [.double, .int64, .int32]
        guard lk.type != .varbinary, rk.type != .varbinary, numeric.contains(lk.type) == numeric.contains(rk.type) else {
            throw ActionError(.parameterValue, "id column \(key) is \(lk.type.rawValue) in table \(left.name) but \(rk.type.rawValue) in annotatedTable \(right.name); dlJoin matches numbers with numbers and text with text.",
                              parameter: "id")
        }
        // one annotation row per id: a second one would make the join ambiguous
        var byId: [String: Int] = [:]
        for r in 0..<right.rowCount where !rk.data.isMissing(at: r) {
            let v = LevelText.text(rk.data.value(at: r))
            guard byId[v] == nil else {
                throw ActionError(.parameterValue, "annotatedTable \(right.name) has more than one row with \(key) = \(v); dlJoin needs one annotation row per id.",
                                  parameter: "annotatedTable")
            }
            byId[v] = r
        }
        let keepAll = args[joinType] == "LEFT"
        var rows: [Int] = [], matches: [Int?] = []
        for r in 0..<left.rowCount {
            let match = lk.data.isMissing(at: r) ? nil : byId[LevelText.text(lk.data.value(at: r))]
            guard match != nil || keepAll else { continue }
            rows.append(r)
            matches.append(match)
        }
        var out = left.gather(rows)
        out.name = left.name
        let have = Set(left.columns.map { $0.name.lowercased() })
        var skipped: [String] = []
        for c in right.columns where c.name.lowercased() != key.lowercased() {
            guard !have.contains(c.name.lowercased()) else { skipped.append(c.name); continue }
            var g = c
            g.data = keepAll ? c.data.gather(optional: matches) : c.data.gather(matches.map { $0! })
            out.columns.append(g)
        }
        if !skipped.isEmpty {
            ctx.note("Columns \(skipped.joined(separator: ", ")) of annotatedTable \(right.name) are also in table \(left.name); the data table's are kept.")
        }
        let stored = try await ctx.store(out, out: args[casOut], defaultName: "\(left.name)_joined")
        ctx.note("Joined \(rows.count) of \(left.rowCount) rows of table \(left.name) with annotatedTable \(right.name) on \(key) into table \(stored.name).")
        return ["OutputCasTables": .table(.outputCasTables([stored]))]
    }

    /// The reference with the id column among its `vars` when it selects some: DLPy joins
    /// `CASTable(images, computedVars=['idjoin'], vars=['_image_'])` on idjoin, as CAS reads the id whatever vars says.
    static func withId(_ ref: TableRef, _ key: String) -> TableRef {
        guard !ref.vars.isEmpty, !ref.vars.contains(where: { $0.lowercased() == key.lowercased() }) else { return ref }
        var r = ref
        r.vars.append(key)
        return r
    }
}
