import CASClient
import CASTestSupport
import CASWire
import Foundation
import Synchronization
import Testing

@Suite("deepLearn errors and cancellation", .serialized)
struct ErrorTests {
    @Test func badParametersGiveClearErrorsAndTheSessionStaysUsable() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 6)
            try await splitSquares(c)
            try await buildSmallCNN(c)
            try await fails(c, "deepLearn.addLayer", ["model": "cnn", "name": "x", "layer": ["type": "convolutio", "nFilters": 2], "srcLayers": ["data"]],
                            "convolution")
            // A cycle: conv1 re-sourced from pool2, which depends on conv1.
            try await fails(c, "deepLearn.addLayer", ["model": "cnn", "name": "conv1", "replace": true,
                                                      "layer": ["type": "convolution", "nFilters": 8], "srcLayers": ["pool2"]], "cycle")
            try await fails(c, "deepLearn.addLayer", ["model": "cnn", "name": "x", "layer": ["type": "fc", "n": 2], "srcLayers": ["pool9"]],
                            "does not exist")
            try await fails(c, "deepLearn.removeLayer", ["model": "cnn", "name": "conv1"], "source of layer")
            // Weights of another model.
            try await buildSmallCNN(c, "cnn3", classes: 3)
            try await addSquares(c, "three", perClass: 3)
            try await fails(c, "deepLearn.dlTrain", trainParams(epochs: 1, valid: false).merging(["modelTable": "cnn3"]), "3 classes", "2 levels")
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, valid: false))
            try await ok(c, "deepLearn.addLayer", ["model": "cnn3", "name": "conv1", "replace": true,
                                                   "layer": ["type": "convolution", "nFilters": 4], "srcLayers": ["data"]])
            try await fails(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn3", "initWeights": "cnn_w"], "do not fit", "conv1.weight")
            // Empty table, missing label column, wrong image size.
            try await fails(c, "deepLearn.dlTrain", trainParams(epochs: 1, valid: false).merging(["table": ["name": "train", "where": "_id_ < 0"]]),
                            "no usable rows")
            try await fails(c, "deepLearn.dlTrain", trainParams(epochs: 1, valid: false).merging(["target": "_class_"]), "_class_", "does not exist")
            try await ok(c, "deepLearn.buildModel", ["model": "big"])
            try await ok(c, "deepLearn.addLayer", ["model": "big", "name": "in", "layer": ["type": "input", "width": 32, "height": 32]])
            try await ok(c, "deepLearn.addLayer", ["model": "big", "name": "out", "layer": ["type": "output", "n": 2], "srcLayers": ["in"]])
            try await fails(c, "deepLearn.dlTrain", trainParams(epochs: 1, valid: false).merging(["modelTable": "big"]), "16x16", "32x32")
            try await fails(c, "deepLearn.dlTrain", ["table": "train", "modelTable": "squares"], "not a model table")
            try await fails(c, "deepLearn.dlImportModelWeights", ["model": "cnn", "weightFilePath": "none.pth"], "does not exist")
            try s.write("not a torch file", to: "bad.pth")
            try await fails(c, "deepLearn.dlImportModelWeights", ["model": "cnn", "weightFilePath": "bad.pth"], "cannot be read")
            try await fails(c, "deepLearn.dlImportModelWeights", ["model": "cnn", "weightFilePath": "bad.pth", "formatType": "CAFFE"], "cannot be read", "not an HDF5 file")
            try await ok(c, "builtins.ping")
            #expect(try await ok(c, "simple.numRows", ["table": "train"]).results["numrows"] != nil)
        }
    }

    /// A model whose last layer is not an output layer is not scored (its activations are not class probabilities);
    /// modelInfo counts detection and segmentation layers as output layers, as CAS does.
    @Test func aModelWithoutAnOutputLayerIsNotScored() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 4)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, valid: false))
            try await ok(c, "deepLearn.buildModel", ["model": ["name": "headless", "replace": true], "type": "CNN"])
            try await ok(c, "deepLearn.addLayer", ["model": "headless", "name": "data",
                                                   "layer": ["type": "input", "nChannels": 3, "width": 16, "height": 16, "scale": 0.00392156862745098]])
            try await ok(c, "deepLearn.addLayer", ["model": "headless", "name": "conv1", "srcLayers": ["data"],
                                                   "layer": ["type": "convolution", "nFilters": 8, "width": 3, "height": 3, "stride": 1, "act": "relu"]])
            let conv1Only: Value = ["name": "cnn_w", "where": "_Tensor_ not in ('conv2.weight', 'conv2.bias', 'output.weight', 'output.bias')"]
            try await fails(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "headless", "initWeights": conv1Only],
                            "headless", "no output layer", "conv1", "type=output")
            try await fails(c, "deepLearn.dlTrain", trainParams(epochs: 1, valid: false).merging(["modelTable": "headless"]), "output layer")
            let info = try await ok(c, "deepLearn.modelInfo", ["model": "headless"])
            #expect(try info.table("ModelInfo").info("Number of Output Layers") == "0")
            try await DetectionTrainingTests.buildDetector(c)
            let det = try await ok(c, "deepLearn.modelInfo", ["model": "det"])
            #expect(try det.table("ModelInfo").info("Number of Output Layers") == "1")
        }
    }

    @Test func cancelMidTrainingLeavesUsableWeights() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 16)
            try await splitSquares(c)
            try await buildSmallCNN(c)
            var p = trainParams(epochs: 500, valid: false)
            p["optimizer"] = ["algorithm": ["learningRate": 0.01], "miniBatchSize": 1, "maxEpochs": 500]
            let requestId = Mutex<Int64?>(nil)
            var progressFrames = 0
            var response: Response?
            var logs: [LogLine] = []
            for await event in c.stream("deepLearn.dlTrain", p, onStart: { id in requestId.withLock { $0 = id } }) {
                switch event {
                case .progress:
                    progressFrames += 1
                    if progressFrames == 30 { try await c.cancel(try #require(requestId.withLock { $0 })) }
                case .log(let l): logs.append(l)
                case .response(let r): response = r
                }
            }
            let r = try #require(response)
            #expect(r.disposition.severity == .warning, "\(r.disposition) \(r.logs.map(\.message)) frames \(progressFrames)")
            #expect((r.logs + logs).contains { $0.level == .warning && $0.message.contains("stopped early") })
            #expect(try r.table("OptIterHistory").rowCount < 500)
            let sc = try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w"])
            #expect(try sc.table("ScoreInfo").info("Number of Observations Used") == "8")
        }
    }
}
