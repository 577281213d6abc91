import CASCore
import CASNIO
import CASTLS
import CASWire
import NIOCore
import Synchronization

/// One JSON-lines client connection, in two phases:
///
/// - **handshake**: lines are limited to `LoginLimits.handshakeBytes` and the client has
///   `handshakeTimeout` to send a `hello` that logs in. Anything else — a request, a malformed or
///   oversize line, a refused login — is answered with an error frame and the connection is closed.
/// - **open**: the line limit rises to `--max-line`; requests are dispatched concurrently (each
///   session still runs one action at a time), cancel frames reach this connection's own calls, and
///   bad frames get error frames while the connection stays open.
///
/// Frames are written by the channel's event loop through `OrderedWriter` (no writer task between),
/// so each caller's frames arrive in the order they were sent. The connection's calls live in its
/// `CallTable`, keyed by the client's request ids: a cancel frame reaches only them, and when the
/// connection ends — the client left or the server is stopping — they are cancelled.
struct Connection: Sendable {
    let channel: NIOAsyncChannel<LineEvent, ByteBuffer>
    let dispatcher: Dispatcher
    let login: Login
    let clients: ClientConnections
    let lineLimit: LineLimit
    let maxLine: Int
    /// What the connection's first byte showed (a plaintext client on a TLS port is refused at its first line).
    let transport: SniffedTransport
    /// Whether the port speaks TLS: a connection refused before its first byte is closed without an answer
    /// there (an error frame in clear text would reach a TLS client as garbage).
    let tlsPort: Bool
    let id = ConnectionID.next()

    var server: ServerContext { dispatcher.server }

    /// The connection's phase; `hello` moves it from `handshake` to `open`, once.
    enum Phase {
        case handshake
        case open(Session)
    }

    func run() async {
        // answers waiting for the socket are charged to the connection's session (the server before login):
        // a client that stops reading is cut off at its memory limit instead of growing the server
        let owner = ConnectionOwner()
        let memory = server.memory, connection = id
        let budget = OutboundBudget { n in
            let session = owner.session
            do { try memory.charge(n, session: session, for: "answers waiting for connection \(connection)") } catch { return nil }
            return { memory.release(n, session: session) }
        }
        let writer = OrderedWriter(channel.channel, budget: budget)
        let logger = server.logger
        let send: @Sendable (ServerFrame) -> Void = { frame in
            writer.stream { frame.writeLine($0) }.whenFailure { error in
                guard let e = error as? OutboundBudget.Exceeded else { return }
                logger.warning("connection \(connection): the client is not reading its answers; \(e.bytes) more bytes would pass the memory limit: closing the connection")
            }
        }
        let entered = await clients.enter(channel.channel, refuse: { [tlsPort] error in
            guard !tlsPort else { return }
            try? await writer.send(ServerFrame.error(id: nil, message: "hello: \(error)").line).get()
        }, timedOut: {
            writer.sendThenClose(ServerFrame.error(id: nil, message: "hello: no login within \(Fixed.text(login.limits.handshakeTimeout, 0)) s; closing the connection").line)
        })
        guard let entry = entered else {
            try? await channel.executeThenClose { _, _ in }  // an NIOAsyncChannel must be finished, or its writer traps
            return
        }
        defer { entry.leave() }
        let calls = CallTable()
        var phase = Phase.handshake
        try? await channel.executeThenClose { inbound, _ in
            reading: for try await event in inbound {
                switch phase {
                case .handshake:
                    do throws(FrameError) {
                        guard let session = try await handshake(event, entry: entry, send: send) else { continue }
                        owner.session = session.id
                        phase = .open(session)
                    } catch {
                        try? await writer.send(ServerFrame.error(id: error.id, message: error.message).line).get()
                        break reading  // refused: leaving the loop closes the connection
                    }
                case .open(let session):
                    serve(event, session, calls: calls, send: send)
                }
            }
        }
        // The client left (or the read failed) or the server is stopping: running calls are cancelled.
        await calls.cancelAllAndWait()
        if case .open(let s) = phase { await s.detach() }
    }
}

