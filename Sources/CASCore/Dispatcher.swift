import Foundation
import CASWire
import Logging

/// Runs one action call for a session and turns every outcome into a `Response` — the single
/// place where errors become dispositions. Shared by every front end.
public struct Dispatcher: Sendable {
    public let server: ServerContext

    public init(server: ServerContext) { self.server = server }

    /// Calls `action` with `params` in `session` on behalf of `call` (its connection and request id).
    /// Log and progress frames go to `emit` as they happen.
    ///
    /// The call is registered with the session before it waits for its turn, so a cancel frame or the
    /// session's end reaches it while queued. Cancelling the calling task (the client disconnected, the
    /// server is stopping) cancels the call too: the action sees it at its next `checkCancellation()`.
    public func call(session: Session, call: CallID, action: String, params: ValueDict,
                     emit: @escaping @Sendable (ServerFrame) -> Void) async -> Response {
        let t0 = ServerClock.monotonic
        let cpu0 = ServerClock.cpu
        var logger = server.logger
        logger[metadataKey: "session"] = "\(session.id)"
        logger[metadataKey: "action"] = "\(action)"
        logger[metadataKey: "request"] = "\(call)"
        logger[metadataKey: "user"] = "\(session.user)"

        let entry: ActionEntry
        let args: Args
        var resolved: ActionEntry?
        do {
            try await checkUserStillExists(session)
            entry = try await server.resolve(action, loaded: await session.loadedSets)
            resolved = entry
            let given = Self.withoutClientOptions(params)
            args = entry.action.acceptsAnyParameters ? Args(given) : Args(try Validator.validate(given, entry.action.parameters))
        } catch {
            // a parameter error names the action as the registry spells it (swat sends names lower-cased)
            let lines = errorLines(error, action: resolved?.fullName ?? action)
            for l in lines { emit(.log(id: call.request, l)) }
            return done(finish(Response(disposition: disposition(error), logs: lines), t0, cpu0), action: "(unresolved)", logger: logger)
        }

        let level = LogLevel(rawValue: await session.logLevel.uppercased()) ?? .note
        let ctx = ActionContext(entry: entry, requestId: call.request, session: session, server: server, streamLevel: level, emit: emit)
        ctx.publish(.started)
        var response = await withTaskCancellationHandler {
            guard await session.enqueue(call, ctx) else { return cancelledBeforeItsTurn(ctx) }
            let r = await execute(entry, args, ctx, logger: logger)
            await session.finish(call)  // in order: the next call of this session starts after this one left
            return r
        } onCancel: {
            ctx.cancel()
            Task { await session.withdraw(call) }  // after ctx.cancel(): enqueue sees one or the other
        }
        response = finish(response, t0, cpu0)
        ctx.publish(.ended(response.disposition.severity))
        response.results = Self.withTableAttributes(response.results, entry)
        await session.record(action: entry.fullName, parameters: HistoryEntry.text(Self.withoutClientOptions(params)), severity: response.disposition.severity,
                             elapsed: response.performance.elapsedTime)
        if await session.metrics {
            for m in Self.metricLines(entry.fullName, response.performance) { ctx.note(m); response.logs.append(LogLine(.note, m)) }
        }
        return done(response, action: entry.fullName, logger: logger)
    }

    /// Counts a finished call for `/metrics` and writes its log line (severity and elapsed seconds).
    func done(_ response: Response, action: String, logger: Logger) -> Response {
        let elapsed = response.performance.elapsedTime
        server.metrics.record(action: action, severity: response.disposition.severity.rawValue, seconds: elapsed)
        logger.log(level: server.callLogLevel, "done",
                   metadata: ["severity": "\(response.disposition.severity.rawValue)", "elapsed": "\(elapsed)"])
        return response
    }

    /// Runs an action from inside another running action of the same session (CASL scripts,
    /// user-defined actions): no session lock (the caller holds it), the caller's cancellation,
    /// and log/progress frames streamed under the caller's request id.
    public func callNested(_ action: String, params: ValueDict, parent: ActionContext) async -> Response {
        let t0 = ServerClock.monotonic
        let cpu0 = ServerClock.cpu
        let entry: ActionEntry
        let args: Args
        do {
            entry = try await server.resolve(action, loaded: await parent.session.loadedSets)
            let given = Self.withoutClientOptions(params)
            args = entry.action.acceptsAnyParameters ? Args(given) : Args(try Validator.validate(given, entry.action.parameters))
        } catch {
            // Streamed under the caller's id but not recorded in the caller's log: a script that
            // checks `status=` has handled the failure, so it must not turn the caller's result into a warning.
            let lines = errorLines(error, action: action)
            for l in lines where l.level >= parent.streamLevel { parent.emit(.log(id: parent.requestId, l)) }
            return finish(Response(disposition: disposition(error), logs: lines), t0, cpu0)
        }
        let ctx = ActionContext(entry: entry, requestId: parent.requestId, session: parent.session, server: server, parent: parent,
                                streamLevel: parent.streamLevel, emit: parent.emit)
        return finish(await execute(entry, args, ctx, logger: server.logger), t0, cpu0)
    }

    /// The response of a call cancelled while it waited for the session.
    func cancelledBeforeItsTurn(_ ctx: ActionContext) -> Response {
        for l in errorLines(ActionError.cancelled, action: ctx.actionName) { ctx.log(l.level, l.message) }
        return Response(disposition: disposition(ActionError.cancelled), logs: ctx.logs)
    }

