import CASWire
import Synchronization

/// Everything one running action call can use: its session, the server, logging, progress and
/// cancellation. Shared across tasks; its mutable parts are behind a Mutex / Atomic.
public final class ActionContext: Sendable {
    public let entry: ActionEntry
    public let requestId: Int64
    public let session: Session
    public let server: ServerContext
    /// The action that called this one (CASL scripts, user-defined actions), if any.
    public let parent: ActionContext?
    /// Lowest level of log lines streamed to the client (`sessionProp.setSessOpt logLevel=`).
    public let streamLevel: LogLevel
    let emit: @Sendable (ServerFrame) -> Void
    private let logLines = Mutex<[LogLine]>([])
    private let cancelled = Atomic<Bool>(false)
    /// Bytes this call reserved from the memory budget (`reserve`); given back when it ends.
    let reservedBytes = Mutex<Int>(0)
    /// When the call was made (seconds since 1970), for the web monitor's running actions.
    public let started = ServerClock.now
    /// The last progress frame this call streamed (the web monitor shows it); nil before the first.
    private let lastProgress = Mutex<Progress?>(nil)

    public init(entry: ActionEntry, requestId: Int64, session: Session, server: ServerContext, parent: ActionContext? = nil,
                streamLevel: LogLevel = .note, emit: @escaping @Sendable (ServerFrame) -> Void) {
        self.entry = entry
        self.requestId = requestId
        self.session = session
        self.server = server
        self.parent = parent
        self.streamLevel = streamLevel
        self.emit = emit
    }

    public var user: String { session.user }
    public var actionName: String { entry.fullName }

    // MARK: log and progress

    /// Streams a log line to the client and records it for the response's severity.
    public func log(_ level: LogLevel, _ message: String) {
        let line = LogLine(level, message)
        logLines.withLock { $0.append(line) }
        session.log.append(actionName, line)
        if level >= streamLevel { emit(.log(id: requestId, line)) }
        publish(.log(line))
    }
    public func note(_ message: String) { log(.note, message) }
    public func warning(_ message: String) { log(.warning, message) }

    public var logs: [LogLine] { logLines.withLock { $0 } }

    /// Streams a progress frame.
    public func progress(done: Int, total: Int, unit: String, message: String = "") {
        let p = Progress(done: Int64(done), total: Int64(total), unit: unit, message: message)
        var c: ActionContext? = self
        while let here = c {  // a nested call's progress is its caller's too (the frame goes out under the caller's id)
            here.lastProgress.withLock { $0 = p }
            c = here.parent
        }
        emit(.progress(id: requestId, p))
        publish(.progress(p))
    }

    /// Tells the web monitor's live pages (`ServerEvents`) what this call streamed.
    func publish(_ kind: ServerEvent.Kind) {
        server.events.publish(ServerEvent(kind, session: session.id, owner: session.user, action: actionName))
    }

    /// The last progress frame streamed by this call or by a call it made.
    public var latestProgress: Progress? { lastProgress.withLock { $0 } }

    // MARK: cancellation

    /// Marks the call cancelled: by a cancel frame, the session's end, or the cancellation of the task
    /// running it (the dispatcher forwards that here, so check points on any thread see it).
    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    /// True once this call — or the call that started it — was cancelled.
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) || (parent?.isCancelled ?? false) }

    /// Throws `ActionError.cancelled` if the client asked to stop. Call between units of work.
    public func checkCancellation() throws(ActionError) {
        if isCancelled { throw ActionError.cancelled }
    }

    // MARK: CPU work

    /// Runs CPU-heavy work off the NIO event loops and the cooperative pool (on `Blocking`'s queue).
    public func cpu<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await Blocking.run(body)
    }
}
