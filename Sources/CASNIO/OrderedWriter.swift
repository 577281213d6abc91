import NIOCore

/// Writes whole frames to a channel in the order `send` was called, from any thread or task.
///
/// Every write goes through `eventLoop.execute`, even from the event loop itself: the loop's task
/// queue is FIFO, so a frame sent after another (by the same caller, or after it returned) is written
/// after it. Writing from a task of its own per frame (as `Task { write }`) gives no such order: a
/// cancel could overtake the request it cancels.
public struct OrderedWriter: Sendable {
    public let channel: any Channel

    public init(_ channel: any Channel) { self.channel = channel }

    /// Queues `bytes` for writing and flushing; the future fails if the channel is closed.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> EventLoopFuture<Void> {
        let channel = self.channel
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute { channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: promise) }
        return promise.futureResult
    }

    /// Sends `bytes`, then closes the channel (a refusal the client should still read).
    public func sendThenClose(_ bytes: [UInt8]) {
        let channel = self.channel
        send(bytes).whenComplete { _ in channel.close(promise: nil) }
    }
}
