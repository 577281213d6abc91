import CASWire

/// A parsed `where` expression (the `where=` parameter of a table reference), not yet tied to a table.
///
/// The language is documented in docs/where.md. Parse once, bind to each table you filter:
///
/// ```swift
/// let expr = try WhereExpression("species = 'setosa' and petal_length between 1 and 1.5")
/// let bound = try expr.bind(to: iris)
/// let rows = bound.matchingRows()          // [Int], in table order
/// let subset = iris.gather(rows)
/// ```
public struct WhereExpression: Sendable {
    /// The expression text as given.
    public let text: String
    let syntax: WhereSyntax

    /// Parses `text`; throws a ``WhereError`` with the position of the first syntax error.
    public init(_ text: String) throws(WhereError) {
        self.text = text
        self.syntax = try WhereParser.parse(text)
    }

    /// Resolves column names (case-insensitively) against `table`, checks types and compiles a filter.
    /// The expression must be a condition (or a number, true when neither missing nor zero).
    public func bind(to table: DataTable) throws(WhereError) -> BoundWhere {
        let operand = try WhereBinder(table: table).bind(syntax)
        _ = try WhereBinder.condition(operand, for: "a where expression")
        return BoundWhere(operand.code, rowCount: table.rowCount)
    }

    /// Like ``bind(to:)`` but accepts any result type, for computed values (`upcase(name) || '-' || id`).
    /// For a string result, ``BoundWhere/matches(row:)`` is true when the value is not missing (not blank).
    public func bindValue(to table: DataTable) throws(WhereError) -> BoundWhere {
        try bindValue(to: table, slots: nil)
    }

    /// Like ``bindValue(to:)``, reading the DATA step's variables and arrays from `slots` before the table's
    /// columns (a name in `slots.pending` that is neither becomes a numeric slot).
    public func bindValue(to table: DataTable, slots: WhereSlots?) throws(WhereError) -> BoundWhere {
        let operand = try WhereBinder(table: table, slots: slots).bind(syntax)
        return BoundWhere(operand.code, rowCount: table.rowCount)
    }
}

/// A `where` expression compiled against one table. Evaluation is closure calls over the column arrays;
/// nothing is parsed per row. Safe to use from several tasks at once.
public struct BoundWhere: Sendable {
    let code: WhereCompiled
    let predicate: @Sendable (Int) -> Bool
    /// Rows in the table the expression was bound to.
    public let rowCount: Int

    init(_ code: WhereCompiled, rowCount: Int) {
        self.code = code
        self.rowCount = rowCount
        switch code {
        case .condition(let c): predicate = c
        case .number(let f): predicate = { let v = f($0); return !v.isNaN && v != 0 }
        case .string(let f): predicate = { !WhereSemantics.isMissing(f($0)) }
        case .binary(let f): predicate = { !(f($0)?.isEmpty ?? true) }
        }
    }

    /// The column type a computed column holding this expression would have
    /// (`double` for numbers and conditions, `varchar` for strings, `varbinary` for binary columns).
    public var resultType: ColumnType {
        switch code {
        case .number, .condition: .double
        case .string: .varchar
        case .binary: .varbinary
        }
    }

    /// Whether row `row` satisfies the expression (a missing result counts as false).
    public func matches(row: Int) -> Bool { predicate(row) }

    /// Every matching row index, in ascending order.
    public func matchingRows() -> [Int] { matchingRows(in: 0..<rowCount) }

    /// Matching row indexes within `range`, in ascending order (lets callers split work or stop early).
    public func matchingRows(in range: Range<Int>) -> [Int] {
        let p = predicate
        var rows: [Int] = []
        for r in range where p(r) { rows.append(r) }
        return rows
    }

    /// The value at `row` as a number without boxing it (conditions give 1 or 0; NaN when missing or not a number).
    public func number(row: Int) -> Double {
        switch code {
        case .number(let f): f(row)
        case .condition(let c): c(row) ? 1 : 0
        case .string, .binary: .nan
        }
    }

    /// The value at `row` as a string without boxing it (empty when missing or not a string).
    public func text(row: Int) -> String {
        if case .string(let f) = code { return f(row) }
        return ""
    }

    /// The expression's value at `row`: `.double` for numbers (conditions give 1 or 0), `.string` for strings,
    /// `.blob` for binary values, and `.null` when missing (NaN, an empty string, or a missing blob).
    public func value(row: Int) -> Value {
        switch code {
        case .number(let f): let v = f(row); return v.isNaN ? .null : .double(v)
        case .condition(let c): return .double(c(row) ? 1 : 0)
        case .string(let f): let s = f(row); return s.isEmpty ? .null : .string(s)
        case .binary(let f): return f(row).map { .blob($0) } ?? .null
        }
    }
}
