import CASClient
import CASTestSupport
import CASWire
import DICOMFixture
import Foundation
import ImageCodec
import Testing

/// The issue's order with the image action set: PNG files in class folders → image.loadImages →
/// image.processImages (resize) → sampling.stratified → table.partition → dlTrain → dlScore.
@Suite("deepLearn over the image action set", .serialized)
struct ImagePipelineTests {
    @Test func loadProcessSplitTrainScore() async throws {
        try await TestServer.start(sets: allSets).run { s in
            for i in 0..<24 {
                let a = i % 2 == 0
                let small = try squareImage(classA: a, seed: UInt64(500 + i))
                let big = try small.resized(width: 32, height: 32, method: .nearest)
                let url = URL(fileURLWithPath: "\(s.dataRoot)/casuser/alice/squares/\(a ? "A" : "B")/img\(i).png")
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(try ImageCodec.encodePNG(big)).write(to: url)
            }
            let c = try await deepLearnSession(s)
            try await ok(c, "builtins.loadActionSet", ["actionSet": "image"])
            try await ok(c, "image.loadImages", ["path": "squares", "recurse": true, "labelLevels": 1, "casOut": ["name": "images", "replace": true]])
            try await ok(c, "image.processImages", ["table": "images", "casOut": ["name": "squares", "replace": true],
                                                    "steps": [["step": ["stepType": "RESIZE", "width": 16, "height": 16]]]])
            try await ok(c, "sampling.stratified", ["table": ["name": "squares", "groupBy": "_label_"], "samppct": 25, "samppct2": 75, "partInd": true,
                                                    "seed": 5, "output": ["casOut": ["name": "squares_part", "replace": true], "copyVars": "ALL"]])
            try await ok(c, "table.partition", ["table": ["name": "squares_part", "where": "_PartInd_=1"], "casOut": ["name": "valid", "replace": true]])
            try await ok(c, "table.partition", ["table": ["name": "squares_part", "where": "_PartInd_=2"], "casOut": ["name": "train", "replace": true]])
            try await buildSmallCNN(c)
            let h = try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 4)).table("OptIterHistory")
            #expect(h.rowCount == 4)
            let r = try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w", "copyVars": ["_label_", "_path_"]])
            #expect(try r.table("ScoreInfo").info("Number of Observations Used") == "6")
        }
    }

    /// The same order from CT slices: DICOM files (Hounsfield units) → loadImages → processImages WINDOW LUNG,
    /// RESIZE, GRAY2COLOR → dlTrain → dlScore. Class A has a small square of lung (−800 HU) in soft tissue,
    /// class B a large one.
    @Test func dicomWindowedTrainScore() async throws {
        try await TestServer.start(sets: allSets).run { s in
            for i in 0..<12 {
                let a = i % 2 == 0, side = a ? 8 : 20, at = 2 + i % 5
                var slice = DICOMFixture.Slice(rows: 32, columns: 32)
                slice.instance = i + 1
                slice.stored = (0..<(32 * 32)).map { p in
                    let (x, y) = (p % 32, p / 32)
                    return (at..<(at + side)).contains(x) && (at..<(at + side)).contains(y) ? -800 + 1024 : 40 + 1024
                }
                let url = URL(fileURLWithPath: "\(s.dataRoot)/casuser/alice/ct/\(a ? "A" : "B")/slice\(i).dcm")
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(try DICOMFixture.bytes(slice, i % 3 == 0 ? .rle : .none)).write(to: url)
            }
            let c = try await deepLearnSession(s)
            try await ok(c, "builtins.loadActionSet", ["actionSet": "image"])
            try await ok(c, "image.loadImages", ["path": "ct", "casOut": "ct", "addColumns": ["InstanceNumber"]])
            let steps: Value = [["step": ["stepType": "WINDOW", "type": "LUNG"]], ["step": ["stepType": "RESIZE", "width": 16, "height": 16]],
                                ["step": ["stepType": "CONVERT_COLOR", "type": "GRAY2COLOR"]]]
            let p = try await ok(c, "image.processImages", ["table": "ct", "casOut": "slices", "steps": steps])
            #expect(p.notes.contains("12 of 12 images were processed successfully."))
            try await ok(c, "sampling.srs", ["table": "slices", "samppct": 25, "partInd": true, "seed": 3,
                                             "output": ["casOut": ["name": "part", "replace": true], "copyVars": "ALL"]])
            try await ok(c, "table.partition", ["table": ["name": "part", "where": "_PartInd_=0"], "casOut": ["name": "train", "replace": true]])
            try await ok(c, "table.partition", ["table": ["name": "part", "where": "_PartInd_=1"], "casOut": ["name": "valid", "replace": true]])
            try await buildSmallCNN(c)
            let h = try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 2)).table("OptIterHistory")
            #expect(h.rowCount == 2)
            let r = try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w",
                                                          "copyVars": ["_label_", "_path_", "InstanceNumber"]])
            #expect(try r.table("ScoreInfo").info("Number of Observations Used") == "3")
        }
    }
}
