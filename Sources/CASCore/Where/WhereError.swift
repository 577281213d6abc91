/// A syntax, name or type error in a `where` expression.
///
/// `position` is the 0-based character offset in the expression text where the problem was found;
/// `message` says what was wrong and what was expected there.
///
/// ```swift
/// do { _ = try WhereExpression("x >") } catch { print(error) }
/// // expected an operand (number, string, column or '(') but found end of expression at position 3
/// ```
public struct WhereError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What was wrong and what was expected.
    public var message: String
    /// 0-based character offset into the expression text.
    public var position: Int

    /// An error at `position` (0-based character offset).
    public init(message: String, position: Int) {
        self.message = message
        self.position = position
    }

    /// `"<message> at position <n>"`.
    public var description: String { "\(message) at position \(position)" }
}

/// Near-miss suggestions for unknown names ("did you mean 'Price'?").
enum WhereSuggestion {
    /// The candidate closest to `name` by case-insensitive edit distance, if it is close enough to be a likely typo.
    static func closest(to name: String, in candidates: [String]) -> String? {
        let target = Array(name.lowercased().unicodeScalars)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let d = editDistance(target, Array(candidate.lowercased().unicodeScalars))
            if d < (best?.distance ?? .max) { best = (candidate, d) }
        }
        guard let best else { return nil }
        let limit = max(2, target.count / 3)
        return best.distance <= limit ? best.name : nil
    }

    /// `" (did you mean 'x'?)"` or the empty string.
    static func hint(for name: String, in candidates: [String]) -> String {
        closest(to: name, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit (optimal string alignment).
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    cur[j] = min(cur[j], prev2[j - 2] + 1)
                }
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }
}
