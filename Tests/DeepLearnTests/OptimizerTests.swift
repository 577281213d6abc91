import CASClient
import CASTestSupport
import CASWire
import Testing

/// dlTrain's `optimizer` group is declared once (actionsets/deepLearn/Optimizer.swift, Algorithm.swift):
/// an option left out trains exactly as its declared default given explicitly.
@Suite("deepLearn optimizer defaults", .serialized)
struct OptimizerTests {
    /// OptIterHistory of a 3-epoch run with `optimizer` = `opt`.
    func history(_ c: CASConnection, _ opt: Value, weights: String) async throws -> DataTable {
        var p = trainParams(epochs: 3, weights: weights, valid: false)
        p["optimizer"] = opt
        return try await ok(c, "deepLearn.dlTrain", p).table("OptIterHistory")
    }

    @Test func omittedOptionsTrainAsTheirDeclaredDefaults() async throws {
        try await TestServer.start(sets: allSets).run { s in try await compareDefaults(s) }
    }

    func compareDefaults(_ s: TestServer) async throws {
        let c = try await squaresWithSmallCNN(s, perClass: 8)
        let implicit = try await history(c, ["algorithm": ["method": "MOMENTUM", "learningRate": 0.05, "learningRatePolicy": "STEP", "gamma": 0.5],
                                             "miniBatchSize": 8, "maxEpochs": 3], weights: "w1")
        let explicit = try await history(c, ["algorithm": ["method": "MOMENTUM", "learningRate": 0.05, "momentum": 0.9,
                                                           "learningRatePolicy": "STEP", "gamma": 0.5, "stepSize": 10],
                                             "miniBatchSize": 8, "maxEpochs": 3, "seed": 0, "regL2": 0], weights: "w2")
        #expect(implicit == explicit)
        #expect(implicit.doubles("LearningRate") == [0.05, 0.05, 0.05], "stepSize 10: no decay within 3 epochs")
        let otherMomentum = try await history(c, ["algorithm": ["method": "MOMENTUM", "learningRate": 0.05, "momentum": 0.5],
                                                  "miniBatchSize": 8, "maxEpochs": 3], weights: "w3")
        #expect(otherMomentum.doubles("Loss") != implicit.doubles("Loss"))
        let shortStep = try await history(c, ["algorithm": ["method": "MOMENTUM", "learningRate": 0.05, "learningRatePolicy": "STEP",
                                                            "gamma": 0.5, "stepSize": 1],
                                              "miniBatchSize": 8, "maxEpochs": 3], weights: "w4")
        #expect(shortStep.doubles("LearningRate") == [0.05, 0.025, 0.0125])
        // ADAM (DLPy's AdamSolver sends method, beta1, beta2): defaults as declared, other betas train differently
        let adam = try await history(c, ["algorithm": ["method": "ADAM", "learningRate": 0.01], "miniBatchSize": 8, "maxEpochs": 3], weights: "w5")
        let adamExplicit = try await history(c, ["algorithm": ["method": "ADAM", "learningRate": 0.01, "beta1": 0.9, "beta2": 0.999],
                                                 "miniBatchSize": 8, "maxEpochs": 3], weights: "w6")
        #expect(adam == adamExplicit && adam.doubles("Loss") != implicit.doubles("Loss"))
        #expect(adam.doubles("Loss").last! < adam.doubles("Loss").first!)
        let adamOther = try await history(c, ["algorithm": ["method": "ADAM", "learningRate": 0.01, "beta1": 0.5], "miniBatchSize": 8, "maxEpochs": 3],
                                          weights: "w7")
        #expect(adamOther.doubles("Loss") != adam.doubles("Loss"))
        var p = trainParams(epochs: 1, weights: "w8", valid: false)
        p["optimizer"] = ["algorithm": ["method": "ADAM", "beta2": 1.0]]
        try await fails(c, "deepLearn.dlTrain", p, "optimizer.algorithm.beta2")
    }
}
