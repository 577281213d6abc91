import CASWire

/// The by-groups of a table (`table.groupBy`), as CAS forms them: one group per distinct
/// combination of the by-variables' values, in ascending order (missing first, as SAS sorts); a
/// missing value (a NaN or absent number, an absent or empty string) forms its own group.
public struct ByGroups: Sendable {
    /// One by-variable's value in a group.
    public enum Value: Hashable, Comparable, Sendable {
        case missing
        case number(Double)
        case text(String)

        public init(_ data: ColumnData, _ row: Int) {
            switch data {
            case .varchar(let a): self = a[row].flatMap { $0.isEmpty ? nil : Value.text($0) } ?? .missing
            case .varbinary(let a): self = a[row].flatMap { $0.isEmpty ? nil : Value.text(String(decoding: $0, as: UTF8.self)) } ?? .missing
            default: self = data.double(at: row).map { .number($0) } ?? .missing
            }
        }

        /// The value as the result tables carry it: a missing number is NaN, a missing string empty.
        func raw(numeric: Bool) -> CASWire.Value {
            switch self {
            case .missing: numeric ? .double(.nan) : .string("")
            case .number(let d): .double(d)
            case .text(let s): .string(s)
            }
        }

        /// The formatted value (BEST12.-like for numbers, `.` for a missing number).
        public func formatted(numeric: Bool) -> String {
            switch self {
            case .missing: numeric ? "." : ""
            case .number(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            case .text(let s): s
            }
        }
    }

    /// The by-variables (name and type, as in the table).
    public let variables: [Column]
    /// Each group's values (one per by-variable) and rows, groups in ascending order.
    public let keys: [[Value]]
    public let rows: [[Int]]

    /// Groups `data` by the columns `names`; an unknown column is an error on `parameter[k]`.
    public init(_ data: DataTable, by names: [String], parameter: String = "table.groupBy") throws(ActionError) {
        var vars: [Column] = []
        for (k, n) in names.enumerated() {
            guard let c = data.column(n) else { throw ActionError.missingColumn(n, in: data, parameter: "\(parameter)[\(k + 1)]") }
            guard !vars.contains(where: { $0.name.lowercased() == c.name.lowercased() }) else {
                throw ActionError(.parameterValue, "Column '\(n)' is named twice in groupBy.", parameter: "\(parameter)[\(k + 1)]")
            }
            vars.append(Column(name: c.name, label: c.label, format: c.format, data: .empty(c.type)))
        }
        let columns = vars.map { data.column($0.name)!.data }
        var groups: [[Value]: [Int]] = [:]
        for r in 0..<data.rowCount { groups[columns.map { Value($0, r) }, default: []].append(r) }
        let sorted = groups.keys.sorted { $0.lexicographicallyPrecedes($1) }
        variables = vars
        keys = sorted
        rows = sorted.map { groups[$0]! }
    }

    /// The by-variables' columns with one row per group of `groups` (all groups by default), taken
    /// from `data`, the table that was grouped (a group's first row holds its values).
    public func valueColumns(of data: DataTable, groups: [Int]? = nil) -> [Column] {
        let firstRows = (groups ?? Array(keys.indices)).map { rows[$0][0] }
        return variables.map { c in Column(name: c.name, label: c.label, format: c.format, data: data.column(c.name)!.data.gather(firstRows)) }
    }

    func isNumeric(_ v: Int) -> Bool { variables[v].type.isNumeric }

