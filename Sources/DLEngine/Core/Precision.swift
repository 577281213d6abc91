import CDNNLShim

/// The arithmetic of convolutions and fully connected layers.
///
/// `.bf16` is mixed precision: activations, incoming gradients and weights are rounded to bfloat16
/// (8 significant bits, round to nearest even) for the products, which oneDNN accumulates in float32 on
/// the CPU's AVX-512 BF16 units; every buffer the engine keeps (activations, gradients, master weights,
/// batch-norm statistics, the loss) stays float32, and SGD updates the float32 weights.
public enum Precision: String, Sendable, CaseIterable {
    case fp32 = "FP32"
    case bf16 = "BF16"
    /// Inference only: post-training quantized convolutions (u8/s8 activations, s8 per-channel
    /// weights, int32 accumulation) on AVX-512 VNNI; needs calibrated input ranges (`Model.calibrate`).
    case int8 = "INT8"

    /// The instruction set this precision's fast path needs, or nil when it needs nothing special.
    public var requiredISA: String? {
        switch self {
        case .fp32: nil
        case .bf16: "AVX-512 BF16 (avx512_core_bf16)"
        case .int8: "AVX-512 VNNI (avx512_core_vnni)"
        }
    }

    /// Whether this CPU — as oneDNN may use it (the `DNNL_MAX_CPU_ISA` environment variable can lower
    /// it) — runs this precision on its fast path.
    public var isSupported: Bool {
        switch self {
        case .fp32: true
        case .bf16: dlshim_has_bf16() != 0
        case .int8: dlshim_has_vnni() != 0
        }
    }

    /// oneDNN's effective instruction set on this machine, e.g. "avx512_core_bf16".
    public static var effectiveISA: String { String(cString: dlshim_isa_name()) }

    /// Throws unless `isSupported`: a precision without its instructions would run on oneDNN's slow
    /// emulation, which users would mistake for the fast path, so it is refused instead.
    public func requireSupport() throws(EngineError) {
        guard !isSupported, let isa = requiredISA else { return }
        throw EngineError(.unsupported, "precision \(rawValue) needs \(isa), which this CPU does not offer to oneDNN "
                          + "(effective instruction set: \(Precision.effectiveISA)); use precision FP32")
    }
}
