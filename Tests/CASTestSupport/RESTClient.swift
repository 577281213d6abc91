import CASClient
import CASTLS
import CASWire
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 client over SwiftNIO for the REST front end: one keep-alive connection (as swat's
/// `requests.Session`), Basic credentials on every request, answers matched to requests in order.
/// Async all the way: URLSession on Linux waits forever on a 401 challenge, and blocking sockets would
/// starve the cooperative pool the in-process server needs.
public final class RESTClient: Sendable {
    /// An HTTP answer.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: [UInt8]
        /// The body as JSON (`.null` when empty).
        public var json: Value { get throws { body.isEmpty ? .null : try JSONParser.parse(body) } }
    }

    public let port: Int
    public let user: String
    let password: String
    let channel: any Channel
    let collector: NIOLoopBound<ReplyCollector>

    private init(port: Int, user: String, password: String, channel: any Channel, collector: NIOLoopBound<ReplyCollector>) {
        self.port = port
        self.user = user
        self.password = password
        self.channel = channel
        self.collector = collector
    }

    /// Connects to `host:port`, over HTTPS with `tls` (a handshake failure is thrown as `ClientTLS.explain` words it).
    public static func connect(port: Int, user: String, password: String, host: String = "127.0.0.1", tls: ClientTLS? = nil) async throws -> RESTClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: host, port: port).get()
        let (collector, handshake) = try await channel.eventLoop.submit {
            let c = ReplyCollector()
            let handshake = try tls?.addHandlers(to: channel, host: host)
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            try channel.pipeline.syncOperations.addHandler(c)
            return (NIOLoopBound(c, eventLoop: channel.eventLoop), handshake)
        }.get()
        if let tls, let handshake {
            do { try await handshake.get() } catch {
                try? await channel.close()
                throw ClientError(await tls.explain(error, host: host, port: port).message)
            }
        }
        return RESTClient(port: port, user: user, password: password, channel: channel, collector: collector)
    }

    /// One request; `user: .some(nil)` sends no credentials.
    public func send(_ method: String, _ path: String, body: [UInt8] = [], headers: [(String, String)] = [], user: String?? = .none,
                     password: String? = nil) async throws -> Reply {
        var h = HTTPHeaders()
        h.add(name: "Host", value: "127.0.0.1")
        h.add(name: "Content-Type", value: "application/json")
        h.add(name: "Content-Length", value: String(body.count))
        if let name = user ?? self.user {
            h.add(name: "Authorization", value: "Basic " + Data("\(name):\(password ?? self.password)".utf8).base64EncodedString())
        }
        for (k, v) in headers { h.replaceOrAdd(name: k, value: v) }
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path, headers: h)
        let channel = self.channel, collector = self.collector
        let promise = channel.eventLoop.makePromise(of: Reply.self)
        channel.eventLoop.execute {
            guard channel.isActive else { return promise.fail(ClientError("the server closed the connection")) }
            collector.value.waiting.append(promise)
            channel.write(NIOAny(HTTPClientRequestPart.head(head)), promise: nil)
            if !body.isEmpty { channel.write(NIOAny(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil) }
            channel.writeAndFlush(NIOAny(HTTPClientRequestPart.end(nil)), promise: nil)
        }
        return try await promise.futureResult.get()
    }

    /// One request whose answer is JSON.
    public func json(_ method: String, _ path: String, body: [UInt8] = [], headers: [(String, String)] = [], user: String?? = .none,
                     password: String? = nil) async throws -> (status: Int, json: Value, headers: HTTPHeaders) {
        let r = try await send(method, path, body: body, headers: headers, user: user, password: password)
        return (r.status, try r.json, r.headers)
    }

    public func close() async { try? await channel.close() }
}

/// Collects response parts into replies, in request order; fails what is still waiting when the
/// connection closes. Lives on the channel's event loop.
final class ReplyCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    var waiting = CircularBuffer<EventLoopPromise<RESTClient.Reply>>()
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var b):
            body.writeBuffer(&b)
        case .end:
            guard let h = head, !waiting.isEmpty else { return }
            waiting.removeFirst().succeed(RESTClient.Reply(status: Int(h.status.code), headers: h.headers, body: Array(body.readableBytesView)))
            head = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        while let p = waiting.popFirst() { p.fail(ClientError("the server closed the connection")) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        while let p = waiting.popFirst() { p.fail(error) }
        context.close(promise: nil)
    }
}
