import Foundation

/// Output layer: softmax over the class axis with (optionally class-weighted) cross-entropy loss.
///
///   x (logits)  [N, K]   (any per-sample shape is flattened to K classes)
///   y (probs)   [N, K]
///   loss = Σ_n w[t_n]·(-log p[n, t_n]) / Σ_n w[t_n]   (PyTorch CrossEntropyLoss, weighted mean)
///   dL/dx[n]  = w[t_n]·(p[n] - onehot(t_n)) / Σ_n w[t_n]
///
/// Per position (`perPosition`, CAS's segmentation layer): logits [N, H, W, K], one class per pixel; every
/// formula above runs over the N·H·W positions instead of the N samples (labels: one per position, sample
/// after sample, row-major).
///
/// Set `labels` before `backward`; `dy` is ignored (the loss is the end of the graph).
public final class SoftmaxCrossEntropyLayer: Layer {
    /// Per-class weights (nil: all 1).
    public let classWeights: [Float]?
    /// A class per pixel (segmentation) instead of per sample.
    public let perPosition: Bool
    /// Target class of each sample (or position) of the current batch.
    public var labels: [Int] = []

    public init(name: String, source: String, classWeights: [Float]? = nil, perPosition: Bool = false) {
        self.classWeights = classWeights
        self.perPosition = perPosition
        super.init(name: name, sources: [source])
    }

    public override var kind: String { perPosition ? "softmax segmentation output" : "softmax output" }
    public var classes: Int { outputShape.last! }
    /// Labelled positions per sample: H·W per pixel, else 1.
    public var positions: Int { outputShape.reduce(1, *) / classes }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        if perPosition, inputs[0].count != 3 { throw error(.shapeMismatch, "a per-pixel output needs an image input [H, W, classes], got \(inputs[0])") }
        let k = perPosition ? inputs[0][2] : inputs[0].reduce(1, *)
        if k < 2 { throw error(.shapeMismatch, "needs at least 2 classes, input has \(k) values") }
        if let w = classWeights, w.count != k { throw error(.shapeMismatch, "\(w.count) class weights for \(k) classes") }
        return perPosition ? inputs[0] : [k]
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let k = classes
        for n in 0..<(y.count / k) {
            let xr = x[0].pointer + n * k, yr = y.pointer + n * k
            var m = -Float.infinity
            for j in 0..<k { m = max(m, xr[j]) }
            var s: Double = 0
            for j in 0..<k { let e = Foundation.exp(xr[j] - m); yr[j] = e; s += Double(e) }
            let inv = Float(1 / s)
            for j in 0..<k { yr[j] *= inv }
        }
    }

    private func weight(_ t: Int) -> Float { classWeights?[t] ?? 1 }

    /// Weighted mean cross-entropy of the last forward for `labels`, and the number of misclassified samples
    /// (prediction = first arg-max). Computed from the logits in double precision.
    public func lossAndErrors(logits: Tensor, probabilities: Tensor, labels: [Int]) -> (loss: Double, errors: Int) {
        let k = classes
        var total = 0.0, wsum = 0.0, errors = 0
        for (n, t) in labels.enumerated() {
            let xr = logits.pointer + n * k, pr = probabilities.pointer + n * k
            var m = -Double.infinity
            for j in 0..<k { m = max(m, Double(xr[j])) }
            var s = 0.0
            for j in 0..<k { s += Foundation.exp(Double(xr[j]) - m) }
            let w = Double(weight(t))
            total += w * (m + Foundation.log(s) - Double(xr[t]))
            wsum += w
            var best = 0
            for j in 1..<k where pr[j] > pr[best] { best = j }
            if best != t { errors += 1 }
        }
        return (wsum > 0 ? total / wsum : 0, errors)
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        guard let dxT = dx[0] else { return }
        let k = classes
        precondition(labels.count == y.count / k, "labels (\(labels.count)) must match the batch's positions (\(y.count / k))")
        let wsum = labels.reduce(Float(0)) { $0 + weight($1) }
        guard wsum > 0 else { return }
        for (n, t) in labels.enumerated() {
            let s = weight(t) / wsum
            let pr = y.pointer + n * k, d = dxT.pointer + n * k
            for j in 0..<k { d[j] += s * (pr[j] - (j == t ? 1 : 0)) }
        }
    }
}
