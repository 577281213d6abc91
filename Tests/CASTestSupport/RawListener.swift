import NIOCore
import NIOPosix

/// A plain TCP listener on 127.0.0.1 (port 0) that answers each connection's first bytes with `reply`
/// and closes: a server that is not caslite and not TLS, for clients that must say so.
public final class RawListener: Sendable {
    public let port: Int
    private let channel: any Channel

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    public static func start(reply: @escaping @Sendable ([UInt8]) -> [UInt8]) async throws -> RawListener {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(Answer(reply: reply)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RawListener(port: channel.localAddress?.port ?? 0, channel: channel)
    }

    public func stop() { channel.close(promise: nil) }

    final class Answer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let reply: @Sendable ([UInt8]) -> [UInt8]
        init(reply: @escaping @Sendable ([UInt8]) -> [UInt8]) { self.reply = reply }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).readableBytesView)
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: reply(bytes)))).whenComplete { _ in context.close(promise: nil) }
        }
    }
}
