import CASCore
import DLEngine

/// The `precision=` parameter of dlTrain and dlScore: the arithmetic of the convolutions and fully
/// connected layers (docs/decisions/020-precision.md).
enum PrecisionOption {
    /// dlTrain's: FP32 or BF16.
    static func trainingParam() -> Param<String> {
        P.string("precision", "Arithmetic of convolutions and fully connected layers: FP32, or BF16 (bfloat16 products with float32 "
                 + "accumulation, master weights, batch-norm statistics and loss; needs AVX-512 BF16).",
                 default: "FP32", allowed: [Precision.fp32, .bf16].map(\.rawValue))
    }

    /// dlScore's: FP32, BF16 or INT8.
    static func scoringParam() -> Param<String> {
        P.string("precision", "Arithmetic of convolutions and fully connected layers: FP32; BF16 (needs AVX-512 BF16); INT8 "
                 + "(post-training quantization calibrated on calibrationTable: u8/s8 activations, per-channel s8 weights, int32 "
                 + "accumulation for the ungrouped convolutions; needs AVX-512 VNNI).",
                 default: "FP32", allowed: Precision.allCases.map(\.rawValue))
    }

    static func parse(_ value: String) throws(ActionError) -> Precision {
        guard let p = Precision(rawValue: value.uppercased()) else {
            throw ActionError(.parameterValue, "precision must be one of \(Precision.allCases.map(\.rawValue)), got '\(value)'.", parameter: "precision")
        }
        return p
    }

    /// Throws unless this CPU runs `p` on its fast path (an Error naming the parameter and the ISA).
    static func requireSupport(_ p: Precision) throws(ActionError) {
        do { try p.requireSupport() } catch {
            throw ActionError(.parameterValue, "precision=\(p.rawValue) is not available here: \(error.message).", parameter: "precision")
        }
    }

    /// Sets `p` (parsed and checked against the CPU by `parse` and `requireSupport` before any table was read) on
    /// `engine`, with a NOTE saying what runs in it.
    static func apply(_ p: Precision, to engine: Model, _ ctx: ActionContext) throws(ActionError) {
        do { try engine.setPrecision(p) } catch {
            throw ActionError(.parameterValue, "precision=\(p.rawValue): \(error.message)\(p == .int8 ? "; pass calibrationTable to calibrate again" : "").",
                              parameter: p == .int8 ? "calibrationTable" : "precision")
        }
        if p == .int8 {
            ctx.note("\(engine.quantizedConvolutions.count) convolutions run in INT8 on \(Precision.effectiveISA) (u8/s8 activations from the calibration ranges, per-channel "
                     + "s8 weights); grouped and depthwise convolutions, the stem on image channels, those fed values below zero and fully "
                     + "connected layers in FP32.")
        } else if p != .fp32 {
            ctx.note("Convolutions and fully connected layers run in \(p.rawValue) mixed precision on \(Precision.effectiveISA) "
                     + "(float32 accumulation, master weights, batch-norm statistics and loss).")
        }
    }
}
