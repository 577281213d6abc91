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

/// Near-miss suggestions for unknown names ("did you mean 'Price'?"), through `NearMiss` with a
/// slightly looser cutoff (two edits even for short names: column names are often short).
enum WhereSuggestion {
    static func closest(to name: String, in candidates: [String]) -> String? {
        NearMiss.suggest(name, among: candidates, minimumAllowance: 2)
    }

    /// `"; did you mean 'x'?"` or the empty string.
    static func hint(for name: String, in candidates: [String]) -> String {
        closest(to: name, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
