import CASClient
import CASTestSupport
import CASWire
import DLEngine
import Foundation
import ImageCodec
import Testing

/// dlImportModelWeights formatType=CAFFE over a real server, with the fixture of
/// scripts/fixtures/make_caffe_h5_fixtures.py (Tests/DLEngineTests/Fixtures/caffe_resnet_tiny.*):
/// the same Caffe-named graph built with addLayer as DLPy does, the h5 imported from a caslib,
/// dlScore against PyTorch's probabilities.
@Suite("deepLearn Caffe HDF5 import", .serialized)
struct CaffeImportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("DLEngineTests/Fixtures")

    /// The fixture's network with DLPy's layer dicts (ResNet50_Caffe style: no padding sent, so CAS "same").
    static func build(_ c: CASConnection, _ model: String, classes: Int = 5, output: String = "fc", branch2bFilters: Int = 4) async throws {
        try await ok(c, "deepLearn.buildModel", ["model": ["name": .string(model), "replace": true], "type": "CNN"])
        func conv(_ n: Int, _ k: Int, _ s: Int, bias: Bool = false) -> Value {
            var d: ValueDict = ["type": "convolution", "nFilters": .int(Int64(n)), "width": .int(Int64(k)), "height": .int(Int64(k)),
                                "stride": .int(Int64(s)), "act": "identity"]
            if !bias { d["includebias"] = false }
            return .dict(d)
        }
        let bn: Value = ["type": "batchnorm", "act": "identity"], bnRelu: Value = ["type": "batchnorm", "act": "relu"]
        let layers: [(String, Value, [String])] = [
            ("data", ["type": "input", "nchannels": 3, "width": 32, "height": 32, "offsets": [103.939, 116.779, 123.68]], []),
            ("conv1", conv(8, 7, 2, bias: true), ["data"]),
            ("bn_conv1", bnRelu, ["conv1"]),
            ("pool1", ["type": "pooling", "width": 3, "height": 3, "stride": 2, "pool": "max"], ["bn_conv1"]),
            ("res2a_branch1", conv(16, 1, 2), ["pool1"]),
            ("bn2a_branch1", bn, ["res2a_branch1"]),
            ("res2a_branch2a", conv(4, 1, 2), ["pool1"]),
            ("bn2a_branch2a", bnRelu, ["res2a_branch2a"]),
            ("res2a_branch2b", conv(branch2bFilters, 3, 1), ["bn2a_branch2a"]),
            ("bn2a_branch2b", bnRelu, ["res2a_branch2b"]),
            ("res2a_branch2c", conv(16, 1, 1), ["bn2a_branch2b"]),
            ("bn2a_branch2c", bn, ["res2a_branch2c"]),
            ("res2a", ["type": "residual", "act": "relu"], ["bn2a_branch2c", "bn2a_branch1"]),
            ("pool5", ["type": "pooling", "width": 2, "height": 2, "stride": 2, "pool": "mean"], ["res2a"]),
            (output, ["type": "output", "n": .int(Int64(classes)), "act": "softmax"], ["pool5"]),
        ]
        for (name, layer, src) in layers {
            try await ok(c, "deepLearn.addLayer", ["model": .string(model), "name": .string(name), "layer": layer,
                                                   "srcLayers": .list(src.map { .string($0) })])
        }
    }

    @Test func caffeWeightsScoreLikePyTorchAndMismatchesAreClearErrors() async throws {
        let expected = Dictionary(uniqueKeysWithValues: try WeightsFile.decode(
            Data(contentsOf: Self.fixtures.appendingPathComponent("caffe_resnet_tiny_expected.dlew"))).map { ($0.name, $0) })
        let input = try #require(expected["input"]), probs = try #require(expected["probabilities"])
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            let dir = "\(s.casuser())/weights"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let h5 = try Data(contentsOf: Self.fixtures.appendingPathComponent("caffe_resnet_tiny.caffemodel.h5"))
            try h5.write(to: URL(fileURLWithPath: "\(dir)/tiny.caffemodel.h5"))

            // The DLPy call: model, modelWeights, formatType=CAFFE, weightFilePath, caslib, gpuModel.
            try await Self.build(c, "tiny")
            let imp = try await ok(c, "deepLearn.dlImportModelWeights", ["model": ["name": "tiny"], "modelWeights": ["name": "tiny_weights", "replace": true],
                                                                         "formatType": "CAFFE", "weightFilePath": "weights/tiny.caffemodel.h5",
                                                                         "caslib": "CASUSER", "gpuModel": false])
            #expect(imp.notes.contains { $0.contains("Imported 28 tensors into table") }, "\(imp.notes)")
            #expect(!imp.notes.contains { $0.contains("keeps initial weights") || $0.contains("Ignored") }, "\(imp.notes)")
            let w = try await fetch(c, "tiny_weights", vars: ["_LayerID_", "_Tensor_", "_Shape_"])
            #expect(w.rowCount == 28)
            #expect(w.strings("_Tensor_").contains("bn_conv1.running_var") && w.strings("_Tensor_").contains("fc.weight"))
            #expect(!w.doubles("_LayerID_").contains { $0.isNaN })

            // Score the fixture's two images (CLRI raw BGR) and compare with PyTorch's probabilities.
            let n = input.shape[0], k = probs.shape[1], pixels = input.values.map { UInt8($0) }, size = 32 * 32 * 3
            var rows: [Value] = []
            for i in 0..<n {
                // the fixture's input is in the model's channel order, which is BGR (Caffe weights are BGR-trained)
                let img = try Image(width: 32, height: 32, format: .bgr, pixels: Array(pixels[(i * size)..<((i + 1) * size)]))
                rows.append([.int(Int64(i + 1)), .blob(img.rawBytes())])
            }
            try await ok(c, "table.addTable", ["table": "pics", "replace": true, "vars": [["name": "_id_", "type": "int64"], ["name": "_image_", "type": "varbinary"]],
                                               "rows": .list(rows)])
            let sc = try await ok(c, "deepLearn.dlScore", ["table": "pics", "modelTable": "tiny", "initWeights": "tiny_weights",
                                                           "casOut": ["name": "scored", "replace": true], "copyVars": ["_id_"]])
            #expect(try sc.table("ScoreInfo").info("Number of Observations Used") == "2")
            let t = try await fetch(c, "scored")
            #expect(t.doubles("_id_") == [1, 2])
            var worst = 0.0
            for j in 0..<k {
                let got = t.doubles("P__label_\(j)")
                #expect(got.count == n, "no column P__label_\(j) in \(t.columns.map(\.name))")
                for i in 0..<min(n, got.count) { worst = max(worst, abs(got[i] - Double(probs.values[i * k + j]))) }
            }
            #expect(worst < 1e-4, "max |p - p_torch| = \(worst)")

            // DLPy's include_top=False: another output layer (absent from the file) keeps its initial weights,
            // the file's fc group is ignored; both are noted. Same name with another class count: noted too.
            try await Self.build(c, "tiny2", classes: 2, output: "fc1000")
            let imp2 = try await ok(c, "deepLearn.dlImportModelWeights", ["model": "tiny2", "formatType": "CAFFE", "weightFilePath": "weights/tiny.caffemodel.h5"])
            #expect(imp2.notes.contains { $0.contains("Layer fc1000 keeps initial weights: the file has no group fc1000") }, "\(imp2.notes)")
            #expect(imp2.notes.contains { $0.contains("Ignored 1 group(s)") && $0.contains(": fc.") }, "\(imp2.notes)")
            #expect(try await fetch(c, "tiny2_weights", vars: ["_Tensor_"]).rowCount == 26)
            try await Self.build(c, "tiny3", classes: 2)
            let imp3 = try await ok(c, "deepLearn.dlImportModelWeights", ["model": "tiny3", "formatType": "CAFFE", "weightFilePath": "weights/tiny.caffemodel.h5"])
            #expect(imp3.notes.contains { $0.contains("Layer fc keeps initial weights: group fc in the file has other shapes") }, "\(imp3.notes)")
            try await ok(c, "deepLearn.dlScore", ["table": "pics", "modelTable": "tiny3", "initWeights": "tiny3_weights",
                                                  "casOut": ["name": "scored3", "replace": true]])

            // A model the file does not fit: one error naming the action, the parameter and every mismatch.
            try await Self.build(c, "wide", branch2bFilters: 6)
            try await fails(c, "deepLearn.dlImportModelWeights", ["model": "wide", "formatType": "CAFFE", "weightFilePath": "weights/tiny.caffemodel.h5"],
                            "dlImportModelWeights", "weightFilePath", "does not fit model wide",
                            "res2a_branch2b/0 (weight): model [6, 4, 3, 3], file [4, 4, 3, 3]", "bn2a_branch2b_scale/0 (weight): model [6], file [4]",
                            "res2a_branch2c/0 (weight): model [16, 6, 1, 1], file [16, 4, 1, 1]")
            // Files that are not Caffe HDF5.
            try s.write("not an HDF5 file", to: "weights/bad.h5")
            try await fails(c, "deepLearn.dlImportModelWeights", ["model": "tiny", "formatType": "CAFFE", "weightFilePath": "weights/bad.h5"],
                            "weightFilePath", "cannot be read", "not an HDF5 file")
            try h5.prefix(h5.count / 2).write(to: URL(fileURLWithPath: "\(dir)/half.h5"))
            try await fails(c, "deepLearn.dlImportModelWeights", ["model": "tiny", "formatType": "CAFFE", "weightFilePath": "weights/half.h5"],
                            "cannot be read", "truncated file")
            try Data(contentsOf: Self.fixtures.appendingPathComponent("caffe_not_caffe.h5")).write(to: URL(fileURLWithPath: "\(dir)/keras.h5"))
            try await fails(c, "deepLearn.dlImportModelWeights", ["model": "tiny", "formatType": "CAFFE", "weightFilePath": "weights/keras.h5"],
                            "no group 'data' at the root")
            // The session is still usable and the good weights still score.
            try await ok(c, "builtins.ping")
            let again = try await ok(c, "deepLearn.dlScore", ["table": "pics", "modelTable": "tiny", "initWeights": "tiny_weights",
                                                              "casOut": ["name": "scored", "replace": true]])
            #expect(try again.table("ScoreInfo").info("Number of Observations Used") == "2")
        }
    }
}
