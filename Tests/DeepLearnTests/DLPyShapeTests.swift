import CASClient
import CASTestSupport
import CASWire
import Testing

/// The calls exactly as DLPy sends them (a model built from scratch, `fit`, `evaluate`): lower-case keys,
/// DLPy's layer type names, the model as a string, every optimizer default spelled out.
@Suite("deepLearn with DLPy's call shapes", .serialized)
struct DLPyShapeTests {
    @Test func scratchModelTrainAndScoreAsDLPySendsThem() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 8)
            try await splitSquares(c)
            try await ok(c, "deeplearn.buildmodel", ["model": ["name": "RESNET_S", "replace": true], "type": "CNN"])
            let layers: [(String, Value, [String])] = [
                ("Input1", ["type": "input", "nchannels": 3, "width": 16, "height": 16, "scale": 1], []),
                ("Convo.1", ["type": "convo", "nfilters": 4, "width": 3, "height": 3, "stride": 1, "includebias": false, "act": "identity"], ["Input1"]),
                ("B.N.1", ["type": "batchnorm", "act": "relu"], ["Convo.1"]),
                ("Convo.2", ["type": "convo", "nfilters": 4, "width": 3, "height": 3, "stride": 1, "includebias": false, "act": "identity"], ["B.N.1"]),
                ("R1", ["type": "residual", "act": "relu"], ["Convo.2", "B.N.1"]),
                ("Pool1", ["type": "pool", "width": 0, "height": 0, "stride": 1, "pool": "mean"], ["R1"]),
                ("Output1", ["type": "output", "n": 2, "act": "softmax"], ["Pool1"]),
            ]
            for (name, layer, src) in layers {
                try await ok(c, "deeplearn.addlayer", ["model": "RESNET_S", "name": .string(name), "layer": layer, "srclayers": .list(src.map { .string($0) })])
            }
            let modelType = try await ok(c, "table.fetch", ["table": ["name": "RESNET_S", "where": "_DLKey1_= \"modeltype\""]]).table("Fetch")
            #expect(modelType.strings("_DLKey0_") == ["resnet_s"])
            let types = try await ok(c, "table.fetch", ["table": ["name": "RESNET_S", "where": "_DLKey1_ eq \"layertype\""], "to": 1000]).table("Fetch")
            #expect(types.strings("_DLKey0_") == ["input1", "convo.1", "b.n.1", "convo.2", "r1", "pool1", "output1"])
            let r = try await ok(c, "deeplearn.dltrain", [
                "table": ["name": "train"], "validtable": ["name": "valid"], "model": ["name": "RESNET_S"],
                "modelweights": ["name": "resnet_s_weights", "replace": true], "inputs": "_image_", "target": "_label_",
                "missing": "mean", "targetmissing": "mean", "targetorder": "ascending", "repeatweighttable": false, "seed": 12345,
                "recordseed": 23435, "nthreads": 1,
                "optimizer": ["algorithm": ["method": "vanilla", "learningrate": 0.01, "gamma": 0.1, "stepsize": 10, "power": 0.75, "uselocking": true,
                                            "learningratepolicy": "step"],
                              "minibatchsize": 4, "maxepochs": 2, "loglevel": 2, "seed": 0, "regl1": 0, "regl2": 0, "dropout": 0, "dropoutinput": 0,
                              "dropouttype": "standard", "stagnation": 0, "threshold": 1e-08, "fconv": 0, "snapshotfreq": 0,
                              "bnsrclayerwarnings": true, "flushweights": false],
            ])
            #expect(try r.table("OptIterHistory").doubles("Epoch") == [0, 1])
            let sc = try await ok(c, "deeplearn.dlscore", [
                "table": ["name": "valid"], "model": ["name": "RESNET_S"], "initweights": ["name": "resnet_s_weights"],
                "copyvars": ["_image_", "_label_", "_id_"], "casout": ["name": "Valid_Res", "replace": true], "encodename": true,
                "layerimagetype": "jpg", "randomflip": "none", "randomcrop": "none", "randommutation": "none", "displayclassscoreinfo": "all",
            ])
            #expect(try sc.table("ScoreInfo").info("Number of Observations Used") == "4")
            let out = try await fetch(c, "Valid_Res")
            #expect(out.columns.map(\.name) == ["_image_", "_label_", "_id_", "P__label_A", "P__label_B", "I__label_", "_DL_PredP_"])
        }
    }
}
