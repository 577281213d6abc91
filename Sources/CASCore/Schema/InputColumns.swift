import CASWire

/// The columns an `inputs` parameter (`P.columns`) names in a table: the named ones, in order, or every
/// column matching `defaultFilter` when none are named. Used by the simple and percentile actions.
public enum InputColumns {
    /// Resolves `names` in `t`. A name that is not a column, or a column `require` objects to (it
    /// returns the message), is an error on `inputs[k]`.
    public static func resolve(_ names: [String], in t: DataTable, defaultFilter: (Column) -> Bool,
                               require: ((Column) -> String?)? = nil) throws(ActionError) -> [Column] {
        if names.isEmpty { return t.columns.filter(defaultFilter) }
        var cols: [Column] = []
        for (i, n) in names.enumerated() {
            guard let c = t.column(n) else { throw ActionError.missingColumn(n, in: t, parameter: "inputs[\(i + 1)]") }
            if let problem = require?(c) { throw ActionError(.parameterValue, problem, parameter: "inputs[\(i + 1)]") }
            cols.append(c)
        }
        return cols
    }
}