    /// Runs a resolved, validated call and turns its outcome into a response.
    func execute(_ entry: ActionEntry, _ args: Args, _ ctx: ActionContext, logger: Logger) async -> Response {
        defer { ctx.releaseReservations() }
        var response: Response
        do {
            try ctx.checkCancellation()
            logger.debug("start")
            let results = try await entry.action.run(args, ctx)
            let severity: Severity = ctx.logs.contains { $0.level >= .warning } ? .warning : .normal
            response = Response(disposition: Disposition(severity: severity), results: results, logs: ctx.logs)
        } catch {
            // Swift's own cancellation (Task.checkCancellation, a cancelled task group) is the client's cancel too
            let cancelled = error is CancellationError && ctx.isCancelled
            if !(error is ActionError) && !cancelled { logger.error("\(error)") }
            var e = error as? ActionError ?? (cancelled ? .cancelled : ActionError(.internalError, "Internal error in \(entry.fullName): \(error)"))
            // errors show caslib-relative paths only, whatever produced them
            let redaction = await ctx.pathRedaction()
            e.message = redaction.redact(e.message)
            e.details = e.details.map(redaction.redact)
            for l in errorLines(e, action: entry.fullName) { ctx.log(l.level, l.message) }
            response = Response(disposition: disposition(e), logs: ctx.logs)
        }
        return response
    }

    /// CAS's attributes on each result table (swat's `SASDataFrame.attrs`): `Action`, `Actionset` and `CreateTime`
    /// (when the results were made, a SAS datetime: seconds since 1960-01-01 UTC). Attributes an action set
    /// itself are kept.
    static func withTableAttributes(_ results: ValueDict, _ entry: ActionEntry) -> ValueDict {
        guard results.entries.contains(where: { $0.value.tableValue != nil }) else { return results }
        var out = ValueDict()
        let created = Date().timeIntervalSince1970 + sasEpochOffset
        for (k, v) in results.entries {
            guard case .table(var t) = v else { out.appendUnchecked(k, v); continue }
            if t.attributes["Action"] == nil { t.attributes["Action"] = .string(entry.action.name) }
            if t.attributes["Actionset"] == nil { t.attributes["Actionset"] = .string(entry.setName) }
            if t.attributes["CreateTime"] == nil { t.attributes["CreateTime"] = .double(created.rounded(.down)) }
            out.appendUnchecked(k, .table(t))
        }
        return out
    }

    /// Seconds from SAS's epoch (1960-01-01) to Unix's (1970-01-01).
    static let sasEpochOffset: Double = 315_619_200

    /// Client-side options that SWAT sends with every call (`_messageLevel`, `_apiVersion`, …) are not action parameters.
    static func withoutClientOptions(_ p: ValueDict) -> ValueDict {
        var out = ValueDict()
        for (k, v) in p where !k.hasPrefix("_") { out.appendUnchecked(k, v) }
        return out
    }

    func finish(_ r: Response, _ t0: Double, _ cpu0: (user: Double, system: Double)) -> Response {
        var r = r
        let cpu1 = ServerClock.cpu
        r.performance = Performance(elapsedTime: ServerClock.monotonic - t0, cpuUserTime: cpu1.user - cpu0.user, cpuSystemTime: cpu1.system - cpu0.system)
        return r
    }

    /// With password logins, a user removed (`caslite users remove`) while logged in loses every session at its
    /// next call, on both front ends; a store that cannot be read decides nothing.
    func checkUserStillExists(_ session: Session) async throws(ActionError) {
        guard server.storedUsersOnly else { return }
        let exists: Bool
        do { exists = try await server.store.user(session.user) != nil } catch { return }
        guard !exists else { return }
        await server.sessions.remove(session.id)
        throw ActionError(.accessDenied, "User \(Names.quote(session.user)) no longer exists on this server; session \(session.id) has ended.")
    }

    func errorLines(_ error: any Error, action requested: String) -> [LogLine] {
        // the name as the client sent it, which may be anything: at most 200 characters of it
        let action = requested.utf8.count <= 200 && Names.problem(requested, .column) == nil ? requested : Names.quote(requested)
        guard let e = error as? ActionError else { return [LogLine(.error, "\(action): \(error)"), LogLine(.error, "The action stopped due to errors.")] }
        return [LogLine(.error, "\(action): \(e.text)")] + e.details.map { LogLine(.error, $0) } + [LogLine(.error, "The action stopped due to errors.")]
    }

    func disposition(_ error: any Error) -> Disposition {
        guard let e = error as? ActionError else { return Disposition(severity: .error, reason: "internalError", statusCode: 2_790_001, formattedStatus: "\(error)") }
        return Disposition(severity: .error, reason: e.reason, statusCode: e.code.rawValue, formattedStatus: e.text)
    }

    static func metricLines(_ action: String, _ p: Performance) -> [String] {
        let cpu = p.cpuUserTime + p.cpuSystemTime
        let pct = p.elapsedTime > 0 ? cpu / p.elapsedTime * 100 : 0
        return ["Action '\(action)' used (Total process time):",
                "      real time               \(Fixed.text(p.elapsedTime, 6)) seconds",
                "      cpu time                \(Fixed.text(cpu, 6)) seconds (\(Fixed.text(pct, 2))%)"]
    }
}

extension ActionContext {
    /// Calls another action from inside this one (same session, same cancellation); see `Dispatcher.callNested`.
    public func call(_ action: String, _ params: ValueDict = ValueDict()) async -> Response {
        await Dispatcher(server: server).callNested(action, params: params, parent: self)
    }
}
