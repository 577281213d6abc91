import Foundation
import NIOCore
import NIOSSL
import NIOTLS
import X509

/// The client side of TLS for caslite's clients (CASClient, the CLI, the tests' REST client): the
/// server's chain is verified against the CA file (or the system's CA bundle when there is none), its
/// dates are checked, and its name must match the host connected to (a DNS name in the certificate, or
/// an IP address equal to the server's address). A failure never falls back to plaintext: it becomes a
/// `TLSError` that says what was wrong (`explain`).
///
/// ```swift
/// let tls = try ClientTLS(caFile: "ca.pem")
/// // in the channel initializer:
/// let handshake = try tls.addHandlers(to: channel, host: "127.0.0.1")
/// // after connecting:
/// do { try await handshake.get() } catch { throw await tls.explain(error, host: host, port: port) }
/// ```
public struct ClientTLS: Sendable {
    /// The PEM file of the CAs trusted; nil: the system's CA bundle.
    public let caFile: String?
    /// The certificates of `caFile`, for messages.
    let trusted: [Certificate]
    let context: NIOSSLContext
    /// Seconds the handshake may take before the connection is given up.
    public var handshakeTimeout: Double = 10

    /// Reads the CA file (`TLSError.badFile` when it cannot be read or holds no certificate).
    public init(caFile: String?) throws(TLSError) {
        self.caFile = caFile
        var config = TLSConfiguration.makeClientConfiguration()
        config.minimumTLSVersion = .tlsv12
        config.cipherSuites = ServerTLS.modernCipherSuites
        config.shutdownTimeout = .seconds(1)
        if let caFile {
            trusted = try PEMFiles.certificates(caFile, "CA file")
            var roots: [NIOSSLCertificate] = []
            for c in trusted { roots.append(try PEMFiles.nio(c)) }
            config.trustRoots = .certificates(roots)
        } else {
            trusted = []
        }
        do { context = try NIOSSLContext(configuration: config) } catch {
            throw TLSError(.badFile, "cannot use the CA file \(caFile ?? "(system bundle)"): \(error)", cause: error)
        }
    }

    /// Adds the TLS client handler to a new channel (in its initializer, before the protocol's handlers);
    /// the future completes when the handshake succeeded, or fails with why it did not.
    public func addHandlers(to channel: any Channel, host: String) throws -> EventLoopFuture<Void> {
        // SNI carries names only; for an IP address nio-ssl matches the certificate's IP addresses to the peer's.
        let name = HostName.ipBytes(host) == nil ? host : nil
        let ssl = try NIOSSLClientHandler(context: context, serverHostname: name)
        let watcher = HandshakeWatcher(promise: channel.eventLoop.makePromise(), timeout: handshakeTimeout)
        try channel.pipeline.syncOperations.addHandlers(ssl, watcher)
        return watcher.promise.futureResult
    }

    /// A handshake failure in words: what was wrong with the server's certificate (found by fetching it
    /// once more without trusting it), or that the port does not speak TLS.
    public func explain(_ error: any Error, host: String, port: Int) async -> TLSError {
        let at = "\(host):\(port)"
        switch Failure(error) {
        case .closed:
            return TLSError(.notTLS, "TLS: the server at \(at) closed the connection during the TLS handshake: is it a TLS port? (a caslite port without TLS closes TLS connections at once; connect without --tls) Or it refused the connection: a TLS port closes connections it refuses before login (too many waiting to log in) without an answer.", cause: error)
        case .timedOut:
            return TLSError(.notTLS, "TLS: no TLS answer from \(at) within \(Int(handshakeTimeout)) s: is it a TLS port? (connect without --tls)", cause: error)
        case .notTLS:
            return TLSError(.notTLS, "TLS: the server at \(at) did not answer with TLS: is it a plaintext port? (remove --tls)", cause: error)
        case .certificate(let hostName):
            let chain = await ServerChain.fetch(host: host, port: port, timeout: handshakeTimeout)
            return diagnose(chain, host: host, at: at, hostNameFailed: hostName, cause: error)
        case .other:
            return TLSError(.handshakeFailed, "TLS: the handshake with \(at) failed: \(error)", cause: error)
        }
    }

    /// What ended a handshake. BoringSSL's reasons come as text in its error stack.
    enum Failure: Equatable {
        case closed, timedOut, notTLS, other
        /// The certificate was refused: its name (`true`), or its chain or dates.
        case certificate(hostName: Bool)

        init(_ error: any Error) {
            switch error {
            case is HandshakeWatcher.Closed: self = .closed
            case is HandshakeWatcher.TimedOut: self = .timedOut
            case let e as NIOSSLExtraError where e == .failedToValidateHostname: self = .certificate(hostName: true)
            case NIOSSLError.uncleanShutdown: self = .closed
            case NIOSSLError.handshakeFailed(let reason):
                let text = "\(reason)"
                if text.contains("CERTIFICATE_VERIFY_FAILED") {
                    self = .certificate(hostName: false)
                } else if text.contains("EOF during handshake") {  // nio-ssl's synthetic error for a peer that closed
                    self = .closed
                } else if ["WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"].contains(where: text.contains) {
                    self = .notTLS
                } else {
                    self = .other
                }
            default: self = .other
            }
        }
    }

    /// Where the client's trust comes from, for messages.
    var trustSource: String {
        guard let caFile else { return "the system's CA bundle (no --tls-ca or CASLITE_TLS_CA was given)" }
        let subjects = trusted.map { "'\($0.subject)'" }.joined(separator: ", ")
        return "the CA file \(caFile) (\(subjects))"
    }
}

/// Completes a promise when the TLS handshake ends: with success, with the error that ended it, when
/// the connection closes first, or when it takes longer than the time-out (the channel is then closed).
final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    struct Closed: Error {}
    struct TimedOut: Error {}

    let promise: EventLoopPromise<Void>
    let timeout: Double
    private var done = false
    private var timer: Scheduled<Void>?

    init(promise: EventLoopPromise<Void>, timeout: Double) {
        self.promise = promise
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
            self.finish(.failure(TimedOut()))
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e {
            finish(.success(()))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(Closed()))
        context.fireChannelInactive()
    }

    private func finish(_ result: Result<Void, any Error>) {
        guard !done else { return }
        done = true
        timer?.cancel()
        promise.completeWith(result)
    }
}