extension Connection {
    /// One event before login: nil for a blank line, the session after a successful `hello`; any
    /// other frame is a `FrameError` that closes the connection.
    func handshake(_ event: LineEvent, entry: ClientConnections.Entry, send: @Sendable (ServerFrame) -> Void) async throws(FrameError) -> Session? {
        if PlaintextRefusal.applies(transport) { throw FrameError(PlaintextRefusal.jsonLines) }
        let frame: ClientFrame
        switch event {
        case .oversize(let n, let prefix):
            throw FrameError("hello: a line of \(n) bytes exceeds the limit of \(lineLimit.bytes) bytes before login; send {\"hello\": …} first",
                             id: Self.requestId(in: prefix))
        case .line(let buf):
            let bytes = Array(buf.readableBytesView)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
            frame = try ClientFrame(line: bytes)
        }
        switch frame {
        case .hello(let user, let password, let sessionId, _):
            let who: LoginIdentity
            do { who = try await login.authenticate(user: user, password: password, from: entry.address) } catch {
                throw FrameError("hello: \(error)")
            }
            // The login clock may have run out while the password was checked: no session for a closed connection.
            guard channel.channel.isActive else { throw FrameError("hello: the connection was closed during the login") }
            let session = try await attach(who, to: sessionId)
            entry.loggedIn()
            lineLimit.raise(to: maxLine)  // before the welcome: the client may send large lines once it has it
            send(.welcome(session: session.id, user: who.user, server: "caslite \(ServerContext.version)", protocolVersion: protocolVersion))
            return session
        case .request(let id, _, _):
            throw FrameError("request \(id): send {\"hello\": {\"user\": …}} first; closing the connection", id: id)
        case .cancel:
            throw FrameError("cancel: no session; send {\"hello\": {\"user\": …}} first")
        }
    }

    /// A new session for the user, or the one `sessionId` names (same user only).
    func attach(_ who: LoginIdentity, to sessionId: String?) async throws(FrameError) -> Session {
        let s: Session
        if let sessionId {
            // another user's session gets the same answer as none: whether an id exists is not told
            guard let existing = await server.sessions.session(sessionId), await !existing.ended, existing.user == who.user else {
                throw FrameError("hello: Session reconnect failed: could not find session \(Names.quote(sessionId)) (it may have timed out or ended).")
            }
            s = existing
        } else {
            s = await server.sessions.create(user: who.user, isAdmin: who.isAdmin)
        }
        await s.attach()
        return s
    }

    /// One event after login: a request starts a call, a cancel reaches this connection's call of that id.
    func serve(_ event: LineEvent, _ session: Session, calls: CallTable, send: @escaping @Sendable (ServerFrame) -> Void) {
        switch event {
        case .oversize(let n, let prefix):
            send(.error(id: Self.requestId(in: prefix),
                        message: "Line of \(n) bytes exceeds the server's limit of \(maxLine) bytes; it was discarded. Send large data in smaller calls."))
        case .line(let buf):
            let bytes = Array(buf.readableBytesView)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            do {
                try start(try ClientFrame(line: bytes), session, calls: calls, send: send)
            } catch {
                send(.error(id: error.id, message: error.message))
            }
        }
    }

    func start(_ frame: ClientFrame, _ session: Session, calls: CallTable, send: @escaping @Sendable (ServerFrame) -> Void) throws(FrameError) {
        switch frame {
        case .hello:
            throw FrameError("hello: this connection already has session \(session.id)")
        case .request(let request, let action, let params):
            let dispatcher = self.dispatcher, call = CallID(connection: id, request: request)
            calls.start(request) {
                guard await !session.ended else {
                    send(.error(id: request, message: "request \(request): session \(session.id) has ended; open a new one"))
                    return
                }
                let r = await dispatcher.call(session: session, call: call, action: action, params: params, emit: send)
                send(.response(id: request, r))
            }
        case .cancel(let request):
            if !calls.cancel(request) { send(.log(id: request, LogLine(.warning, "No running call with id \(request) to cancel."))) }
        }
    }

    /// The `"id": N` of a request from the first bytes of its line (clients write `id` first), so that an
    /// oversize request still gets an answer its caller is waiting for.
    static func requestId(in prefix: [UInt8]) -> Int64? {
        let text = String(decoding: prefix, as: UTF8.self)
        guard let r = text.range(of: "\"id\"") else { return nil }
        let rest = text[r.upperBound...].drop { $0 == " " || $0 == ":" }
        return Int64(rest.prefix { $0.isNumber })
    }
}

/// The session a connection's answers are charged to: none until the login, then the session's.
/// Set once, before the first answer of the session is sent.
final class ConnectionOwner: Sendable {
    private let id = Mutex<String?>(nil)
    var session: String? {
        get { id.withLock { $0 } }
        set { id.withLock { $0 = newValue } }
    }
}
