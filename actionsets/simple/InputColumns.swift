import CASCore
import CASWire

/// The `inputs` parameter of the simple and percentile actions: a list of names (or `{name=…}`
/// dictionaries); all columns matching `defaultFilter` when omitted.
enum InputColumns {
    static func resolve(_ value: Value, in t: DataTable, defaultFilter: (Column) -> Bool,
                        require: ((Column) -> String?)? = nil) throws(ActionError) -> [Column] {
        let names = value.listValue?.compactMap { $0.stringValue ?? $0["name"].stringValue } ?? value.stringValue.map { [$0] } ?? []
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
