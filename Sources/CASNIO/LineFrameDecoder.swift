import NIOCore

/// One decoded input unit of the JSON-lines protocol.
public enum LineEvent: Sendable, Equatable {
    /// A complete line without its `\n` (and without a trailing `\r`).
    case line(ByteBuffer)
    /// A line longer than the limit was discarded; carries the number of bytes dropped and the
    /// line's first bytes (so the server can still name the request id in its error).
    case oversize(Int, prefix: [UInt8])
}

/// Splits a byte stream into lines, bounded by `maxLineLength`. An oversize line is discarded
/// up to its newline and reported as `.oversize` — the connection stays usable.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = LineEvent

    public let maxLineLength: Int
    private var scanned = 0
    private var discarding = false
    private var dropped = 0
    private var prefix: [UInt8] = []
    static let prefixLength = 160

    public init(maxLineLength: Int) { self.maxLineLength = maxLineLength }

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
