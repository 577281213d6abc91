import CASClient
import CASTestSupport
import CASWire
import Testing

/// The layer options and types DLPy's model zoo sends (VGG's fc dropout, EfficientNet's normStds, scale and
/// reshape, ShuffleNet's channel shuffle, Darknet's random crop/flip, InceptionV3's AVERAGE pooling, the
/// ResNet*_SAS residual projections, DenseNet's output without n), over the protocol against a real server.
@Suite("deepLearn: the zoo's layer options", .serialized)
struct ZooOptionTests {
    func add(_ c: CASConnection, _ model: String, _ layers: [(String, Value, [String])]) async throws {
        try await ok(c, "deepLearn.buildModel", ["model": ["name": .string(model), "replace": true], "type": "CNN"])
        for (name, layer, src) in layers {
            try await ok(c, "deepLearn.addLayer", ["model": .string(model), "name": .string(name), "layer": layer, "srcLayers": .list(src.map { .string($0) })])
        }
    }

    func train(_ c: CASConnection, _ model: String, epochs: Int = 1, learningRate: Double = 0.01) async throws -> Response {
        try await ok(c, "deepLearn.dlTrain", [
            "table": "squares", "modelTable": .string(model), "modelWeights": ["name": .string("\(model)_w"), "replace": true], "seed": 5,
            "nThreads": 1, "optimizer": ["algorithm": ["method": "MOMENTUM", "learningRate": .double(learningRate)], "miniBatchSize": 4,
                                         "maxEpochs": .int(Int64(epochs)), "logLevel": 2],
        ])
    }

    func modelRows(_ c: CASConnection, _ model: String, layer: String) async throws -> [String: (String, Double)] {
        let t = try await ok(c, "table.fetch", ["table": ["name": .string(model), "where": .string("_DLKey0_=\"\(layer)\"")], "to": 1000]).table("Fetch")
        let nums = t.doubles("_DLNumVal_")
        return Dictionary(uniqueKeysWithValues: zip(t.strings("_DLKey1_"), zip(t.strings("_DLChrVal_"), nums).map { ($0.0, $0.1) }))
    }

    static let input: Value = ["type": "input", "nChannels": 3, "width": 16, "height": 16, "scale": 0.0039215686]

