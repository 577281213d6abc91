import NIOCore
import Synchronization

/// Holds every accepted connection from the moment NIO creates its async wrapper until the accept loop
/// takes it. When the listener closes while a connection is being accepted, NIO drops the wrapper it
/// could not deliver, and a wrapper whose writer was never finished traps (`NIOAsyncWriter` deinit);
/// connections still held here when the loop ends are closed properly instead.
final class AcceptedChannels<Child: Sendable>: Sendable {
    private let held = Mutex<[ObjectIdentifier: Child]>([:])
    private let close: @Sendable (Child) async -> Void

    /// `close` finishes and closes one connection nobody took (e.g. `executeThenClose { _, _ in }`).
    init(close: @escaping @Sendable (Child) async -> Void) { self.close = close }

    /// Called by the child channel's initializer.
    func hold(_ child: Child, for channel: any Channel) -> Child {
        held.withLock { $0[ObjectIdentifier(channel)] = child }
        return child
    }

    /// Called by the accept loop when it takes the connection.
    func take(_ channel: any Channel) {
        held.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Closes the connections the accept loop never took (after it ended).
    func closeLeftovers() async {
        let left = held.withLock { h in defer { h.removeAll() }; return Array(h.values) }
        for c in left { await close(c) }
    }
}
