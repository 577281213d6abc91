import CASCore
import CASWire
import CheckedSize

/// The DATA step's output tables: the rows each OUTPUT (or the implicit output) wrote, then KEEP, DROP,
/// RENAME and the RETAIN order.
enum DataStepOutput {
    /// One output table as it fills: the input row each written row came from (for the input columns the
    /// step never assigns, gathered at the end) and the values of the slots written.
    struct Sink {
        var rows: [Int] = []
        var slots: [Int]
        /// Per written slot, its values (a number slot's in `numbers`, a string slot's in `strings`).
        var numbers: [[Double]]
        var strings: [[String?]]

        init(_ slots: [Int]) {
            self.slots = slots
            numbers = slots.map { _ in [] }
            strings = slots.map { _ in [] }
        }

        /// Appends the program data vector; returns the bytes it took.
        mutating func append(row: Int, slots pdv: WhereSlots) -> Int {
            rows.append(row)
            var bytes = 8
            for (j, k) in slots.enumerated() {
                if pdv.kinds[k] == .number {
                    numbers[j].append(pdv.numbers[k])
                    bytes += 8
                } else {
                    let s = pdv.text(k)
                    strings[j].append(s)
                    bytes += 16 + (s?.utf8.count ?? 0)
                }
            }
            return bytes
        }

        /// The values written to slot `j`'s column.
        func column(_ j: Int, _ pdv: WhereSlots) -> ColumnData {
            pdv.kinds[slots[j]] == .number ? .double(numbers[j]) : .varchar(strings[j])
        }
    }

    static func tables(_ run: DataStepRun) throws(ActionError) -> [DataTable] {
        let inputs = Dictionary(uniqueKeysWithValues: run.loads.map { ($0.slot, $0.column) })
        var out: [DataTable] = []
        for (spec, sink) in zip(run.program.outputs, run.sinks) {
            // the input columns gathered by row: about the input's bytes per row, charged before they are made
            try run.charge(DataStepRun.gatherBytes(run.table, sink.rows.count))
            var t = run.table.gather(sink.rows)
            t.name = spec.name
            for (j, k) in sink.slots.enumerated() {
                let data = sink.column(j, run.slots)
                if let c = inputs[k] { t.columns[c].data = data } else { t.columns.append(Column(name: run.slots.names[k], data: data)) }
            }
            try select(run.program, spec, &t) { run.ctx.warning($0) }
            out.append(t)
        }
        return out
    }

    /// KEEP, DROP and RENAME on the output columns (a name that is not a column is a WARNING and ignored, as SAS's
    /// "has never been referenced"; swat's reshaping code drops `_NAME_` where it may be gone), MERGE's in=
    /// variables left out (the DATA step does not write them), RETAIN's columns first, then the output table's own
    /// keep=, drop= and rename= options (errors, as SAS's data set options).
    static func select(_ p: DataStepProgram, _ spec: DataSetName, _ t: inout DataTable, warn: @escaping (String) -> Void) throws(ActionError) {
        var missing = MissingNames(warn: warn)
        func index(_ n: String, _ what: String) -> Int? {
            guard let i = t.columns.firstIndex(where: { $0.name.lowercased() == n.lowercased() }) else {
                missing.note("The variable \(Names.quote(n)) in the \(what) statement is not in the output table \(t.name); ignored.")
                return nil
            }
            return i
        }
        defer { missing.finish("in KEEP, DROP or RENAME statements are not in the output table \(t.name)") }
        let flags = Set(p.inputs.compactMap { $0.inFlag?.lowercased() })
        t.columns.removeAll { flags.contains($0.name.lowercased()) }
        if !p.order.isEmpty {
            var first: [Int] = [], firstSet = Set<Int>()
            for n in p.order {
                if let i = t.columns.firstIndex(where: { $0.name.lowercased() == n.lowercased() }), firstSet.insert(i).inserted { first.append(i) }
            }
            t.columns = first.map { t.columns[$0] } + t.columns.indices.filter { !firstSet.contains($0) }.map { t.columns[$0] }
        }
        if !p.keep.isEmpty {   // the columns keep their order (the program data vector's), whatever the KEEP list's
            var kept = Set<Int>()
            for n in p.keep { if let i = index(n, "KEEP") { kept.insert(i) } }
            t.columns = t.columns.indices.filter(kept.contains).map { t.columns[$0] }
        }
        for n in p.drop { if let i = index(n, "DROP") { t.columns.remove(at: i) } }
        let known = p.rename.filter { pair in index(pair.from, "RENAME") != nil }
        try rename(&t, known, what: "the RENAME statement")
        try keepAndDrop(&t, spec, warn: warn)
        try rename(&t, spec.rename, what: "rename= of \(spec.name)")
    }

