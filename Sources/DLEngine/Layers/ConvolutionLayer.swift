import Foundation

/// Which convolution implementation a layer runs.
public enum ConvBackend: Sendable {
    /// oneDNN primitives (the fast path).
    case oneDNN
    /// im2col + cblas_sgemm (fallback, reference).
    case im2col
    /// Direct loops (slow; tests only).
    case reference
}

/// The three passes of one convolution implementation for one geometry; `ConvolutionLayer.kernels`
/// picks the implementation in its one `switch` over `ConvBackend`.
protocol ConvolutionKernels {
    /// Whether `forward` applies the layer's ReLU itself (oneDNN post-op).
    var fusesReLU: Bool { get }
    func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, weightsVersion: UInt64) throws
    func backwardWeights(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?) throws
    func backwardData(dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) throws
    /// Both passes (dw/db unless `dw` is nil, then dx unless nil); oneDNN reads dy once for both.
    func backward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?) throws
}

extension ConvolutionKernels {
    func backward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?) throws {
        if let dw { try backwardWeights(x: x, dy: dy, dw: dw, db: db) }
        if let dx { try backwardData(dy: dy, w: w, dx: dx) }
    }
}

/// The direct implementations as static functions of a geometry (`ConvIm2col`, `ConvReference`).
protocol GeometryConvolution {
    static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>)
    static func backwardData(_ g: ConvGeometry, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>)
    static func backwardWeights(_ g: ConvGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?)
}

extension ConvIm2col: GeometryConvolution {}
extension ConvReference: GeometryConvolution {}

/// `GeometryConvolution` kernels bound to one geometry (activations are never fused).
struct BoundKernels<K: GeometryConvolution>: ConvolutionKernels {
    let g: ConvGeometry
    var fusesReLU: Bool { false }
    func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, weightsVersion: UInt64) {
        K.forward(g, x: x, w: w, b: b, y: y)
    }
    func backwardWeights(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?) {
        K.backwardWeights(g, x: x, dy: dy, dw: dw, db: db)
    }
    func backwardData(dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        K.backwardData(g, dy: dy, w: w, dx: dx)
    }
}

/// 2-D convolution on NHWC activations, torch-layout weights, optional bias, optional activation.
///
///   x      [N, IH, IW, IC]
///   weight [OC, IC/G, KH, KW]      He-normal initialised (std sqrt(2 / fan_in))
///   bias   [OC]                    zeros
///   y      [N, OH, OW, OC]         act(conv(x, weight) + bias)
///
/// ReLU is fused into the oneDNN forward primitive as a post-op.
public final class ConvolutionLayer: Layer {
    public let filters: Int
    public let kernelH: Int, kernelW: Int
    public let strideH: Int, strideW: Int
    public let dilationH: Int, dilationW: Int
    public let padding: Padding
    public let groups: Int
    public let hasBias: Bool
    public let activation: Activation
    /// The implementation used (oneDNN unless changed, e.g. by tests).
    public var backend: ConvBackend = .oneDNN
    /// The arithmetic of the oneDNN primitives (`Model.precision` sets it on every layer).
    public var precision: Precision = .fp32 {
        didSet { if precision != oldValue { primitives = [:]; foldedPrimitives = [:]; foldedVersions = [:]; int8Primitives = [:] } }
    }
    /// The precision of the primitives that are not INT8's (INT8 runs its other convolutions in FP32).
    private var floatPrecision: Precision { precision == .int8 ? .fp32 : precision }
    /// The range of this layer's input seen while `calibrating` (int8 post-training quantization).
    public internal(set) var inputRange: (min: Float, max: Float)?
    /// Set by `Model.calibrate`: forwards record `inputRange`.
    var calibrating = false
    private var int8Primitives: [Int: (version: UInt64, primitive: DNNLConvolution)] = [:]   // batch size -> (weights version, primitive)

    /// Whether INT8 precision may quantize this convolution: not grouped/depthwise ones (memory-bound,
    /// little to gain, and the most sensitive to activation quantization) and not a stem on ≤ 4 image
    /// channels. Measured on ImageNet MobileNetV2 (docs/decisions/020-precision.md).
    var isInt8Candidate: Bool { groups == 1 && inputShapes[0][2] > 4 }
    /// Whether INT8 precision quantizes this convolution: a candidate whose calibrated input never went
    /// below zero (after a ReLU); one fed signed values (MobileNetV2's linear bottlenecks) stays FP32 —
    /// quantizing those, symmetric or with a zero point, cost 2 of 170 clear top-1 agreements. An
    /// uncalibrated candidate counts as quantized (so `setPrecision(.int8)` asks for its range).
    var runsInt8: Bool { isInt8Candidate && (inputRange.map { $0.min >= 0 } ?? true) }

    private func record(_ x: Tensor) {
        guard calibrating else { return }
        let p = x.pointer
        var lo = inputRange?.min ?? .infinity, hi = inputRange?.max ?? -.infinity
        for i in 0..<x.count { lo = min(lo, p[i]); hi = max(hi, p[i]) }
        inputRange = (lo, hi)
    }

