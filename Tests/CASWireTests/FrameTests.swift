import CASWire
import Testing

@Suite("Protocol frames")
struct FrameTests {
    @Test func clientFramesRoundTrip() throws {
        let frames: [ClientFrame] = [
            .hello(user: "alice", password: "pw", session: "abc", protocolVersion: 1),
            .request(id: 7, action: "table.fetch", params: ["table": "t", "to": 5]),
            .cancel(id: 7),
        ]
        for f in frames {
            var line = f.line
            #expect(line.removeLast() == 0x0A)
            #expect(try ClientFrame(line: line) == f)
        }
    }

    @Test func serverFramesRoundTrip() throws {
        let r = Response(disposition: Disposition(severity: .warning, reason: "ok", statusCode: 0, formattedStatus: ""),
                         results: ["n": 3], performance: Performance(elapsedTime: 0.5, cpuUserTime: 0.25, cpuSystemTime: 0))
        let frames: [ServerFrame] = [
            .welcome(session: "s", user: "u", server: "caslite", protocolVersion: 1),
            .log(id: 3, LogLine(.warning, "careful")),
            .progress(id: 3, Progress(done: 1, total: 2, unit: "batch", message: "m")),
            .response(id: 3, r),
            .error(id: nil, message: "bad"),
        ]
        for f in frames {
            var line = f.line
            line.removeLast()
            #expect(try ServerFrame(line: line) == f)
        }
    }

    @Test(arguments: [
        ("not json", "malformed JSON"), ("[1]", "must be a JSON object"), (#"{"id": 1}"#, "expected \"action\""),
        (#"{"action": "x"}"#, "integer \"id\""), (#"{"hello": 1}"#, "hello"), (#"{"what": 1}"#, "unknown frame"),
        (#"{"id": 2, "action": "a", "params": [1]}"#, "must be an object"),
    ])
    func badClientFramesAreExplained(_ text: String, _ fragment: String) {
        do {
            _ = try ClientFrame(line: Array(text.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }
}
