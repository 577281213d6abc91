import CASCore
import CASWire

/// The `inputs` parameter of the simple and percentile actions (`P.columns`): the named columns of
/// `t`, or all columns matching `defaultFilter` when none are named.
enum InputColumns {
    static func resolve(_ names: [String], in t: DataTable, defaultFilter: (Column) -> Bool,
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
