import CASCore
import DLEngine

/// The `precision=` parameter of dlTrain and dlScore: the arithmetic of the convolutions and fully
/// connected layers (docs/decisions/020-precision.md).
enum PrecisionOption {
    static func param() -> Param<String> {
        P.string("precision", "Arithmetic of convolutions and fully connected layers: FP32, or BF16 (bfloat16 products with float32 "
                 + "accumulation, master weights, batch-norm statistics and loss; needs AVX-512 BF16).",
                 default: "FP32", allowed: Precision.allCases.map(\.rawValue))
    }

    /// Sets `value` on `engine`; a CPU without the instructions gets an Error naming the parameter and the ISA.
    static func apply(_ value: String, to engine: Model, _ ctx: ActionContext) throws(ActionError) {
        guard let p = Precision(rawValue: value.uppercased()) else {
            throw ActionError(.parameterValue, "precision must be one of \(Precision.allCases.map(\.rawValue)), got '\(value)'.", parameter: "precision")
        }
        do { try engine.setPrecision(p) } catch {
            throw ActionError(.parameterValue, "precision=\(p.rawValue) is not available here: \(error.message).", parameter: "precision")
        }
        if p != .fp32 {
            ctx.note("Convolutions and fully connected layers run in \(p.rawValue) mixed precision on \(Precision.effectiveISA) "
                     + "(float32 accumulation, master weights, batch-norm statistics and loss).")
        }
    }
}
