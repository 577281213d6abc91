import CASClient
import CASTestSupport
import CASWire
import DLEngine
import Foundation
import ImageCodec
import Testing

/// "Safe to share", deep learning: numbers and files that used to kill the server (a trap ends every
/// user's session) or exhaust its memory, over a real server. Each must be an Error disposition that
/// names what was wrong; the session keeps answering.
@Suite("deepLearn: hostile models, weights and sizes", .serialized)
struct HostileModelTests {
    /// Re-adds `table` with one cell replaced (`column`, `row` → `value`), as a user could with addTable.
    func tampered(_ c: any TestClient, _ table: String, as name: String, column: String, row: Int, value: Value) async throws {
        let t = try await fetchAll(c, table)
        let vars: [Value] = t.columns.map { ["name": .string($0.name), "type": .string($0.type.rawValue)] }
        var rows: [Value] = []
        for r in 0..<t.rowCount {
            rows.append(.list(t.columns.map { col in col.name == column && r == row ? value : col.data.value(at: r) }))
        }
        try await ok(c, "table.addTable", ["table": .string(name), "replace": true, "vars": .list(vars), "rows": .list(rows)])
    }

    /// A learning rate that blows the weights up: the run stops at the first mini-batch whose loss is not a number,
    /// with an Error naming optimizer.algorithm.learningRate, and writes no weights (an earlier weights table is kept).
    /// Weights that overflow at scoring give rows without a
    /// prediction (I_ missing, a WARNING), never the first level.
    @Test func aDivergingRunIsAnErrorAndDivergedWeightsScoreNothing() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 4)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, weights: "cnn_w", valid: false))
            let before = try await fetchAll(c, "cnn_w")
            var p = trainParams(epochs: 3, weights: "cnn_w", valid: false)
            p["optimizer"] = ["algorithm": ["method": "VANILLA", "learningRate": 1e30], "miniBatchSize": 4, "maxEpochs": 3]
            let r = try await fails(c, "deepLearn.dlTrain", p, "diverged", "optimizer.algorithm.learningRate", "1e+30", "no weights table was written")
            #expect(r.errorText.contains("epoch 0"), "\(r.errorText)")
            let after = try await fetchAll(c, "cnn_w")
            #expect(after.blobs("_Weights_") == before.blobs("_Weights_"), "the earlier weights table changed")
            try await ok(c, "builtins.ping")

            // weights that overflow: every output-layer weight the largest float (every logit +inf, softmax NaN)
            let row = try #require((0..<before.rowCount).first { before.strings("_Tensor_")[$0] == "output.weight" })
            let n = try #require(before.blobs("_Weights_")[row]).count / 4
            let huge = (0..<n).flatMap { _ in withUnsafeBytes(of: Float.greatestFiniteMagnitude.bitPattern.littleEndian, Array.init) }
            try await tampered(c, "cnn_w", as: "huge_w", column: "_Weights_", row: row, value: .blob(huge))
            let sc = try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "huge_w",
                                                         "casOut": ["name": "scored", "replace": true], "topProbs": 1])
            #expect(sc.warnings.contains { $0.contains("no prediction") && $0.contains("not a number") }, "\(sc.warnings)")
            let scored = try await fetchAll(c, "scored")
            let none = scored.strings("I__label_").filter { $0 == nil || $0 == "" }.count
            #expect(scored.rowCount > 0 && none == scored.rowCount, "\(scored.strings("I__label_"))")
            #expect(scored.strings("_DL_Top1Level_").allSatisfy { $0 == nil || $0 == "" })
            #expect(try sc.table("ScoreInfo").info("Misclassification Error (%)") == "100.0000")
        }
    }

    @Test func modelNumbersBeyondEveryLimitAreErrors() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await ok(c, "deepLearn.buildModel", ["model": ["name": "m", "replace": true], "type": "CNN"])
            try await fails(c, "deepLearn.addLayer", ["model": "m", "name": "data", "layer": ["type": "input", "nChannels": 3, "width": .int(.max), "height": 8]],
                            "layer.width", "32767")
            try await ok(c, "deepLearn.addLayer", ["model": "m", "name": "data", "layer": ["type": "input", "nChannels": 3, "width": 8, "height": 8]])
            try await fails(c, "deepLearn.addLayer", ["model": "m", "name": "fc", "layer": ["type": "fc", "n": .int(.max)], "srcLayers": ["data"]], "layer.n")
            try await ok(c, "deepLearn.addLayer", ["model": "m", "name": "fc", "layer": ["type": "fc", "n": .int(1 << 26)], "srcLayers": ["data"]])
            try await ok(c, "deepLearn.addLayer", ["model": "m", "name": "out", "layer": ["type": "output", "n": 2], "srcLayers": ["fc"]])
            // 192 inputs × 2^26 neurons: far beyond one tensor's 2^31-1 elements
            try await fails(c, "deepLearn.modelInfo", ["model": "m"], "fc")
            try await ok(c, "builtins.ping")
            // a model table made by hand, with a number no layer can have
            try await buildSmallCNN(c, "cnn")
            let model = try await fetchAll(c, "cnn")
            let numeric = (0..<model.rowCount).filter { model.column("_DLNumVal_")?.data.value(at: $0).isNull == false }
            var refused = 0
            for row in numeric {
                // every number of the model table in turn becomes 1e300, as a hand-made table could hold
                try await tampered(c, "cnn", as: "bad_model", column: "_DLNumVal_", row: row, value: 1e300)
                let r = try await c.call("deepLearn.modelInfo", ["model": "bad_model"])
                if r.disposition.severity == .error { refused += 1 }
                try await ok(c, "builtins.ping")
            }
            #expect(refused >= 5, "sizes of 1e300 are refused (\(refused) of \(numeric.count) numbers)")
            try await ok(c, "builtins.ping")
        }
    }

    /// A few-kilobyte Caffe .h5 declaring 1.5e9 float32 values (6 GB; deflate-compressed or, here, never
    /// written) used to be read whole before its shape was compared: the declared shapes are now checked
    /// against the model first, and only the groups the model uses are read, after their bytes are reserved.
    @Test func caffeShapesAreCheckedBeforeAnythingIsRead() async throws {
        try await TestServer.start(sets: allSets, maxMemory: 1 << 30, maxSessionMemory: 256 << 20).run { s in
            let c = try await deepLearnSession(s)
            try await buildSmallCNN(c, "cnn")
            try FileManager.default.createDirectory(atPath: s.casuser(), withIntermediateDirectories: true)
            try TinyHDF5.write(s.casuser() + "/big.h5", [.init(path: "/data/conv1/0", shape: [1_500_000_000], values: nil)])
            let size = try #require(try FileManager.default.attributesOfItem(atPath: s.casuser() + "/big.h5")[.size] as? Int)
            #expect(size < 1 << 20)
            let started = Date()
            try await fails(c, "deepLearn.dlImportModelWeights", ["model": "cnn", "formatType": "CAFFE", "weightFilePath": "big.h5"],
                            "weightFilePath", "shape mismatches", "conv1/0", "[1500000000]")
            #expect(Date().timeIntervalSince(started) < 10)
            // a group no layer uses is never read, whatever it declares
            try TinyHDF5.write(s.casuser() + "/extra.h5", [
                .init(path: "/data/conv1/0", shape: [8, 3, 3, 3], values: [Float](repeating: 0.5, count: 216)),
                .init(path: "/data/conv1/1", shape: [8], values: [Float](repeating: 0, count: 8)),
                .init(path: "/data/conv2/0", shape: [8, 8, 3, 3], values: [Float](repeating: 0.25, count: 576)),
                .init(path: "/data/conv2/1", shape: [8], values: [Float](repeating: 0, count: 8)),
                .init(path: "/data/unused/0", shape: [1_500_000_000], values: nil),
            ])
            let r = try await ok(c, "deepLearn.dlImportModelWeights", ["model": "cnn", "formatType": "CAFFE", "weightFilePath": "extra.h5"])
            #expect(r.notes.joined().contains("unused"), "\(r.notes)")
            try await ok(c, "builtins.ping")
        }
    }

    /// Weights tables are read strictly (one `_Shape_` parser, no duplicate tensors, finite weights);
    /// dlExportModel replaces a file only with replace=True and never writes "x.dlew/" as x.dlew; a
    /// .dlew index error is a sentence, not Swift's DecodingError.
    @Test func weightsTablesAndExportsAreStrict() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 4)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, weights: "cnn_w", valid: false))
            let w = try await fetchAll(c, "cnn_w")
            let row = try #require((0..<w.rowCount).first { w.strings("_Tensor_")[$0] == "conv1.weight" })
            let shape = try #require(w.strings("_Shape_")[row])
            for bad in ["a,b", "1e3", "4;3;3;3", "99999999999999999999999", "8,3,,3", "8,3,3,3,"] {
                try await tampered(c, "cnn_w", as: "bad_w", column: "_Shape_", row: row, value: .string(bad))
                try await fails(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "bad_w", "path": "x.dlew"],
                                "initWeights", "row \(row + 1)", "_Shape_", bad, "bad_w")
            }
            // spaces around the numbers are only spaces: "8,3,3,3 " is [8, 3, 3, 3], never [8, 3, 3]
            try await tampered(c, "cnn_w", as: "spaced_w", column: "_Shape_", row: row, value: .string(shape.replacingOccurrences(of: ",", with: ", ") + " "))
            try await ok(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "spaced_w", "path": "spaced.dlew"])
            // NaN and infinity are errors naming the row
            let nan = [UInt8](repeating: 0xFF, count: 4) + (w.column("_Weights_")?.data.value(at: row).blobValue?.dropFirst(4) ?? [])
            try await tampered(c, "cnn_w", as: "nan_w", column: "_Weights_", row: row, value: .blob(Array(nan)))
            try await fails(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "nan_w", "path": "x.dlew"], "row \(row + 1)", "nan", "finite")
            // a tensor twice
            let all = try await fetchAll(c, "cnn_w")
            let vars: [Value] = all.columns.map { ["name": .string($0.name), "type": .string($0.type.rawValue)] }
            var rows: [Value] = (0..<all.rowCount).map { r in .list(all.columns.map { $0.data.value(at: r) }) }
            rows.append(rows[row])
            try await ok(c, "table.addTable", ["table": "twice_w", "replace": true, "vars": .list(vars), "rows": .list(rows)])
            try await fails(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "twice_w", "path": "x.dlew"], "conv1.weight", "also in row \(row + 1)")

            // exports: create, refuse to replace, replace when asked; a trailing '/' is not a file name
            try await ok(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w", "path": "m.dlew"])
            try s.write("crop,yield\n", to: "greenhouse.csv")
            try await fails(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w", "path": "greenhouse.csv"], "path", "already exists", "replace=True")
            #expect(try String(contentsOfFile: s.casuser() + "/greenhouse.csv", encoding: .utf8) == "crop,yield\n")
            try await fails(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w", "path": "m.dlew"], "already exists")
            try await ok(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w", "path": "m.dlew", "replace": true])
            try await fails(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w", "path": "y.dlew/"], "path", "trailing '/'")
            #expect(!FileManager.default.fileExists(atPath: s.casuser() + "/y.dlew"))

            // a .dlew whose index has a number where a name belongs
            let index = Array(#"{"format":"dlengine-weights","version":1,"tensors":[{"name":7,"shape":[1],"offset":0}]}"#.utf8)
            var file = Array("DLEWGT01".utf8)
            for k in 0..<8 { file.append(UInt8(truncatingIfNeeded: UInt64(index.count) >> (8 * UInt64(k)))) }
            try s.write(file + index + [0, 0, 0, 0], to: "odd.dlew")
            let r = try await fails(c, "deepLearn.dlImportModelWeights", ["model": "cnn", "formatType": "DLEW", "weightFilePath": "odd.dlew"],
                                    "tensors[0].name", "expected a string")
            #expect(!r.errorText.contains("CodingKeys") && !r.errorText.contains("DecodingError"), "\(r.errorText)")
        }
    }

    /// Picture files: ids with characters XML cannot hold stay well-formed, ids that sanitize alike
    /// ("a/b", "a_b") get different files, and an existing picture is replaced only with replace=True.
    @Test func pictureFilesAreWellFormedAndNeverCollide() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            let png = Value.blob(try ImageCodec.encodePNG(try Image(width: 4, height: 4, format: .rgb, fill: 9)))
            let ids = ["a/b", "a_b", "x\u{0}y\u{1}"]
            try await ok(c, "table.addTable", ["table": "scored", "replace": true, "vars": [
                ["name": "_id_", "type": "varchar"], ["name": "_label_", "type": "varchar"], ["name": "I__label_", "type": "varchar"],
                ["name": "P__label_A", "type": "double"], ["name": "P__label_B", "type": "double"], ["name": "_image_", "type": "varbinary"],
            ], "rows": .list(ids.map { [.string($0), "A\u{0}", "B", 0.25, 0.75, png] })])
            let r = try await ok(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "caslib": "casuser", "path": "pics"])
            let files = try r.table("EvaluatePictures").strings("File").map { try #require($0) }
            #expect(Set(files).count == 3, "\(files)")
            for f in files {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: s.casuser() + "/" + f)))
                #expect(!bytes.contains { $0 < 0x20 && $0 != 0x0A && $0 != 0x09 && $0 != 0x0D }, "\(f) holds a control character")
            }
            try await fails(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "caslib": "casuser", "path": "pics"], "already exists", "replace=True")
            try await ok(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "caslib": "casuser", "path": "pics", "replace": true])
        }
    }

    @Test func craftedWeightsTablesAndFilesAreErrors() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 4)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, weights: "cnn_w", valid: false))
            let w = try await fetchAll(c, "cnn_w")
            let row = try #require((0..<w.rowCount).first { !(w.strings("_Shape_")[$0] ?? "").isEmpty && w.strings("_Tensor_")[$0] != "_level_" })
            for shape in ["4294967296,4294967296", "-1,3", "9223372036854775807", "1e300", "3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3"] {
                try await tampered(c, "cnn_w", as: "bad_w", column: "_Shape_", row: row, value: .string(shape))
                try await fails(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "bad_w", "path": "x.dlew"], "initWeights")
            }
            try await ok(c, "builtins.ping")
            // a .dlew file with its header's numbers overwritten: shapes of 2^32, offsets of 2^63-1, …
            try await ok(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w", "path": "good.dlew"])
            let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: s.casuser() + "/good.dlew")))
            var refused = 0
            for i in 0..<40 {
                var bad = good
                let at = 8 + (i * 37) % min(bad.count - 16, 512)
                let v: UInt64 = [1 << 32, UInt64(Int64.max), UInt64.max, 0, 1 << 31][i % 5]
                for k in 0..<8 where at + k < bad.count { bad[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
                try s.write(bad, to: "bad\(i).dlew")
                let r = try await c.call("deepLearn.dlImportModelWeights", ["model": "cnn", "modelWeights": ["name": "imported", "replace": true],
                                                                             "formatType": "DLEW", "weightFilePath": .string("bad\(i).dlew")])
                if r.disposition.severity == .error { refused += 1 }
                try await ok(c, "builtins.ping")
            }
            #expect(refused > 20, "most overwritten headers are refused (\(refused) of 40)")
        }
    }

    @Test func trainingAModelLargerThanTheSessionsMemoryIsRefusedFirst() async throws {
        try await TestServer.start(sets: allSets, maxMemory: 1 << 30, maxSessionMemory: 256 << 20).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 4)
            try await ok(c, "deepLearn.buildModel", ["model": ["name": "big", "replace": true], "type": "CNN"])
            try await ok(c, "deepLearn.addLayer", ["model": "big", "name": "data", "layer": ["type": "input", "nChannels": 3, "width": 16, "height": 16]])
            try await ok(c, "deepLearn.addLayer", ["model": "big", "name": "fc", "layer": ["type": "fc", "n": .int(1 << 20)], "srcLayers": ["data"]])
            try await ok(c, "deepLearn.addLayer", ["model": "big", "name": "out", "layer": ["type": "output", "n": 2], "srcLayers": ["fc"]])
            var p = trainParams(epochs: 1, weights: "big_w", valid: false)
            p["modelTable"] = "big"
            // 768 × 2^20 weights: 3 GiB of parameters before gradients and momentum
            let r = try await fails(c, "deepLearn.dlTrain", p, "--max-session-memory")
            #expect(r.errorText.contains("Model big training"))
            try await ok(c, "builtins.ping")
            let status = try await ok(c, "builtins.serverStatus")
            let used = try status.table("memory").ints("UsedBytes")
            #expect(((used.last ?? nil) ?? 0) < 64 << 20, "a refused call holds nothing afterwards")
        }
    }

    @Test func fileActionsNeedTheCaslibsPermissions() async throws {
        try await TestServer.start(sets: allSets, admins: ["root"]).run { s in
            let team = s.dataRoot + "/public/team"
            try FileManager.default.createDirectory(atPath: team, withIntermediateDirectories: true)
            let root = try await s.connect("root")
            try await ok(root, "table.addCaslib", ["caslib": "team", "path": "public/team", "session": false, "activeOnAdd": false, "subDirectories": true])
            // alice has a model, weights and a scored table of her own, and no permission on team
            let c = try await squaresWithSmallCNN(s, perClass: 4)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, weights: "cnn_w", valid: false))
            try await ok(c, "deepLearn.dlScore", ["table": "squares", "modelTable": "cnn", "initWeights": "cnn_w",
                                                  "casOut": ["name": "scored", "replace": true], "copyVars": ["_id_", "_label_", "_image_"]])
            try await ok(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w", "path": "mine.dlew"])
            try FileManager.default.copyItem(atPath: s.casuser() + "/mine.dlew", toPath: team + "/theirs.dlew")
            try await fails(c, "deepLearn.dlImportModelWeights", ["model": "cnn", "modelWeights": ["name": "w2", "replace": true], "formatType": "DLEW",
                                                                   "caslib": "team", "weightFilePath": "theirs.dlew"], "does not have Select permission on caslib team")
            let write = "does not have CreateTable permission on caslib team"
            try await fails(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w", "caslib": "team", "path": "theirs.dlew"], write)
            try await fails(c, "deepLearn.dlHeatMap", ["table": "squares", "model": "cnn", "initWeights": "cnn_w", "casOut": ["name": "maps", "replace": true],
                                                       "caslib": "team", "path": "maps"], write)
            try await fails(c, "deepLearn.dlCharts", ["table": "scored", "caslib": "team", "path": "charts"], write)
            try await fails(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "caslib": "team", "path": "pics"], write)
            #expect(try FileManager.default.contentsOfDirectory(atPath: team) == ["theirs.dlew"], "nothing was written")
            #expect(FileManager.default.contents(atPath: team + "/theirs.dlew") == FileManager.default.contents(atPath: s.casuser() + "/mine.dlew"))
            // with the grants, the same calls work
            try await ok(root, "accessControl.updSomeAcsCaslib", ["acs": [["caslib": "team", "identity": "alice", "permission": "Select"],
                                                                          ["caslib": "team", "identity": "alice", "permission": "CreateTable"]]])
            try await ok(c, "deepLearn.dlImportModelWeights", ["model": "cnn", "modelWeights": ["name": "w2", "replace": true], "formatType": "DLEW",
                                                                "caslib": "team", "weightFilePath": "theirs.dlew"])
            try await ok(c, "deepLearn.dlCharts", ["table": "scored", "caslib": "team", "path": "charts"])
            #expect(FileManager.default.fileExists(atPath: team + "/charts/confusion.svg"))
        }
    }
}
