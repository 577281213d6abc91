import CASCore
import CASL
import CASNIO
import CASTLS
import CASWire
import Logging
import NIOCore
import NIOPosix

/// The caslite server: a JSON-lines listener (and optionally the REST front end) over SwiftNIO in
/// front of the dispatcher. The action sets are passed in, as hummingbird passes its router to the
/// application: the executable gives the standard list (`StandardRegistry` in CASStandardSets), a
/// test gives the few sets it needs, its own included.
///
/// ```swift
/// let server = try await CASServer.start(config, sets: StandardRegistry.sets)   // binds; `server.port` is the bound port
/// …
/// await server.stop()
/// ```
public final class CASServer: Sendable {
    /// The JSON-lines server channel: each accepted connection comes with its line limit and what its first byte showed.
    typealias Listener = NIOAsyncChannel<(NIOAsyncChannel<LineEvent, ByteBuffer>, LineLimit, SniffedTransport), Never>

    public let context: ServerContext
    public let config: ServerConfig
    public let port: Int
    /// The bound port of the REST (swat) front end, when `config.httpPort` asked for one.
    public let httpPort: Int?
    /// The certificate both front ends present, when `config.tls` asked for TLS.
    public let tls: ServerTLS?
    let logger: Logger
    private let http: HTTPServer?
    private let clients: ClientConnections
    private let channel: Listener
    private let runTask: Task<Void, Never>
    private let reaper: Task<Void, Never>
    private let lock: DataFolderLock

    private init(context: ServerContext, config: ServerConfig, port: Int, http: HTTPServer?, tls: ServerTLS?, logger: Logger,
                 clients: ClientConnections, channel: Listener, runTask: Task<Void, Never>, reaper: Task<Void, Never>, lock: DataFolderLock) {
        self.lock = lock
        self.context = context
        self.config = config
        self.port = port
        self.http = http
        self.httpPort = http?.port
        self.tls = tls
        self.logger = logger
        self.clients = clients
        self.channel = channel
        self.runTask = runTask
        self.reaper = reaper
    }

    /// Checks the action sets, the certificate and the login settings, opens the data folder, binds the
    /// listeners and starts serving. Throws `LoginError` (`.misconfigured`) for `auth: .none`, or passwords
    /// without TLS (unless `allowPlaintextPasswords`), on a non-loopback host; `TLSError` for a certificate
    /// or key that cannot be used.
    public static func start(_ config: ServerConfig, sets: [ActionSet], logger: Logger = Logger(label: "caslite.server")) async throws -> CASServer {
        try Login.check(mode: config.auth, host: config.host, encrypted: config.tls != nil, allowPlaintextPasswords: config.allowPlaintextPasswords)
        let tls = try config.tls.map { files throws(TLSError) in try ServerTLS(files: files) }
        if let tls { logCertificate(tls.certificate, logger: logger) }
        let registry = try Registry(sets)
        let lock = try DataFolderLock(dataRoot: config.dataRoot)
        do {
            return try await start(config, registry: registry, tls: tls, lock: lock, logger: logger)
        } catch {
            lock.release()
            throw error
        }
    }

