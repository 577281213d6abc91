/// Everything that can go wrong in a script. Every error carries the position it refers to.
///
/// ```
/// line 3, column 12: expected ';' after the print statement, found 'x'
/// ```
public struct CASLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The text is not valid CASL (lexer or parser).
        case syntax
        /// The script ran into an error (unknown variable, bad index, type error, failed action).
        case runtime
        /// A resource limit: step budget, recursion depth, value size.
        case limit
        /// The client cancelled the running script.
        case cancelled
        /// `exit;` inside a function unwinds with this; `Interpreter.run` turns it into a normal end.
        case exit
    }

    public var kind: Kind
    public var message: String
    public var pos: SourcePos

    public init(_ kind: Kind, _ message: String, at pos: SourcePos) {
        self.kind = kind
        self.message = message
        self.pos = pos
    }

    public static func syntax(_ message: String, at pos: SourcePos) -> CASLError { CASLError(.syntax, message, at: pos) }
    public static func runtime(_ message: String, at pos: SourcePos) -> CASLError { CASLError(.runtime, message, at: pos) }

    public var description: String { "\(pos): \(message)" }
}
