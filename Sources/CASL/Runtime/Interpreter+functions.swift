import CASCore
import CASWire

extension Interpreter {
    /// Registers a user function; built-in names cannot be redefined.
    func define(_ f: FunctionDef) throws(CASLError) {
        let key = f.name.lowercased()
        if Library.functions[key] != nil || key == "send_response" {
            throw .runtime("'\(f.name)' is a built-in function and cannot be redefined", at: f.pos)
        }
        functions[key] = f
    }

    /// Calls `send_response`, a built-in, or a user function (own variable frame, depth-limited).
    func call(_ name: String, _ argExprs: [Expr], at pos: SourcePos) async throws(CASLError) -> Value {
        var args: [Value] = []
        for a in argExprs { args.append(try await eval(a)) }
        let key = name.lowercased()
        if key == "send_response" {
            guard args.count == 1, case .dict(let d) = args[0] else {
                throw .runtime("send_response needs one dictionary, e.g. send_response({x=1})", at: pos)
            }
            sendResponse(d)
            return .null
        }
        if let builtin = Library.functions[key] { return try builtin(args, pos) }
        guard let f = functions[key] else {
            var msg = "unknown function '\(name)'"
            if let near = NearMiss.suggest(name, among: Array(functions.keys) + Array(Library.functions.keys)) { msg += "; did you mean '\(near)'?" }
            throw .runtime(msg, at: pos)
        }
        guard args.count == f.parameters.count else {
            throw .runtime("function \(f.name) takes \(f.parameters.count) argument\(f.parameters.count == 1 ? "" : "s"), got \(args.count)", at: pos)
        }
        guard callDepth < limits.maxCallDepth else {
            throw CASLError(.limit, "functions nested more than \(limits.maxCallDepth) calls deep (endless recursion?)", at: pos)
        }
        frames.append([:])
        frameBytes.append([:])
        callDepth += 1
        defer {
            liveBytes -= frameBytes.removeLast().values.reduce(0, +)
            frames.removeLast()
            callDepth -= 1
        }
        for (p, v) in zip(f.parameters, args) { try assign(p, v, at: pos) }
        if case .returned(let v) = try await exec(f.body) { return v }
        return .null
    }
}
