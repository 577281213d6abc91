import NIOCore
import NIOHTTP1

/// One HTTP connection: collects each request (head, body, end), lets `RESTRoutes` answer it and
/// writes the response. Keep-alive is honoured; the credentials verified on this connection are
/// remembered so that swat's Basic header (sent with every request) costs one password check.
struct HTTPConnection: Sendable {
    let channel: HTTPServer.Child
    let routes: RESTRoutes

    init(_ channel: HTTPServer.Child, routes: RESTRoutes) {
        self.channel = channel
        self.routes = routes
    }

    func run() async {
        try? await channel.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            var answered = false
            var verified = VerifiedCredentials()
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body.clear()
                    answered = false
                    // swat keeps a stale Content-Length on body-less GETs (reference §2): answer a GET at
                    // its head, and close the connection if a body was announced, so nothing waits for it.
                    if h.method == .GET || h.method == .HEAD {
                        let announced = Int(h.headers.first(name: "content-length") ?? "0") ?? 0
                        let response = await routes.handle(RESTRequest(head: h, body: []), &verified)
                        try await write(response, to: outbound, head: h, close: announced > 0 || !h.isKeepAlive)
                        if announced > 0 { return }
                        answered = true
                    }
                case .body(var chunk):
                    guard !answered else { continue }
                    if body.readableBytes + chunk.readableBytes > routes.maxBodyBytes {
                        let response = RESTResponse.error(.payloadTooLarge, "Request body too large",
                                                          details: "The server accepts at most \(routes.maxBodyBytes) bytes per request.")
                        if let h = head { try await write(response, to: outbound, head: h, close: true) }
                        return
                    }
                    body.writeBuffer(&chunk)
                case .end:
                    defer { head = nil; answered = false }
                    guard let h = head, !answered else { continue }
                    let response = await routes.handle(RESTRequest(head: h, body: Array(body.readableBytesView)), &verified)
                    try await write(response, to: outbound, head: h, close: !h.isKeepAlive)
                    if !h.isKeepAlive { return }
                }
            }
        }
    }

    func write(_ r: RESTResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, head: HTTPRequestHead,
               close: Bool) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(r.body.count))
        headers.add(name: "Connection", value: close ? "close" : "keep-alive")
        for (k, v) in r.headers { headers.add(name: k, value: v) }
        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: r.status, headers: headers)))
        if head.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: r.body)))) }
        try await outbound.write(.end(nil))
    }
}

/// Authorization header values already verified on one connection, with the user they name.
struct VerifiedCredentials: Sendable {
    var byHeader: [String: AuthenticatedUser] = [:]
}
