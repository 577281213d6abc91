import CASNIO
import NIOCore
import SeededRandom
import Testing

/// Feeds the line decoder whole, byte by byte and in random chunks (as NIO's
/// ByteToMessageDecoderVerifier does) and checks that the same lines come out.
@Suite("JSON-lines decoder")
struct LineFrameDecoderTests {
    static let input = "{\"a\":1}\n\r\n{\"b\":\"x y\"}\r\n" + String(repeating: "z", count: 300) + "\n{\"c\":3}\nlast"

    func decode(_ chunks: [[UInt8]], max: Int = 1000) -> [LineEvent] {
        var d = LineFrameDecoder(maxLineLength: max)
        var buffer = ByteBuffer()
        var out: [LineEvent] = []
        for c in chunks {
            buffer.writeBytes(c)
            while let e = d.next(&buffer) { out.append(e) }
        }
        return out
    }

    func strings(_ events: [LineEvent]) -> [String] {
        events.map { e in
            switch e {
            case .line(let b): String(buffer: b)
            case .oversize(let n, let prefix): "<oversize \(n) \(String(decoding: prefix.prefix(3), as: UTF8.self))>"
            }
        }
    }

    var expected: [String] { ["{\"a\":1}", "", "{\"b\":\"x y\"}", String(repeating: "z", count: 300), "{\"c\":3}"] }

    @Test func whole() {
        #expect(strings(decode([Array(Self.input.utf8)])) == expected)
    }

    @Test func byteByByte() {
        #expect(strings(decode(Array(Self.input.utf8).map { [$0] })) == expected)
    }

    @Test(arguments: [1, 2, 3, 42, 1234])
    func randomChunks(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let bytes = Array(Self.input.utf8)
        var chunks: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            let n = Int(rng.next() % 17) + 1
            chunks.append(Array(bytes[i..<min(bytes.count, i + n)]))
            i += n
        }
        #expect(strings(decode(chunks)) == expected)
    }

    @Test func oversizeLinesAreDiscardedAndReported() {
        let text = "short\n" + String(repeating: "x", count: 500) + "\nafter\n"
        #expect(strings(decode([Array(text.utf8)], max: 100)) == ["short", "<oversize 500 xxx>", "after"])
        // Also when the oversize line arrives in pieces, longer than the limit before its newline.
        let chunks = Array(text.utf8).chunked(7)
        #expect(strings(decode(chunks, max: 100)) == ["short", "<oversize 500 xxx>", "after"])
    }

    /// Before login a server reports an oversize line as soon as it passes the limit: a flooding client
    /// need never send its newline. A raised limit reports at newlines again.
    @Test func aHandshakeLimitReportsAtOnceUntilRaised() {
        let limit = LineLimit(100, reportsAtOnce: true)
        var d = LineFrameDecoder(limit: limit)
        var buffer = ByteBuffer(bytes: Array(repeating: UInt8(ascii: "x"), count: 150))
        #expect(strings(d.next(&buffer).map { [$0] } ?? []) == ["<oversize 150 xxx>"])
        #expect(buffer.readableBytes == 0, "nothing is kept")
        limit.raise(to: 1000)
        buffer.writeBytes(Array("\n".utf8) + Array(repeating: UInt8(ascii: "y"), count: 500) + Array("\n".utf8))
        var rest: [LineEvent] = []
        while let e = d.next(&buffer) { rest.append(e) }
        #expect(strings(rest) == ["<oversize 150 xxx>", String(repeating: "y", count: 500)])  // the first line's end, then a line within the raised limit
    }
}

extension Array {
    func chunked(_ n: Int) -> [[Element]] { stride(from: 0, to: count, by: n).map { Array(self[$0..<Swift.min(count, $0 + n)]) } }
}
