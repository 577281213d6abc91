import CASWire

/// What a running script needs from its surroundings: action calls, output and table storage.
/// The server implements it over an `ActionContext` (`ContextHost`); tests use stubs.
public protocol CASLHost: Sendable {
    /// Runs an action (`set.name`, or a bare name among the loaded sets) and returns its response.
    func callAction(_ name: String, _ params: ValueDict) async -> Response
    /// One line of `print`/`describe` output.
    func output(_ line: String)
    /// Stores `table` as a session table; returns the caslib it landed in. Throws with a readable message.
    func saveTable(_ table: DataTable, name: String, caslib: String?, replace: Bool) async throws -> String
    /// True once the client asked the script to stop.
    var isCancelled: Bool { get }
}

/// Resource limits of one script run: scripts cannot hang the server or exhaust its memory. The one
/// place their defaults live (docs/casl.md §Limits; a server may set other values per run).
public struct InterpreterLimits: Sendable {
    /// Statements executed plus loop iterations.
    public var maxSteps = 10_000_000
    /// Nested user-function calls.
    public var maxCallDepth = 200
    /// Nesting of lists and dictionaries a script may build.
    public var maxNesting = 64
    /// Elements (counted through nesting) of one list or dictionary a script builds.
    public var maxElements = 1_000_000
    /// Characters of one string a script builds.
    public var maxStringLength = 16 << 20
    /// Bytes of all live values together: every variable of every active frame (strings by their UTF-8
    /// length, lists and dictionaries by their elements and keys, tables by their cells, 16 bytes of
    /// overhead per value). A string doubled 23 times into a 400-item list passes it.
    public var maxValueBytes = 256 << 20
    /// Characters one `print` or `describe` produces before it is cut short.
    public var maxOutput = 200_000

    public init() {}

    /// Small limits for fuzzing and tests.
    public static func small(steps: Int) -> InterpreterLimits {
        var l = InterpreterLimits()
        l.maxSteps = steps
        l.maxCallDepth = 50
        l.maxElements = 100_000
        l.maxStringLength = 1 << 20
        l.maxValueBytes = 16 << 20
        l.maxOutput = 20_000
        return l
    }
}
