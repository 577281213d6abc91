/// One item of a column list: a column name, or `{name=…}` (CAS's `casinvardesc`). A plain name
/// fills `name`, as any scalar fills a parameter list's first parameter.
public enum ColumnItem: ParamGroup {
    /// The column's name.
    public static let name = P.string("name", "Column name.")
    /// The other `casinvardesc` fields: accepted so CAS clients' requests pass, not used.
    static let ignored = ["label", "format", "formattedLength", "nfl", "nfd"].map {
        P.value($0, "Accepted for CAS compatibility; ignored.").hidden().spec
    }
    /// `name`, then the ignored fields (hidden from help and docs).
    public static let parameters = [name.spec] + ignored
}

extension P {
    /// A column list: names or `{name=…}` items (a single name stands for a one-item list); reads
    /// as the names, in the order given (empty when omitted).
    public static func columns(_ name: String, _ description: String, required: Bool = false) -> Param<[String]> {
        groupList(name, description, ColumnItem.self, required: required)
            .with { $0.isColumnList = true }
            .map { items in items.map { Names.unliteral($0[ColumnItem.name]) } }   // swat sends "my var"n for names with blanks
    }
}
