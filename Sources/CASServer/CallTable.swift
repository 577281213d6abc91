import Synchronization

/// The running calls of one connection, by the client's request id. Each call is a task of its own;
/// cancelling it (a cancel frame, or the connection's end) reaches the action through the
/// dispatcher's cancellation handler.
final class CallTable: Sendable {
    private struct Running {
        let request: Int64
        let task: Task<Void, Never>
    }

    /// By a token of each call's own: a client that reuses a request id while the first call runs
    /// still gets both cancelled when the connection ends.
    private struct State {
        var running: [UInt64: Running] = [:]
        var lastToken: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Starts `body` as call `request`. It is in the table before this returns, so a cancel frame read
    /// after the request always finds it.
    func start(_ request: Int64, _ body: @escaping @Sendable () async -> Void) {
        state.withLock { s in
            s.lastToken += 1
            let token = s.lastToken
            // Created under the lock: the task's own removal (which takes the lock) cannot come first.
            s.running[token] = Running(request: request, task: Task { [weak self] in
                await body()
                self?.finished(token)
            })
        }
    }

    private func finished(_ token: UInt64) {
        _ = state.withLock { $0.running.removeValue(forKey: token) }
    }

    /// Cancels call `request`; false if no such call is running.
    func cancel(_ request: Int64) -> Bool {
        let matching = state.withLock { $0.running.values.filter { $0.request == request } }
        for r in matching { r.task.cancel() }
        return !matching.isEmpty
    }

    /// Cancels every running call and waits until they have answered.
    func cancelAllAndWait() async {
        let all = state.withLock { Array($0.running.values) }
        for r in all { r.task.cancel() }
        for r in all { await r.task.value }
    }
}
