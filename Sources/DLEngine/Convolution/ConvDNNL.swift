import CDNNLShim

/// oneDNN primitives for one convolution shape (forward, and lazily backward-data/backward-weights).
/// Create once per (geometry, options) and reuse: `ConvolutionLayer` caches one per batch size.
/// Every function overwrites its outputs.
///
/// Not thread-safe (one oneDNN stream and reused memory objects); one owner at a time.
public final class DNNLConvolution {
    public let geometry: ConvGeometry
    public let hasBias: Bool
    /// The activation applied by the forward primitive as a oneDNN post-op (identity, ReLU or ReLU6).
    public let fusedActivation: Activation
    public var fusedReLU: Bool { fusedActivation == .relu }
    public let training: Bool
    /// `.bf16`: the products run in bfloat16 (every buffer passed in and out stays float32).
    public let precision: Precision
    private let handle: OpaquePointer

    /// The activation layout the primitives compute in; callers always pass NHWC.
    public enum ActivationLayout: Int32, Sendable, CaseIterable {
        /// Blocked where it measured faster (FP32 on a CPU without AVX-512), else NHWC.
        case automatic = 0
        /// NHWC throughout: no activation reorders.
        case nhwc = 1
        /// oneDNN's choice (e.g. nChw8c on AVX2): src, dst and their gradients are reordered from and to
        /// NHWC on every call. BF16, INT8 and strided 1×1 weight gradients stay NHWC, as does a
        /// convolution oneDNN serves only with reference kernels in a blocked layout.
        case blocked = 2
    }

    /// Creates the forward primitive. `fusedReLU` applies ReLU as a oneDNN post-op.
    /// `training: false` builds a forward_inference primitive with no backward.
    public convenience init(_ g: ConvGeometry, hasBias: Bool, fusedReLU: Bool = false, training: Bool = true,
                            precision: Precision = .fp32, layout: ActivationLayout = .automatic) throws {
        try self.init(g, hasBias: hasBias, fusedActivation: fusedReLU ? .relu : .identity, training: training, precision: precision,
                      layout: layout)
    }

    /// Creates the forward primitive with `fusedActivation` (identity, ReLU or ReLU6) as a post-op.
    public init(_ g: ConvGeometry, hasBias: Bool, fusedActivation: Activation, training: Bool = true,
                precision: Precision = .fp32, quantization: Quantization? = nil, layout: ActivationLayout = .automatic) throws {
        if let problem = g.problem { throw EngineError(.invalidArgument, "convolution \(g): \(problem)") }
        try precision.requireSupport()
        if (precision == .int8) != (quantization != nil) || (precision == .int8 && training) {
            throw EngineError(.invalidArgument, "convolution \(g): INT8 is for inference with a quantization, and only INT8 takes one")
        }
        if let q = quantization, q.weightScales.count != g.outC || !(q.sourceScale > 0) || !q.weightScales.allSatisfy({ $0 > 0 && $0.isFinite }) {
            throw EngineError(.invalidArgument, "convolution \(g): quantization needs a positive source scale and \(g.outC) positive weight scales")
        }
        let postOp: Int32
        switch fusedActivation {
        case .identity: postOp = 0
        case .relu: postOp = 1
        case .relu6: postOp = 2
        default: throw EngineError(.invalidArgument, "convolution \(g): oneDNN post-ops are ReLU and ReLU6 only, not \(fusedActivation)")
        }
        var d = dlshim_conv_desc(
            n: Int64(g.batch), ic: Int64(g.inC), ih: Int64(g.inH), iw: Int64(g.inW),
            oc: Int64(g.outC), oh: Int64(g.outH), ow: Int64(g.outW), kh: Int64(g.kernelH), kw: Int64(g.kernelW),
            stride_h: Int64(g.strideH), stride_w: Int64(g.strideW),
            dilation_h: Int64(g.dilationH), dilation_w: Int64(g.dilationW),
            pad_top: Int64(g.padTop), pad_left: Int64(g.padLeft), pad_bottom: Int64(g.padBottom), pad_right: Int64(g.padRight),
            groups: Int64(g.groups), has_bias: hasBias ? 1 : 0, fuse_relu: postOp, training: training ? 1 : 0,
            bf16: precision == .bf16 ? 1 : 0, act_layout: layout.rawValue)
        var out: OpaquePointer?
        let rc: Int32
        if let q = quantization {
            rc = q.weightScales.withUnsafeBufferPointer { ws in
                var qd = dlshim_int8(src_scale: q.sourceScale, src_signed: q.signedSource ? 1 : 0, src_zero_point: q.zeroPoint,
                                     w_scales: ws.baseAddress)
                return dlshim_conv_create_int8(&d, &qd, &out)
            }
        } else {
            rc = dlshim_conv_create(&d, &out)
        }
        guard rc == 0, let out else { throw DNNLConvolution.error(rc, "create", g) }
        geometry = g
        self.hasBias = hasBias
        self.fusedActivation = fusedActivation
        self.training = training
        self.precision = precision
        handle = out
    }

    deinit { dlshim_conv_destroy(handle) }

    /// Post-training quantization of one convolution (`Precision.int8`): src is quantized to
    /// round(x · sourceScale) + zeroPoint as u8 (s8 without zero point when `signedSource`), the weights
    /// of output channel o to round(w · weightScales[o]) as s8 (saturating); the result is float32.
    public struct Quantization: Sendable, Equatable {
        public var sourceScale: Float
        public var signedSource: Bool
        public var zeroPoint: Int32
        public var weightScales: [Float]
        public init(sourceScale: Float, signedSource: Bool, zeroPoint: Int32 = 0, weightScales: [Float]) {
            self.sourceScale = sourceScale
            self.signedSource = signedSource
            self.zeroPoint = zeroPoint
            self.weightScales = weightScales
        }

