import Dispatch
import Synchronization

/// Runs password hashes on threads of their own (never inside an actor or on the cooperative pool),
/// at most `width` at a time. Checks that have to wait
/// are served round-robin across keys (client addresses), so a flood of logins from one address delays
/// another address's login by at most one hash per busy address.
final class LoginHashPool: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Bool, Never>
    }

    /// Invariant: there are waiters only while `running == width` (a finished hash hands its permit on).
    private struct State {
        var running = 0
        var waiting: [String: [Waiter]] = [:]
        var order: [String] = []
        var lastId: UInt64 = 0
    }

    let width: Int
    private let state = Mutex(State())

    init(width: Int) { self.width = max(1, width) }

    /// Runs `work` once a permit is free; nil if the task was cancelled while waiting.
    func run<T: Sendable>(key: String, _ work: @escaping @Sendable () -> T) async -> T? {
        guard await acquire(key) else { return nil }
        // A serial queue of its own: dispatch gives it a thread from the overcommit pool, so a hash never
        // waits for worker threads busy with actions (concurrent queues share a pool as wide as the CPU count).
        let queue = DispatchQueue(label: "caslite.login.hash", qos: .userInitiated)
        let result = await withCheckedContinuation { c in queue.async { c.resume(returning: work()) } }
        release()
        return result
    }

    private func acquire(_ key: String) async -> Bool {
        let id: UInt64? = state.withLock { s in
            if s.running < width { s.running += 1; return nil }
            s.lastId += 1
            return s.lastId
        }
        guard let id else { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let cancelled = state.withLock { s in
                    if Task.isCancelled { return true }
                    if s.waiting[key] == nil { s.order.append(key) }
                    s.waiting[key, default: []].append(Waiter(id: id, continuation: c))
                    return false
                }
                if cancelled { c.resume(returning: false) }
            }
        } onCancel: {
            let removed: Waiter? = state.withLock { s in
                guard let i = s.waiting[key]?.firstIndex(where: { $0.id == id }) else { return nil }
                let w = s.waiting[key]!.remove(at: i)
                if s.waiting[key]!.isEmpty { s.waiting[key] = nil; s.order.removeAll { $0 == key } }
                return w
            }
            removed?.continuation.resume(returning: false)
        }
    }

    /// Hands the permit to the first waiter of the next key in turn, or frees it.
    private func release() {
        let next: Waiter? = state.withLock { s in
            guard !s.order.isEmpty else { s.running -= 1; return nil }
            let key = s.order.removeFirst()
            let w = s.waiting[key]!.removeFirst()
            if s.waiting[key]!.isEmpty { s.waiting[key] = nil } else { s.order.append(key) }
            return w
        }
        next?.continuation.resume(returning: true)
    }
}
