import CASClient
import CASStandardSets
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Synchronization
import Testing

/// examples/covid-ct/pipeline.casl — the seed pipeline `make demo` runs — on a generated two-class
/// image tree, through `sccasl.runCasl` on a real server, compared with
/// examples/covid-ct/pipeline.expected (`CASL_UPDATE_GOLDEN=1` rewrites it).
///
/// Everything up to the training is seeded and independent of floating-point kernels (counts per
/// class, the split, the model table), so it is compared exactly. From the first epoch on, the
/// numbers depend on the CPU's kernels (oneDNN picks them per instruction set), so they are masked
/// in the golden comparison and checked here by invariants instead: the confusion matrix adds up
/// to the test count, the per-class counts match the split, the pictures are real files.
@Suite("examples/covid-ct/pipeline.casl (golden output)", .serialized)
struct PipelineScriptTests {
    static let perClass = 20

    /// 32x32 RGB: dim noise with a bright square at the top left (class "ring") or bottom right ("clear").
    static func image(classA: Bool, index: Int) throws -> Image {
        var img = try Image(width: 32, height: 32, format: .rgb)
        var state = UInt64(0x9E37_79B9_7F4A_7C15) &* UInt64(index + 1) &+ (classA ? 17 : 91)
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        let x0 = classA ? 3 : 18, y0 = classA ? 3 : 18
        for y in 0..<32 {
            for x in 0..<32 {
                let inside = (x0..<x0 + 11).contains(x) && (y0..<y0 + 11).contains(y)
                for ch in 0..<3 { img[x, y, ch] = UInt8(inside ? 190 + next() % 60 : next() % 80) }
            }
        }
        return img
    }

    @Test func pipelineScriptOnGeneratedImages() async throws {
        let code = try String(contentsOfFile: Examples.root + "/covid-ct/pipeline.casl", encoding: .utf8)
        try await withServer(sets: StandardRegistry.sets) { s in
            let folder = "\(s.dataRoot)/public/shapes"
            for i in 0..<(2 * Self.perClass) {
                let a = i % 2 == 0
                let url = URL(fileURLWithPath: "\(folder)/\(a ? "ring" : "clear")/img\(i).png")
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(ImageCodec.encodePNG(Self.image(classA: a, index: i))).write(to: url)
            }
            let c = try await s.connect("caslite")
            try await ok(c, "builtins.loadActionSet", ["actionSet": "sccasl"])
            let vars: ValueDict = ["caslib": "public", "data": "shapes", "model": "resnet18", "weights": "none",
                                   "epochs": 4, "size": 32, "outdir": "pipeline-out", "seed": 12345, "precision": "FP32"]
            let lines = Mutex<[String]>([])
            let r = try await c.call("sccasl.runCasl", ["code": .string(code), "vars": .dict(vars)]) { e in
                if case .log(let l) = e { lines.withLock { $0.append(l.formatted) } }
            }
            #expect(r.disposition.severity == .normal, "pipeline failed: \(r.errorText)")
            let log = lines.withLock { $0 }
            let transcript = Self.normalise(log) + "\n"
            let expectedPath = Examples.root + "/covid-ct/pipeline.expected"
            if ProcessInfo.processInfo.environment["CASL_UPDATE_GOLDEN"] == "1" {
                try transcript.write(toFile: expectedPath, atomically: true, encoding: .utf8)
            }
            let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
            #expect(transcript == expected, "transcript differs from \(expectedPath); run with CASL_UPDATE_GOLDEN=1 to see it")

            // What the masked part must still satisfy.
            #expect(r.results["model"]?.stringValue == "RESNET18")
            let testCount = Int(r.results["testImages"]?.doubleValue ?? -1)
            #expect(testCount == 8)  // 20 % of 40, seeded
            let accuracy = r.results["accuracy"]?.doubleValue ?? -1
            #expect((0...100).contains(accuracy))
            // The confusion lines: "  actual X:  predicted ring n  predicted clear m" — all four cells add up to the test count.
            var cells = 0
            for l in log where l.contains("  actual ") {
                let numbers = l.split(separator: " ").compactMap { Int($0) }
                #expect(numbers.count == 2, "\(l)")
                cells += numbers.reduce(0, +)
            }
            #expect(cells == testCount)
            // The scored table and the pictures.
            let scored = try await fetchAll(c, "scored")
            #expect(scored.rowCount == testCount)
            let actual = scored.strings("_label_"), predicted = scored.strings("I__label_")
            let correct = zip(actual, predicted).filter { $0 == $1 }.count
            #expect(abs(Double(correct) / Double(testCount) * 100 - accuracy) < 1e-6)
            let out = "\(s.dataRoot)/public/pipeline-out"
            let heat = try FileManager.default.contentsOfDirectory(atPath: out + "/heatmaps").filter { $0.hasSuffix(".png") }
            #expect(heat.count >= 4, "\(heat)")  // two per class
            for f in heat {
                let img = try ImageCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: "\(out)/heatmaps/\(f)"))))
                #expect(img.width > 0 && img.height > 0)
            }
            let evaluate = try FileManager.default.contentsOfDirectory(atPath: out + "/evaluate").filter { $0.hasSuffix(".svg") }
            #expect(evaluate.count == 6, "\(evaluate)")  // nImages=6 of the 8 test images
            for f in evaluate {
                let text = try String(contentsOfFile: "\(out)/evaluate/\(f)", encoding: .utf8)
                #expect(text.contains("data:image/png;base64,") && text.contains("class probabilities"), "\(f)")
            }
            let charts = try FileManager.default.contentsOfDirectory(atPath: out + "/charts").filter { $0.hasSuffix(".svg") }
            #expect(!charts.isEmpty)
            for f in charts {
                let text = try String(contentsOfFile: "\(out)/charts/\(f)", encoding: .utf8)
                #expect(text.contains("<svg") && text.contains("</svg>"), "\(f)")
            }
        }
    }

    /// The golden form: durations, ids and user names hidden everywhere; after dlTrain's first
    /// line ("Training N images (…)"), every number (they depend on the CPU's floating-point kernels).
    static func normalise(_ lines: [String]) -> String {
        var out: [String] = []
        var masking = false
        for l in lines {
            var t = GoldenTests.normalise(l)
            if masking {
                t = t.replacingOccurrences(of: "-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?", with: "#", options: .regularExpression)
                t = t.replacingOccurrences(of: " +", with: " ", options: .regularExpression)
            }
            out.append(t)
            if l.contains("NOTE: Training "), l.contains(" images (") { masking = true }
        }
        return out.joined(separator: "\n")
    }
}
