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

    /// The level as three cells of a worker's partial (`cells(at:)` reads them back): kind (0 missing, 1 number,
    /// 2 text), the number, the text.
    var cells: [Value] {
        switch self {
        case .missing: [0, .null, .null]
        case .number(let d): [1, .double(d), .null]
        case .text(let s): [2, .null, .string(s)]
        }
    }

    /// The level whose `cells` are columns `first`, `first + 1`, `first + 2` of `partial`'s row `r`.
    init(cells partial: DataTable, row r: Int, at first: Int) {
        self = switch partial.columns[first].data.value(at: r).intValue {
        case 1: .number(partial.columns[first + 1].data.double(at: r) ?? .nan)
        case 2: .text(partial.columns[first + 2].data.value(at: r).stringValue ?? "")
        default: .missing
        }
    }

    /// The partial columns of `cells`, named after `prefix`.
    static func cellColumns(_ prefix: String) -> [(String, ColumnType)] {
        [("\(prefix)Kind", .int32), ("\(prefix)Number", .double), ("\(prefix)Text", .varchar)]
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
    static let scaleOut = ScaleOut.partitionLocal
    static let table = P.table()
    static let inputs = P.columns("inputs", "Columns to count; all columns when omitted.")
    static let includeMissing = P.bool("includeMissing", "Count missing values as a level.", default: true)
    static let casOut = P.outTable("casOut", "Write the levels to this table (the by-variables, _Column_, _Charvar_ or _Numvar_, _Fmtvar_, _Level_, _Frequency_) instead of answering them.")
    static let parameters = [table.spec, inputs.spec, includeMissing.spec, casOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        if !args.has(casOut), let t = try await ctx.distributedTable(args[table]) {
            // an MPI server's table: each worker counts its block's levels, the counts are added here
            let cols = try columns(t, args, by: [])
            let counts = try await distributedCounts(t, args[table], cols, ctx)
            return ["Frequency": .table(frequencyTable(t, cols, counts, withMissing: args[includeMissing]))]
        }
        if !args.has(casOut), let t = try await ctx.distributedByGroupTable(args[table]) {
            // by-groups too: each worker counts each group of its block, the counts added here group by group
            let cols = try columns(t, args, by: args[table].groupBy.compactMap { t.data.column($0)?.name })
            let (groups, perGroup) = try await distributedCountsByGroup(t, args[table], cols, ctx)
            return groups.results(perGroup.map { ["Frequency": .table(frequencyTable(t, cols, $0, withMissing: args[includeMissing]))] })
        }
        return try await ctx.perByGroup(args[table], casOut: args.has(casOut) ? args[casOut] : nil, result: "Frequency",
                               names: ["CharVar": "_Charvar_", "NumVar": "_Numvar_", "FmtVar": "_Fmtvar_"], optional: ["CharVar", "NumVar"]) { t, by in try frequency(t, args, by: by) }
    }

    /// The level counts of `cols` of a distributed table (the reference's `where` applied), added up over the
    /// workers' partials (`partial`): also simple.distinct's.
    static func distributedCounts(_ t: CASTable, _ ref: TableRef, _ cols: [Column], _ ctx: ActionContext) async throws(ActionError) -> [[Level: Int]] {
        try await mergedOffPool(try await ctx.onWorkers(t, ref, partial, args: PartitionKernel.arguments(columns: cols)), cols, ctx)
    }

    /// `merged` on a thread of its own (a high-cardinality column has a level per row: seconds of work that must not
    /// hold a thread of the server's cooperative pool).
    static func mergedOffPool(_ partials: [DataTable], _ cols: [Column], _ ctx: ActionContext) async throws(ActionError) -> [[Level: Int]] {
        do { return try await ctx.cpu { try merged(partials, cols) } } catch let e as ActionError { throw e } catch {
            throw ActionError(.internalError, "freq: \(error)")
        }
    }

    /// `distributedCounts` per by-group (the reference's groupBy): the groups, and each one's level counts.
    static func distributedCountsByGroup(_ t: CASTable, _ ref: TableRef, _ cols: [Column],
                                         _ ctx: ActionContext) async throws(ActionError) -> (ByGroups, [[[Level: Int]]]) {
        let (groups, perGroup) = try await ctx.onWorkersByGroup(t, ref, partial, args: PartitionKernel.arguments(columns: cols))
        var out: [[[Level: Int]]] = []
        for partials in perGroup { out.append(try await mergedOffPool(partials, cols, ctx)) }
        return (groups, out)
    }

    /// The level counts of the workers' partials added up.
    static func merged(_ partials: [DataTable], _ cols: [Column]) throws(ActionError) -> [[Level: Int]] {
        var counts = [[Level: Int]](repeating: [:], count: cols.count)
        for p in partials {
            guard p.columns.count == 5 else { throw ActionError(.internalError, "a worker's freq partial has the wrong shape") }
            for r in 0..<p.rowCount {
                guard let i = p.columns[0].data.value(at: r).intValue.map(Int.init), cols.indices.contains(i),
                      let n = p.columns[4].data.value(at: r).intValue else { throw ActionError(.internalError, "a worker's freq partial has a bad row") }
                counts[i][Level(cells: p, row: r, at: 1), default: 0] += Int(n)
            }
        }
        return counts
    }

    /// The partition-local part of freq (`serve --mpi`): each named column's level counts in a worker's block, a row
    /// per level: column index, kind (0 missing, 1 number, 2 text), the number, the text, the count.
    static let partial = PartitionKernel("simple.freq") { block, arguments throws(ActionError) in
        var b = TableBuilder(name: "Levels", columns: [("Column", .int64)] + Level.cellColumns("") + [("Count", .int64)])
        for (i, c) in try PartitionKernel.columns(of: block, arguments, kernel: "simple.freq").enumerated() {
            for (level, count) in levelCounts(c.data) { b.append([.int(Int64(i))] + level.cells + [.int(Int64(count))]) }
        }
        return b.table
    }

    static func levelCounts(_ data: ColumnData) -> [Level: Int] {
        var counts: [Level: Int] = [:]
        for r in 0..<data.count { counts[Level(data, r), default: 0] += 1 }
        return counts
    }

    /// The columns counted; by-variables are not unless named in `inputs`.
    static func columns(_ t: CASTable, _ args: Args, by: [String]) throws(ActionError) -> [Column] {
        try InputColumns.resolve(args[inputs], in: t.data, defaultFilter: { $0.type != .varbinary && !by.contains($0.name) })
    }

    /// The `Frequency` table of `t`; by-variables are not counted unless named in `inputs`.
    static func frequency(_ t: CASTable, _ args: Args, by: [String]) throws -> ValueDict {
        let cols = try columns(t, args, by: by)
        return ["Frequency": .table(frequencyTable(t, cols, cols.map { levelCounts($0.data) }, withMissing: args[includeMissing]))]
    }

    /// CAS's Frequency table from each column's level counts.
    static func frequencyTable(_ t: CASTable, _ cols: [Column], _ perColumn: [[Level: Int]], withMissing: Bool) -> DataTable {
        var b = TableBuilder(name: "Frequency", columns: [("Column", .varchar), ("CharVar", .varchar), ("NumVar", .double),
                                                          ("FmtVar", .varchar), ("Level", .int32), ("Frequency", .double)], label: "Frequency for \(t.name.uppercased())")
        for (c, counts) in zip(cols, perColumn) {
            for (i, (level, n)) in counts.sorted(by: { $0.key < $1.key }).enumerated() where withMissing || level != .missing {
                let isChar = c.type == .varchar || c.type == .varbinary
                // a missing character value is formatted blank, a missing number "." (SAS; DLPy drops blank class names)
                b.append([.string(c.name), isChar ? level.value : .null, isChar ? .null : level.value,
                          .string(isChar && level == .missing ? "" : level.display),
                          .int(Int64(i + 1)), .double(Double(n))])
            }
        }
        return b.table
    }
}
