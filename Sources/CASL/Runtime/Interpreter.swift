import CASCore
import CASWire

/// Runs a parsed script against a host. One interpreter runs one script at a time; it is not
/// shared between tasks.
///
/// ```swift
/// let interp = Interpreter(host: host)
/// interp.set("n", 3)
/// let sent = try await interp.run(try Parser.parse(code))   // what send_response sent
/// ```
public final class Interpreter {
    let host: any CASLHost
    public let limits: InterpreterLimits
    /// Variable frames: index 0 holds globals; each user-function call pushes one (functions see only their own).
    var frames: [[String: Value]] = [[:]]
    /// Bytes of each variable's value (`ValueSize.bytes`), parallel to `frames`.
    var frameBytes: [[String: Int]] = [[:]]
    /// Bytes of all live variables together, checked against `limits.maxValueBytes`.
    public internal(set) var liveBytes = 0
    var functions: [String: FunctionDef] = [:]
    public private(set) var steps = 0
    var callDepth = 0
    /// What `send_response` sent, merged in call order.
    public private(set) var response = ValueDict()

    public init(host: any CASLHost, limits: InterpreterLimits = InterpreterLimits()) {
        self.host = host
        self.limits = limits
    }

    /// Presets a global variable (`runCasl vars=`, action parameters).
    public func set(_ name: String, _ value: Value) {
        let key = name.lowercased(), size = ValueSize.bytes(value, cap: Int.max / 2)
        liveBytes += size - (frameBytes[0][key] ?? 0)
        frameBytes[0][key] = size
        frames[0][key] = value
    }

    /// A global variable's value, if set.
    public func value(of name: String) -> Value? { frames[0][name.lowercased()] }

    /// Runs the script to its end (or `exit;`); returns what `send_response` sent.
    @discardableResult
    public func run(_ program: Program) async throws(CASLError) -> ValueDict {
        for case .function(let f) in program.statements { try define(f) }
        do {
            _ = try await exec(program.statements)
        } catch where error.kind == .exit {
            return response
        }
        return response
    }

    /// Counts one step and honours cancellation; called for every statement and loop iteration.
    func tick(_ pos: SourcePos) throws(CASLError) {
        steps += 1
        if steps > limits.maxSteps {
            throw CASLError(.limit, "the script ran more than \(limits.maxSteps) steps; is a loop endless?", at: pos)
        }
        if host.isCancelled { throw CASLError(.cancelled, "the script was cancelled", at: pos) }
    }

    /// `tick`, and now and then a yield: a long script must not hold one of the few cooperative threads.
    func step(_ pos: SourcePos) async throws(CASLError) {
        try tick(pos)
        if steps % 4096 == 0 { await Task.yield() }
    }

    // MARK: variables

    func lookup(_ name: String, at pos: SourcePos) throws(CASLError) -> Value {
        if let v = frames[frames.count - 1][name.lowercased()] { return v }
        var msg = "unknown variable '\(name)'"
        if let near = NearMiss.suggest(name, among: Array(frames[frames.count - 1].keys)) { msg += "; did you mean '\(near)'?" }
        throw .runtime(msg, at: pos)
    }

    /// Sets a variable of the current frame, refusing it when all live values would pass `maxValueBytes`.
    /// `delta` (path assignments): the change in the variable's size when it is known without measuring
    /// the whole container again.
    func assign(_ name: String, _ value: Value, at pos: SourcePos, delta: Int? = nil) throws(CASLError) {
        let key = name.lowercased(), top = frames.count - 1
        let old = frameBytes[top][key] ?? 0
        let room = limits.maxValueBytes - (liveBytes - old)
        let size = delta.map { old + $0 } ?? ValueSize.bytes(value, cap: room)
        guard size <= room else {
            throw CASLError(.limit, "CASL: a value would exceed \(limits.maxValueBytes) bytes: '\(name)' would make the script's live values (strings, lists, dictionaries, tables) larger than the limit maxValueBytes", at: pos)
        }
        liveBytes += size - old
        frameBytes[top][key] = size
        frames[top][key] = value
    }

    func existing(_ name: String) -> Value? { frames[frames.count - 1][name.lowercased()] }

    /// Takes a variable's value out of its frame (its size stays booked) so that it can change without being
    /// copied; `assign` or `restoreVariable` puts it back.
    func takeVariable(_ name: String) -> Value? { frames[frames.count - 1].removeValue(forKey: name.lowercased()) }

    func restoreVariable(_ name: String, _ value: Value?) {
        if let value { frames[frames.count - 1][name.lowercased()] = value }
    }

    /// Whether the variable `name` may grow by `bytes` and keep the script's live values within maxValueBytes.
    func canGrow(_ name: String, by bytes: Int) -> Bool {
        let top = frames.count - 1, old = frameBytes[top][name.lowercased()] ?? 0
        return old + bytes <= limits.maxValueBytes - (liveBytes - old)
    }

    /// Refuses values nested deeper or larger than the limits allow (`extraDepth` levels above them).
    func checkSize(_ v: Value, extraDepth: Int = 0, at pos: SourcePos) throws(CASLError) {
        switch v {
        case .list, .dict:
            guard ValueSize.fits(v, depth: limits.maxNesting - extraDepth, elements: limits.maxElements) else {
                throw CASLError(.limit, "value too large: lists and dictionaries may nest \(limits.maxNesting) levels and hold \(limits.maxElements) elements", at: pos)
            }
        default: return
        }
    }

    func sendResponse(_ d: ValueDict) {
        for (k, v) in d { response[k] = v }
    }
}
