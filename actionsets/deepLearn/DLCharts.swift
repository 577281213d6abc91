import CASCore
import CASWire
import Foundation

/// `deepLearn.dlCharts`: SVG charts a user opens — the confusion matrix of a scored table and the
/// training curves of an OptIterHistory — returned as blobs and optionally written into a caslib folder.
struct DLCharts: Action {
    static let name = "dlCharts"
    static let summary = "SVG charts: confusion matrix of a dlScore output (target × I_target) and training curves of an OptIterHistory."
    static let table = P.optionalTable("table", "A dlScore output table (confusion matrix).")
    static let target = P.string("target", "The target column (the predicted one is I_<target>).", default: "_label_")
    static let history = P.value("history", "dlTrain's OptIterHistory (the result table itself, or the name of a table holding it).")
    static let caslib = P.caslib("caslib", "Caslib of the output folder.")
    static let path = P.optionalString("path", "Folder (relative to the caslib) for confusion.svg and history.svg; none when omitted.")
    static let replace = P.bool("replace", "Overwrite existing chart files in the folder (otherwise an existing file is an error).", default: false)
    static let parameters = [table.spec, target.spec, history.spec, caslib.spec, path.spec, replace.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        var charts: [(String, String)] = []
        if let scored = args[table] { charts.append(("confusion.svg", try await confusion(scored, target: args[target], ctx))) }
        if let h = try await historyTable(args, ctx) { charts.append(("history.svg", curves(h))) }
        guard !charts.isEmpty else { throw ActionError(.parameterMissing, "Give table (a scored table) and/or history.", parameter: "table") }
        var files: [Value] = []
        if let folder = args[path] {
            let lib = try await ctx.caslib(args[caslib])
            let dir = try await ctx.path(folder, in: lib, for: .write, parameter: "path")
            files = try dir.writeFiles(charts.map { ($0.0, Array($0.1.utf8)) }, replace: args[replace]).map(Value.string)
        }
        var t = DataTable.result("Charts", columns: [("Name", .varchar), ("Chart", .varbinary), ("File", .varchar)],
                                 rows: charts.enumerated().map { i, c in [.string(c.0), .blob(Array(c.1.utf8)), files.indices.contains(i) ? files[i] : .null] })
        // no image/* MIMEType: swat hands such columns to Pillow, which cannot read SVG (the column is SVG text as bytes)
        return ["Charts": .table(t)]
    }

    static func confusion(_ scored: TableRef, target actual: String, _ ctx: ActionContext) async throws -> String {
        let t = try await ctx.filteredTable(scored)
        let predicted = "I_\(actual)"
        guard let a = t.data.column(actual), let p = t.data.column(predicted) else {
            throw ActionError(.notFound, "Table \(t.name) needs columns \(actual) and \(predicted) (a dlScore output).", parameter: "table")
        }
        let pairs = (0..<t.rowCount).map { (LevelText.text(a.data.value(at: $0)), LevelText.text(p.data.value(at: $0))) }
        let levels = Set(pairs.flatMap { [$0.0, $0.1] }).sorted()
        var counts = [[Int]](repeating: [Int](repeating: 0, count: levels.count), count: levels.count)
        for (x, y) in pairs { counts[levels.firstIndex(of: x)!][levels.firstIndex(of: y)!] += 1 }
        return SVGChart.confusion(levels: levels, counts: counts, title: "Confusion matrix of \(t.name)")
    }

    static func historyTable(_ args: Args, _ ctx: ActionContext) async throws -> DataTable? {
        switch args[history] {
        case .table(let t): return t
        case .string(let name): return try await ctx.table(TableRef(name: name), parameter: "history").data
        case .null: return nil
        default: throw ActionError(.parameterType, "history must be an OptIterHistory table or a table name.", parameter: "history")
        }
    }

    static func curves(_ h: DataTable) -> String {
        let x = (0..<h.rowCount).map { h.column("Epoch")?.data.double(at: $0) ?? Double($0) }
        let series = ["Loss", "ValidLoss", "FitError", "ValidError"].compactMap { n in
            h.column(n).map { c in (n, (0..<h.rowCount).map { c.data.double(at: $0) ?? .nan }) }
        }
        return SVGChart.lines(x: x, series: series, title: "Training history")
    }
}
