import CASWire

/// A call registered with a session (running, or queued for its turn), as the web monitor shows it.
public struct RunningCall: Sendable {
    /// The connection and client request id the call came with.
    public var call: CallID
    /// `set.action`.
    public var action: String
    /// When the call was made (seconds since 1970).
    public var started: Double
    /// The last progress frame it streamed, if any.
    public var progress: Progress?
    /// False while it waits for the session's previous call to end.
    public var running: Bool
}

extension Session {
    /// The calls registered with this session, oldest first.
    public func runningCalls() -> [RunningCall] {
        registeredCalls().map { call, ctx, running in
            RunningCall(call: call, action: ctx.actionName, started: ctx.started, progress: ctx.latestProgress, running: running)
        }.sorted { $0.started < $1.started }
    }

    /// Cancels one call as the protocol's cancel frame does (the dispatcher's cancellation handler does the
    /// same two steps): a running call stops at its next check point, a queued one is withdrawn at once.
    /// False when no such call is registered.
    public func cancel(_ call: CallID) -> Bool {
        guard let ctx = registeredCalls().first(where: { $0.call == call })?.ctx else { return false }
        ctx.cancel()
        withdraw(call)
        return true
    }
}