    private static func start(_ config: ServerConfig, registry: Registry, tls: ServerTLS?, lock: DataFolderLock, logger: Logger) async throws -> CASServer {
        let server = config.maxMemory ?? MemoryBudget.defaults.server
        let memory = MemoryBudget(serverLimit: server, sessionLimit: config.maxSessionMemory ?? server / 2)
        let context = try await ServerContext(registry: registry, dataRoot: config.dataRoot, defaultTimeout: config.sessionTimeout,
                                              admins: config.admins, memory: memory, storedUsersOnly: config.auth == .password, logger: logger,
                                              callLogLevel: config.callLogLevel, cluster: config.cluster)
        let login = try Login(mode: config.auth, host: config.host, store: context.store, admins: config.admins, limits: config.login,
                              encrypted: tls != nil, allowPlaintextPasswords: config.allowPlaintextPasswords, logger: logger)
        try await UserActionSetStore.loadAtStart(context, dirs: config.actionSetDirs, logger: logger)
        let clients = ClientConnections(login: login)
        let dispatcher = Dispatcher(server: context)
        let (channel, runTask) = try await listen(config, tls: tls, dispatcher: dispatcher, clients: clients)
        let port = channel.channel.localAddress?.port ?? config.port
        var http: HTTPServer?
        if let httpPort = config.httpPort {
            var routes = RESTRoutes(dispatcher: dispatcher, login: login, maxBodyBytes: config.maxLineLength)
            routes.metricsAccess = config.metricsAccess
            http = try await HTTPServer.start(host: config.host, port: httpPort, tls: tls, routes: routes, clients: clients, logger: logger)
            let endpoint = HTTPEndpoint(host: config.host, port: http?.port ?? httpPort, tls: tls != nil)
            context.httpEndpoint.withLock { $0 = endpoint }
        }
        logger.info("caslite listening on \(config.host):\(port)\(tls == nil ? "" : " (TLS)")")
        return CASServer(context: context, config: config, port: port, http: http, tls: tls, logger: logger, clients: clients, channel: channel,
                         runTask: runTask, reaper: reap(context, every: config.reapInterval, logger: logger), lock: lock)
    }

    /// Binds the JSON-lines port; each connection starts at the handshake line limit, behind the TLS sniffer.
    static func listen(_ config: ServerConfig, tls: ServerTLS?, dispatcher: Dispatcher, clients: ClientConnections) async throws
        -> (Listener, Task<Void, Never>)
    {
        typealias Child = NIOAsyncChannel<LineEvent, ByteBuffer>
        let handshakeBytes = config.login.handshakeBytes
        let accepted = AcceptedChannels<(Child, LineLimit, SniffedTransport)> { c in try? await c.0.executeThenClose { _, _ in } }
        let channel = try await BindError.binding(host: config.host, port: config.port, flag: "--port") {
          try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: config.host, port: config.port) { child in
                child.eventLoop.makeCompletedFuture { () -> (Child, LineLimit, SniffedTransport) in
                    let limit = LineLimit(handshakeBytes, reportsAtOnce: true), transport = SniffedTransport()
                    try child.pipeline.syncOperations.addHandler(TLSSniffer(tls: tls, result: transport))
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(limit: limit)))
                    return accepted.hold((try Child(wrappingChannelSynchronously: child), limit, transport), for: child)
                }
            }
        }
        let runTask = Task {
            _ = try? await channel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await (conn, limit, transport) in inbound {
                        accepted.take(conn.channel)
                        group.addTask {
                            await Connection(channel: conn, dispatcher: dispatcher, login: clients.login, clients: clients, lineLimit: limit,
                                             maxLine: config.maxLineLength, transport: transport, tlsPort: tls != nil).run()
                        }
                    }
                }
            }
            await accepted.closeLeftovers()
        }
        return (channel, runTask)
    }

    /// Ends sessions whose idle time-out has passed, every `interval` seconds.
    static func reap(_ context: ServerContext, every interval: Double, logger: Logger) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                let gone = await context.sessions.reap()
                for id in gone { logger.info("session \(id) timed out and was ended") }
            }
        }
    }

    /// Stops in order: no new connections, every open connection closed (which cancels its running
    /// calls), then waits until every connection has ended. Sessions stay in memory until the process ends.
    public func stop() async {
        reaper.cancel()
        try? await channel.channel.close()
        await http?.stopListening()
        context.events.finishAll()  // the monitor's live pages end their streams
        clients.closeAll()
        // not cancelled: the accept loop must still take the connections NIO accepted before the listener
        // closed (ClientConnections refuses them now); an accepted NIOAsyncChannel that nobody takes traps
        _ = await runTask.value
        await http?.finish()
        lock.release()
    }

    /// Waits until the server stops.
    public func wait() async { _ = await runTask.value }
}
