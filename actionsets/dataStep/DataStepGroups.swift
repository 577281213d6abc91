import CASCore
import CASWire

/// BY with SET: the rows in BY-group order and the FIRST. / LAST. flags.
///
/// CAS's DATA step groups the rows by the BY variables itself ("the data does not need to be sorted"):
/// caslite does the same — the rows are ordered by the BY values (ascending, or descending for a
/// DESCENDING variable; a missing value lowest, as SAS sorts), keeping their order within a group.
/// `by … notsorted;` takes the rows as they come and starts a group wherever a value changes.
enum DataStepGroups {
    static func ordered(_ t: DataTable, _ p: DataStepProgram) throws(ActionError) -> DataTable {
        for b in p.by where t.column(b.name) == nil {
            throw ActionError(.parameterValue, "code: the BY variable \(Names.quote(b.name)) is not in the tables read (columns: \(t.columns.map(\.name).prefix(20).joined(separator: ", "))).",
                              parameter: "code")
        }
        guard !p.by.isEmpty, !p.merge, !p.notSorted else { return t }   // MERGE's rows are already in key order
        let groups = try ByGroups(t, by: p.by.map(\.name), parameter: "code (BY)")
        let descending = p.by.map(\.descending)
        let order = groups.keys.indices.sorted { a, b in
            for (j, (x, y)) in zip(groups.keys[a], groups.keys[b]).enumerated() where x != y { return descending[j] ? y < x : x < y }
            return false
        }
        return t.gather(order.flatMap { groups.rows[$0] })
    }

    /// Sets FIRST.g (the row starts a group of g or of a BY variable before it) and LAST.g (it ends one).
    static func flags(_ by: [ColumnData], rows: Int, row: Int, firsts: [Int], lasts: [Int], slots: WhereSlots) {
        guard !by.isEmpty else { return }
        var newGroup = row == 0, endsGroup = row == rows - 1
        for (j, data) in by.enumerated() {
            let here = ByGroups.Value(data, row)
            if !newGroup && ByGroups.Value(data, row - 1) != here { newGroup = true }
            if !endsGroup && ByGroups.Value(data, row + 1) != here { endsGroup = true }
            slots.numbers[firsts[j]] = newGroup ? 1 : 0
            slots.numbers[lasts[j]] = endsGroup ? 1 : 0
        }
    }
}
