import CASCore
import CASTLS
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP/1.1 front end spoken by the Python `swat` client (docs/python.md): SwiftNIO's HTTP codec,
/// requests answered one at a time per connection, routed by `RESTRoutes` over the same dispatcher,
/// sessions, users and login as the JSON-lines listener.
///
/// ```swift
/// let http = try await HTTPServer.start(host: "127.0.0.1", port: 0, routes: routes, clients: clients, logger: logger)
/// // http.port is the bound port
/// ```
final class HTTPServer: Sendable {
    typealias Child = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    /// An accepted connection and what its first byte showed.
    typealias Accepted = (Child, SniffedTransport)
    let port: Int
    private let channel: NIOAsyncChannel<Accepted, Never>
    private let runTask: Task<Void, Never>

    private init(port: Int, channel: NIOAsyncChannel<Accepted, Never>, runTask: Task<Void, Never>) {
        self.port = port
        self.channel = channel
        self.runTask = runTask
    }

    /// Binds and starts serving (HTTPS with `tls`); `port` 0 picks a free port.
    static func start(host: String, port: Int, tls: ServerTLS?, routes: RESTRoutes, clients: ClientConnections, logger: Logger) async throws -> HTTPServer {
        let accepted = AcceptedChannels<Accepted> { c in try? await c.0.executeThenClose { _, _ in } }
        let channel = try await BindError.binding(host: host, port: port, flag: "--http-port") {
          try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture { () -> Accepted in
                    let transport = SniffedTransport()
                    try child.pipeline.syncOperations.addHandler(TLSSniffer(tls: tls, result: transport))
                    // No pipelining assistance: a GET may be answered before its (stale) body arrives.
                    var limits = NIOHTTPDecoderLimitConfiguration()
                    limits.maxHeaderFieldSize = Limits.maxHTTPHeaderBytes
                    limits.maxHeaderListSize = Limits.maxHTTPHeaderBytes
                    try child.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false,
                                                                                  withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
                    try child.pipeline.syncOperations.addHandler(RESTProtocolErrorHandler())
                    return accepted.hold((try Child(wrappingChannelSynchronously: child), transport), for: child)
                }
            }
        }
        let bound = channel.channel.localAddress?.port ?? port
        let runTask = Task {
            _ = try? await channel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await (conn, transport) in inbound {
                        accepted.take(conn.channel)
                        group.addTask { await HTTPConnection(conn, routes: routes, clients: clients, transport: transport, tlsPort: tls != nil).run() }
                    }
                }
            }
            await accepted.closeLeftovers()
        }
        logger.info("caslite REST (swat) listening on \(tls == nil ? "http" : "https")://\(host):\(bound)")
        return HTTPServer(port: bound, channel: channel, runTask: runTask)
    }

    /// Stops accepting connections (open ones are closed by `ClientConnections.closeAll`).
    func stopListening() async {
        try? await channel.channel.close()
    }

    /// Waits until every connection task has ended (after `ClientConnections.closeAll`). Not cancelled: the
    /// accept loop must still take (and refuse) connections accepted before the listener closed.
    func finish() async {
        _ = await runTask.value
    }
}
