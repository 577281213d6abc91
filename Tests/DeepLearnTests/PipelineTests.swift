import CASClient
import CASTestSupport
import Foundation
import ImageCodec
import CASWire
import Testing

@Suite("deepLearn pipeline", .serialized)
struct PipelineTests {
    /// srs split → small CNN learns the squares → dlScore columns and ScoreInfo → crossTab adds up →
    /// weights saved and reloaded give identical scores.
    @Test func smallCNNLearnsTheSquaresAndScoresReproducibly() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 32)
            try await splitSquares(c)
            try await buildSmallCNN(c)
            let info = try await ok(c, "deepLearn.modelInfo", ["model": "cnn"])
            #expect(try info.table("ModelInfo").info("Number of Layers") == "6")
            let expected: Int = (3 * 9 * 8 + 8) + (8 * 9 * 8 + 8) + (128 * 2 + 2)
            #expect(try info.table("ModelInfo").info("Total Number of Model Parameters") == String(expected))

            let r = try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 8))
            let h = try r.table("OptIterHistory")
            #expect(h.doubles("Epoch") == (0..<8).map(Double.init))
            #expect(h.columns.map(\.name) == ["Epoch", "LearningRate", "Loss", "FitError", "ValidLoss", "ValidError"])
            #expect(h.doubles("ValidError").last! <= 0.1, "validation error should fall below 10 %: \(h.doubles("ValidError"))")
            #expect(h.doubles("Loss").last! < h.doubles("Loss").first!)
            #expect(r.logs.filter { $0.message.hasPrefix("Epoch ") }.count == 8, "a NOTE per epoch at logLevel 2")

            let sc = try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w",
                                                          "casOut": ["name": "scored", "replace": true], "copyVars": ["_id_", "_label_"]])
            let scoreInfo = try sc.table("ScoreInfo")
            #expect(scoreInfo.info("Number of Observations Read") == "16")
            #expect(scoreInfo.info("Number of Observations Used") == "16")
            #expect(Double(scoreInfo.info("Misclassification Error (%)") ?? "x")! <= 10)
            let acc = try sc.table("ClassAccuracy")
            #expect(acc.strings("Level") == ["A", "B"] && acc.doubles("NObs").reduce(0, +) == 16)
            let scored = try await fetch(c, "scored")
            #expect(scored.columns.map(\.name) == ["_id_", "_label_", "P__label_A", "P__label_B", "I__label_", "_DL_PredP_"])
            for (a, b) in zip(scored.doubles("P__label_A"), scored.doubles("P__label_B")) { #expect(abs(a + b - 1) < 1e-5) }

            let ct = try await ok(c, "simple.crossTab", ["table": "scored", "row": "_label_", "col": "I__label_"]).table("Crosstab")
            #expect(ct.doubles("Total").reduce(0, +) == 16)

            // Occlusion heat maps: masking the bright square lowers the true-class probability.
            let hm = try await ok(c, "deepLearn.dlHeatMap", ["table": "valid", "model": "cnn", "initWeights": "cnn_w", "maskWidth": 5, "maskHeight": 5,
                                                             "stepSize": 1, "maxImages": 4, "path": "heat", "casOut": ["name": "heat", "replace": true]])
            let hi = try hm.table("HeatMapInfo")
            #expect(hi.rowCount == 4)
            for (label, (x, y)) in zip(hi.strings("Label"), zip(hi.doubles("WorstX"), hi.doubles("WorstY"))) {
                let square = label == "A" ? 1.0 : 10.0
                #expect(abs(x - square) <= 4 && abs(y - square) <= 4, "worst mask at \(x),\(y) for \(label)")
            }
            for (p, m) in zip(hi.doubles("PTrue"), hi.doubles("MinMaskedP")) { #expect(m < p - 0.2) }
            let pics = try await fetch(c, "heat", vars: ["_HeatMap_"])
            let png = try #require(pics.column("_HeatMap_")?.data.value(at: 0).blobValue)
            let decoded = try ImageCodec.decode(png)
            #expect(decoded.width == 16 && decoded.height == 16)
            #expect(FileManager.default.fileExists(atPath: "\(s.dataRoot)/casuser/alice/\(hi.strings("File")[0])"))

            // Charts: confusion matrix and training curves as SVG.
            let charts = try await ok(c, "deepLearn.dlCharts", ["table": "scored", "history": .table(h), "path": "charts"]).table("Charts")
            #expect(charts.strings("Name") == ["confusion.svg", "history.svg"])
            let svg = String(decoding: try #require(charts.column("Chart")?.data.value(at: 0).blobValue), as: UTF8.self)
            #expect(svg.hasPrefix("<svg") && svg.contains(">A</text>"))
            #expect(FileManager.default.fileExists(atPath: "\(s.dataRoot)/casuser/alice/charts/history.svg"))

            // Weights table round trip through a saved table.
            try await ok(c, "table.save", ["table": "cnn_w", "name": "cnn_w_saved", "replace": true])
            try await ok(c, "table.loadTable", ["path": "cnn_w_saved", "casOut": ["name": "cnn_w2", "replace": true]])
            try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w2",
                                                  "casOut": ["name": "scored2", "replace": true], "copyVars": ["_id_", "_label_"]])
            let scored2 = try await fetch(c, "scored2")
            #expect(scored2.doubles("P__label_A") == scored.doubles("P__label_A"))
        }
    }

    @Test func dlTrainIsReproducibleForASeed() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 12)
            try await splitSquares(c)
            try await buildSmallCNN(c)
            let a = try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 3, weights: "w1")).table("OptIterHistory")
            let b = try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 3, weights: "w2")).table("OptIterHistory")
            #expect(a == b)
            let other = try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 3, weights: "w3", seed: 8)).table("OptIterHistory")
            #expect(other.doubles("Loss") != a.doubles("Loss"))
            // Continue from w1 with initWeights == modelWeights (DLPy's in-place form).
            var p = trainParams(epochs: 1, weights: "w1")
            p["initWeights"] = "w1"
            p["modelWeights"] = "w1"
            try await ok(c, "deepLearn.dlTrain", p)
        }
    }

    @Test func exportAndImportRoundTripAndModelEditing() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 8)
            try await splitSquares(c)
            try await buildSmallCNN(c)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, valid: false))
            try await ok(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w", "path": "cnn.dlew"])
            try await ok(c, "deepLearn.dlImportModelWeights", ["model": "cnn", "modelWeights": ["name": "imported", "replace": true],
                                                               "formatType": "DLEW", "weightFilePath": "cnn.dlew"])
            let w = try await fetch(c, "cnn_w", vars: ["_Tensor_", "_Weights_"]), i = try await fetch(c, "imported", vars: ["_Tensor_", "_Weights_"])
            let trained = zip(w.strings("_Tensor_"), w.column("_Weights_")!.data.valueList).filter { !$0.0.hasPrefix("_") }
            #expect(trained.map(\.0) == i.strings("_Tensor_"))
            #expect(trained.map(\.1) == i.column("_Weights_")!.data.valueList)
            // The model table is a real table with CAS's rows.
            let m = try await fetch(c, "cnn")
            #expect(m.columns.map(\.name) == ["_DLKey0_", "_DLKey1_", "_DLChrVal_", "_DLNumVal_", "_DLLayerID_"])
            #expect(m.strings("_DLKey1_").first == "modeltype")
            #expect(zip(m.strings("_DLKey0_"), m.strings("_DLKey1_")).contains { $0 == ("conv1", "convopts.act") })
            // Replace the head (DLPy's include_top=False): remove, add, same id.
            try await ok(c, "deepLearn.removeLayer", ["model": "cnn", "name": "output"])
            try await ok(c, "deepLearn.addLayer", ["model": "cnn", "name": "output", "layer": ["type": "output", "n": 2], "srcLayers": ["pool2"]])
            let ids = try await fetch(c, "cnn")
            #expect(zip(ids.strings("_DLKey0_"), ids.doubles("_DLLayerID_")).first { $0.0 == "output" }?.1 == 5)
            try await ok(c, "table.partition", ["table": ["name": "cnn_w", "where": "_LayerID_<5"], "casOut": ["name": "head_less", "replace": true]])
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, weights: "w_new", valid: false).merging(["initWeights": "head_less"]))
        }
    }

    @Test func torchvisionArchitecturesBuildAsModelTables() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await ok(c, "deepLearn.buildTorchvisionModel", ["model": "r18", "architecture": "resnet18", "nClasses": 2, "width": 32, "height": 32])
            let info = try await ok(c, "deepLearn.modelInfo", ["model": "r18"]).table("ModelInfo")
            #expect(info.info("Total Number of Model Parameters") == "11177538")
            try await ok(c, "deepLearn.buildTorchvisionModel", ["model": "mnv2", "architecture": "MOBILENETV2", "nClasses": 1000])
            let m = try await ok(c, "deepLearn.modelInfo", ["model": "mnv2"]).table("ModelInfo")
            #expect(m.info("Total Number of Model Parameters") == "3504872")
        }
    }
}

extension ValueDict {
    func merging(_ other: ValueDict) -> ValueDict {
        var d = self
        for (k, v) in other.entries { d[k] = v }
        return d
    }
}

extension ColumnData {
    var valueList: [Value] { (0..<count).map { value(at: $0) } }
}