    /// The int8 primitive for geometry `g` quantizing the weights `w` (raw, or folded with a batch norm)
    /// per output channel; made again when `version` changes (always for version 0).
    private func int8Primitive(_ g: ConvGeometry, w: UnsafePointer<Float>, bias: Bool, activation: Activation, version: UInt64) throws -> DNNLConvolution {
        if version != 0, let cached = int8Primitives[g.batch], cached.version == version { return cached.primitive }
        guard let range = inputRange else {
            throw error(.invalidArgument, "INT8 needs the range of this layer's input: calibrate the model first")
        }
        let p: DNNLConvolution
        if let q = DNNLConvolution.Quantization.make(minimum: range.min, maximum: range.max, weights: w, outputs: g.outC,
                                                     perOutput: g.weightCount / g.outC) {
            p = try DNNLConvolution(g, hasBias: bias, fusedActivation: activation, training: false, precision: .int8, quantization: q)
        } else {   // a degenerate range or weights: exact enough only in FP32
            p = try DNNLConvolution(g, hasBias: bias, fusedActivation: activation, training: false)
        }
        int8Primitives[g.batch] = (version, p)
        return p
    }

    private var primitives: [Int: DNNLConvolution] = [:]   // batch size -> primitives
    private var foldedPrimitives: [Int: DNNLConvolution] = [:]   // batch size -> inference primitive with bias and post-op
    private var foldedVersions: [Int: UInt64] = [:]         // batch size -> the version its folded primitive last reordered

    public init(name: String, source: String, filters: Int, kernel: Int, kernelW: Int? = nil, stride: Int = 1,
                strideW: Int? = nil, padding: Padding = .same, dilation: Int = 1, groups: Int = 1,
                bias: Bool = true, activation: Activation = .identity) {
        self.filters = filters
        kernelH = kernel; self.kernelW = kernelW ?? kernel
        strideH = stride; self.strideW = strideW ?? stride
        dilationH = dilation; dilationW = dilation
        self.padding = padding; self.groups = groups; hasBias = bias; self.activation = activation
        super.init(name: name, sources: [source])
    }

    public override var kind: String { "convolution" }

