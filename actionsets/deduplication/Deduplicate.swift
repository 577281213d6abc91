import CASCore
import CASWire

/// `deduplication.deduplicate`: writes `casOut` without duplicate rows. Rows are duplicates when
/// they have the same values in every column; with `noDuplicateKeys=True` when they have the same
/// values of the table's `groupBy` variables (one row per key, as PROC SORT's NODUPKEY). The first
/// row of each set of duplicates is kept and rows stay in their input order. Values compare as
/// by-groups do (ByGroups): a missing number and NaN are equal, an empty string is a missing one.
struct Deduplicate: Action {
    static let name = "deduplicate"
    static let summary = "Writes a table without duplicate rows (or with one row per groupBy key with noDuplicateKeys=True)."
    static let table = P.table("table", "The input table; its groupBy variables are the keys with noDuplicateKeys=True.")
    static let casOut = P.outTable("casOut", "The table without duplicates.", required: true)
    static let noDuplicateKeys = P.bool(
        "noDuplicateKeys", "Keep one row per combination of the table's groupBy values (needs table.groupBy) instead of removing only rows equal in every column.",
        default: false)
    static let parameters = [table.spec, casOut.spec, noDuplicateKeys.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        var ref = args[table]
        let keys = ref.groupBy
        ref.groupBy = []
        if args[noDuplicateKeys] && keys.isEmpty {
            throw ActionError(.parameterValue, "noDuplicateKeys=True keeps one row per key: name the keys in table.groupBy.", parameter: "noDuplicateKeys")
        }
        let t = try await ctx.filteredTable(ref)
        let data = t.data
        let by = args[noDuplicateKeys] ? keys : data.columns.map(\.name)
        // the keys of every row (about 48 bytes a cell) and the output are charged before they are made
        try ctx.reserve(data.rowCount * Swift.max(1, by.count) * 48 + data.estimatedBytes, for: "deduplicate's keys and output")
        let kept = try await ctx.cpu { () throws -> [Int] in
            let groups = try ByGroups(data, by: by, parameter: "table.groupBy")
            return groups.rows.compactMap(\.first).sorted()
        }
        var out = data.gather(kept)
        out.label = ""
        let stored = try await ctx.store(out, out: args[casOut], defaultName: "\(t.name)_dedup", sourceName: t.sourceName, sourceCaslib: t.sourceCaslib)
        ctx.note("\(data.rowCount - kept.count) duplicate rows removed from \(data.rowCount); \(kept.count) rows written to \(stored.name).")
        return ["OutputCasTables": .table(.outputCasTables([stored]))]
    }
}
