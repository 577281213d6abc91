import CheckedSize

/// Transposed convolution (CAS `transconvo`, torch `ConvTranspose2d`): the adjoint of a convolution, so
/// it runs on the convolution kernels with input and output exchanged. The equivalent convolution reads
/// this layer's output (F channels) and writes its input (C channels) with the same weights:
///   forward  = that convolution's backward-data,
///   backward = its forward (dx) and its weight gradient with x and dy exchanged.
///
///   x      [N, H, W, C]
///   weight [C, F, KH, KW]   torch's ConvTranspose2d layout
///   bias   [F]
///   y      [N, (H−1)·SH − 2·PH + KH + OPH, (W−1)·SW − 2·PW + KW + OPW, F]
/// Padding PH/PW removes rows/columns of the full output at both sides; the output padding OPH/OPW
/// (< stride) adds them back at the bottom/right, as torch defines it.
public final class TransposedConvolutionLayer: Layer {
    public let filters, kernelH, kernelW, strideH, strideW, padH, padW, outputPadH, outputPadW: Int
    public let hasBias: Bool
    public let activation: Activation

    public init(name: String, source: String, filters: Int, kernel: Int, kernelW: Int? = nil, stride: Int = 1, strideW: Int? = nil,
                padding: Int = 0, paddingW: Int? = nil, outputPadding: Int = 0, outputPaddingW: Int? = nil,
                bias: Bool = true, activation: Activation = .identity) {
        self.filters = filters
        kernelH = kernel
        self.kernelW = kernelW ?? kernel
        strideH = stride
        self.strideW = strideW ?? stride
        padH = padding
        padW = paddingW ?? padding
        outputPadH = outputPadding
        outputPadW = outputPaddingW ?? outputPadding
        hasBias = bias
        self.activation = activation
        super.init(name: name, sources: [source])
    }

    public override var kind: String { "transposed convolution" }
    private var inC: Int { inputShapes[0][2] }
    /// Scratch: the input gradient or the weight gradient before they are added in.
    private let scratch = Scratch()
    override var scratchCapacity: Int { scratch.capacity }
    /// The input gradient or the weight gradient, whichever is larger.
    override func trainingScratch(batch: Int) -> (perSample: Int, fixed: Int) { (inputShapes[0].reduce(1, *), adjoint(batch: batch).weightCount) }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        guard inputs[0].count == 3 else { throw error(.shapeMismatch, "needs an image input [H, W, C], got \(inputs[0])") }
        for (what, v, low) in [("filters", filters, 1), ("kernel height", kernelH, 1), ("kernel width", kernelW, 1), ("stride", strideH, 1),
                               ("stride", strideW, 1), ("padding", padH, 0), ("padding", padW, 0), ("output padding", outputPadH, 0),
                               ("output padding", outputPadW, 0)] where v < low || v > Limits.maxTensorElements {
            throw error(.invalidLayer, "\(what) must be between \(low) and \(Limits.maxTensorElements), got \(v)")
        }
        guard outputPadH < strideH, outputPadW < strideW else {
            throw error(.invalidLayer, "the output padding (\(outputPadH), \(outputPadW)) must be smaller than the stride (\(strideH), \(strideW))")
        }
        let h = try size(inputs[0][0], strideH, kernelH, padH, outputPadH), w = try size(inputs[0][1], strideW, kernelW, padW, outputPadW)
        return [h, w, filters]
    }

    private func size(_ input: Int, _ stride: Int, _ kernel: Int, _ pad: Int, _ outputPad: Int) throws -> Int {
        let full = try checked { () throws(SizeError) in
            try Checked.sum(try Checked.product([input - 1, stride], "transposed convolution output", max: Limits.maxTensorElements),
                            kernel + outputPad, "transposed convolution output", max: Limits.maxTensorElements)
        }
        guard full - 2 * pad >= 1 else { throw error(.shapeMismatch, "padding \(pad) leaves no output of a \(input)-pixel input (kernel \(kernel), stride \(stride))") }
        return full - 2 * pad
    }

    /// The convolution this layer is the adjoint of: from [outH, outW, F] to [H, W, C].
    func adjoint(batch: Int) -> ConvGeometry {
        ConvGeometry(batch: batch, inH: outputShape[0], inW: outputShape[1], inC: filters, outC: inC, kernelH: kernelH, kernelW: kernelW,
                     strideH: strideH, strideW: strideW, padding: .symmetric(height: padH, width: padW))
    }

    override func parameterShapes() -> [(String, [Int])] {
        let w = ("weight", [inC, filters, kernelH, kernelW])
        return hasBias ? [w, ("bias", [filters])] : [w]
    }

    override func initializeParameters(_ rng: inout Xoshiro256) {
        let w = param("weight"), bound = (6 / Float(filters * kernelH * kernelW)).squareRoot()   // He-uniform over the fan-in of an output
        for i in w.value.indices { w.value[i] = (rng.nextUniform() * 2 - 1) * bound }
        if hasBias { param("bias").value.update(repeating: 0) }
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let g = adjoint(batch: x[0].batch)
        ConvIm2col.backwardData(g, dy: x[0].pointer, w: param("weight").value.baseAddress!, dx: y.pointer)
        if hasBias {
            let b = param("bias").value.baseAddress!
            for p in 0..<(y.count / filters) { Elementwise.accumulate(b, into: y.pointer + p * filters, count: filters) }
        }
        activation.apply(y.pointer, count: y.count)
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        let g = adjoint(batch: x[0].batch), w = param("weight")
        activation.backward(output: y.pointer, outputGrad: dy.pointer, into: dy.pointer, count: dy.count)
        if !isFrozen {
            let dw = scratch.get(max(g.weightCount, x[0].count))
            ConvIm2col.backwardWeights(g, x: dy.pointer, dy: x[0].pointer, dw: dw, db: nil)
            Elementwise.accumulate(dw, into: w.grad!.baseAddress!, count: g.weightCount)
            if hasBias {
                let db = param("bias").grad!.baseAddress!
                for p in 0..<(dy.count / filters) { Elementwise.accumulate(dy.pointer + p * filters, into: db, count: filters) }
            }
        }
        if let d = dx[0] {
            let tmp = scratch.get(max(g.weightCount, x[0].count))
            ConvIm2col.forward(g, x: dy.pointer, w: w.value.baseAddress!, b: nil, y: tmp)
            Elementwise.accumulate(tmp, into: d.pointer, count: x[0].count)
        }
    }
}