    /// Variables named but missing: a WARNING each for the first 20, then one count (a list of a million names is
    /// one more line, not a million).
    struct MissingNames {
        static let named = 20
        let warn: (String) -> Void
        var count = 0

        mutating func note(_ message: @autoclosure () -> String) {
            count += 1
            if count <= Self.named { warn(message()) }
        }

        func finish(_ what: String) {
            if count > Self.named { warn("\(count - Self.named) more variables \(what); ignored.") }
        }
    }

    /// A table's keep= and drop= data set options (a name twice is one column). A name the table lacks is an error on
    /// an input table; on an output table (`warn` given) a WARNING and ignored — SAS's DKRICOND=ERROR and
    /// DKROCOND=WARN defaults. The columns keep their order.
    static func keepAndDrop(_ t: inout DataTable, _ spec: DataSetName, warn: ((String) -> Void)? = nil) throws(ActionError) {
        var missing = warn.map { MissingNames(warn: $0) }
        func index(_ n: String, _ what: String) throws(ActionError) -> Int? {
            guard let i = t.columns.firstIndex(where: { $0.name.lowercased() == n.lowercased() }) else {
                guard missing != nil else {
                    throw ActionError(.parameterValue, "code: \(what)= of \(spec.name) names \(Names.quote(n)), which is not a column of it (columns: \(t.columns.map(\.name).prefix(20).joined(separator: ", "))).",
                                      parameter: "code")
                }
                missing?.note("The variable \(Names.quote(n)) in \(what)= of \(spec.name) is not in the output table; ignored.")
                return nil
            }
            return i
        }
        defer { missing?.finish("in keep= or drop= of \(spec.name) are not in the output table") }
        if let keep = spec.keep {
            var kept = Set<Int>()
            for n in keep { if let i = try index(n, "keep") { kept.insert(i) } }
            t.columns = t.columns.indices.filter(kept.contains).map { t.columns[$0] }
        }
        var dropped = Set<Int>()
        for n in spec.drop { if let i = try index(n, "drop") { dropped.insert(i) } }
        t.columns = t.columns.indices.filter { !dropped.contains($0) }.map { t.columns[$0] }
    }

    /// Renames all the pairs at once, as SAS does (`rename=(a=b b=a)` swaps two columns).
    static func rename(_ t: inout DataTable, _ pairs: [(from: String, to: String)], what: String) throws(ActionError) {
        guard !pairs.isEmpty else { return }
        var targets: [(Int, String)] = []
        for (from, to) in pairs {
            guard let i = t.columns.firstIndex(where: { $0.name.lowercased() == from.lowercased() }) else {
                throw ActionError(.parameterValue, "code: \(what) renames \(Names.quote(from)), which is not a column of \(t.name) (columns: \(t.columns.map(\.name).prefix(20).joined(separator: ", "))).",
                                  parameter: "code")
            }
            try Names.check(to, .column, parameter: "code")
            targets.append((i, to))
        }
        for (i, to) in targets { t.columns[i].name = to }
        var seen = Set<String>()
        for c in t.columns where !seen.insert(c.name.lowercased()).inserted {
            throw ActionError(.parameterValue, "code: after \(what) the table \(t.name) would have two columns named \(Names.quote(c.name)); rename the other one too, or drop it.",
                              parameter: "code")
        }
    }
}
