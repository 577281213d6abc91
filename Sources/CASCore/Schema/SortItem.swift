import CASWire

/// One item of a `sortBy` list (`table.fetch`, `image.fetchImages`): a column and a direction.
public enum SortItem: ParamGroup {
    /// The column.
    public static let name = P.string("name", "Column to sort by.")
    /// ASCENDING or DESCENDING.
    public static let order = P.string("order", "Sort direction.", default: "ASCENDING", allowed: ["ASCENDING", "DESCENDING"])
    /// RAW or FORMATTED (both sort raw values).
    public static let formatted = P.string("formatted", "Sort by raw or formatted value (only RAW is implemented; FORMATTED sorts raw values).",
                                           default: "RAW", allowed: ["RAW", "FORMATTED"])
    /// The fields of one sort key.
    public static let parameters = [name.spec, order.spec, formatted.spec]

    /// The sort keys of a validated `sortBy` list over `data`; `parameter` names the list in errors.
    public static func keys(_ items: [Args], in data: DataTable, parameter: String = "sortBy") throws(ActionError) -> [SortKey] {
        var keys: [SortKey] = []
        for (i, item) in items.enumerated() {
            guard let c = data.columnIndex(item[name]) else {
                throw ActionError.missingColumn(item[name], in: data, parameter: "\(parameter)[\(i + 1)].name")
            }
            keys.append(SortKey(column: c, descending: item[order] == "DESCENDING"))
        }
        return keys
    }
}

extension P {
    /// A `sortBy` list: sort keys applied in order (read them with `SortItem.keys`).
    public static func sortBy(_ name: String = "sortBy", _ description: String = "Sort keys, applied in order.") -> Param<[Args]> {
        groupList(name, description, SortItem.self)
    }
}