    @Test func dropoutOptionsPoolingSpellingsAndAugmentationAreStoredAndTrain() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 8)
            try await add(c, "zoo", [
                ("data", ["type": "input", "nChannels": 3, "width": 16, "height": 16, "offsets": [100, 110, 120], "normStds": [50, 60, 70],
                          "randomFlip": "h", "randomCrop": "randomresized", "randomMutation": "random", "dropout": 0.1], []),
                ("conv1", ["type": "convo", "nFilters": 8, "width": 3, "dropout": 0.2, "paddingHeight": 1, "paddingWidth": 1], ["data"]),
                ("pool1", ["type": "pool", "width": 2, "pool": "average"], ["conv1"]),
                ("gconv", ["type": "groupconvo", "nFilters": 8, "nGroups": 8, "width": 3], ["pool1"]),
                ("fc1", ["type": "fc", "n": 16, "dropout": 0.5], ["gconv"]),
                ("out", ["type": "output", "n": 2], ["fc1"]),
            ])
            let data = try await modelRows(c, "zoo", layer: "data")
            #expect(data["inputopts.flip"]?.0 == "Horizontal" && data["inputopts.crop"]?.0 == "Random resized")
            #expect(data["inputopts.mutation"]?.0 == "Random" && data["inputopts.std.2"]?.1 == 70)
            #expect(try await modelRows(c, "zoo", layer: "pool1")["poolingopts.poolingtype"]?.0 == "Mean Pooling")
            #expect(try await modelRows(c, "zoo", layer: "conv1")["convopts.dropout"]?.1 == 0.2)
            #expect(try await modelRows(c, "zoo", layer: "conv1")["convopts.padheight"]?.1 == 1)
            let g = try await modelRows(c, "zoo", layer: "gconv")
            #expect(g["layertype"]?.0 == "Group Convolution" && g["layertype"]?.1 == 17 && g["groupconvopts.groups"]?.1 == 8)
            // The engine has a dropout after conv1, fc1 and the input; the next layers read it.
            let info = try await ok(c, "deepLearn.modelInfo", ["model": "zoo"]).table("LayerInfo")
            #expect(Set(info.strings("Layer")).isSuperset(of: ["conv1#dropout", "fc1#dropout", "data#dropout"]))
            let r = try await train(c, "zoo", epochs: 2)
            #expect(try r.table("OptIterHistory").doubles("Loss").allSatisfy(\.isFinite))
            // Augmentation and dropout are training-only: scoring twice gives the same probabilities.
            let score: ValueDict = ["table": "squares", "modelTable": "zoo", "initWeights": "zoo_w", "casOut": ["name": "sc", "replace": true]]
            try await ok(c, "deepLearn.dlScore", score)
            let first = try await fetch(c, "sc").doubles("P__label_A")
            try await ok(c, "deepLearn.dlScore", score)
            #expect(try await fetch(c, "sc").doubles("P__label_A") == first)
        }
    }

    @Test func residualSourcesOfDifferentShapesGetAProjection() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 4)
            // As DLPy's ResNet*_SAS: the block input (8×8×4) and the block output (4×4×8) are summed directly.
            try await add(c, "res", [
                ("data", Self.input, []),
                ("conv0", ["type": "convo", "nFilters": 4, "width": 3, "stride": 2], ["data"]),
                ("conv1", ["type": "convo", "nFilters": 8, "width": 3, "stride": 2], ["conv0"]),
                ("sum", ["type": "residual", "act": "relu"], ["conv0", "conv1"]),
                ("pool", ["type": "pool", "width": 0, "pool": "mean"], ["sum"]),
                ("out", ["type": "output", "n": 2], ["pool"]),
            ])
            let info = try await ok(c, "deepLearn.modelInfo", ["model": "res"]).table("LayerInfo")
            let rows = Dictionary(uniqueKeysWithValues: zip(info.strings("Layer"), info.strings("OutputShape")))
            #expect(rows["sum#proj0"] != nil && rows["sum#proj0"] == rows["conv1"])
            try await train(c, "res")
            let w = try await fetch(c, "res_w")
            let proj = try #require(w.strings("_Tensor_").firstIndex(of: "sum#proj0.weight"))
            #expect(w.strings("_Shape_")[proj] == "8,4,1,1" && w.strings("_Layer_")[proj] == "sum" && w.doubles("_LayerID_")[proj] == 3)
            // Shapes no stride can reconcile are refused, naming the layer.
            try await add(c, "bad", [
                ("data", Self.input, []),
                ("a", ["type": "convo", "nFilters": 4, "width": 3, "stride": 3], ["data"]),
                ("b", ["type": "convo", "nFilters": 4, "width": 3, "stride": 4], ["data"]),
                ("sum", ["type": "residual"], ["a", "b"]),
                ("out", ["type": "output", "n": 2], ["sum"]),
            ])
            try await fails(c, "deepLearn.modelInfo", ["model": "bad"], "Residual layer 'sum'", "no stride")
        }
    }

    @Test func scaleReshapeAndChannelShuffleAsEfficientNetAndShuffleNetUseThem() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 4)
            try await add(c, "se", [
                ("data", Self.input, []),
                ("conv", ["type": "convo", "nFilters": 6, "width": 3], ["data"]),
                ("shuffle", ["type": "channelshuffle", "nGroups": 3, "scale": 1], ["conv"]),
                ("gap", ["type": "pool", "width": 0, "height": 0, "stride": 1, "pool": "mean"], ["shuffle"]),
                ("excite", ["type": "convo", "nFilters": 6, "width": 1, "act": "sigmoid"], ["gap"]),
                ("reshape", ["type": "reshape", "width": 6, "height": 1, "depth": 1], ["excite"]),
                ("scale", ["type": "scale"], ["shuffle", "reshape"]),
                ("pool", ["type": "pool", "width": 0, "pool": "mean"], ["scale"]),
                ("out", ["type": "output", "n": 2], ["pool"]),
            ])
            let types = try await ok(c, "table.fetch", ["table": ["name": "se", "where": "_DLKey1_=\"layertype\""], "to": 100]).table("Fetch")
            #expect(types.doubles("_DLNumVal_") == [1, 2, 18, 3, 2, 14, 12, 3, 5])
            let r = try await train(c, "se", epochs: 2)
            #expect(try r.table("OptIterHistory").doubles("Loss").allSatisfy(\.isFinite))
            try await fails(c, "deepLearn.addLayer", ["model": "se", "name": "bad", "layer": ["type": "channelshuffle", "nGroups": 2, "scale": 2],
                                                      "srcLayers": ["conv"]], "scale")
            try await add(c, "bad", [
                ("data", Self.input, []),
                ("conv", ["type": "convo", "nFilters": 6, "width": 3], ["data"]),
                ("shuffle", ["type": "channelshuffle", "nGroups": 4], ["conv"]),
                ("out", ["type": "output", "n": 2], ["shuffle"]),
            ])
            try await fails(c, "deepLearn.modelInfo", ["model": "bad"], "6 channels cannot be split into 4 groups", "layer shuffle")
        }
    }

    @Test func anOutputWithoutNTakesItFromTheTargetLevels() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 4)
            try await add(c, "auto", [
                ("data", Self.input, []),
                ("conv", ["type": "convo", "nFilters": 4, "width": 3], ["data"]),
                ("pool", ["type": "pool", "width": 0, "pool": "mean"], ["conv"]),
                ("out", ["type": "output"], ["pool"]),
            ])
            try await fails(c, "deepLearn.modelInfo", ["model": "auto"], "Output layer 'out' has no n", "dlTrain sets it")
            // no usable rows: said of the table, not as an output of 0 classes
            try await fails(c, "deepLearn.dlTrain", ["table": ["name": "squares", "where": "_id_ > 1000"], "modelTable": "auto",
                                                     "modelWeights": ["name": "auto_none", "replace": true]], "has no usable rows", "parameter table")
            let r = try await train(c, "auto")
            #expect(r.notes.contains { $0.contains("Output layer out has n = 2") }, "\(r.notes)")
            let w = try await fetch(c, "auto_w")
            let i = try #require(w.strings("_Tensor_").firstIndex(of: "out.weight"))
            #expect(w.strings("_Shape_")[i] == "2,4")
            // Scoring takes n from the trained weights.
            let sc = try await ok(c, "deepLearn.dlScore", ["table": "squares", "modelTable": "auto", "initWeights": "auto_w",
                                                           "casOut": ["name": "auto_sc", "replace": true]])
            #expect(try sc.table("ScoreInfo").info("Number of Observations Used") == "8")
        }
    }

    @Test func randomCropTakesLargerImagesAsWindowsOfTheInputSize() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 4)   // 16×16
            for crop in ["unique", "none"] {
                try await add(c, "crop_\(crop)", [
                    ("data", ["type": "input", "nChannels": 3, "width": 12, "height": 12, "scale": 0.0039215686, "randomCrop": .string(crop)], []),
                    ("conv", ["type": "convo", "nFilters": 4, "width": 3], ["data"]),
                    ("pool", ["type": "pool", "width": 0, "pool": "mean"], ["conv"]),
                    ("out", ["type": "output", "n": 2], ["pool"]),
                ])
            }
            try await fails(c, "deepLearn.dlTrain", ["table": "squares", "modelTable": "crop_none", "modelWeights": ["name": "w0", "replace": true]],
                            "is 16x16", "expects 12x12")
            try await train(c, "crop_unique")
            let first = try await fetch(c, "crop_unique_w").column("_Weights_")?.data
            try await train(c, "crop_unique")
            let second = try await fetch(c, "crop_unique_w").column("_Weights_")?.data
            #expect(first != nil && second == first, "the windows come from dlTrain's seed")
            let sc = try await ok(c, "deepLearn.dlScore", ["table": "squares", "modelTable": "crop_unique", "initWeights": "crop_unique_w",
                                                           "casOut": ["name": "crop_sc", "replace": true]])
            #expect(try sc.table("ScoreInfo").info("Number of Observations Used") == "8")
            // Smaller images than the window are refused, naming both sizes.
            try await add(c, "crop_big", [
                ("data", ["type": "input", "nChannels": 3, "width": 20, "height": 20, "randomCrop": "unique"], []),
                ("out", ["type": "output", "n": 2], ["data"]),
            ])
            try await fails(c, "deepLearn.dlTrain", ["table": "squares", "modelTable": "crop_big", "modelWeights": ["name": "w1", "replace": true]],
                            "is 16x16", "crops 20x20 windows", "not smaller")
        }
    }

    @Test func transposedConvolutionUpsamplesAsDLPyComputesIt() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 4)
            // DLPy's UNet: Conv2DTranspose(n, 3, stride=2, padding=1, output_size=…) sends outputpadding 1.
            try await add(c, "up", [
                ("data", Self.input, []),
                ("down", ["type": "convo", "nFilters": 4, "width": 3, "stride": 2], ["data"]),
                ("tconv", ["type": "transconvo", "nFilters": 3, "width": 3, "height": 3, "stride": 2, "padding": 1, "outputpadding": 1,
                           "act": "relu"], ["down"]),
                ("cat", ["type": "concat"], ["data", "tconv"]),
                ("pool", ["type": "pool", "width": 0, "pool": "mean"], ["cat"]),
                ("out", ["type": "output", "n": 2], ["pool"]),
            ])
            let t = try await modelRows(c, "up", layer: "tconv")
            #expect(t["layertype"]?.0 == "Transpose Convolution" && t["layertype"]?.1 == 16 && t["transposeconvopts.outputpadding"]?.1 == 1)
            let info = try await ok(c, "deepLearn.modelInfo", ["model": "up"]).table("LayerInfo")
            let shapes = Dictionary(uniqueKeysWithValues: zip(info.strings("Layer"), info.strings("OutputShape")))
            #expect(shapes["down"] == "8x8x4" && shapes["tconv"] == "16x16x3")
            let r = try await train(c, "up", epochs: 2)
            #expect(try r.table("OptIterHistory").doubles("Loss").allSatisfy(\.isFinite))
            let w = try await fetch(c, "up_w")
            let i = try #require(w.strings("_Tensor_").firstIndex(of: "tconv.weight"))
            #expect(w.strings("_Shape_")[i] == "4,3,3,3")
            try await ok(c, "deepLearn.addLayer", ["model": "up", "name": "tconv", "replace": true, "srcLayers": ["down"],
                                                   "layer": ["type": "transconvo", "nFilters": 3, "width": 3, "stride": 2, "outputpadding": 2]])
            try await fails(c, "deepLearn.modelInfo", ["model": "up"], "output padding", "smaller than the stride")
        }
    }

    /// DLPy's Model.from_table reads the table back by CAS's keys and sends the labels it read as option values.
    @Test func theModelTableCarriesWhatDLPysReaderReads() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await add(c, "rt", [
                ("data", Self.input, []),
                ("c1", ["type": "convo", "nFilters": 4, "width": 3, "act": "Rectifier", "paddingHeight": 1, "paddingWidth": 0], ["data"]),
                ("c2", ["type": "convo", "nFilters": 4, "width": 3, "act": "Logistic"], ["c1"]),
                ("g", ["type": "groupconvo", "nFilters": 4, "nGroups": 4, "width": 3, "act": "Leaky Activation function"], ["c2"]),
                ("t", ["type": "transconvo", "nFilters": 2, "width": 3, "stride": 2, "padding": 1, "outputPadding": 1, "act": "Identity"], ["g"]),
                ("bn", ["type": "batchnorm", "act": "Automatic"], ["t"]),
                ("out", ["type": "output", "n": 2, "fullConnect": true, "error": "Entropy"], ["bn"]),
            ])
            let c1 = try await modelRows(c, "rt", layer: "c1")
            #expect(c1["convopts.act"]?.0 == "Rectifier" && c1["convopts.pad_top"]?.1 == 1 && c1["convopts.pad_left"]?.1 == 0)
            #expect(try await modelRows(c, "rt", layer: "c2")["convopts.act"]?.0 == "Logistic")
            #expect(try await modelRows(c, "rt", layer: "c2")["convopts.pad_top"]?.1 == -1, "no padding option: CAS same, -1")
            let g = try await modelRows(c, "rt", layer: "g")
            #expect(g["groupconvopts.ngroups"]?.1 == 4 && g["groupconvopts.act"]?.0 == "Leaky Activation function")
            let t = try await modelRows(c, "rt", layer: "t")
            #expect(t["transposeconvopts.outputpaddingheight"]?.1 == 1 && t["transposeconvopts.pad_left"]?.1 == 1)
            #expect(try await modelRows(c, "rt", layer: "out")["outputopts.noFullConnect"]?.1 == 0)
            // the table read back builds the same shapes: c1 pads 1 row top and bottom, no column
            let info = try await ok(c, "deepLearn.modelInfo", ["model": "rt"]).table("LayerInfo")
            let shapes = Dictionary(uniqueKeysWithValues: zip(info.strings("Layer"), info.strings("OutputShape")))
            #expect(shapes["c1"] == "16x14x4" && shapes["c2"] == "16x14x4" && shapes["t"] == "32x28x2", "\(shapes)")  // H×W×C
        }
    }

    @Test func theReviewsFindingsAreRefusedOrAcceptedAsDLPySendsThem() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await add(c, "r", [("data", Self.input, [])])
            // '#' names the parts caslite adds (c1#dropout, r#proj0): a user layer may not take such a name
            try await fails(c, "deepLearn.addLayer", ["model": "r", "name": "c1#dropout", "layer": ["type": "convo", "nFilters": 2], "srcLayers": ["data"]],
                            "reserved", "Layer name")
            // DLPy's Conv2DTranspose always sends std, mean and init_bias; pooling takes paddingHeight/Width
            try await ok(c, "deepLearn.addLayer", ["model": "r", "name": "t", "srcLayers": ["data"], "layer": [
                "type": "transconvo", "nFilters": 2, "width": 2, "stride": 2, "std": 1, "mean": 0, "initbias": 0, "truncationfactor": 2]])
            try await ok(c, "deepLearn.addLayer", ["model": "r", "name": "p", "srcLayers": ["t"], "layer": [
                "type": "pool", "width": 2, "pool": "mean", "paddingHeight": 1, "paddingWidth": 0]])
            try await fails(c, "deepLearn.addLayer", ["model": "r", "name": "d", "srcLayers": ["p"], "layer": ["type": "dropout", "dropout": 1.0]],
                            "layer.dropout")
            // a reshape whose size overflows is refused, not a trap (a crafted model table reaches the engine unchecked)
            try await ok(c, "deepLearn.addLayer", ["model": "r", "name": "rs", "srcLayers": ["p"], "layer": ["type": "reshape", "width": 1, "height": 1, "depth": 1]])
            try await craftModelTable(c, "r", key: "reshapeopts.depth", value: 1e18)
            try await fails(c, "deepLearn.modelInfo", ["model": "crafted"], "height × width × depth")
            try await ok(c, "builtins.serverStatus")
        }
    }
}
