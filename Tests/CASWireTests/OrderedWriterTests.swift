import CASNIO
import NIOCore
import NIOEmbedded
import Testing

/// `OrderedWriter`: a frame streamed in chunks reaches the channel whole, and frames sent while it
/// streams follow it in the order they were sent. The embedded channel stands in for the network:
/// queued writes run only when the test runs the loop, so every interleaving below is exact.
@Suite("Ordered writer")
struct OrderedWriterTests {
    /// What the channel wrote, as text.
    static func written(_ channel: EmbeddedChannel) throws -> String {
        var out = ""
        while let b = try channel.readOutbound(as: ByteBuffer.self) { out += String(buffer: b) }
        return out
    }

    @Test func framesSentWhileAFrameStreamsWaitForItsEnd() throws {
        let channel = EmbeddedChannel()
        let writer = OrderedWriter(channel)
        writer.send(Array("first\n".utf8))
        writer.stream { emit in
            for piece in ["A1 ", "A2 ", "A3\n"] {
                Array(piece.utf8).withUnsafeBytes(emit)
                writer.send(Array("after \(piece.prefix(2))\n".utf8))  // another caller, mid-stream
            }
        }
        writer.send(Array("last\n".utf8))
        channel.embeddedEventLoop.run()
        // a piece is queued when the next one comes (the last is marked as the end), so "after A1" is
        // ahead of A1; the frames sent after A1 is queued wait for the end of A
        #expect(try Self.written(channel) == "first\nafter A1\nA1 A2 A3\nafter A2\nafter A3\nlast\n")
    }

    /// Two frames streamed at once (two calls of one connection): each is written whole, in the
    /// order their first pieces were sent, and a frame sent between them keeps its place.
    @Test func twoStreamsAreWrittenOneAfterTheOther() throws {
        let channel = EmbeddedChannel()
        let writer = OrderedWriter(channel)
        writer.stream { emitA in
            Array("a1 ".utf8).withUnsafeBytes(emitA)
            writer.stream { emitB in
                Array("b1 ".utf8).withUnsafeBytes(emitB)
                writer.send(Array("c\n".utf8))
                Array("a2 ".utf8).withUnsafeBytes(emitA)
                Array("b2\n".utf8).withUnsafeBytes(emitB)
            }
            Array("a3\n".utf8).withUnsafeBytes(emitA)
        }
        channel.embeddedEventLoop.run()
        // queued: c, a1, b1, b2 (end), a2, a3 (end) — a is being written when b1 comes, so b waits
        #expect(try Self.written(channel) == "c\na1 a2 a3\nb1 b2\n")
    }

    /// A frame that produces nothing still ends (the frames after it are not held back forever).
    @Test func anEmptyStreamEnds() throws {
        let channel = EmbeddedChannel()
        let writer = OrderedWriter(channel)
        writer.stream { _ in }
        writer.send(Array("next\n".utf8))
        channel.embeddedEventLoop.run()
        #expect(try Self.written(channel) == "next\n")
    }
}
