import CASClient
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Testing

/// "Safe to share", images and programs: coordinates of 2^63-1 that used to trap, and small requests
/// that used to exhaust memory, over a real server. Each gives a clear error (or skips the image with
/// a warning); the session keeps answering.
@Suite("image: hostile coordinates and sizes", .serialized)
struct HostileImageTests {
    func addFour(_ c: CASConnection) async throws {
        let rows: [Value] = (0..<4).map { i in [.int(Int64(i + 1)), .blob(Fixture.png(Fixture.image(16, 16, seed: i)))] }
        try await ok(c, "table.addTable", ["table": "four", "replace": true,
                                           "vars": [["name": "_id_", "type": "int64"], ["name": "_image_", "type": "varbinary"]], "rows": .list(rows)])
    }

    @Test func coordinatesAtTheEdgeOfInt64AreRefused() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { _, c in
            try await addFour(c)
            let crop = try await c.call("image.processImages", ["table": "four", "casOut": ["name": "out", "replace": true],
                                                                 "steps": [["options": ["functionType": "GET_PATCH", "x": .int(.max), "y": 0, "width": 1, "height": 1]]]])
            #expect(crop.disposition.severity != .normal, "a patch outside every image is not processed silently")
            let mask = try await c.call("image.augmentImages", ["table": "four", "casOut": ["name": "aug", "replace": true],
                                                                 "cropList": [["x": .int(.max), "y": .int(.max), "width": .int(.max), "height": 1, "mask": true]]])
            // a mask entirely outside the image covers nothing: the images come back unchanged (no trap on x + width)
            #expect(mask.disposition.severity == .normal, "\(mask.errorText)")
            try await ok(c, "builtins.ping")
            try await fails(c, "image.processImages", ["table": "four", "casOut": ["name": "out", "replace": true],
                                                       "steps": [["options": ["functionType": "RESIZE", "width": 65536, "height": 4096]]]], "width", "32767")
        }
    }

    /// PYRAMID_UP past the image limits used to stop doubling silently (the last step returned its input)
    /// with severity Normal: now the call is refused, naming the step and the limit.
    @Test func growingPastTheImageLimitsIsAnErrorNamingTheStep() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { _, c in
            try await ok(c, "table.addTable", ["table": "thin", "replace": true,
                                               "vars": [["name": "_id_", "type": "int64"], ["name": "_image_", "type": "varbinary"]],
                                               "rows": [[1, .blob(Fixture.png(Fixture.image(4000, 4, seed: 1)))]]])
            let up: Value = ["step": ["stepType": "MUTATIONS", "type": "PYRAMID_UP"]]
            // 4000 → 8000 → 16000 → 32000 wide; the fourth step would make 64000, past 32767 pixels per side
            try await ok(c, "image.processImages", ["table": "thin", "casOut": ["name": "ok3", "replace": true], "steps": .list(Array(repeating: up, count: 3))])
            try await fails(c, "image.processImages", ["table": "thin", "casOut": ["name": "big", "replace": true], "steps": .list(Array(repeating: up, count: 14))],
                            "steps[4]", "PYRAMID_UP", "64000", "32767")
            // a RESIZE whose pixels pass the limit names its step too
            try await fails(c, "image.processImages", ["table": "thin", "casOut": ["name": "big", "replace": true],
                                                       "steps": [["step": ["stepType": "RESIZE", "width": 32767, "height": 32767]]]],
                            "steps[1]", "RESIZE", "pixels")
            try await ok(c, "builtins.ping")
        }
    }

    @Test func resizingPastTheSessionsMemoryIsRefusedBeforeAllocating() async throws {
        try await TestServer.start(sets: imageSets, loadSets: ["image"], maxMemory: 2 << 30, maxSessionMemory: 256 << 20).run { s in
            let c = try await s.connect()
            try await addFour(c)
            // 32767 × 4096 × 3 bytes = 384 MiB per image: over the session's 256 MiB before the first pixel
            let r = try await fails(c, "image.processImages", ["table": "four", "casOut": ["name": "huge", "replace": true],
                                                               "steps": [["options": ["functionType": "RESIZE", "width": 32767, "height": 4096]]]],
                                    "--max-session-memory")
            #expect(r.errorText.contains("Processing image"))
            let status = try await ok(c, "builtins.serverStatus")
            let used = status.results["memory"]?.tableValue?.ints("UsedBytes") ?? []
            #expect(((used.last ?? nil) ?? Int.max) < 1 << 20, "nothing stays reserved")
            try await fails(c, "image.augmentImages", ["table": "four", "casOut": ["name": "aug", "replace": true],
                                                       "cropList": [["sweepImage": true, "width": 1, "height": 1, "outputWidth": 32767, "outputHeight": 32767]]],
                            "--max-session-memory")
        }
    }

    @Test func programsThatDoubleStringsAreStopped() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["sccasl"]) { _, c in
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1], [2], [3], [4]]])
            let program = "s = 'ab'; " + String(repeating: "s = s || s; ", count: 40)
            try await fails(c, "table.fetch", ["table": ["name": "t", "computedVars": ["s"], "computedVarsProgram": .string(program)]], "32767")
            let script = """
                s = "x"; do i = 1 to 23; s = s || s; end;
                l = {}; do i = 1 to 400; l[i] = s; end;
                """
            try await fails(c, "sccasl.runCasl", ["code": .string(script)], "CASL")
            try await ok(c, "builtins.ping")
        }
    }
}
