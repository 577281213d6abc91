import CASCore
import CASTLS
import NIOCore
import NIOHTTP1

/// One HTTP connection. Everything that decides whether a request is served is settled at its head,
/// before a byte of its body is read: the route (unknown paths are a 404), the credentials (through
/// `Login`; a refusal is answered and the connection closed) and the announced body size (at most
/// `--max-line`). Responses go out in request order; keep-alive is honoured.
///
/// A call runs in a task of its own while the connection keeps reading, so a client that disconnects
/// (or a server that stops) cancels the call it was waiting for.
struct HTTPConnection: Sendable {
    let channel: HTTPServer.Child
    let routes: RESTRoutes
    let clients: ClientConnections
    /// What the connection's first byte showed (plain HTTP on an HTTPS port is answered 400 and closed).
    let transport: SniffedTransport
    /// Whether the port speaks TLS: a connection refused before its first byte is closed without an answer
    /// there (an answer in clear text would reach a TLS client as garbage).
    let tlsPort: Bool

    init(_ channel: HTTPServer.Child, routes: RESTRoutes, clients: ClientConnections, transport: SniffedTransport, tlsPort: Bool) {
        self.channel = channel
        self.tlsPort = tlsPort
        var routes = routes
        routes.connection = ConnectionID.next()
        self.routes = routes
        self.clients = clients
        self.transport = transport
    }

    /// A request whose head was accepted and whose body is being read.
    struct Reading {
        var head: HTTPRequestHead
        var target: Target
        var body = ByteBuffer()

        /// Who serves the request once its body is read.
        enum Target {
            case rest(RESTRoute, LoginIdentity)
            case monitor(MonitorRoute)
        }

        func limit(_ routes: RESTRoutes) -> Int {
            if case .monitor = target { return Monitor.maxBodyBytes }
            return routes.maxBodyBytes
        }
    }

    /// What the head of a request decided.
    enum Verdict {
        /// Answer now, without reading a body; `close` when the connection cannot be reused.
        case answer(RESTResponse, close: Bool)
        /// Read the body, then serve.
        case read(Reading)
        /// Stream the monitor's events until they end, then close (`GET /monitor/api/events`).
        case stream(MonitorEventStream)
    }

