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
    private static let nextFrame = Atomic<UInt64>(0)

    public init(_ channel: any Channel) {
        self.channel = channel
        self.interleave = Interleave(channel)
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
    @discardableResult
    public func stream(_ produce: (_ emit: (UnsafeRawBufferPointer) -> Void) -> Void) -> EventLoopFuture<Void> {
        let frame = Self.frameID()
        let interleave = self.interleave
        let loop = channel.eventLoop
        let allocator = channel.allocator
        // one piece is held back, so the last one can be marked as the frame's end
        var held: ByteBuffer?
        produce { piece in
            if let h = held {
                let chunk = Chunk(frame: frame, buffer: h, end: false, promise: nil)
                loop.execute { interleave.arrive(chunk) }
            }
            var b = allocator.buffer(capacity: piece.count)
            b.writeBytes(piece)
            held = b
        }
        let promise = loop.makePromise(of: Void.self)
        let last = Chunk(frame: frame, buffer: held ?? allocator.buffer(capacity: 0), end: true, promise: promise)
        loop.execute { interleave.arrive(last) }
        return promise.futureResult
    }

    /// Sends `bytes`, then closes the channel (a refusal the client should still read).
    public func sendThenClose(_ bytes: [UInt8]) {
        let channel = self.channel
        send(bytes).whenComplete { _ in channel.close(promise: nil) }
    }

    private static func frameID() -> UInt64 { nextFrame.wrappingAdd(1, ordering: .relaxed).newValue }
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

    /// Writes the waiting frames in the order their first chunks arrived, each whole: the first
    /// waiting frame's chunks are taken out of the queue in order; if its end has not arrived yet,
    /// it stays the current frame and its later chunks are written as they come.
    private func drain() {
        while current == nil, let first = waiting.first {
            var rest: [Chunk] = []
            for c in waiting {
                if c.frame == first.frame && (current == nil || current == c.frame) {
                    write(c)
                } else {
                    rest.append(c)
                }
            }
            waiting = rest
        }
    }
}
