import CASCore
import CASWire

/// PROC TRANSPOSE's rules on one in-memory table, apart from the action's parameter reading so the
/// whole of it reads top to bottom: group the rows, name one output column per id value, place each
/// row's value under its id's column, then write one row per (group, transposed variable).
struct Transposition: Sendable {
    var by: [String]
    var variables: [String]
    var id: [String]
    var prefix: String?
    var suffix: String?
    var nameColumn: String
    var allowDuplicates: Bool

    /// The output column one id value (or row position) makes, and what made it (for messages).
    struct OutColumn {
        var name: String
        var value: String
    }

    /// The transposed table and the warnings for id values repeated in a group (with `let`).
    func run(_ data: DataTable, check: () throws(ActionError) -> Void,
             charge: (Int) throws(ActionError) -> Void) throws(ActionError) -> (DataTable, [String]) {
        try Names.check(nameColumn, .column, parameter: "name")
        let groups: [[Int]] = by.isEmpty ? [Array(0..<data.rowCount)] : try ByGroups(data, by: by, parameter: "table.groupBy").rows
        let byColumns = try by.enumerated().map { k, n throws(ActionError) in
            guard let c = data.column(n) else { throw ActionError.missingColumn(n, in: data, parameter: "table.groupBy[\(k + 1)]") }
            return c
        }
        let idColumns = try resolve(id, in: data, parameter: "id")
        let vars = try transposed(data, excluding: byColumns + idColumns)
        // each group's row per output column, and the columns in the order their values first appear
        var columns: [OutColumn] = []
        var slots: [[Int: Int]] = []
        var duplicates: [String] = []
        try charge(data.rowCount * 64 + groups.count * 64)   // the group maps: a key and a row per input row, one map per group
        if idColumns.isEmpty {
            let widest = groups.map(\.count).max() ?? 0
            try checkCount(widest, what: "rows in one by-group (without id, one column per row)")
            columns = (0..<widest).map { OutColumn(name: "\(prefix ?? "COL")\($0 + 1)\(suffix ?? "")", value: "\($0 + 1)") }
            for c in columns { try validate(c) }
            slots = groups.map { rows in Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($0, $1) }) }
        } else {
            var index: [String: Int] = [:]
            for rows in groups {
                try check()
                var slot: [Int: Int] = [:]
                for r in rows {
                    guard let value = idValue(idColumns, r) else { continue }
                    let name = outName(value)
                    let key = name.lowercased()
                    let j: Int
                    if let known = index[key] {
                        j = known
                    } else {
                        try checkCount(columns.count + 1, what: "distinct id values")
                        let c = OutColumn(name: name, value: value)
                        try validate(c)
                        j = columns.count
                        index[key] = j
                        columns.append(c)
                    }
                    if slot[j] != nil {
                        let message = duplicateMessage(value, byColumns: byColumns, row: r)
                        guard allowDuplicates else { throw ActionError(.parameterValue, "\(message) Use let=True to transpose the last row with it.", parameter: "id") }
                        duplicates.append(message)
                    }
                    slot[j] = r
                }
                slots.append(slot)
            }
        }
        try checkClashes(columns, with: byColumns.map(\.name) + [nameColumn])
        let table = try assemble(data, groups: groups, slots: slots, columns: columns, byColumns: byColumns, vars: vars, charge: charge)
        return (table, duplicates)
    }

    /// The named columns; an unknown one, or one of binary data, is an error on `parameter[k]`.
    func resolve(_ names: [String], in data: DataTable, parameter: String) throws(ActionError) -> [Column] {
        try names.enumerated().map { k, n throws(ActionError) in
            guard let c = data.column(n) else { throw ActionError.missingColumn(n, in: data, parameter: "\(parameter)[\(k + 1)]") }
            guard c.type != .varbinary else {
                throw ActionError(.parameterValue, "Column '\(c.name)' holds binary data (varbinary); \(parameter) takes numeric and character columns.",
                                  parameter: "\(parameter)[\(k + 1)]")
            }
            return c
        }
    }

    /// The variables to transpose: those named, or (as PROC TRANSPOSE) every numeric column that is not a by- or id variable.
    func transposed(_ data: DataTable, excluding used: [Column]) throws(ActionError) -> [Column] {
        if !variables.isEmpty { return try resolve(variables, in: data, parameter: "transpose") }
        let taken = Set(used.map { $0.name.lowercased() })
        let numeric = data.columns.filter { $0.type.isNumeric && !taken.contains($0.name.lowercased()) }
        guard !numeric.isEmpty else {
            throw ActionError(.parameterValue, "The table \(data.name) has no numeric column to transpose besides the by- and id variables; name the variables in transpose.",
                              parameter: "transpose")
        }
        return numeric
    }

    /// Row `r`'s id value: the id variables' values (numbers BEST12.-formatted, texts trimmed) joined; nil when one is missing.
    func idValue(_ columns: [Column], _ r: Int) -> String? {
        var parts: [String] = []
        for c in columns {
            let v = ByGroups.Value(c.data, r)
            if v == .missing { return nil }
            parts.append(v.formatted(numeric: c.type.isNumeric).trimmingCharacters(in: .whitespaces))
        }
        return parts.joined()
    }

    /// prefix + value + suffix; without a prefix, a name that would begin with a digit gets a leading `_`, as in SAS.
    func outName(_ value: String) -> String {
        let name = (prefix ?? "") + value + (suffix ?? "")
        return prefix == nil && name.first?.isNumber == true ? "_" + name : name
    }

    func validate(_ c: OutColumn) throws(ActionError) {
        guard let problem = Names.problem(c.name, .column) else { return }
        let parameter = prefix != nil ? "prefix" : suffix != nil ? "suffix" : "id"
        throw ActionError(.parameterValue, "The output column name \(Names.quote(c.name)) (prefix, the id value \(Names.quote(c.value)) and suffix) is not valid: \(problem).",
                          parameter: parameter)
    }

    func checkCount(_ n: Int, what: String) throws(ActionError) {
        guard n > Limits.maxTransposedColumns else { return }
        throw ActionError(.parameterValue, "The table has more than \(Limits.maxTransposedColumns) \(what); transpose makes one output column per value and "
                          + "makes at most \(Limits.maxTransposedColumns). Transpose by an id variable with fewer values, or narrow the rows with where.",
                          parameter: id.isEmpty ? "table" : "id")
    }

    /// SAS's message for an id value that occurs twice in a group, with the group's by-line.
    func duplicateMessage(_ value: String, byColumns: [Column], row r: Int) -> String {
        guard !byColumns.isEmpty else { return "The ID value \"\(String(value.prefix(200)))\" occurs twice in the input data set." }
        let byLine = byColumns.map { c in "\(c.name)=\(ByGroups.Value(c.data, r).formatted(numeric: c.type.isNumeric).prefix(200))" }.joined(separator: " ")
        return "The ID value \"\(String(value.prefix(200)))\" occurs twice in the same BY group (\(byLine))."
    }

    /// An id value whose column would take the name of a by-variable or of the name column is an error.
    func checkClashes(_ columns: [OutColumn], with taken: [String]) throws(ActionError) {
        let lower = Set(taken.map { $0.lowercased() })
        if let c = columns.first(where: { lower.contains($0.name.lowercased()) }) {
            throw ActionError(.parameterValue, "The id value \(Names.quote(c.value)) makes the output column \(Names.quote(c.name)), which is a by-variable "
                              + "or the name column; set prefix or suffix, or name.", parameter: prefix != nil ? "prefix" : "id")
        }
    }

    /// The output: the by-variables, the name column, then the value columns — numeric when every transposed
    /// variable is, otherwise character (numbers BEST12.-formatted), as PROC TRANSPOSE makes them.
    func assemble(_ data: DataTable, groups: [[Int]], slots: [[Int: Int]], columns: [OutColumn], byColumns: [Column], vars: [Column],
                  charge: (Int) throws(ActionError) -> Void) throws(ActionError) -> DataTable {
        let numeric = vars.allSatisfy { $0.type.isNumeric }
        let outRows = groups.count.multipliedReportingOverflow(by: vars.count)
        let cells = outRows.partialValue.multipliedReportingOverflow(by: columns.count + byColumns.count + 1)
        guard !outRows.overflow, !cells.overflow, cells.partialValue <= Int.max / 48 else {
            throw ActionError(.parameterValue, "The transposed table would have too many cells.", parameter: "transpose")
        }
        try charge(cells.partialValue * (numeric ? 8 : 24) + outRows.partialValue * 16)   // the cells, and the (group, variable) pairs
        // (group, variable) per output row, groups in order
        let pairs = groups.indices.flatMap { g in vars.indices.map { (g, $0) } }
        var out: [Column] = byColumns.map { c in
            Column(name: c.name, label: c.label, format: c.format, data: c.data.gather(pairs.map { groups[$0.0][0] }))
        }
        out.append(Column(name: nameColumn, label: "NAME OF FORMER VARIABLE", data: .varchar(pairs.map { vars[$0.1].name })))
        for j in columns.indices {
            let rows = pairs.map { slots[$0.0][j] }
            let data: ColumnData
            if numeric {
                data = .double(zip(pairs, rows).map { p, r in r.flatMap { vars[p.1].data.double(at: $0) } ?? .nan })
            } else {
                data = .varchar(zip(pairs, rows).map { p, r in r.flatMap { text(vars[p.1], $0) } })
            }
            out.append(Column(name: columns[j].name, data: data))
        }
        return DataTable(name: data.name, columns: out)
    }

    /// A cell as text: a string as it is, a number BEST12.-formatted; nil when missing.
    func text(_ c: Column, _ r: Int) -> String? {
        switch ByGroups.Value(c.data, r) {
        case .missing: nil
        case .text(let s): s
        case .number(let d): ByGroups.Value.number(d).formatted(numeric: true)
        }
    }
}
