import CASNIO
import CASTLS
import class Foundation.ProcessInfo
import CASWire
import NIOCore
import NIOPosix
import Synchronization

/// An event of a streamed call: log lines and progress while it runs, then exactly one response.
public enum CallEvent: Sendable {
    case log(LogLine)
    case progress(Progress)
    case response(Response)
}

/// How a client connects over TLS: which CAs it trusts. The server's chain, its dates and its name (the
/// host connected to, as a DNS name or an IP address in the certificate) are always verified.
///
/// ```swift
/// let conn = try await CASConnection.connect(host: "db.example", port: 5570, user: "alice", password: pw,
///                                            tls: TLSOptions(caFile: "ca.pem"))
/// ```
public struct TLSOptions: Sendable {
    /// The PEM file of the CAs to trust; nil: the file `CASLITE_TLS_CA` names, else the system's CA bundle.
    public var caFile: String?

    public init(caFile: String? = nil) { self.caFile = caFile }

    /// The CA file in effect: `caFile`, else `CASLITE_TLS_CA`, else nil (the system's CA bundle).
    public var effectiveCAFile: String? {
        caFile ?? ProcessInfo.processInfo.environment["CASLITE_TLS_CA"].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// A client-side failure (connection refused, handshake refused, connection lost).
public struct ClientError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A connection to a caslite server, attached to one session. No per-action code: every action
/// is `call(name, params)`. Frames are sent in the order the calls that send them were made (one
/// `OrderedWriter`), so a `cancel` never overtakes the request it cancels.
///
/// ```swift
/// let conn = try await CASConnection.connect(host: "127.0.0.1", port: 5570, user: "alice")
/// let r = try await conn.call("table.fetch", ["table": "iris", "to": 5])
/// ```
public final class CASConnection: Sendable {
    public let sessionId: String
    public let user: String
    public let serverVersion: String
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel
    private let writer: OrderedWriter
    private let state: Mutex<State>
    private let reader: Mutex<Task<Void, Never>?> = Mutex(nil)

    struct State {
        var nextId: Int64 = 1
        var calls: [Int64: AsyncStream<CallEvent>.Continuation] = [:]
        var closed: String?
    }

    private init(sessionId: String, user: String, serverVersion: String, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel) {
        self.sessionId = sessionId
        self.user = user
        self.serverVersion = serverVersion
        self.outbound = outbound
        self.channel = channel
        self.writer = OrderedWriter(channel)
        self.state = Mutex(State())
    }

    deinit {
        // A connection dropped without close(): finish the writer and close the socket so NIO's
        // async writer is never deinitialised unfinished.
        outbound.finish()
        channel.close(promise: nil)
    }

    /// Connects, sends `hello` and waits for `welcome`. Pass `session` to re-attach to an existing session,
    /// `localAddress` to connect from a given address of this machine (e.g. `127.0.0.2`), `tls` to connect
    /// over TLS (the server's certificate and name are verified; a failure is a `ClientError` saying why,
    /// never a fall-back to plaintext).
    public static func connect(host: String, port: Int, user: String, password: String? = nil, session: String? = nil,
                               localAddress: String? = nil, maxLineLength: Int = 1 << 30, tls: TLSOptions? = nil) async throws -> CASConnection {
        let clientTLS: ClientTLS?
        do { clientTLS = try tls.map { o throws(TLSError) in try ClientTLS(caFile: o.effectiveCAFile) } } catch { throw ClientError(error.message) }
        let ch: NIOAsyncChannel<LineEvent, ByteBuffer>
        let handshake: EventLoopFuture<Void>?
        do {
            var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).channelOption(.tcpOption(.tcp_nodelay), value: 1)
            if let localAddress { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: localAddress, port: 0)) }
            (ch, handshake) = try await bootstrap
                .connect(host: host, port: port) { c in
                    c.eventLoop.makeCompletedFuture {
                        let handshake = try clientTLS?.addHandlers(to: c, host: host)
                        try c.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineLength: maxLineLength)))
                        return (try NIOAsyncChannel<LineEvent, ByteBuffer>(wrappingChannelSynchronously: c), handshake)
                    }
                }
        } catch {
            throw ClientError("cannot connect to \(host):\(port): \(error)")
        }
        if let clientTLS, let handshake {
            do { try await handshake.get() } catch {
                try? await ch.executeThenClose { _, _ in }
                throw ClientError(await clientTLS.explain(error, host: host, port: port).message)
            }
        }
        let hello = ClientFrame.hello(user: user, password: password, session: session, protocolVersion: protocolVersion)
        // The connection outlives this scope, so the channel's streams are used directly rather
        // than through the scoped `executeThenClose`; `close()` closes the channel.
        let (inbound, outbound) = Self.streams(ch)
        do {
            try await outbound.write(ByteBuffer(bytes: hello.line))
            var it = inbound.makeAsyncIterator()
            guard case .line(let buf)? = try await it.next() else { throw ClientError("server closed the connection during the handshake") }
            let frame = try ServerFrame(line: Array(buf.readableBytesView))
            switch frame {
            case .welcome(let sid, let u, let server, _):
                let conn = CASConnection(sessionId: sid, user: u, serverVersion: server, outbound: outbound, channel: ch.channel)
                conn.startReading(it)
                return conn
            case .error(_, let m): throw ClientError(m)
            default: throw ClientError("unexpected first frame from server")
            }
        } catch {
            try? await ch.channel.close()
            throw error
        }
    }

    private static func streams(_ ch: NIOAsyncChannel<LineEvent, ByteBuffer>)
        -> (NIOAsyncChannelInboundStream<LineEvent>, NIOAsyncChannelOutboundWriter<ByteBuffer>) { Deprecated.streams(ch) }

    private func startReading(_ iterator: NIOAsyncChannelInboundStream<LineEvent>.AsyncIterator) {
        nonisolated(unsafe) var it = iterator  // owned by the reader task alone from here on
        let task = Task { [weak self] in
            do {
                while let event = try await it.next() {
                    guard let self else { return }
                    guard case .line(let buf) = event, let frame = try? ServerFrame(line: Array(buf.readableBytesView)) else { continue }
                    self.route(frame)
                }
            } catch {}
            self?.failAll("connection to the server was lost")
        }
        reader.withLock { $0 = task }
    }

    private func route(_ frame: ServerFrame) {
        switch frame {
        case .log(let id?, let line): state.withLock { _ = $0.calls[id]?.yield(.log(line)) }
        case .progress(let id, let p): state.withLock { _ = $0.calls[id]?.yield(.progress(p)) }
        case .response(let id, let r):
            let c = state.withLock { $0.calls.removeValue(forKey: id) }
            c?.yield(.response(r))
            c?.finish()
        case .error(let id?, let m):
            let c = state.withLock { $0.calls.removeValue(forKey: id) }
            c?.yield(.response(Response(disposition: Disposition(severity: .error, reason: "badRequest", statusCode: 2_700_001, formattedStatus: m),
                                        logs: [LogLine(.error, m)])))
            c?.finish()
        default: break
        }
    }

    private func failAll(_ message: String) {
        let calls = state.withLock { s -> [AsyncStream<CallEvent>.Continuation] in
            s.closed = message
            defer { s.calls.removeAll() }
            return Array(s.calls.values)
        }
        for c in calls { c.finish() }
    }

    /// Starts a call and streams its events; the stream ends after the response.
    /// `onStart` receives the request id (for `cancel`).
    public func stream(_ action: String, _ params: ValueDict = ValueDict(), onStart: (@Sendable (Int64) -> Void)? = nil) -> AsyncStream<CallEvent> {
        let (stream, cont) = AsyncStream.makeStream(of: CallEvent.self)
        let id: Int64? = state.withLock { s in
            guard s.closed == nil else { return nil }
            let id = s.nextId
            s.nextId += 1
            s.calls[id] = cont
            return id
        }
        guard let id else { cont.finish(); return stream }
        onStart?(id)
        writer.send(ClientFrame.request(id: id, action: action, params: params).line).whenFailure { [weak self] error in
            self?.failAll("cannot send to the server: \(error)")
        }
        return stream
    }

    /// Calls an action and returns its response, with the streamed log lines collected in `logs`.
    public func call(_ action: String, _ params: ValueDict = ValueDict(), onEvent: (@Sendable (CallEvent) -> Void)? = nil) async throws -> Response {
        try await call(action, params, onStart: { _ in }, onEvent: onEvent)
    }

    /// `call`, with `onStart` receiving the request id (for `cancel`, e.g. on Ctrl-C).
    public func call(_ action: String, _ params: ValueDict, onStart: @escaping @Sendable (Int64) -> Void,
                     onEvent: (@Sendable (CallEvent) -> Void)?) async throws -> Response {
        var logs: [LogLine] = []
        for await event in stream(action, params, onStart: onStart) {
            onEvent?(event)
            switch event {
            case .log(let l): logs.append(l)
            case .progress: break
            case .response(var r):
                r.logs = logs + r.logs  // streamed lines, then any the response itself carries (connection-level errors)
                return r
            }
        }
        throw ClientError(state.withLock { $0.closed } ?? "the call ended without a response")
    }

    /// Asks the server to stop call `id` at its next check point.
    public func cancel(_ id: Int64) async throws {
        try await writer.send(ClientFrame.cancel(id: id).line).get()
    }

    /// Sends raw bytes (tests of malformed input).
    public func sendRaw(_ bytes: [UInt8]) async throws { try await writer.send(bytes).get() }

    /// Closes the connection; the session lives on until its time-out.
    public func close() async {
        outbound.finish()
        try? await channel.close()
        let task = reader.withLock { $0 }
        await task?.value
    }

    public var isClosed: Bool { state.withLock { $0.closed != nil } }
}

/// Reaches the channel's streams without a deprecation warning at every call site.
private enum Deprecated {
    @available(*, deprecated)
    static func _streams(_ ch: NIOAsyncChannel<LineEvent, ByteBuffer>)
        -> (NIOAsyncChannelInboundStream<LineEvent>, NIOAsyncChannelOutboundWriter<ByteBuffer>) { (ch.inbound, ch.outbound) }
    static func streams(_ ch: NIOAsyncChannel<LineEvent, ByteBuffer>)
        -> (NIOAsyncChannelInboundStream<LineEvent>, NIOAsyncChannelOutboundWriter<ByteBuffer>) { _streams(ch) }
}
