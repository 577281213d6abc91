import CASWire

/// Variables an expression reads besides a table's columns: the DATA step's program data vector
/// (`dataStep.runCode`, docs/datastep.md), with its arrays. An expression bound with slots
/// (``WhereExpression/bindValue(to:slots:)``) reads a slot's current value each time it is evaluated,
/// so one bound program runs row after row while the step changes the values.
///
/// Not thread-safe: one DATA step run owns its slots and evaluates its expressions on one thread.
/// `@unchecked Sendable` because the compiled closures, which are `@Sendable`, capture it; nothing
/// else shares it.
public final class WhereSlots: @unchecked Sendable {
    /// A slot holds a number (NaN is missing) or a string (empty or blank is missing).
    public enum Kind: Sendable { case number, string }

    /// The variables, in the order they were made, and their kinds.
    public private(set) var names: [String] = []
    public private(set) var kinds: [Kind] = []
    /// The current values, by slot (a number slot's string and a string slot's number are unused).
    public var numbers: [Double] = []
    public var strings: [String] = []
    /// Names a program assigns somewhere (lower-cased): read before a statement makes them, they become
    /// numeric slots, as SAS makes a variable it first sees in an expression numeric.
    public var pending: Set<String> = []
    /// The first error an evaluation met (an array subscript out of range). Expressions cannot throw;
    /// whoever evaluates checks this afterwards.
    public var fault: String?
    private var index: [String: Int] = [:]
    private var arrays: [String: (name: String, slots: [Int])] = [:]

    public init() {}

    /// The slot of `name` (case-insensitive).
    public func slot(_ name: String) -> Int? { index[name.lowercased()] }

    /// Adds a variable (missing at first) and returns its slot; an existing name keeps its slot.
    @discardableResult
    public func add(_ name: String, _ kind: Kind) -> Int {
        if let k = slot(name) { return k }
        index[name.lowercased()] = names.count
        names.append(name)
        kinds.append(kind)
        numbers.append(.nan)
        strings.append("")
        return names.count - 1
    }

    /// Declares an array over slots of one kind (`array a{3} x y z;`).
    public func addArray(_ name: String, _ slots: [Int]) { arrays[name.lowercased()] = (name, slots) }

    /// The slots of the array `name` (case-insensitive).
    public func array(_ name: String) -> [Int]? { arrays[name.lowercased()]?.slots }

    /// The value of slot `k` as a result cell (`.null` when missing).
    public func value(_ k: Int) -> Value {
        switch kinds[k] {
        case .number: numbers[k].isNaN ? .null : .double(numbers[k])
        case .string: text(k).map { .string($0) } ?? .null
        }
    }

    /// A string slot's value, nil when missing (empty or blank).
    public func text(_ k: Int) -> String? { WhereSemantics.isMissing(strings[k]) ? nil : strings[k] }

    /// Slot `k` made missing.
    public func clear(_ k: Int) {
        switch kinds[k] {
        case .number: numbers[k] = .nan
        case .string: strings[k] = ""
        }
    }

    /// The element `subscript` (1-based) of `array`, or nil after recording the SAS error when it is outside
    /// 1…dim or not a whole number.
    public func element(_ array: String, _ slots: [Int], _ sub: Double) -> Int? {
        guard sub.isFinite, sub == sub.rounded(.towardZero), sub >= 1, sub <= Double(slots.count) else {
            if fault == nil {
                fault = "Array subscript out of range: \(array){\(WhereFormat.number(sub))} (the array \(array) has \(slots.count) elements, 1 to \(slots.count))"
            }
            return nil
        }
        return slots[Int(sub) - 1]   // checked against the array's size above
    }
}

extension WhereBinder {
    /// A slot's value, read when the expression is evaluated.
    static func read(_ slots: WhereSlots, _ k: Int, _ name: String, at position: Int) -> WhereOperand {
        let code: WhereCompiled = slots.kinds[k] == .number ? .number { _ in slots.numbers[k] } : .string { _ in slots.strings[k] }
        return WhereOperand(code: code, isConstant: false, what: "the variable '\(name)'", position: position)
    }

    /// `a{i}`: the element the sub names when evaluated (a missing value after recording the error
    /// when it is out of range).
    static func element(_ slots: WhereSlots, _ name: String, _ elements: [Int], _ sub: WhereOperand, at position: Int) throws(WhereError) -> WhereOperand {
        let i = try number(sub, for: "the subscript of the array \(name)")
        let code: WhereCompiled = slots.kinds[elements[0]] == .number
            ? .number { row in slots.element(name, elements, i(row)).map { slots.numbers[$0] } ?? .nan }
            : .string { row in slots.element(name, elements, i(row)).map { slots.strings[$0] } ?? "" }
        return WhereOperand(code: code, isConstant: false, what: "an element of the array '\(name)'", position: position)
    }
}
