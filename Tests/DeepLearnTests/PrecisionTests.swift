import CASClient
import CASTestSupport
import CASWire
import DLEngine
import Testing

/// dlTrain and dlScore `precision=` over the protocol (the engine's bf16 arithmetic is checked in
/// DLEngineTests/BF16Tests.swift against a naive kernel).
@Suite("deepLearn precision", .serialized)
struct PrecisionTests {
    @Test("precision=BF16 trains and scores the squares like FP32 and says so in the log",
          .enabled(if: Precision.bf16.isSupported, "this CPU offers oneDNN no AVX-512 BF16: skipped"))
    func bf16TrainAndScore() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 16)
            var p = trainParams(epochs: 8, weights: "w16")
            p["precision"] = "BF16"
            let r = try await ok(c, "deepLearn.dlTrain", p)
            #expect(r.logs.contains { $0.message.contains("BF16 mixed precision") }, "\(r.logs.map(\.message))")
            let h = try r.table("OptIterHistory")
            let loss = h.doubles("Loss")
            #expect(loss.allSatisfy(\.isFinite) && loss.last! < loss.first!, "loss \(loss)")
            var p32 = trainParams(epochs: 8, weights: "w32")
            p32["precision"] = "FP32"
            let h32 = try await ok(c, "deepLearn.dlTrain", p32).table("OptIterHistory")
            #expect(h32.doubles("Loss") != loss, "BF16 must not be the FP32 run")
            #expect(abs(h32.doubles("Loss").last! - loss.last!) < 0.25, "FP32 \(h32.doubles("Loss")) BF16 \(loss)")
            // Scoring the BF16-trained weights in both precisions: the same predictions on this easy set.
            func score(_ precision: String) async throws -> [String] {
                try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "w16", "precision": .string(precision),
                                                      "casOut": ["name": .string("s_\(precision)"), "replace": true], "copyVars": ["_id_"]])
                return try await fetch(c, "s_\(precision)", vars: ["_id_", "I__label_"]).strings("I__label_")
            }
            let b = try await score("BF16"), f = try await score("FP32")
            #expect(b.count == f.count && !b.isEmpty)
            #expect(zip(b, f).filter { $0 != $1 }.count <= 1, "BF16 \(b) FP32 \(f)")
        }
    }

    @Test("precision=INT8 scores after calibrating on calibrationTable, like FP32; without it, a clear Error",
          .enabled(if: Precision.int8.isSupported, "this CPU offers oneDNN no AVX-512 VNNI: skipped"))
    func int8Score() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 16)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 8, weights: "w"))
            func score(_ extra: ValueDict, _ name: String) async throws -> (Response, [String]) {
                var p: ValueDict = ["table": "valid", "modelTable": "cnn", "initWeights": "w",
                                    "casOut": ["name": .string(name), "replace": true], "copyVars": ["_id_"]]
                for (k, v) in extra { p[k] = v }
                let r = try await ok(c, "deepLearn.dlScore", p)
                return (r, try await fetch(c, name, vars: ["_id_", "I__label_"]).strings("I__label_"))
            }
            let (_, f) = try await score([:], "s32")
            let (r8, i8) = try await score(["precision": "INT8", "calibrationTable": "train", "calibrationRows": 16], "s8")
            #expect(r8.logs.contains { $0.message.contains("INT8") }, "\(r8.logs.map(\.message))")
            #expect(i8.count == f.count && !i8.isEmpty)
            #expect(zip(i8, f).filter { $0 != $1 }.count <= 1, "INT8 \(i8) FP32 \(f)")
            // The calibration is kept with the weights: rows _int8range_, and INT8 scoring without calibrationTable uses them.
            #expect(r8.logs.contains { $0.message.contains("Stored the INT8 calibration") }, "\(r8.logs.map(\.message))")
            let ranges = try await ok(c, "table.fetch", ["table": ["name": "w", "where": "_Tensor_='_int8range_'"], "to": 100]).table("Fetch")
            #expect(ranges.rowCount == 1 && ranges.strings("_Layer_") == ["conv2"], "the 8-channel conv2 is quantized, the stem is not")
            let (again, i8again) = try await score(["precision": "INT8"], "s8b")
            #expect(i8again == i8)
            #expect(again.logs.contains { $0.message.contains("from the calibration stored in weights table") })
            // ... and travels with the table through save and load.
            try await ok(c, "table.save", ["table": "w", "name": "w_int8_saved", "replace": true])
            try await ok(c, "table.loadTable", ["path": "w_int8_saved", "casOut": ["name": "w_loaded", "replace": true]])
            let loaded = try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "w_loaded", "precision": "INT8",
                                                                "casOut": ["name": "s8c", "replace": true]])
            #expect(loaded.logs.contains { $0.message.contains("from the calibration stored in weights table W_LOADED") ||
                                           $0.message.contains("from the calibration stored in weights table w_loaded") })
            #expect(try await fetch(c, "s8c", vars: ["I__label_"]).strings("I__label_") == i8)
            // A stored range naming a layer that is not a convolution of the model: a clear Error, nothing scored.
            try await ok(c, "builtins.loadActionSet", ["actionSet": "dataStep"])
            try await ok(c, "dataStep.runCode", ["code": "data w_bad; set w; if _Tensor_='_int8range_' then _Layer_='output'; run;"])
            try await fails(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "w_bad", "precision": "INT8"],
                            "does not fit the model", "output")
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, weights: "fresh"))   // a new weights table has no calibration
            try await fails(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "fresh", "precision": "INT8"],
                            "calibrationTable", "no calibration")
            try await fails(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "w", "precision": "INT8",
                                                     "calibrationTable": "nosuchtable"], "nosuchtable")
            var t = trainParams(epochs: 1)
            t["precision"] = "INT8"
            try await fails(c, "deepLearn.dlTrain", t, "precision")   // INT8 is for scoring only
        }
    }

    @Test("crafted or damaged _int8range_ rows: no crash, FP32 ignores them, a new calibration replaces them",
          .enabled(if: Precision.int8.isSupported, "this CPU offers oneDNN no AVX-512 VNNI: skipped"))
    func craftedRanges() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 8)
            try await ok(c, "builtins.loadActionSet", ["actionSet": "dataStep"])
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 2, weights: "w"))
            func withRange(_ name: String, _ bytes: [UInt8]) async throws {
                let w = try await ok(c, "table.fetch", ["table": "w", "to": 1000, "maxRows": 1000, "index": false]).table("Fetch")
                var rows: [Value] = (0..<w.rowCount).map { r in .list(w.columns.map { $0.data.value(at: r) }) }
                rows.append([-1, "conv2", "_int8range_", "2", .blob(bytes)])
                try await ok(c, "table.addTable", ["table": .string(name), "replace": true, "rows": .list(rows),
                                                   "vars": .list(w.columns.map { ["name": .string($0.name), "type": .string($0.type.rawValue)] })])
            }
            func floats(_ a: Float, _ b: Float) -> [UInt8] { [a, b].withUnsafeBytes { Array($0) } }
            // a range of width 1e-38 made the zero point NaN and trapped the server; now that convolution runs in FP32
            try await withRange("tiny", floats(0, 1e-38))
            let tiny = try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "tiny", "precision": "INT8"])
            #expect(tiny.logs.contains { $0.message.contains("from the calibration stored") })
            try await withRange("huge", floats(0, 3e38))
            try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "huge", "precision": "INT8"])
            // a damaged row: FP32 and BF16 scoring and dlTrain initWeights ignore it; INT8 from it is an Error; a new calibration replaces it
            try await withRange("bad", floats(.nan, 1))
            try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "bad"])
            var again = trainParams(epochs: 1, weights: "bad2")
            again["initWeights"] = "bad"
            try await ok(c, "deepLearn.dlTrain", again)
            try await fails(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "bad", "precision": "INT8"],
                            "damaged", "calibrationTable")
            try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "bad", "precision": "INT8",
                                                  "calibrationTable": "train"])
            let ranges = try await ok(c, "table.fetch", ["table": ["name": "bad", "where": "_Tensor_='_int8range_'"], "to": 100]).table("Fetch")
            #expect(ranges.rowCount == 1)
            try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "bad", "precision": "INT8"])
            // calibrationRows without INT8: a WARNING, not silence
            let warned = try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "w", "calibrationRows": 8])
            #expect(warned.logs.contains { $0.level == .warning && $0.message.contains("calibrationRows") })
            // a calibration table whose images do not fit names calibrationTable
            try await fails(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "w", "precision": "INT8",
                                                     "calibrationTable": "w"], "calibrationTable")
        }
    }

    @Test("a model with nothing INT8 would quantize scores in FP32, says so and stores no calibration",
          .enabled(if: Precision.int8.isSupported, "this CPU offers oneDNN no AVX-512 VNNI: skipped"))
    func nothingToQuantize() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 8)
            try await splitSquares(c)
            try await ok(c, "deepLearn.buildModel", ["model": ["name": "stem", "replace": true], "type": "CNN"])
            try await ok(c, "deepLearn.addLayer", ["model": "stem", "name": "data", "layer": ["type": "input", "nChannels": 3, "width": 16, "height": 16]])
            try await ok(c, "deepLearn.addLayer", ["model": "stem", "name": "c1", "layer": ["type": "convolution", "nFilters": 4, "width": 3, "act": "relu"],
                                                  "srcLayers": ["data"]])
            try await ok(c, "deepLearn.addLayer", ["model": "stem", "name": "output", "layer": ["type": "output", "n": 2, "act": "softmax"], "srcLayers": ["c1"]])
            var p = trainParams(epochs: 1, weights: "sw")
            p["modelTable"] = "stem"
            try await ok(c, "deepLearn.dlTrain", p)
            let r = try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "stem", "initWeights": "sw", "precision": "INT8",
                                                          "calibrationTable": "train"])
            #expect(r.logs.contains { $0.message.contains("No convolution of model stem runs in INT8") }, "\(r.logs.map(\.message))")
            #expect(!r.logs.contains { $0.message.contains("Stored the INT8 calibration") })
        }
    }

    @Test("an unknown precision is refused naming the parameter and the choices")
    func unknownPrecision() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 4)
            var p = trainParams(epochs: 1)
            p["precision"] = "FP16"
            try await fails(c, "deepLearn.dlTrain", p, "precision", "FP32", "BF16")
            try await fails(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w", "precision": "INT4"],
                            "precision")
            try await ok(c, "builtins.serverStatus")   // the session stays usable
        }
    }
}
