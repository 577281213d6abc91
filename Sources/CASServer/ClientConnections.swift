import CASCore
import NIOCore
import Synchronization

/// The open client connections of both front ends. Every connection enters here before it reads a
/// byte (`enter`): it is counted against the login limits, its login clock starts, and `closeAll`
/// (server stop) can close it. One place decides who gets in and who is closed on stop.
final class ClientConnections: Sendable {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var stopping = false
    }

    let login: Login
    private let state = Mutex(State())

    init(login: Login) { self.login = login }

    /// A connection that entered: its login ticket and login clock, until it logs in or leaves.
    final class Entry: Sendable {
        let channel: any Channel
        let address: String
        let ticket: LoginTicket
        let clock: Scheduled<Void>
        let connections: ClientConnections

        init(channel: any Channel, address: String, ticket: LoginTicket, clock: Scheduled<Void>, connections: ClientConnections) {
            self.channel = channel
            self.address = address
            self.ticket = ticket
            self.clock = clock
            self.connections = connections
        }

        /// The client logged in: it no longer counts as waiting and its login clock stops.
        func loggedIn() {
            clock.cancel()
            ticket.settle()
        }

        /// Whether the server is stopping (`/readyz`).
        var stopping: Bool { connections.state.withLock { $0.stopping } }

        /// The connection ends.
        func leave() {
            loggedIn()
            connections.state.withLock { _ = $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    /// Admits a new connection, or refuses it (too many waiting to log in, or the server is stopping):
    /// then `refuse` receives the reason, to tell the client before the channel is closed.
    /// `timedOut` runs when the client has not logged in within `LoginLimits.handshakeTimeout`.
    func enter(_ channel: any Channel, refuse: (LoginError) async -> Void, timedOut: @escaping @Sendable () -> Void) async -> Entry? {
        let address = channel.remoteAddress?.ipAddress ?? "unknown"
        let ticket: LoginTicket
        do { ticket = try login.admit(from: address) } catch {
            await refuse(error)
            try? await channel.close()
            return nil
        }
        let admitted = state.withLock { s in
            if s.stopping { return false }
            s.open[ObjectIdentifier(channel)] = channel
            return true
        }
        guard admitted else {
            try? await channel.close()
            return nil
        }
        // At the time-out the connection is told and closed; if the goodbye cannot be written (a TLS handshake
        // that never finished holds every write back), it is closed a second later regardless.
        let clock = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(login.limits.handshakeTimeout * 1000))) {
            timedOut()
            channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
        }
        return Entry(channel: channel, address: address, ticket: ticket, clock: clock, connections: self)
    }

    /// Refuses new connections and closes every open one (their running calls are cancelled as
    /// their connections end).
    func closeAll() {
        let open = state.withLock { s in
            s.stopping = true
            return Array(s.open.values)
        }
        for c in open { c.close(promise: nil) }
    }
}
