import CASWire

/// A bound, type-checked expression compiled to closures over the table's column arrays.
///
/// Numbers are `Double` with NaN as the missing value; strings are `String` with the empty string as missing;
/// conditions are `Bool` (never missing: a missing result in boolean context is false).
enum WhereCompiled: Sendable {
    case number(@Sendable (Int) -> Double)
    case string(@Sendable (Int) -> String)
    case condition(@Sendable (Int) -> Bool)
    case binary(@Sendable (Int) -> [UInt8]?)
}

/// A compiled node plus what the binder needs to fold constants and word type errors.
struct WhereOperand: Sendable {
    var code: WhereCompiled
    /// True when the value does not depend on the row (all leaves are literals); such nodes are folded.
    var isConstant: Bool
    /// How the operand reads in an error message: "the string column 'name'", "the number 5".
    var what: String
    var position: Int

    var typeWord: String {
        switch code {
        case .number: "number"
        case .string: "string"
        case .condition: "condition"
        case .binary: "binary value"
        }
    }
}

/// SAS value semantics shared by the compiled closures.
enum WhereSemantics {
    /// SAS numeric order: a missing value (NaN) is lower than every number and equal to itself.
    @inline(__always)
    static func compare(_ a: Double, _ b: Double) -> Int {
        if a.isNaN { return b.isNaN ? 0 : -1 }
        if b.isNaN { return 1 }
        return a < b ? -1 : (a > b ? 1 : 0)
    }

    /// SAS string order: byte-wise (UTF-8), the shorter string padded with blanks, so trailing blanks never matter.
    @inline(__always)
    static func compare(_ a: String, _ b: String) -> Int {
        var ai = a.utf8.makeIterator()
        var bi = b.utf8.makeIterator()
        while true {
            switch (ai.next(), bi.next()) {
            case (nil, nil): return 0
            case let (x?, y?): if x != y { return x < y ? -1 : 1 }
            case let (x?, nil): if x != 0x20 { return x < 0x20 ? -1 : 1 }
            case let (nil, y?): if y != 0x20 { return y > 0x20 ? -1 : 1 }
            }
        }
    }

    /// A missing string is one that is empty or all blanks.
    @inline(__always)
    static func isMissing(_ s: String) -> Bool { s.utf8.allSatisfy { $0 == 0x20 } }

    /// `s` without trailing blanks (returns `s` itself, without copying, when there are none).
    static func trimTrailingBlanks(_ s: String) -> String {
        guard s.utf8.last == 0x20 else { return s }
        var bytes = Array(s.utf8)
        while bytes.last == 0x20 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `haystack` contains `needle`'s bytes (an empty needle is always contained).
    static func contains(_ haystack: String, _ needle: Needle<UInt8>) -> Bool {
        guard !needle.isEmpty else { return true }
        var h = haystack
        return h.withUTF8 { hb in needle.matches(in: hb, from: 0) { _ in false } > 0 }
    }

    /// A search text prepared for Knuth–Morris–Pratt: linear in both lengths, where the plain search is
    /// quadratic on `aaa…a` against `aaa…ab` (which a where clause can ask for). Prepare a constant
    /// needle once, not per row.
    struct Needle<Element: Equatable>: Sendable where Element: Sendable {
        let elements: [Element]
        /// fail[j]: the length of the longest proper prefix of elements[0...j] that is also its suffix.
        private let fail: [Int]

        init(_ elements: [Element]) {
            self.elements = elements
            var fail = [Int](repeating: 0, count: elements.count)
            var k = 0
            for j in elements.indices.dropFirst() {
                while k > 0 && elements[j] != elements[k] { k = fail[k - 1] }
                if elements[j] == elements[k] { k += 1 }
                fail[j] = k
            }
            self.fail = fail
        }

        var isEmpty: Bool { elements.isEmpty }

        /// Calls `found` with the position of each match in `hay` at or after `from` (matches do not
        /// overlap) until it returns false; returns how many it saw.
        func matches<C: RandomAccessCollection>(in hay: C, from: Int, found: (Int) -> Bool) -> Int where C.Element == Element, C.Index == Int {
            guard !elements.isEmpty, from >= 0, hay.count - from >= elements.count else { return 0 }
            var n = 0, k = 0
            for i in (hay.startIndex + from)..<hay.endIndex {
                while k > 0 && hay[i] != elements[k] { k = fail[k - 1] }
                if hay[i] == elements[k] { k += 1 }
                if k == elements.count {
                    n += 1
                    if !found(i - hay.startIndex - elements.count + 1) { return n }
                    k = 0
                }
            }
            return n
        }
    }

    /// Number → text for `||`: integers without a decimal point, missing as ".".
    static func text(_ d: Double) -> String { WhereFormat.number(d) }
}