        /// Symmetric per-channel scales for weights [OC, …]: 127 / max |w| of each output channel
        /// (1 for a channel whose largest weight is below `tiny`: it quantizes to zeros).
        public static func weightScales(_ w: UnsafePointer<Float>, outputs: Int, perOutput: Int) -> [Float] {
            (0..<outputs).map { o in
                var m: Float = 0
                for i in 0..<perOutput { m = max(m, abs(w[o * perOutput + i])) }
                return m >= tiny ? 127 / m : 1
            }
        }

        /// Ranges and weights below this magnitude count as zero, above `huge` as unusable.
        public static let tiny: Float = 1e-20, huge: Float = 1e20

        /// The quantization of a convolution whose input was seen in [minimum, maximum], or nil when it
        /// would not be exact enough to trust in float32 arithmetic: a range narrower than `tiny` or wider
        /// than `huge`, or output scales 1 / (source scale · weight scale) outside 1e-30…1e30. Such a
        /// convolution runs in FP32.
        public static func make(minimum: Float, maximum: Float, weights w: UnsafePointer<Float>, outputs: Int, perOutput: Int) -> Quantization? {
            let span = Double(max(maximum, 0)) - Double(min(minimum, 0))
            guard span.isFinite, span >= Double(tiny), span <= Double(huge) else { return nil }
            let s = source(minimum: minimum, maximum: maximum)
            let ws = weightScales(w, outputs: outputs, perOutput: perOutput)
            guard ws.allSatisfy({ let p = Double(s.scale) * Double($0); return p > 1e-30 && p < 1e30 }) else { return nil }
            return Quantization(sourceScale: s.scale, signedSource: false, zeroPoint: s.zeroPoint, weightScales: ws)
        }

        /// The source quantization for inputs observed in [minimum, maximum]: u8 over 0…max when nothing
        /// is negative, else u8 over min…max with the zero point that maps 0 exactly (asymmetric: a
        /// symmetric s8 range wastes the codes of the side the data does not reach).
        public static func source(minimum: Float, maximum: Float) -> (scale: Float, zeroPoint: Int32) {
            let lo = Double(min(minimum, 0)), hi = Double(max(maximum, 0))
            let span = hi - lo
            guard span.isFinite, span >= Double(tiny), span <= Double(huge) else { return (1, 0) }   // degenerate: see `make`
            let scale = 255 / span
            return (Float(scale), Int32(min(max((-lo * scale).rounded(.toNearestOrEven), 0), 255)))
        }
    }

    /// Whether oneDNN wants the weights in a blocked layout (then `forward` reorders them, and a
    /// non-zero `weightsVersion` lets it skip that).
    public var reordersWeights: Bool { dlshim_conv_reorders_weights(handle) != 0 }

    /// Whether the primitives compute in a blocked activation layout (`ActivationLayout`), reordering
    /// src, dst and their gradients from and to NHWC on every call.
    public var blocksActivations: Bool { dlshim_conv_blocked(handle) != 0 }

    /// The oneDNN implementation chosen for the forward primitive, e.g. "brgconv:avx512_core".
    public var implementation: String { String(cString: dlshim_conv_impl_name(handle)) }

    /// y [N, OH, OW, OC] = conv(x [N, IH, IW, IC], w [OC, IC/G, KH, KW]) + b [OC].
    /// `weightsVersion` ≠ 0 lets oneDNN reuse its reordered copy of `w` while the version stays the same
    /// (`w` is then not read; give every distinct weight content its own version).
    public func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                        weightsVersion: UInt64 = 0) throws {
        let rc = dlshim_conv_forward(handle, x, w, b, y, weightsVersion)
        if rc != 0 { throw DNNLConvolution.error(rc, "forward", geometry) }
    }

    /// dx [N, IH, IW, IC] from dy [N, OH, OW, OC] and w.
    public func backwardData(dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) throws {
        let rc = dlshim_conv_backward_data(handle, dy, w, dx)
        if rc != 0 { throw DNNLConvolution.error(rc, "backward-data", geometry) }
    }

    /// dw [OC, IC/G, KH, KW] and db [OC] (when the primitive has a bias) from x and dy.
    public func backwardWeights(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                db: UnsafeMutablePointer<Float>?) throws {
        let rc = dlshim_conv_backward_weights(handle, x, dy, dw, db)
        if rc != 0 { throw DNNLConvolution.error(rc, "backward-weights", geometry) }
    }

    /// Both backward passes: dw and db (when the primitive has a bias) unless `dw` is nil, then dx unless
    /// nil; dy is read (in bf16: rounded) once for both.
    public func backward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                         dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?) throws {
        let rc = dlshim_conv_backward(handle, x, dy, w, dx, dw, db)
        if rc != 0 { throw DNNLConvolution.error(rc, "backward", geometry) }
    }

    static func error(_ rc: Int32, _ what: String, _ g: ConvGeometry) -> EngineError {
        let status = String(cString: dlshim_status_string(rc))
        return EngineError(.backend, "oneDNN convolution \(what) failed (\(status)) for \(g); run with ONEDNN_VERBOSE=1 for details")
    }
}

/// oneDNN primitives: ReLU is fused when the primitive was created with it.
extension DNNLConvolution: ConvolutionKernels {
    var fusesReLU: Bool { fusedReLU }
}
