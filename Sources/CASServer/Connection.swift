import CASCore
import CASStorage
import CASNIO
import CASWire
import NIOCore
import Synchronization

/// One client connection: handshake, then requests dispatched concurrently (each session still runs
/// one action at a time), cancels, and frames written back in order by a single writer task.
struct Connection: Sendable {
    let channel: NIOAsyncChannel<LineEvent, ByteBuffer>
    let dispatcher: Dispatcher
    let auth: AuthMode
    let maxLine: Int

    init(_ channel: NIOAsyncChannel<LineEvent, ByteBuffer>, dispatcher: Dispatcher, auth: AuthMode, maxLine: Int) {
        self.channel = channel
        self.dispatcher = dispatcher
        self.auth = auth
        self.maxLine = maxLine
    }

    /// The `"id": N` of a request from the first bytes of its line (clients write `id` first), so that an
    /// oversize request still gets an answer its caller is waiting for.
    static func requestId(in prefix: [UInt8]) -> Int64? {
        let text = String(decoding: prefix, as: UTF8.self)
        guard let r = text.range(of: "\"id\"") else { return nil }
        let rest = text[r.upperBound...].drop { $0 == " " || $0 == ":" }
        return Int64(rest.prefix { $0.isNumber })
    }

    var server: ServerContext { dispatcher.server }

    func run() async {
        // Frames are written by the channel's event loop directly (no writer task between: one thread
        // hand-off less per frame). Every frame goes through `execute`, even from the event loop itself,
        // so the loop's FIFO task queue keeps each caller's frames in the order they were sent.
        let raw = channel.channel
        let send: @Sendable (ServerFrame) -> Void = { frame in
            let line = frame.line
            raw.eventLoop.execute { raw.writeAndFlush(ByteBuffer(bytes: line), promise: nil) }
        }
        try? await channel.executeThenClose { inbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                var session: Session?
                defer { if let s = session { Task { await s.detach() } } }  // also when the read loop throws (reset)
                for try await event in inbound {
                    switch event {
                    case .oversize(let n, let prefix):
                        send(.error(id: Self.requestId(in: prefix),
                                    message: "Line of \(n) bytes exceeds the server's limit of \(maxLine) bytes; it was discarded. Send large data in smaller calls."))
                    case .line(let buf):
                        let bytes = Array(buf.readableBytesView)
                        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                        do {
                            let frame = try ClientFrame(line: bytes)
                            session = try await handle(frame, session: session, send: send, group: &group)
                        } catch let e as FrameError {
                            send(.error(id: e.id, message: e.message))
                        }
                    }
                }
                group.cancelAll()  // the client is gone: calls still running are cancelled (as before)
                try await group.waitForAll()
            }
        }
    }

    /// Handles one frame; returns the (possibly new) session.
    func handle(_ frame: ClientFrame, session: Session?, send: @escaping @Sendable (ServerFrame) -> Void,
                group: inout ThrowingTaskGroup<Void, any Error>) async throws(FrameError) -> Session? {
        switch frame {
        case .hello(let user, let password, let id, _):
            guard session == nil else { throw FrameError("hello: this connection already has session \(session!.id)") }
            guard !user.isEmpty, user.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else {
                throw FrameError("hello: user name '\(user)' is invalid; use letters, digits, '_', '-' or '.'")
            }
            let isAdmin = try await authenticate(user, password)
            let s: Session
            if let id {
                guard let existing = await server.sessions.session(id), await !existing.ended else {
                    throw FrameError("hello: Session reconnect failed: could not find session \(id) (it may have timed out or ended).")
                }
                guard existing.user == user else { throw FrameError("hello: session \(id) belongs to another user.") }
                s = existing
            } else {
                s = await server.sessions.create(user: user, isAdmin: isAdmin)
            }
            await s.attach()
            send(.welcome(session: s.id, user: user, server: "caslite \(server.version)", protocolVersion: protocolVersion))
            return s
        case .request(let id, let action, let params):
            guard let session else { throw FrameError("request \(id): send {\"hello\": {\"user\": …}} first", id: id) }
            guard await !session.ended else { throw FrameError("request \(id): session \(session.id) has ended; open a new one", id: id) }
            let dispatcher = self.dispatcher
            group.addTask {
                let r = await dispatcher.call(session: session, requestId: id, action: action, params: params, emit: send)
                send(.response(id: id, r))
            }
            return session
        case .cancel(let id):
            guard let session else { throw FrameError("cancel: no session") }
            if await !session.cancel(id) { send(.log(id: id, LogLine(.warning, "No running call with id \(id) to cancel."))) }
            return session
        }
    }
}

extension Connection {
    /// Checks the password when the server requires one; returns whether the user is an administrator.
    /// A refusal waits a moment (slowing guessing) and does not say whether the user exists.
    func authenticate(_ user: String, _ password: String?) async throws(FrameError) -> Bool {
        let stored: UserRecord?
        do { stored = try await server.store.user(user) } catch { throw FrameError("hello: cannot read users: \(error.message)") }
        let admin = server.admins.contains(user) || (stored?.isAdmin ?? false)
        guard auth == .password else { return admin }
        let verified: UserRecord?
        do { verified = try await server.store.verify(user, password: password ?? "") } catch { throw FrameError("hello: cannot read users: \(error.message)") }
        guard verified != nil else {
            try? await Task.sleep(for: .milliseconds(400))
            throw FrameError("hello: authentication failed for user '\(user)': wrong user name or password.")
        }
        return admin
    }
}