    /// Geometry for a batch of `n` (valid after shape inference).
    public func geometry(batch n: Int) -> ConvGeometry {
        ConvGeometry(batch: n, inH: inputShapes[0][0], inW: inputShapes[0][1], inC: inputShapes[0][2], outC: filters,
                     kernelH: kernelH, kernelW: kernelW, strideH: strideH, strideW: strideW,
                     dilationH: dilationH, dilationW: dilationW, padding: padding, groups: groups)
    }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        let (h, w, c) = try expectImage(inputs[0])
        let sizes = [("filters", filters), ("kernel height", kernelH), ("kernel width", kernelW), ("stride", strideH), ("stride width", strideW),
                     ("dilation", dilationH), ("dilation width", dilationW), ("groups", groups)]
        if let problem = ConvGeometry.parameterProblem(inputs: [h, w, c], sizes: sizes, padding: padding) {
            throw error(.shapeMismatch, "\(problem) (input \(inputs[0]))")
        }
        let g = ConvGeometry(batch: 1, inH: h, inW: w, inC: c, outC: filters, kernelH: kernelH, kernelW: kernelW,
                             strideH: strideH, strideW: strideW, dilationH: dilationH, dilationW: dilationW,
                             padding: padding, groups: groups)
        if let problem = g.problem { throw error(.shapeMismatch, "\(problem) (input \(inputs[0]))") }
        return [g.outH, g.outW, filters]
    }

    override func parameterShapes() -> [(String, [Int])] {
        let w = ("weight", [filters, inputShapes[0][2] / groups, kernelH, kernelW])
        return hasBias ? [w, ("bias", [filters])] : [w]
    }

    override func initializeParameters(_ rng: inout Xoshiro256) {
        let w = param("weight")
        let std = (2 / Float(w.shape.dropFirst().reduce(1, *))).squareRoot()
        for i in w.value.indices { w.value[i] = rng.nextNormal() * std }
        if hasBias { param("bias").value.update(repeating: 0) }
    }

    private func primitive(_ n: Int) throws -> DNNLConvolution {
        if let p = primitives[n] { return p }
        let p = try DNNLConvolution(geometry(batch: n), hasBias: hasBias, fusedReLU: activation == .relu, precision: floatPrecision)
        primitives[n] = p
        return p
    }

    override var overwritesFreshGradients: Bool { true }

    /// Whether this convolution and `bn` (its only consumer) can run as one folded oneDNN convolution.
    func canFold(into bn: BatchNormLayer) -> Bool {
        backend == .oneDNN && activation == .identity && [.identity, .relu, .relu6].contains(bn.activation)
    }

    /// This convolution followed by batch norm `bn` with its running statistics (inference, or a frozen
    /// batch norm), as one oneDNN convolution with folded weights and bias and bn's activation as a
    /// post-op, writing bn's output `y`:
    ///   s = γ / √(running_var + ε),  W' = W·s[oc],  b' = (b − running_mean)·s + β.
    /// `version` identifies the content of W and bn's parameters and statistics: the folded weights are
    /// recomputed and reordered only when it changes.
    func forwardFolded(_ x: Tensor, into y: Tensor, batchNorm bn: BatchNormLayer, version: UInt64) throws {
        record(x)
        let g = geometry(batch: x.batch)
        let oc = g.outC, perFilter = g.weightCount / oc
        let folded = workspace.a.get(g.weightCount + oc), bias = folded + g.weightCount
        let gamma = bn.param("weight").value, beta = bn.param("bias").value
        let mean = bn.param("running_mean").value, variance = bn.param("running_var").value
        let b = hasBias ? param("bias").value.baseAddress : nil
        for o in 0..<oc {
            let scale = gamma[o] / (variance[o] + bn.epsilon).squareRoot()
            bias[o] = ((b?[o] ?? 0) - mean[o]) * scale + beta[o]
        }
        // The primitive reads `folded` only for a version it has not seen (its cached copy is per batch size).
        let refold = foldedVersions[g.batch] != version
        if refold {
            let w = param("weight").value.baseAddress!
            for o in 0..<oc {
                let scale = gamma[o] / (variance[o] + bn.epsilon).squareRoot()
                let src = w + o * perFilter, dst = folded + o * perFilter
                for i in 0..<perFilter { dst[i] = src[i] * scale }
            }
        }
        let p: DNNLConvolution
        if precision == .int8 && runsInt8 {   // quantized from the folded weights: made again with each new version
            p = try int8Primitive(g, w: folded, bias: true, activation: bn.activation, version: refold ? 0 : version)
            if refold, version != 0 { int8Primitives[g.batch]?.version = version }
        } else if let cached = foldedPrimitives[g.batch] {
            p = cached
        } else {
            p = try DNNLConvolution(g, hasBias: true, fusedActivation: bn.activation, training: false, precision: floatPrecision)
            foldedPrimitives[g.batch] = p
        }
        try p.forward(x: x.pointer, w: folded, b: bias, y: y.pointer, weightsVersion: version)
        if refold { foldedVersions[g.batch] = version }
    }

    /// The implementation of `backend` for geometry `g` (the one place that switches over backends).
    func kernels(_ g: ConvGeometry) throws -> any ConvolutionKernels {
        switch backend {
        case .oneDNN: try primitive(g.batch)
        case .im2col: BoundKernels<ConvIm2col>(g: g)
        case .reference: BoundKernels<ConvReference>(g: g)
        }
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let g = geometry(batch: x[0].batch)
        let w = param("weight").value.baseAddress!
        let b = hasBias ? UnsafePointer(param("bias").value.baseAddress!) : nil
        record(x[0])
        if precision == .int8, runsInt8, backend == .oneDNN, !ctx.training {
            let post: Activation = activation == .relu ? .relu : .identity
            let p = try int8Primitive(g, w: w, bias: hasBias, activation: post, version: ctx.parameterVersion)
            try p.forward(x: x[0].pointer, w: w, b: b, y: y.pointer, weightsVersion: ctx.parameterVersion)
            if !p.fusedReLU { activation.apply(y.pointer, count: y.count) }
            return
        }
        let k = try kernels(g)
        try k.forward(x: x[0].pointer, w: w, b: b, y: y.pointer, weightsVersion: ctx.parameterVersion)
        if !k.fusesReLU { activation.apply(y.pointer, count: y.count) }
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        let g = geometry(batch: x[0].batch)
        let k = try kernels(g)
        activation.backward(output: y.pointer, outputGrad: dy.pointer, into: dy.pointer, count: dy.count)   // dz, in place
        let w = param("weight")
        let dw = isFrozen ? nil : workspace.a.get(g.weightCount + g.outC)    // [OC, IC/G, KH, KW] then [OC]
        let db = hasBias ? dw.map { $0 + g.weightCount } : nil
        // First writer of dx: the kernel overwrites it directly; else into scratch, then added.
        let direct = dx[0] != nil && isFresh(0)
        let dxTarget = dx[0].map { direct ? $0.pointer : workspace.b.get(g.inputCount) }
        try k.backward(x: x[0].pointer, dy: dy.pointer, w: w.value.baseAddress!, dx: dxTarget, dw: dw, db: db)
        if let dw {
            Elementwise.accumulate(dw, into: w.grad!.baseAddress!, count: g.weightCount)
            if let db { Elementwise.accumulate(db, into: param("bias").grad!.baseAddress!, count: g.outC) }
        }
        if let dxT = dx[0], let dxTarget, !direct { Elementwise.accumulate(dxTarget, into: dxT.pointer, count: g.inputCount) }
    }
}
