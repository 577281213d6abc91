import CASCore
import CASWire

/// Runs a script inside a running action: action calls are nested calls in the same session
/// (same registry, loaded sets and cancellation), output becomes NOTE lines, `saveresult`
/// stores session tables.
public struct ContextHost: CASLHost {
    public let ctx: ActionContext
    /// Deepest chain of nested calls (a user-defined action calling itself) before calls are refused.
    public static let maxNesting = 32

    public init(_ ctx: ActionContext) { self.ctx = ctx }

    public func callAction(_ name: String, _ params: ValueDict) async -> Response {
        var depth = 0
        var c: ActionContext? = ctx
        while let p = c { depth += 1; c = p.parent }
        guard depth < Self.maxNesting else {
            let msg = "\(name): actions are nested more than \(Self.maxNesting) calls deep (a user-defined action calling itself?)."
            ctx.log(.error, msg)
            return Response(disposition: Disposition(severity: .error, reason: "abort", statusCode: ActionError.Code.badInput.rawValue, formattedStatus: msg),
                            logs: [LogLine(.error, msg)])
        }
        return await ctx.call(name, params)
    }

    public func output(_ line: String) { ctx.note(line) }

    public func saveTable(_ table: DataTable, name: String, caslib: String?, replace: Bool) async throws -> String {
        let stored = try await ctx.store(table, out: OutTableRef(name: name, caslib: caslib, replace: replace), defaultName: name)
        return stored.caslib
    }

    public var isCancelled: Bool { ctx.isCancelled }
}
