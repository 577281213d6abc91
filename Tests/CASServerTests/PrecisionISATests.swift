import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

/// A server whose oneDNN may not use AVX-512 BF16 (`DNNL_MAX_CPU_ISA=AVX512_CORE`, as on a CPU without
/// it) refuses precision=BF16 with an Error naming the parameter and the missing instructions: never a
/// silent fall back to oneDNN's slow bf16 emulation.
@Test("without AVX-512 BF16/VNNI, dlTrain BF16 and dlScore INT8 are refused naming the ISA; FP32 still builds")
func bf16RefusedWithoutTheISA() async throws {
    try await withDataRoot { root in
        try await ServerProcess(dataRoot: root, environment: ["DNNL_MAX_CPU_ISA": "AVX512_CORE"]).run { p in
            let c = try await p.connect()
            try await ok(c, "builtins.loadActionSet", ["actionSet": "deepLearn"])
            try await ok(c, "deepLearn.buildModel", ["model": ["name": "m", "replace": true], "type": "CNN"])
            try await ok(c, "deepLearn.addLayer", ["model": "m", "name": "data", "layer": ["type": "input", "nChannels": 1, "width": 4, "height": 4]])
            try await ok(c, "deepLearn.addLayer", ["model": "m", "name": "output", "layer": ["type": "output", "n": 2], "srcLayers": ["data"]])
            let r = try await fails(c, "deepLearn.dlTrain", ["table": "nothing", "modelTable": "m", "precision": "BF16"],
                                    "precision=BF16", "AVX-512 BF16", "avx512_core")
            #expect(!r.errorText.contains("nothing"), "refused before the table is read: \(r.errorText)")
            // FP32 goes on to the table (which does not exist): the precision check passed.
            try await fails(c, "deepLearn.dlTrain", ["table": "nothing", "modelTable": "m", "precision": "FP32"], "nothing")
            // AVX512_CORE has no VNNI either: INT8 scoring is refused the same way.
            let s = try await fails(c, "deepLearn.dlScore", ["table": "nothing", "modelTable": "m", "initWeights": "nothing",
                                                             "precision": "INT8", "calibrationTable": "nothing"],
                                    "precision=INT8", "AVX-512 VNNI", "avx512_core")
            #expect(!s.errorText.contains("nothing"), "refused before any table is read: \(s.errorText)")
        }
    }
}
