/// The validated value of a selector union (`P.selector`): the chosen alternative's declared name
/// and its arguments, read through the alternative's typed keys.
///
/// ```swift
/// guard let step = item[Steps.step] else { … }
/// switch step.alternative {
/// case "RESIZE": .resize(width: step[Resize.width], height: step[Resize.height])
/// …
/// }
/// ```
public struct Selection: Sendable, Equatable {
    /// The declared name of the chosen alternative (matched case-insensitively, stored as declared).
    public let alternative: String
    /// The alternative's arguments: coerced, defaults filled, the selector key included.
    public let args: Args

    /// A selection of `alternative` with its validated `args`.
    public init(alternative: String, args: Args) {
        self.alternative = alternative
        self.args = args
    }

    /// The typed value of one of the alternative's parameters.
    public subscript<T>(_ p: Param<T>) -> T { args[p] }
}
