import CheckedSize

/// How a convolution or pooling window pads its input.
public enum Padding: Sendable, Hashable {
    /// CAS default: output = ceil(input / stride); the total padding
    /// `max((ceil(in/stride) - 1)·stride + (k-1)·dilation + 1 - in, 0)` is split with the odd pixel
    /// on the bottom/right (top = total / 2, bottom = total - top). See docs/engine.md, "Padding".
    case same
    /// CAS's default for pooling: output = ceil(input / stride) like `same`, but all of the padding
    /// goes to the bottom/right (DLPy's shape code and its ONNX export assume this).
    case sameAfter
    /// The same padding on both sides of each axis.
    case symmetric(height: Int, width: Int)
    /// Fully explicit, possibly asymmetric padding.
    case explicit(top: Int, left: Int, bottom: Int, right: Int)

    /// CAS "same" padding for one axis: (before, after).
    public static func sameAmounts(input: Int, kernel: Int, stride: Int, dilation: Int = 1) -> (before: Int, after: Int) {
        let out = (input + stride - 1) / stride
        let extent = (kernel - 1) * dilation + 1
        let total = max((out - 1) * stride + extent - input, 0)
        return (total / 2, total - total / 2)
    }

    /// Concrete (top, left, bottom, right) for an input and window.
    public func amounts(inH: Int, inW: Int, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
                        dilationH: Int = 1, dilationW: Int = 1) -> (top: Int, left: Int, bottom: Int, right: Int) {
        switch self {
        case .same:
            let h = Padding.sameAmounts(input: inH, kernel: kernelH, stride: strideH, dilation: dilationH)
            let w = Padding.sameAmounts(input: inW, kernel: kernelW, stride: strideW, dilation: dilationW)
            return (h.before, w.before, h.after, w.after)
        case .sameAfter:
            let h = Padding.sameAmounts(input: inH, kernel: kernelH, stride: strideH, dilation: dilationH)
            let w = Padding.sameAmounts(input: inW, kernel: kernelW, stride: strideW, dilation: dilationW)
            return (0, 0, h.before + h.after, w.before + w.after)
        case .symmetric(let ph, let pw): return (ph, pw, ph, pw)
        case .explicit(let t, let l, let b, let r): return (t, l, b, r)
        }
    }
}

/// Complete geometry of one 2-D convolution on NHWC activations with torch-layout weights
/// `[outC, inC/groups, kernelH, kernelW]`. Dilation 1 means a dense kernel.
public struct ConvGeometry: Hashable, Sendable, CustomStringConvertible {
    public var batch, inH, inW, inC, outC: Int
    public var kernelH, kernelW, strideH, strideW, dilationH, dilationW: Int
    public var padTop, padLeft, padBottom, padRight: Int
    public var groups: Int

    /// Builds the geometry, resolving `padding` for this input size.
    public init(batch: Int, inH: Int, inW: Int, inC: Int, outC: Int, kernelH: Int, kernelW: Int,
                strideH: Int = 1, strideW: Int = 1, dilationH: Int = 1, dilationW: Int = 1,
                padding: Padding = .same, groups: Int = 1) {
        self.batch = batch; self.inH = inH; self.inW = inW; self.inC = inC; self.outC = outC
        self.kernelH = kernelH; self.kernelW = kernelW; self.strideH = strideH; self.strideW = strideW
        self.dilationH = dilationH; self.dilationW = dilationW; self.groups = groups
        let p = padding.amounts(inH: inH, inW: inW, kernelH: kernelH, kernelW: kernelW, strideH: strideH,
                                strideW: strideW, dilationH: dilationH, dilationW: dilationW)
        padTop = p.top; padLeft = p.left; padBottom = p.bottom; padRight = p.right
    }

    /// Output height: floor((inH + pads - effective kernel) / stride) + 1.
    public var outH: Int { (inH + padTop + padBottom - ((kernelH - 1) * dilationH + 1)) / strideH + 1 }
    /// Output width.
    public var outW: Int { (inW + padLeft + padRight - ((kernelW - 1) * dilationW + 1)) / strideW + 1 }
    /// Input channels per group.
    public var inCPerGroup: Int { inC / groups }
    /// Output channels per group.
    public var outCPerGroup: Int { outC / groups }
    /// Floats in the weight tensor.
    public var weightCount: Int { outC * inCPerGroup * kernelH * kernelW }
    /// Floats in the NHWC input.
    public var inputCount: Int { batch * inH * inW * inC }
    /// Floats in the NHWC output.
    public var outputCount: Int { batch * outH * outW * outC }

    /// Checks the numbers a layer was built with before any geometry arithmetic runs: every size,
    /// stride, dilation and group count in `1...Limits.maxTensorElements`, every padding amount in
    /// `0...Limits.maxTensorElements`. Inputs come from earlier layers, already within that limit, so
    /// with these the formulas below cannot overflow: `(k-1)·d + 1 ≤ 2^62` and `(out-1)·stride ≤ input`.
    public static func parameterProblem(inputs: [Int], sizes: [(String, Int)], padding: Padding) -> String? {
        let limit = Limits.maxTensorElements
        for x in inputs where !(1...limit).contains(x) { return "input size \(x) must be in 1...\(limit)" }
        for (name, x) in sizes where !(1...limit).contains(x) { return "\(name) must be in 1...\(Limits.readable(limit)), got \(x)" }
        let pads: [Int]
        switch padding {
        case .same, .sameAfter: pads = []
        case .symmetric(let h, let w): pads = [h, w]
        case .explicit(let t, let l, let b, let r): pads = [t, l, b, r]
        }
        for p in pads where !(0...limit).contains(p) { return "padding must be in 0...\(Limits.readable(limit)), got \(p)" }
        return nil
    }

    /// nil when valid, otherwise the reason.
    public var problem: String? {
        if [batch, inH, inW, inC, outC, kernelH, kernelW, strideH, strideW, dilationH, dilationW, groups].contains(where: { $0 < 1 }) {
            return "sizes, strides, dilations and groups must be positive"
        }
        if [padTop, padLeft, padBottom, padRight].contains(where: { $0 < 0 }) { return "padding must not be negative" }
        if inC % groups != 0 || outC % groups != 0 {
            return "groups (\(groups)) must divide input channels (\(inC)) and output channels (\(outC))"
        }
        if outH < 1 || outW < 1 { return "the kernel does not fit the padded input (output \(outH)x\(outW))" }
        return nil
    }

    public var description: String {
        "N\(batch) \(inH)x\(inW)x\(inC) -> \(outH)x\(outW)x\(outC) k\(kernelH)x\(kernelW) s\(strideH),\(strideW) "
            + "d\(dilationH),\(dilationW) pad(t\(padTop) l\(padLeft) b\(padBottom) r\(padRight)) g\(groups)"
    }
}
