/// The parsed form of a `where` expression: a tree of nodes, each with the character position it starts at
/// (or, for operators, the position of the operator) so that binding errors can point into the text.
struct WhereSyntax: Sendable {
    enum ArithmeticOp: String, Sendable { case add = "+", subtract = "-", multiply = "*", divide = "/", power = "**" }
    enum LogicalOp: String, Sendable { case and, or }
    enum CompareOp: String, Sendable {
        case eq = "=", ne = "^=", lt = "<", le = "<=", gt = ">", ge = ">="

        /// Which comparison results (-1, 0, 1) make the test true.
        func holds(_ order: Int) -> Bool {
            switch self {
            case .eq: order == 0
            case .ne: order != 0
            case .lt: order < 0
            case .le: order <= 0
            case .gt: order > 0
            case .ge: order >= 0
            }
        }
    }

    /// A constant in an `in (...)` list.
    enum ListItem: Sendable {
        case number(Double)  // NaN = the missing value `.`
        case string(String)
        case range(Double, Double)  // `1:5`, integers inclusive
    }

    indirect enum Kind: Sendable {
        case number(Double)
        case missing
        case string(String)
        case column(String)
        case negate(WhereSyntax)
        case not(WhereSyntax)
        case arithmetic(ArithmeticOp, WhereSyntax, WhereSyntax)
        case concat(WhereSyntax, WhereSyntax)
        case logical(LogicalOp, WhereSyntax, WhereSyntax)
        case compare(CompareOp, WhereSyntax, WhereSyntax)
        case inList(WhereSyntax, [(item: ListItem, position: Int)], negated: Bool)
        case between(WhereSyntax, low: WhereSyntax, high: WhereSyntax, negated: Bool)
        case contains(WhereSyntax, WhereSyntax, negated: Bool)
        case like(WhereSyntax, pattern: String, negated: Bool)
        case isMissing(WhereSyntax, negated: Bool)
        case call(String, [WhereSyntax])
        /// `a{i}` or `a[i]`: an element of a DATA step array (``WhereSlots``).
        case element(String, WhereSyntax)
    }

    var kind: Kind
    var position: Int
    /// Levels of nodes from here to the deepest leaf (a leaf is 1). Binding, evaluating and freeing a tree
    /// recurse once per level, so the parser refuses trees taller than ``WhereParser/maxHeight``.
    let height: Int

    init(_ kind: Kind, at position: Int) {
        self.kind = kind
        self.position = position
        self.height = 1 + (kind.children.map(\.height).max() ?? 0)
    }
}

extension WhereSyntax.Kind {
    /// The sub-expressions of a node.
    var children: [WhereSyntax] {
        switch self {
        case .number, .missing, .string, .column: []
        case .negate(let a), .not(let a): [a]
        case .arithmetic(_, let a, let b), .concat(let a, let b), .logical(_, let a, let b), .compare(_, let a, let b): [a, b]
        case .inList(let a, _, _), .like(let a, _, _), .isMissing(let a, _): [a]
        case .between(let a, let low, let high, _): [a, low, high]
        case .contains(let a, let b, _): [a, b]
        case .call(_, let args): args
        case .element(_, let index): [index]
        }
    }
}
