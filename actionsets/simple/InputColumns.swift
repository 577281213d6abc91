import CASCore
import CASWire

/// The `inputs` parameter of the simple and percentile actions: a list of names (or `{name=…}`
/// dictionaries); all columns matching `defaultFilter` when omitted.
enum InputColumns {
    static func resolve(_ value: Value, in t: DataTable, defaultFilter: (Column) -> Bool,
                        require: ((Column) -> String?)? = nil) throws(ActionError) -> [Column] {
        var names: [String] = []
        for (i, item) in (value.listValue ?? value.stringValue.map { [.string($0)] } ?? []).enumerated() {
            guard let n = item.stringValue ?? item["name"].stringValue else {
                throw ActionError(.parameterType, "Parameter 'inputs[\(i + 1)]' must be a column name or {name=…}, not \(item.typeName).", parameter: "inputs[\(i + 1)]")
            }
            names.append(n)
        }
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