    /// CAS's `ByGroupInfo` table: per by-variable its raw value and `<name>_f`, the formatted one,
    /// then `_key_`, the formatted values joined by commas.
    public func info() -> DataTable {
        var cols: [(String, ColumnType)] = []
        for (v, c) in variables.enumerated() { cols += [(c.name, isNumeric(v) ? .double : .varchar), ("\(c.name)_f", .varchar)] }
        cols.append(("_key_", .varchar))
        let rows: [[CASWire.Value]] = keys.map { key in
            var r: [CASWire.Value] = []
            for (v, value) in key.enumerated() { r += [value.raw(numeric: isNumeric(v)), .string(value.formatted(numeric: isNumeric(v)))] }
            r.append(.string(key.enumerated().map { $1.formatted(numeric: isNumeric($0)) }.joined(separator: ",")))
            return r
        }
        return .result("ByGroupInfo", label: "ByGroupInfo", columns: cols, rows: rows)
    }

    /// The attributes CAS gives group `g`'s result tables: `ByGroup` (the by-line `zone=north`),
    /// `ByGroupIndex`, `ByVarsNum`, and per by-variable `ByVar<i>`, `ByVar<i>Value`, `ByVar<i>ValueFormatted`.
    public func attributes(_ g: Int) -> ValueDict {
        var a = ValueDict()
        let key = keys[g]
        a["ByGroup"] = .string(zip(variables, key.indices).map { c, v in "\(c.name)=\(key[v].formatted(numeric: isNumeric(v)))" }.joined(separator: " "))
        a["ByGroupIndex"] = .int(Int64(g + 1))
        a["ByVarsNum"] = .int(Int64(variables.count))
        for (v, c) in variables.enumerated() {
            a["ByVar\(v + 1)"] = .string(c.name)
            a["ByVar\(v + 1)Value"] = key[v].raw(numeric: isNumeric(v))
            a["ByVar\(v + 1)ValueFormatted"] = .string(key[v].formatted(numeric: isNumeric(v)))
        }
        return a
    }

    /// One group of a grouping: its by-variables' values are `groups.keys[index]`.
    public struct Group: Sendable {
        public let groups: ByGroups
        public let index: Int
    }

    /// Groups' result tables stacked as they come (each group's rows after its by-variables: the raw value and
    /// `<name>_f`, the formatted one, as in `ByGroupInfo`), column by column, so a group's small table is not kept.
    public struct Stack: Sendable {
        public private(set) var table = DataTable(name: "")

        public init() {}

        public mutating func append(_ group: Group, _ t: DataTable) throws(ActionError) {
            let groups = group.groups
            var by: [Column] = []
            for (v, value) in groups.keys[group.index].enumerated() {
                let n = t.rowCount, name = groups.variables[v].name, numeric = groups.isNumeric(v), raw = value.raw(numeric: numeric)
                by.append(Column(name: name, data: numeric ? .double(Array(repeating: raw.doubleValue ?? .nan, count: n))
                                                           : .varchar(Array(repeating: raw.stringValue, count: n))))
                by.append(Column(name: "\(name)_f", data: .varchar(Array(repeating: value.formatted(numeric: numeric), count: n))))
            }
            let columns = by + t.columns
            guard !table.columns.isEmpty else {
                table = DataTable(name: t.name, columns: columns)
                return
            }
            guard columns.map({ $0.name.lowercased() }) == table.columns.map({ $0.name.lowercased() }) else {
                throw ActionError(.internalError, "by-group \(group.index + 1)'s result has other columns than the first's")
            }
            for (i, c) in columns.enumerated() { table.columns[i].data.append(contentsOf: c.data) }
        }
    }

    /// The results of an action run once per group: `ByGroupInfo`, then each group's result tables
    /// as `ByGroup<n>.<name>` with the group's attributes (other result values are dropped).
    public func results(_ perGroup: [ValueDict]) -> ValueDict {
        var out: ValueDict = ["ByGroupInfo": .table(info())]
        for (g, r) in perGroup.enumerated() {
            for (name, value) in r {
                guard case .table(var t) = value else { continue }
                for (k, v) in attributes(g) { t.attributes[k] = v }
                out.appendUnchecked("ByGroup\(g + 1).\(name)", .table(t))  // names are unique: no lookup per group
            }
        }
        return out
    }
}
