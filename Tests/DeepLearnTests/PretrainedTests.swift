import CASClient
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Testing

/// torchvision ImageNet MobileNetV2 weights through buildTorchvisionModel + dlImportModelWeights + dlScore.
/// Needs `.fixtures-cache/mobilenet_v2-b0353104.pth` (docs/engine.md, PretrainedTests); skipped otherwise.
@Suite("deepLearn pretrained", .serialized)
struct PretrainedTests {
    static let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let pth = ProcessInfo.processInfo.environment["DLENGINE_MOBILENET_PTH"] ?? root.appendingPathComponent(".fixtures-cache/mobilenet_v2-b0353104.pth").path
    static let chelsea = root.appendingPathComponent("Tests/DLEngineTests/Fixtures/chelsea_224.rgb").path

    @Test(.enabled(if: FileManager.default.fileExists(atPath: pth) && FileManager.default.fileExists(atPath: chelsea)))
    func mobileNetV2ImportScoresChelseaAsATabbyCat() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            let dir = "\(s.dataRoot)/casuser/alice/weights"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.pth, toPath: "\(dir)/mnv2.pth")
            try await ok(c, "deepLearn.buildTorchvisionModel", ["model": "mnv2", "architecture": "MOBILENETV2", "nClasses": 1000])
            try await ok(c, "deepLearn.dlImportModelWeights", ["model": "mnv2", "modelWeights": "mnv2_weights", "formatType": "PYTORCH",
                                                               "weightFilePath": "weights/mnv2.pth"])
            let pixels = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.chelsea)))
            let img = try Image(width: 224, height: 224, format: .rgb, pixels: pixels)
            try await ok(c, "table.addTable", ["table": "cats", "vars": [["name": "_image_", "type": "varbinary"]], "rows": [[.blob(img.rawBytes())]]])
            let r = try await ok(c, "deepLearn.dlScore", ["table": "cats", "model": "mnv2", "initWeights": "mnv2_weights", "casOut": "scored", "topProbs": 2])
            #expect(try r.table("ScoreInfo").info("Number of Observations Used") == "1")
            let t = try await fetch(c, "scored", vars: ["I__label_", "_DL_PredP_", "_DL_Top2Level_"])
            #expect(t.strings("I__label_") == ["285"])
            #expect(abs(t.doubles("_DL_PredP_")[0] - 0.745) < 0.01)
            // A two-class head: the classifier keeps its initial weights, everything else is imported.
            try await ok(c, "deepLearn.buildTorchvisionModel", ["model": "mnv2b", "architecture": "MOBILENETV2", "nClasses": 2])
            let imp = try await ok(c, "deepLearn.dlImportModelWeights", ["model": "mnv2b", "weightFilePath": "weights/mnv2.pth"])
            #expect(imp.logs.contains { $0.message.contains("classifier.1 keeps initial weights") })
            // The same file for another architecture is refused, naming the tensors.
            try await ok(c, "deepLearn.buildTorchvisionModel", ["model": "r18", "architecture": "RESNET18", "nClasses": 2, "width": 64, "height": 64])
            try await fails(c, "deepLearn.dlImportModelWeights", ["model": "r18", "weightFilePath": "weights/mnv2.pth"], "does not fit", "layer1.0.conv1.weight")
        }
    }
}
