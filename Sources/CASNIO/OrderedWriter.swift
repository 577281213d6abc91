import NIOCore
import Synchronization

/// Writes whole frames to a channel in the order they were sent, from any thread or task; a long
/// frame may be written in chunks while it is still being produced (`stream`).
///
/// Every write goes through `eventLoop.execute`, even from the event loop itself: the loop's task
/// queue is FIFO, so a frame sent after another (by the same caller, or after it returned) is written
/// after it. Writing from a task of its own per frame (as `Task { write }`) gives no such order: a
/// cancel could overtake the request it cancels.
///
/// A frame's chunks are never interleaved with another frame's bytes: while one frame is being
/// streamed, the chunks of every other frame wait on the event loop (`Interleave`) and go out, in
/// the order they arrived, when it ends.
public struct OrderedWriter: Sendable {
    public let channel: any Channel
    private let interleave: Interleave
    private let budget: OutboundBudget?
    private static let nextFrame = Atomic<UInt64>(0)

    /// With a `budget`, every streamed piece is charged until the socket has taken it: a client that
    /// does not read its answers cannot make the server hold more than the budget allows.
    public init(_ channel: any Channel, budget: OutboundBudget? = nil) {
        self.channel = channel
        self.interleave = Interleave(channel)
        self.budget = budget
    }

    /// Queues `bytes` (one whole frame) for writing and flushing; the future fails if the channel is closed.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> EventLoopFuture<Void> {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let chunk = Chunk(frame: Self.frameID(), buffer: channel.allocator.buffer(bytes: bytes), end: true, promise: promise)
        let interleave = self.interleave
        channel.eventLoop.execute { interleave.arrive(chunk) }
        return promise.futureResult
    }

    /// Writes one frame that `produce` hands over in pieces: each piece is copied and queued for the
    /// socket as it comes, so the first bytes are on their way while the rest is still being
    /// formatted. `produce` runs on the caller's thread; the future is the last piece's write.
    ///
    /// When the budget refuses a piece (the bytes waiting for the socket would pass it), the rest is
    /// dropped, the connection is closed — a frame cut short cannot be mended — and the future fails
    /// with `OutboundBudget.Exceeded`.
    @discardableResult
    public func stream(_ produce: (_ emit: (UnsafeRawBufferPointer) -> Void) -> Void) -> EventLoopFuture<Void> {
        let frame = Self.frameID()
        let interleave = self.interleave
        let loop = channel.eventLoop
        let allocator = channel.allocator
        let budget = self.budget
        var exceeded: OutboundBudget.Exceeded?
        // one piece is held back, so the last one can be marked as the frame's end
        var held: (buffer: ByteBuffer, release: (@Sendable () -> Void)?)?
        func queue(_ piece: (buffer: ByteBuffer, release: (@Sendable () -> Void)?), end: Bool, promise: EventLoopPromise<Void>?) {
            var promise = promise
            if let release = piece.release {
                let p = promise ?? loop.makePromise(of: Void.self)
                p.futureResult.whenComplete { _ in release() }
                promise = p
            }
            let chunk = Chunk(frame: frame, buffer: piece.buffer, end: end, promise: promise)
            loop.execute { interleave.arrive(chunk) }
        }
        produce { piece in
            guard exceeded == nil else { return }
            var release: (@Sendable () -> Void)?
            if let budget {
                guard let r = budget.reserve(piece.count) else {
                    exceeded = OutboundBudget.Exceeded(bytes: piece.count)
                    return
                }
                release = r
            }
            if let h = held { queue(h, end: false, promise: nil) }
            var b = allocator.buffer(capacity: piece.count)
            b.writeBytes(piece)
            held = (b, release)
        }
        if let exceeded {
            held?.release?()
            let channel = self.channel
            loop.execute { channel.close(promise: nil) }
            return loop.makeFailedFuture(exceeded)
        }
        let promise = loop.makePromise(of: Void.self)
        queue(held ?? (allocator.buffer(capacity: 0), nil), end: true, promise: promise)
        return promise.futureResult
    }

    /// Sends `bytes`, then closes the channel (a refusal the client should still read).
    public func sendThenClose(_ bytes: [UInt8]) {
        let channel = self.channel
        send(bytes).whenComplete { _ in channel.close(promise: nil) }
    }

    private static func frameID() -> UInt64 { nextFrame.wrappingAdd(1, ordering: .relaxed).newValue }
}

/// What the bytes waiting for a connection's socket may take: `reserve(n)` takes `n` more bytes and
/// returns what gives them back (called once the socket has them), or nil when they do not fit.
public struct OutboundBudget: Sendable {
    public let reserve: @Sendable (Int) -> (@Sendable () -> Void)?

    public init(reserve: @escaping @Sendable (Int) -> (@Sendable () -> Void)?) { self.reserve = reserve }

    /// The piece the budget refused.
    public struct Exceeded: Error, Sendable { public let bytes: Int }
}

/// One piece of a frame on its way to the event loop.
struct Chunk: @unchecked Sendable {  // the buffer is handed over, never shared: the sender keeps no reference
    let frame: UInt64
    let buffer: ByteBuffer
    let end: Bool
    let promise: EventLoopPromise<Void>?
}

/// The event loop's side of `OrderedWriter`: which frame is being written and the chunks of other
/// frames waiting for it to end. Touched only on the channel's event loop.
final class Interleave: @unchecked Sendable {  // confined to the channel's event loop (asserted)
    private let channel: any Channel
    private var current: UInt64?
    private var waiting: [Chunk] = []

    init(_ channel: any Channel) { self.channel = channel }

    func arrive(_ chunk: Chunk) {
        channel.eventLoop.preconditionInEventLoop()
        if current == nil || current == chunk.frame {
            write(chunk)
            if current == nil { drain() }
        } else {
            waiting.append(chunk)
        }
    }

    private func write(_ chunk: Chunk) {
        current = chunk.end ? nil : chunk.frame
        channel.writeAndFlush(chunk.buffer, promise: chunk.promise)
    }

    /// Writes the waiting frames in the order their first chunks arrived, each whole: a frame of one
    /// piece (every error or log frame) is written at once; for a frame of several pieces, its pieces
    /// are taken out of the queue in order, and if its end has not arrived yet it stays the current
    /// frame and its later pieces are written as they come. Only frames of several pieces scan the
    /// queue, so a burst of small frames behind a long answer drains in linear time.
    private func drain() {
        var head = 0
        while current == nil, head < waiting.count {
            let first = waiting[head]
            head += 1
            write(first)
            guard !first.end else { continue }
            var rest: [Chunk] = []
            for c in waiting[head...] {
                if c.frame == first.frame { write(c) } else { rest.append(c) }
            }
            waiting = rest
            head = 0
        }
        waiting.removeFirst(head)
    }
}
