import CASClient
import CASTestSupport
import CASWire
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
}
