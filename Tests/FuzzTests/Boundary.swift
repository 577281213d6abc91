import CASWire

/// Values at the edges: every number a client sends may be 2^63−1, every name may point elsewhere.
enum Boundary {
    static let numbers: [Value] = [.int(.max), .int(.min), -1, 0, .int(1 << 31), .int(1 << 32), .int((1 << 53) + 1), 1e300, -1e300, 0.5]
    static let strings: [Value] = ["", .string(String(repeating: "x", count: 100_000)), "..", "../../../../etc/passwd", "a/b", "a\u{0}b",
                                   "'\"\\;", "/", ".caslite.sqlite", "CASUSER(someoneelse)", "1e400", "   "]
    static let lists: [Value] = [[], .list(Array(repeating: 1, count: 10_000)), deep(40), [.int(.max)], [""]]
    static let dicts: [Value] = [[:], ["unknown": 1], "scalar", deep(40)]
    static let crossType: [Value] = [.int(.max), "", [], [:], true]

    static func deep(_ n: Int) -> Value {
        var v: Value = 1
        for i in 0..<n { v = i % 2 == 0 ? .list([v]) : .dict(ValueDict([("a", v)])) }
        return v
    }

    /// The values tried on a parameter of this shape: all of them (`thorough`), or a fixed sample
    /// that always includes the sharpest ones.
    static func values(for shape: ParamNode.Shape, thorough: Bool) -> [Value] {
        let all: [Value]
        let sharp: [Value]
        switch shape {
        case .int, .double:
            all = numbers + crossType
            sharp = [.int(.max), .int(.min), -1, 0, .int(1 << 32), 1e300]
        case .string:
            all = strings + crossType
            sharp = ["", .string(String(repeating: "x", count: 100_000)), "..", "../../../../etc/passwd", "a\u{0}b", "a/b"]
        case .bool:
            all = ["maybe", 2, .int(.max)] + crossType
            sharp = ["maybe", .int(.max)]
        case .list:
            all = lists + crossType + Array(numbers.prefix(3))
            sharp = [[], .list(Array(repeating: 1, count: 10_000)), deep(40), [.int(.max)]]
        case .dict, .selector:
            all = dicts + crossType
            sharp = [[:], deep(40), "scalar"]
        case .blob, .value:
            all = Array(strings.prefix(4)) + Array(numbers.prefix(4)) + Array(lists.prefix(3)) + Array(dicts.prefix(2))
            sharp = [.int(.max), "", .list(Array(repeating: 1, count: 10_000)), deep(40)]
        }
        return thorough ? all : sharp
    }
}
