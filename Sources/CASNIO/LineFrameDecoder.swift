import NIOCore
import Synchronization

/// One decoded input unit of the JSON-lines protocol.
public enum LineEvent: Sendable, Equatable {
    /// A complete line without its `\n` (and without a trailing `\r`).
    case line(ByteBuffer)
    /// A line longer than the limit was discarded; carries the number of bytes dropped and the
    /// line's first bytes (so the server can still name the request id in its error).
    case oversize(Int, prefix: [UInt8])
}

/// Splits a byte stream into lines, bounded by a `LineLimit`. An oversize line is discarded
/// up to its newline and reported as `.oversize` — the connection stays usable.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = LineEvent

    /// The bound, shared with whoever may raise it (the server raises it after a successful login).
    public let limit: LineLimit
    public var maxLineLength: Int { limit.bytes }
    private var scanned = 0
    private var discarding = false
    private var dropped = 0
    private var prefix: [UInt8] = []
    static let prefixLength = 160

    public init(maxLineLength: Int) { self.limit = LineLimit(maxLineLength) }

    public init(limit: LineLimit) { self.limit = limit }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let event = next(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(event))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while let event = next(&buffer) { context.fireChannelRead(Self.wrapInboundOut(event)) }
        return .needMoreData
    }

    /// The next event from `buffer`, if one is complete. Usable without a channel (tests, clients).
    public mutating func next(_ buffer: inout ByteBuffer) -> LineEvent? {
        let maxLineLength = self.maxLineLength
        let view = buffer.readableBytesView
        let from = view.startIndex + scanned
        guard let nl = view[from...].firstIndex(of: UInt8(ascii: "\n")) else {
            if discarding {
                dropped += view.count
                buffer.moveReaderIndex(forwardBy: view.count)
                scanned = 0
            } else if view.count > maxLineLength {
                discarding = true
                dropped = view.count
                prefix = Array(view.prefix(Self.prefixLength))
                buffer.moveReaderIndex(forwardBy: view.count)
                scanned = 0
                if limit.reportsAtOnce { return .oversize(dropped, prefix: prefix) }  // the newline may never come
            } else {
                scanned = view.count
            }
            return nil
        }
        let length = nl - view.startIndex
        scanned = 0
        if discarding || length > maxLineLength {
            let total = dropped + length
            let head = discarding ? prefix : Array(view.prefix(Self.prefixLength))
            discarding = false
            dropped = 0
            prefix = []
            buffer.moveReaderIndex(forwardBy: length + 1)
            return .oversize(total, prefix: head)
        }
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        return .line(line)
    }
}

/// The longest line a `LineFrameDecoder` accepts, changeable while the decoder runs on its event loop:
/// a server starts a connection at a small handshake limit and raises it once the client logged in.
///
/// With `reportsAtOnce` (the handshake: the connection is closed on the first oversize line) a line
/// is reported as `.oversize` as soon as it passes the limit rather than at its newline, which a
/// client flooding the port need never send; the rest of it is still discarded.
public final class LineLimit: Sendable {
    private let value: Atomic<Int>
    private let early: Atomic<Bool>

    public init(_ bytes: Int, reportsAtOnce: Bool = false) {
        value = Atomic(bytes)
        early = Atomic(reportsAtOnce)
    }

    public var bytes: Int { value.load(ordering: .relaxed) }
    public var reportsAtOnce: Bool { early.load(ordering: .relaxed) }

    /// Sets a new limit, reported at newlines from then on; lines from then on are measured against it.
    public func raise(to bytes: Int) {
        value.store(bytes, ordering: .relaxed)
        early.store(false, ordering: .relaxed)
    }
}
