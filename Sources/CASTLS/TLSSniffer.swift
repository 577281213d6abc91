import NIOCore
import NIOSSL
import Synchronization

/// What the first byte of a connection showed, for the connection to act on.
public final class SniffedTransport: Sendable {
    /// The verdict of the first byte.
    public enum Kind: UInt8, Sendable {
        case undecided
        /// A TLS client on a TLS port: the handshake goes on.
        case tls
        /// A plaintext client on a plaintext port.
        case plaintext
        /// A plaintext client on a TLS port: its first frame or request is answered with a refusal that
        /// says to use TLS, in its own protocol, and the connection is closed.
        case plaintextOnTLSPort
        /// A TLS client on a plaintext port: closed at once (its handshake fails without waiting).
        case tlsOnPlaintextPort
    }

    private let value = Atomic<UInt8>(Kind.undecided.rawValue)

    /// Undecided until the connection's first byte arrives.
    public init() {}

    /// What the first byte showed (`.undecided` before it arrived).
    public var kind: Kind { Kind(rawValue: value.load(ordering: .acquiring)) ?? .undecided }

    func set(_ k: Kind) { value.store(k.rawValue, ordering: .releasing) }
}

/// The first handler of every accepted connection on both caslite ports. A TLS connection starts with
/// a handshake record (first byte 0x16); a JSON-lines one with `{` or a blank, an HTTP one with a
/// method's letter. On a TLS port a handshake gets a `NIOSSLServerHandler` with the server's current
/// context (`ServerTLS.context`, so a reload reaches new connections only); on a plaintext port a
/// handshake is closed at once, so the TLS client fails at once instead of after the login time-out.
/// Either way the handler then leaves the pipeline.
public final class TLSSniffer: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    /// The TLS record type of a handshake message (a ClientHello's first byte).
    public static let handshakeRecord: UInt8 = 0x16

    private let tls: ServerTLS?
    private let result: SniffedTransport

    /// `tls` nil: a plaintext port.
    public init(tls: ServerTLS?, result: SniffedTransport) {
        self.tls = tls
        self.result = result
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let first = unwrapInboundIn(data).readableBytesView.first else { return }
        let isHandshake = first == Self.handshakeRecord
        switch (tls, isHandshake) {
        case (let tls?, true):
            do {
                try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context), position: .after(self))
            } catch {
                context.close(promise: nil)
                return
            }
            result.set(.tls)
        case (nil, true):
            result.set(.tlsOnPlaintextPort)
            context.close(promise: nil)
            return
        case (.some, false):
            result.set(.plaintextOnTLSPort)
        case (nil, false):
            result.set(.plaintext)
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
