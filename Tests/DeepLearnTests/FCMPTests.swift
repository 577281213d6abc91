import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

/// DLPy's CyclicLR: fcmpact.addRoutines compiles its FCMP function, sessionProp.setSessOpt cmplib=
/// names the table, and dlTrain's fcmpLearningRate evaluates it per mini-batch. The same schedule
/// through the built-in CYCLIC policy must give the identical training history.
@Suite("deepLearn FCMP learning rates", .serialized)
struct FCMPTests {
    /// DLPy's routine with NB (batches per epoch) and SS (step size) filled in, as DLPy sends it.
    static func cyclicCode(nb: Int, ss: Int, top: Double) -> String {
        "function cyclic_lr(rate, iterNum, batch, initRate); batch_cum = \(nb) * iterNum + batch; cycle = floor(batch_cum / (2 * \(ss)) + 1); " +
            "x = abs(batch_cum / \(ss) - 2 * cycle + 1); rate = initRate + (\(top) - initRate) * max(0, 1-x); return(rate); endsub;"
    }

    @Test func dlpyCyclicLRMatchesTheBuiltInCyclicPolicy() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await ok(c, "builtins.loadActionSet", ["actionSet": "fcmpact"])
            try await addSquares(c, "squares", perClass: 12)
            try await splitSquares(c)
            try await buildSmallCNN(c)
            let n = Int(try await fetch(c, "train").rowCount), batch = 4, nb = (n + batch - 1) / batch, ss = 3
            let r = try await ok(c, "fcmpact.addRoutines", ["routineCode": .string(Self.cyclicCode(nb: nb, ss: ss, top: 0.05)), "package": "pkg",
                                                              "funcTable": ["name": "cyclic_lr", "replace": 1]])
            #expect(r.notes.contains { $0.contains("Compiled function cyclic_lr(rate, iterNum, batch, initRate)") })
            try await ok(c, "sessionProp.setSessOpt", ["cmplib": "CASUSER.cyclic_lr"])

            var fcmp = trainParams(epochs: 4, weights: "w_fcmp")
            fcmp["optimizer"] = ["algorithm": ["method": "vanilla", "learningrate": 0.001, "gamma": 0.1, "stepsize": 10, "power": 0.75,
                                               "fcmplearningrate": "cyclic_lr"], "minibatchsize": .int(Int64(batch)), "maxepochs": 4, "loglevel": 2]
            let a = try await ok(c, "deepLearn.dlTrain", fcmp)
            #expect(a.notes.contains { $0.contains("FCMP function cyclic_lr") })
            var builtIn = trainParams(epochs: 4, weights: "w_builtin")
            builtIn["optimizer"] = ["algorithm": ["method": "VANILLA", "learningRate": 0.001, "learningRatePolicy": "CYCLIC",
                                                  "maxLearningRate": 0.05, "stepSize": .int(Int64(ss))], "miniBatchSize": .int(Int64(batch)), "maxEpochs": 4]
            let b = try await ok(c, "deepLearn.dlTrain", builtIn)
            let ha = try a.table("OptIterHistory"), hb = try b.table("OptIterHistory")
            #expect(ha.rowCount == 4)
            for col in ["LearningRate", "Loss", "FitError", "ValidLoss", "ValidError"] {
                let x = ha.doubles(col), y = hb.doubles(col)
                #expect(x.count == y.count && zip(x, y).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($1)) }, "\(col): \(x) vs \(y)")
            }
            // the rate really moves: epoch starts at batch_cum = nb·epoch
            let expected = (0..<4).map { e -> Double in
                let cum = Double(nb * e), cycle = (cum / Double(2 * ss) + 1).rounded(.down), x = abs(cum / Double(ss) - 2 * cycle + 1)
                return 0.001 + (0.05 - 0.001) * max(0, 1 - x)
            }
            #expect(zip(ha.doubles("LearningRate"), expected).allSatisfy { abs($0 - $1) < 1e-12 }, "\(ha.doubles("LearningRate")) vs \(expected)")

            // errors: unknown function, no cmplib, unsupported FCMP, a function that reads an undefined variable
            var bad = fcmp
            bad["optimizer"] = ["algorithm": ["fcmpLearningRate": "nosuch"], "maxEpochs": 1]
            try await fails(c, "deepLearn.dlTrain", bad, "fcmpLearningRate='nosuch'", "no such function")
            try await fails(c, "fcmpact.addRoutines", ["routineCode": "function f(a); do i = 1 to 3; end; return(a); endsub;", "funcTable": "f2"],
                            "function f, statement 1", "not supported")
            // a variable whose name starts with "return" is an assignment, not a return
            try await ok(c, "fcmpact.addRoutines", ["routineCode": "function h(rate, iterNum); returnrate = rate * 0.5 ** iterNum; return(returnrate); endsub;",
                                                     "funcTable": ["name": "h", "replace": true]])
            try await ok(c, "sessionProp.setSessOpt", ["cmplib": "CASUSER.h"])
            var halving = fcmp
            halving["optimizer"] = ["algorithm": ["method": "vanilla", "learningRate": 0.04, "fcmpLearningRate": "h"], "miniBatchSize": 4, "maxEpochs": 3]
            let hh = try await ok(c, "deepLearn.dlTrain", halving).table("OptIterHistory")
            #expect(hh.doubles("LearningRate") == [0.04, 0.02, 0.01])
            try await ok(c, "fcmpact.addRoutines", ["routineCode": "function g(rate); return(rate * undefinedvar); endsub;", "funcTable": ["name": "g", "replace": true]])
            try await ok(c, "sessionProp.setSessOpt", ["cmplib": ["CASUSER.cyclic_lr", "CASUSER.g"]])
            bad["optimizer"] = ["algorithm": ["fcmpLearningRate": "g"], "maxEpochs": 1]
            try await fails(c, "deepLearn.dlTrain", bad, "function g does not give a number")
            try await ok(c, "sessionProp.setSessOpt", ["cmplib": []])  // no function tables
            try await fails(c, "deepLearn.dlTrain", bad, "no FCMP function tables are set")
        }
    }
}
