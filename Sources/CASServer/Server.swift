import CASCore
import CASL
import CASNIO
import CASWire
import Logging
import NIOCore
import NIOPosix

/// The caslite server: a JSON-lines listener over SwiftNIO in front of the dispatcher.
///
/// ```swift
/// let server = try await CASServer.start(config)   // binds; `server.port` is the bound port
/// …
/// try await server.stop()
/// ```
public final class CASServer: Sendable {
    public let context: ServerContext
    public let config: ServerConfig
    public let port: Int
    /// The bound port of the REST (swat) front end, when `config.httpPort` asked for one.
    public let httpPort: Int?
    private let http: HTTPServer?
    private let channel: NIOAsyncChannel<NIOAsyncChannel<LineEvent, ByteBuffer>, Never>
    private let runTask: Task<Void, Never>
    private let reaper: Task<Void, Never>

    private init(context: ServerContext, config: ServerConfig, port: Int, http: HTTPServer?,
                 channel: NIOAsyncChannel<NIOAsyncChannel<LineEvent, ByteBuffer>, Never>, runTask: Task<Void, Never>, reaper: Task<Void, Never>) {
        self.context = context
        self.config = config
        self.port = port
        self.http = http
        self.httpPort = http?.port
        self.channel = channel
        self.runTask = runTask
        self.reaper = reaper
    }

    /// Binds the listener and starts serving.
    public static func start(_ config: ServerConfig, logger: Logger = Logger(label: "caslite.server")) async throws -> CASServer {
        let registry = try StandardRegistry.make()
        let server = config.maxMemory ?? MemoryBudget.defaults.server
        let memory = MemoryBudget(serverLimit: server, sessionLimit: config.maxSessionMemory ?? server / 2)
        let context = try await ServerContext(registry: registry, dataRoot: config.dataRoot, defaultTimeout: config.sessionTimeout,
                                              admins: config.admins, memory: memory, logger: logger)
        try await UserActionSetStore.loadAtStart(context, dirs: config.actionSetDirs, logger: logger)
        let maxLine = config.maxLineLength
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: config.host, port: config.port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineLength: maxLine)))
                    return try NIOAsyncChannel<LineEvent, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        let port = channel.channel.localAddress?.port ?? config.port
        let dispatcher = Dispatcher(server: context)
        let runTask = Task {
            _ = try? await channel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await conn in inbound {
                        group.addTask { await Connection(conn, dispatcher: dispatcher, auth: config.auth, maxLine: maxLine).run() }
                    }
                }
            }
        }
        let interval = config.reapInterval
        let reaper = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                let gone = await context.sessions.reap()
                for id in gone { logger.info("session \(id) timed out and was ended") }
            }
        }
        var http: HTTPServer?
        if let httpPort = config.httpPort {
            let routes = RESTRoutes(dispatcher: dispatcher, auth: config.auth, maxBodyBytes: config.maxLineLength)
            http = try await HTTPServer.start(host: config.host, port: httpPort, routes: routes, logger: logger)
        }
        logger.info("caslite listening on \(config.host):\(port)")
        return CASServer(context: context, config: config, port: port, http: http, channel: channel, runTask: runTask, reaper: reaper)
    }

    /// Stops listening and ends the serving tasks.
    public func stop() async {
        reaper.cancel()
        await http?.stop()
        try? await channel.channel.close()
        runTask.cancel()
        _ = await runTask.value
    }

    /// Waits until the server stops.
    public func wait() async { _ = await runTask.value }
}
