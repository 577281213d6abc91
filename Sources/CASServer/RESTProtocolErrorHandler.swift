import CASCore
import NIOCore
import NIOHTTP1

/// Answers a request the HTTP parser could not read (SwiftNIO's `HTTPServerProtocolErrorHandler`, with a body):
/// 400 with the `{"error", "details"}` JSON swat shows as a SWATError, then the connection closes. An empty 400
/// left swat with a JSONDecodeError and the user with no idea that, say, `upload_frame` of a very wide frame
/// had sent headers past `Limits.maxHTTPHeaderBytes`.
final class RESTProtocolErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A response has begun and not ended: a second head cannot be written.
    private var responding = false

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let parse = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        // ByteToMessageDecoder closes the channel right after this returns: answer now or never
        if !responding {
            let response = Self.response(parse)
            let headers = HTTPHeaders([("Connection", "close"), ("Content-Type", "application/json"), ("Content-Length", String(response.body.count))])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.fireErrorCaught(error)
    }

    static func response(_ error: HTTPParserError) -> RESTResponse {
        if error == .headerOverflow {
            return .error(.badRequest, "The request's headers are larger than \(Limits.maxHTTPHeaderBytes) bytes",
                          details: "swat's upload_frame sends one importOptions.vars entry per column in its JSON-Parameters header; "
                              + "upload fewer columns at a time, or save the frame as CSV and load it with table.loadTable")
        }
        return .error(.badRequest, "Malformed HTTP request", details: "\(error)")
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code < 200: break   // informational: the real response follows
        case .head: responding = true
        case .body: break
        case .end: responding = false
        }
        context.write(data, promise: promise)
    }
}
