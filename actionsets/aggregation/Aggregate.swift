import ActionSetSimple
import CASCore
import CASWire

/// `aggregation.aggregate`: `varSpecs` lists `{names={…}, agg="N"|"NMISS"|"SUM"|"MEAN"|"MIN"|"MAX"|"STD"|"VAR"}`;
/// the result is one `Aggregate` table with a row per column and a column per requested statistic
/// (per by-group with `table.groupBy`).
/// N and NMISS work on every column type; the others need numeric columns.
struct Aggregate: Action {
    static let name = "aggregate"
    static let summary = "Computes N, NMiss, Sum, Mean, Min, Max, Std or Var of the columns named in varSpecs."
    static let table = P.table()
    static let stats = ["N", "NMISS", "SUM", "MEAN", "MIN", "MAX", "STD", "VAR"]
    /// One item of `varSpecs`.
    enum VarSpec: ParamGroup {
        static let names = P.stringList("names", "Columns.")
        static let agg = P.string("agg", "The statistic.", allowed: stats)
        static let parameters = [names.spec, agg.spec]
    }
    static let varSpecs = P.groupList("varSpecs", "Columns and the statistic to compute for them.", VarSpec.self, required: true)
    static let parameters = [table.spec, varSpecs.spec]

    static let columnNames = ["N": "N", "NMISS": "NMiss", "SUM": "Sum", "MEAN": "Mean", "MIN": "Min", "MAX": "Max", "STD": "Std", "VAR": "Var"]

    /// N and NMISS of any column; the rest from simple.summary's statistics (numeric columns).
    static func value(_ agg: String, _ data: ColumnData) -> Double {
        switch agg {
        case "N": return Double((0..<data.count).filter { !data.isMissing(at: $0) }.count)
        case "NMISS": return Double((0..<data.count).filter { data.isMissing(at: $0) }.count)
        default:
            let s = ColumnStats(data)
            switch agg {
            case "SUM": return s.n > 0 ? s.sum : .nan
            case "MEAN": return s.mean
            case "MIN": return s.min
            case "MAX": return s.max
            case "STD": return s.variance.squareRoot()
            default: return s.variance
            }
        }
    }

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        try await ctx.perByGroup(args[table]) { t, _ in try aggregate(t, args) }
    }

    /// The `Aggregate` table of `t`.
    static func aggregate(_ t: CASTable, _ args: Args) throws -> ValueDict {
        var order: [String] = [], statOrder: [String] = []
        var cells: [String: [String: Double]] = [:]  // column → stat → value
        for (i, spec) in args[varSpecs].enumerated() {
            let agg = spec[VarSpec.agg]
            if !statOrder.contains(agg) { statOrder.append(agg) }
            for (k, name) in spec[VarSpec.names].enumerated() {
                guard let c = t.data.column(name) else {
                    throw ActionError.missingColumn(name, in: t.data, parameter: "varSpecs[\(i + 1)].names[\(k + 1)]")
                }
                guard agg == "N" || agg == "NMISS" || c.type.isNumeric else {
                    throw ActionError(.parameterValue, "Column '\(c.name)' is \(c.type.rawValue); \(agg) needs a numeric column.",
                                      parameter: "varSpecs[\(i + 1)].names[\(k + 1)]")
                }
                if cells[c.name] == nil { order.append(c.name); cells[c.name] = [:] }
                cells[c.name]![agg] = value(agg, c.data)
            }
        }
        let rows: [[Value]] = order.map { n in [.string(n)] + statOrder.map { s in cells[n]![s].map(Value.double) ?? .null } }
        return ["Aggregate": .table(.result("Aggregate", label: "Aggregates for \(t.name.uppercased())",
                                            columns: [("Column", .varchar)] + statOrder.map { (columnNames[$0]!, .double) }, rows: rows))]
    }
}