    func run() async {
        let raw = channel.channel
        let entered = await clients.enter(raw, refuse: { [tlsPort] error in
            guard !tlsPort else { return }
            let response = RESTAuthenticator.refusal(error).response
            try? await raw.writeAndFlush(HTTPServerResponsePart.head(Self.head(response, version: .http1_1, close: true)))
            try? await raw.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body))))
            try? await raw.writeAndFlush(HTTPServerResponsePart.end(nil))
        }, timedOut: { raw.close(promise: nil) })
        guard let entry = entered else {
            try? await channel.executeThenClose { _, _ in }  // an NIOAsyncChannel must be finished, or its writer traps
            return
        }
        defer { entry.leave() }
        try? await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { calls in
                var reading: Reading?
                var verified = VerifiedCredentials()
                requests: for try await part in inbound {
                    switch part {
                    case .head(let h):
                        try await calls.waitForAll()  // the previous response goes out first
                        switch await verdict(h, entry: entry, &verified) {
                        case .answer(let response, let close):
                            try await write(response, to: outbound, head: h, close: close)
                            if close { break requests }
                        case .read(let r):
                            reading = r
                        case .stream(let events):
                            calls.addTask {
                                try await stream(events, to: outbound, head: h, close: { raw.close(promise: nil) })
                                raw.close(promise: nil)  // the stream ended: so does the connection
                            }
                        }
                    case .body(var chunk):
                        guard var r = reading else { continue }
                        reading = nil
                        guard r.body.readableBytes + chunk.readableBytes <= r.limit(routes) else {
                            try await write(tooLarge(r.limit(routes)), to: outbound, head: r.head, close: true)
                            break requests
                        }
                        r.body.writeBuffer(&chunk)
                        reading = r
                    case .end:
                        guard let r = reading else { continue }
                        reading = nil
                        calls.addTask {
                            let request = RESTRequest(head: r.head, body: Array(r.body.readableBytesView))
                            let response: RESTResponse
                            switch r.target {
                            case .rest(let route, let user): response = await routes.handle(route, request, user)
                            case .monitor(let route): response = await monitor(route, request, entry)
                            }
                            try await write(response, to: outbound, head: r.head, close: !r.head.isKeepAlive)
                            if !r.head.isKeepAlive { raw.close(promise: nil) }  // answered: ends the connection
                        }
                    }
                }
                calls.cancelAll()  // the client left or the server is stopping: a running call is cancelled
            }
        }
    }

    /// Settles a request at its head: route, credentials, size. GET and HEAD (which carry no body for
    /// swat, though it may announce a stale Content-Length) are answered here.
    func verdict(_ h: HTTPRequestHead, entry: ClientConnections.Entry, _ verified: inout VerifiedCredentials) async -> Verdict {
        let announced = Int(h.headers.first(name: "content-length") ?? "0") ?? 0
        let hasBody = announced > 0 || h.headers.contains(name: "transfer-encoding")
        if PlaintextRefusal.applies(transport) { return .answer(PlaintextRefusal.rest.response, close: true) }
        if let ops = OpsRoute(h) {
            return .answer(await ops.answer(h, routes: routes, entry: entry, &verified), close: hasBody || !h.isKeepAlive)
        }
        if let m = MonitorRoute(path: RESTRequest(head: h, body: []).path) {
            if m == .events, h.method == .GET, !hasBody,
               let events = await routes.monitor.events(RESTRequest(head: h, body: []), loggedIn: entry.loggedIn) {
                return .stream(events)
            }
            guard h.method == .POST else { return .answer(await monitor(m, RESTRequest(head: h, body: []), entry), close: hasBody || !h.isKeepAlive) }
            guard announced <= Monitor.maxBodyBytes else { return .answer(tooLarge(Monitor.maxBodyBytes), close: true) }
            return .read(Reading(head: h, target: .monitor(m)))
        }
        do throws(RESTError) {
            let route = try RESTRoutes.route(h)
            let user: LoginIdentity
            do { user = try await routes.authenticator.authenticate(h.headers, from: entry.address, &verified) } catch {
                return .answer(error.response, close: true)  // a refused login closes the connection
            }
            entry.loggedIn()
            if h.method == .GET || h.method == .HEAD {
                let response = await routes.handle(route, RESTRequest(head: h, body: []), user)
                return .answer(response, close: hasBody || !h.isKeepAlive)  // never wait for a stale body
            }
            guard announced <= routes.maxBodyBytes else { return .answer(tooLarge(routes.maxBodyBytes), close: true) }
            return .read(Reading(head: h, target: .rest(route, user)))
        } catch {
            return .answer(error.response, close: hasBody || !h.isKeepAlive)
        }
    }

    func tooLarge(_ limit: Int) -> RESTResponse {
        RESTResponse.error(.payloadTooLarge, "Request body too large", details: "The server accepts at most \(limit) bytes per request.")
    }

    /// A web monitor request (its logins need no Authorization header).
    func monitor(_ route: MonitorRoute, _ request: RESTRequest, _ entry: ClientConnections.Entry) async -> RESTResponse {
        await routes.monitor.handle(route, request, address: entry.address, tls: tlsPort, loggedIn: entry.loggedIn)
    }

    func write(_ r: RESTResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, head: HTTPRequestHead,
               close: Bool) async throws {
        try await outbound.write(.head(Self.head(r, version: head.version, close: close)))
        if head.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: r.body)))) }
        try await outbound.write(.end(nil))
    }

    /// Writes the event stream's head and then each event as it comes, flushed; the connection closes after it.
    func stream(_ events: MonitorEventStream, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, head: HTTPRequestHead,
                close: @escaping @Sendable () -> Void) async throws {
        var h = Self.head(Monitor.eventsHead, version: head.version, close: true)
        h.headers.remove(name: "Content-Length")
        try await outbound.write(.head(h))
        await events.run(write: { text in try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text)))) }, close: close)
        try? await outbound.write(.end(nil))
    }

    static func head(_ r: RESTResponse, version: HTTPVersion, close: Bool) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        if !r.headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        }
        headers.add(name: "Content-Length", value: String(r.body.count))
        headers.add(name: "Connection", value: close ? "close" : "keep-alive")
        for (k, v) in r.headers { headers.add(name: k, value: v) }
        return HTTPResponseHead(version: version, status: r.status, headers: headers)
    }
}
