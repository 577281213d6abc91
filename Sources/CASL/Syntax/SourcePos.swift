/// A place in a script: 1-based line and column (columns count characters).
public struct SourcePos: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static let start = SourcePos(line: 1, column: 1)

    public var description: String { "line \(line), column \(column)" }

    public static func < (a: SourcePos, b: SourcePos) -> Bool { (a.line, a.column) < (b.line, b.column) }
}
