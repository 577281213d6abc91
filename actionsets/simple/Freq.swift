import CASCore
import CASWire

/// Distinct values of a column with their first-seen rows, as a sortable key.
enum Level: Hashable, Comparable {
    case missing
    case number(Double)
    case text(String)

    init(_ data: ColumnData, _ row: Int) {
        switch data {
        case .varchar(let a): self = a[row].map { .text($0) } ?? .missing
        case .varbinary(let a): self = a[row].map { .text(String(decoding: $0, as: UTF8.self)) } ?? .missing
        default: self = data.double(at: row).map { .number($0) } ?? .missing
        }
    }

    var display: String {
        switch self {
        case .missing: "."
        case .number(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .text(let s): s
        }
    }

    var value: Value {
        switch self {
        case .missing: .null
        case .number(let d): .double(d)
        case .text(let s): .string(s)
        }
    }
}

/// `simple.freq`: one-way frequency tables (per by-group with `table.groupBy`).
struct Freq: Action {
    static let name = "freq"
    static let summary = "Counts the rows at each distinct value (level) of each input column."
    static let table = P.table()
    static let inputs = P.columns("inputs", "Columns to count; all columns when omitted.")
    static let includeMissing = P.bool("includeMissing", "Count missing values as a level.", default: true)
    static let casOut = P.outTable("casOut", "Write the levels to this table (the by-variables, _Column_, _Charvar_ or _Numvar_, _Fmtvar_, _Level_, _Frequency_) instead of answering them.")
    static let parameters = [table.spec, inputs.spec, includeMissing.spec, casOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        try await ctx.perByGroup(args[table], casOut: args.has(casOut) ? args[casOut] : nil, result: "Frequency",
                               names: ["CharVar": "_Charvar_", "NumVar": "_Numvar_", "FmtVar": "_Fmtvar_"], optional: ["CharVar", "NumVar"]) { t, by in try frequency(t, args, by: by) }
    }

    /// The `Frequency` table of `t`; by-variables are not counted unless named in `inputs`.
    static func frequency(_ t: CASTable, _ args: Args, by: [String]) throws -> ValueDict {
        let cols = try InputColumns.resolve(args[inputs], in: t.data, defaultFilter: { $0.type != .varbinary && !by.contains($0.name) })
        let withMissing = args[includeMissing]
        var b = TableBuilder(name: "Frequency", columns: [("Column", .varchar), ("CharVar", .varchar), ("NumVar", .double),
                                                          ("FmtVar", .varchar), ("Level", .int32), ("Frequency", .double)], label: "Frequency for \(t.name.uppercased())")
        for c in cols {
            var counts: [Level: Int] = [:]
            for r in 0..<c.data.count { counts[Level(c.data, r), default: 0] += 1 }
            for (i, (level, n)) in counts.sorted(by: { $0.key < $1.key }).enumerated() where withMissing || level != .missing {
                let isChar = c.type == .varchar || c.type == .varbinary
                // a missing character value is formatted blank, a missing number "." (SAS; DLPy drops blank class names)
                b.append([.string(c.name), isChar ? level.value : .null, isChar ? .null : level.value,
                          .string(isChar && level == .missing ? "" : level.display),
                          .int(Int64(i + 1)), .double(Double(n))])
            }
        }
        return ["Frequency": .table(b.table)]
    }
}
