import CASClient
import CASWire
import Foundation
import ImageCodec
import Testing

@Suite("timing probe (temporary)", .serialized)
struct TimingProbe {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DL_TIMING"] != nil))
    func mobileNetFineTune() async throws {
        say("start")
        let s = try await TestServer.start()
        say("server")
        let c = try await deepLearnSession(s)
        let dir = "\(s.dataRoot)/casuser/alice/weights"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: PretrainedTests.pth, toPath: "\(dir)/mnv2.pth")
        let root = PretrainedTests.root.appendingPathComponent("Tests/DLEngineTests/Fixtures")
        var rows: [Value] = []
        for (i, f) in ["chelsea_224.rgb", "coffee_224.rgb"].enumerated() {
            let px = try [UInt8](Data(contentsOf: root.appendingPathComponent(f)))
            let img = try Image(width: 224, height: 224, format: .rgb, pixels: px)
            for k in 0..<8 { rows.append([.string(i == 0 ? "cat" : "cup"), .blob(k % 2 == 0 ? img.rawBytes() : img.flipped(.horizontal).rawBytes())]) }
        }
        try await ok(c, "table.addTable", ["table": "train", "vars": [["name": "_label_", "type": "varchar"], ["name": "_image_", "type": "varbinary"]], "rows": .list(rows)])
        try await ok(c, "deepLearn.buildTorchvisionModel", ["model": "m", "architecture": "MOBILENETV2", "nClasses": 2])
        let t0 = Date()
        try await ok(c, "deepLearn.dlImportModelWeights", ["model": "m", "modelWeights": "w0", "weightFilePath": "weights/mnv2.pth"])
        say("import \(Date().timeIntervalSince(t0))")
        for freeze in [true, false] {
            var opt: ValueDict = ["miniBatchSize": 4, "maxEpochs": 1, "algorithm": ["method": "MOMENTUM", "learningRate": 0.001]]
            if freeze { opt["freezeLayersTo"] = "features.18.1" }
            let t1 = Date()
            let r = try await ok(c, "deepLearn.dlTrain", ["table": "train", "modelTable": "m", "initWeights": "w0", "modelWeights": ["name": "w1", "replace": true],
                                                          "nThreads": 2, "optimizer": .dict(opt)])
            say("train freeze=\(freeze) 16 imgs \(Date().timeIntervalSince(t1)) \(try r.table("OptIterHistory").doubles("Loss"))")
        }
        let t2 = Date()
        try await ok(c, "deepLearn.dlScore", ["table": "train", "modelTable": "m", "initWeights": "w1", "casOut": "s"])
        say("score 16 \(Date().timeIntervalSince(t2))")
        await s.stop()
    }
}

func say(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
