import CASCore
import CASWire

/// `sampling.stratified`: the same share of every stratum (`table.groupBy` level combination).
struct Stratified: Action {
    static let name = "stratified"
    static let summary = "Stratified random sample: samppct (and samppct2) of each level combination of table.groupBy."
    static let parameters = SamplingParams.all
    static let scaleOut = ScaleOut.outputOnWorkers

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let groupBy = args[SamplingParams.table].groupBy
        guard !groupBy.isEmpty else {
            throw ActionError(.parameterValue, "stratified sampling needs table.groupBy (the strata columns), e.g. table={name=\"t\", groupBy=\"_label_\"}.",
                              parameter: "table.groupBy")
        }
        return try await Sampler.run(args, ctx, strata: { t throws(ActionError) in try strata(t, groupBy) }, groupBy: groupBy, freqName: "STRAFreq")
    }

    /// Rows per level combination, strata in sorted key order (missing values form their own level).
    static func strata(_ t: DataTable, _ groupBy: [String]) throws(ActionError) -> [(key: String, rows: [Int])] {
        var cols: [Column] = []
        for g in groupBy {
            guard let c = t.column(g) else {
                throw ActionError(.notFound, "Column '\(g)' (table.groupBy) does not exist in table \(t.name).", parameter: "table.groupBy")
            }
            cols.append(c)
        }
        var groups: [String: [Int]] = [:]
        for r in 0..<t.rowCount {
            let key = cols.map { c in c.data.isMissing(at: r) ? "." : display(c.data.value(at: r)) }.joined(separator: ", ")
            groups[key, default: []].append(r)
        }
        return groups.keys.sorted().map { (key: $0, rows: groups[$0]!) }
    }

    static func display(_ v: Value) -> String {
        switch v {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        default: v.jsonString
        }
    }
}
