import Foundation

/// Settings of a YOLO v2 detection output (CAS's `detection` layer, `detectionModelType=YOLOV2`).
public struct YoloOptions: Sendable, Equatable {
    /// Object classes the layer predicts.
    public var classes: Int
    /// Anchor (prior) box sizes in grid cells, width then height per anchor: `[w0, h0, w1, h1, …]`.
    public var anchors: [Float]
    /// Softmax over the class scores (CAS `softmaxForClassProb`, default); false: a sigmoid per class.
    public var softmaxClasses: Bool
    /// Width and height errors on square roots of the sizes (CAS `doSqrt`, default); false: on log-space offsets.
    public var doSqrt: Bool
    public var coordScale: Float
    public var objectScale: Float
    /// CAS `predictionNotAObjectScale`.
    public var noObjectScale: Float
    public var classScale: Float
    /// A prediction that is not responsible for a truth box but overlaps one by more than this is not pushed towards "no object".
    public var ignoreIoU: Float
    /// Truth boxes per image in a target vector (CAS `maxLabelPerImage`).
    public var maxLabels: Int
    /// Grid cells per side the source must have (CAS `gridNumber`); nil: any grid.
    public var grid: Int?

    public init(classes: Int, anchors: [Float], softmaxClasses: Bool = true, doSqrt: Bool = true, coordScale: Float = 1,
                objectScale: Float = 5, noObjectScale: Float = 1, classScale: Float = 1, ignoreIoU: Float = 0.6, maxLabels: Int = 30,
                grid: Int? = nil) {
        self.classes = classes; self.anchors = anchors; self.softmaxClasses = softmaxClasses; self.doSqrt = doSqrt
        self.coordScale = coordScale; self.objectScale = objectScale; self.noObjectScale = noObjectScale; self.classScale = classScale
        self.ignoreIoU = ignoreIoU; self.maxLabels = maxLabels; self.grid = grid
    }

    /// Anchors per grid cell.
    public var predictionsPerCell: Int { anchors.count / 2 }
    /// Values one prediction takes: x, y, w, h, objectness, then the classes.
    public var valuesPerPrediction: Int { 5 + classes }
}

/// A box in image-relative units: centre x/y and width/height, all in 0…1 for a box inside the image.
public struct DetectionBox: Sendable, Equatable {
    public var x: Float, y: Float, w: Float, h: Float
    public init(x: Float, y: Float, w: Float, h: Float) { self.x = x; self.y = y; self.w = w; self.h = h }

    /// Intersection over union (0 when either box is empty).
    public func iou(_ o: DetectionBox) -> Float {
        let ix = max(0, min(x + w / 2, o.x + o.w / 2) - max(x - w / 2, o.x - o.w / 2))
        let iy = max(0, min(y + h / 2, o.y + o.h / 2) - max(y - h / 2, o.y - o.h / 2))
        let inter = ix * iy, union = w * h + o.w * o.h - inter
        return union > 0 ? inter / union : 0
    }
}

/// One detected object: class, score (objectness × class probability) and box.
public struct Detection: Sendable, Equatable {
    public var classIndex: Int
    public var score: Float
    public var box: DetectionBox
}

/// YOLO v2 detection output (Redmon & Farhadi 2016, darknet's region layer): the source's channels hold, per grid
/// cell and anchor `a`, the raw values `tx, ty, tw, th, to, t_c…` at channel `a·(5+C) + k`. The output has the same
/// shape with the values decoded:
///
///   x = (col + σ(tx)) / W     y = (row + σ(ty)) / H      (box centre, image-relative)
///   w = aw·exp(tw) / W        h = ah·exp(th) / H         (aw, ah: the anchor in grid cells)
///   objectness = σ(to)        class probabilities = softmax(t_c) (or σ(t_c) per class)
///
/// Loss per image (summed, then averaged over the batch), with truth boxes (class, x, y, w, h):
/// - each truth box is assigned to the cell holding its centre and the anchor whose shape overlaps it most;
///   that prediction gets coordScale·(2 − w·h)·[(σ(tx) − x·W + col)² + (σ(ty) − y·H + row)² + size terms],
///   size terms (√w_pred − √w)² + (√h_pred − √h)² with doSqrt, else (tw − log(w·W/aw))² + (th − log(h·H/ah))²;
///   objectScale·(σ(to) − 1)²; classScale·(−log p_class) with softmax, else classScale·Σ_k (p_k − [k = class])²;
/// - every other prediction whose best overlap with a truth box is at most `ignoreIoU` gets noObjectScale·σ(to)².
/// The assignment and the ignore test are constants of the step (no gradient flows through them).
///
/// Targets: `maxLabels` × (class, x, y, w, h) per sample, a negative class marking an unused slot. Set `targets`
/// before `backward`; `dy` is ignored (the loss is the end of the graph).
public final class YoloDetectionLayer: Layer {
    public let options: YoloOptions
    /// Truth boxes of the current batch: per sample `maxLabels` × 5 floats.
    public var targets: [Float] = []

    public init(name: String, source: String, options: YoloOptions) {
        self.options = options
        super.init(name: name, sources: [source])
    }

    public override var kind: String { "yolo v2 detection" }
    /// Grid rows and columns.
    public var grid: (rows: Int, cols: Int) { (outputShape[0], outputShape[1]) }
    /// Floats of one sample's targets.
    public var targetsPerSample: Int { options.maxLabels * 5 }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        let o = options
        guard o.classes >= 1, o.anchors.count >= 2, o.anchors.count % 2 == 0 else {
            throw error(.invalidArgument, "needs at least one class and anchor (width, height) pairs, got \(o.classes) classes and \(o.anchors.count) anchor values")
        }
        guard o.anchors.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw error(.invalidArgument, "anchor sizes must be positive, got \(o.anchors)") }
        guard o.maxLabels >= 1 else { throw error(.invalidArgument, "maxLabels must be positive") }
        guard inputs[0].count == 3 else { throw error(.shapeMismatch, "needs an image-shaped source [H, W, channels], got \(inputs[0])") }
        if let g = o.grid, inputs[0][0] != g || inputs[0][1] != g {
            throw error(.shapeMismatch, "gridNumber is \(g) but its source is \(inputs[0][1])x\(inputs[0][0]) cells")
        }
        let want = o.predictionsPerCell * o.valuesPerPrediction
        guard inputs[0][2] == want else {
            throw error(.shapeMismatch, "its source has \(inputs[0][2]) channels; \(o.predictionsPerCell) predictions per cell × (5 + \(o.classes) classes) need \(want)")
        }
        return inputs[0]
    }

    @inline(__always) static func sigmoid(_ v: Float) -> Float { 1 / (1 + Foundation.exp(-v)) }
    /// exp of a size offset, bounded so a wild prediction cannot overflow to infinity.
    @inline(__always) static func boundedExp(_ v: Float) -> Float { Foundation.exp(min(v, 20)) }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let o = options, (rows, cols) = grid, a = o.predictionsPerCell, v = o.valuesPerPrediction
        let cells = y.count / (a * v)
        for cell in 0..<cells {
            let r = (cell / cols) % rows, c = cell % cols
            for k in 0..<a {
                let p = x[0].pointer + (cell * a + k) * v, q = y.pointer + (cell * a + k) * v
                q[0] = (Float(c) + Self.sigmoid(p[0])) / Float(cols)
                q[1] = (Float(r) + Self.sigmoid(p[1])) / Float(rows)
                q[2] = o.anchors[2 * k] * Self.boundedExp(p[2]) / Float(cols)
                q[3] = o.anchors[2 * k + 1] * Self.boundedExp(p[3]) / Float(rows)
                q[4] = Self.sigmoid(p[4])
                if o.softmaxClasses {
                    var m = -Float.infinity
                    for j in 0..<o.classes { m = max(m, p[5 + j]) }
                    var s: Float = 0
                    for j in 0..<o.classes { let e = Foundation.exp(p[5 + j] - m); q[5 + j] = e; s += e }
                    for j in 0..<o.classes { q[5 + j] /= s }
                } else {
                    for j in 0..<o.classes { q[5 + j] = Self.sigmoid(p[5 + j]) }
                }
            }
        }
    }

    /// The truth boxes of sample `n` in `targets` (class ≥ 0 only).
    func truths(_ targets: [Float], sample n: Int) -> [(cls: Int, box: DetectionBox)] {
        let base = n * targetsPerSample
        return (0..<options.maxLabels).compactMap { i in
            let t = base + i * 5
            guard t + 4 < targets.count, targets[t] >= 0, targets[t + 3] > 0, targets[t + 4] > 0 else { return nil }
            return (Int(targets[t]), DetectionBox(x: targets[t + 1], y: targets[t + 2], w: targets[t + 3], h: targets[t + 4]))
        }
    }

    /// The prediction (cell index, anchor) responsible for each truth box: the cell holding its centre, the anchor
    /// whose shape overlaps it most (first on ties). A later truth box on the same prediction replaces an earlier one.
    func assignments(_ truths: [(cls: Int, box: DetectionBox)]) -> [Int: Int] {
        let (rows, cols) = grid, o = options
        var owner: [Int: Int] = [:]   // prediction index (cell·A + anchor) → truth index
        for (i, t) in truths.enumerated() {
            let c = min(cols - 1, max(0, Int(t.box.x * Float(cols)))), r = min(rows - 1, max(0, Int(t.box.y * Float(rows))))
            var best = 0, bestIoU: Float = -1
            for k in 0..<o.predictionsPerCell {
                let anchor = DetectionBox(x: 0, y: 0, w: o.anchors[2 * k] / Float(cols), h: o.anchors[2 * k + 1] / Float(rows))
                let iou = anchor.iou(DetectionBox(x: 0, y: 0, w: t.box.w, h: t.box.h))
                if iou > bestIoU { best = k; bestIoU = iou }
            }
            owner[(r * cols + c) * o.predictionsPerCell + best] = i
        }
        return owner
    }

    /// Loss, missed truth boxes and truth boxes of the last forward (`raw` the source activation, `decoded` this
    /// layer's output) against `targets`; with `gradient`, dL/d(raw) is added into it. A truth box counts as missed
    /// when its responsible prediction overlaps it by less than 0.5 or names another class.
    public func loss(raw: Tensor, decoded: Tensor, targets: [Float], gradient: Tensor? = nil) -> (loss: Double, errors: Int, truths: Int) {
        let o = options, (rows, cols) = grid, a = o.predictionsPerCell, v = o.valuesPerPrediction
        let perSample = rows * cols * a * v, n = decoded.count / perSample
        let inv = 1 / Float(max(1, n))
        var total = 0.0, errors = 0, truthCount = 0
        for s in 0..<n {
            let truths = self.truths(targets, sample: s)
            truthCount += truths.count
            let owner = assignments(truths)
            for cell in 0..<(rows * cols) {
                let r = cell / cols, c = cell % cols
                for k in 0..<a {
                    let idx = s * perSample + (cell * a + k) * v
                    let p = raw.pointer + idx, q = decoded.pointer + idx, g = gradient.map { $0.pointer + idx }
                    let box = DetectionBox(x: q[0], y: q[1], w: q[2], h: q[3])
                    guard let ti = owner[cell * a + k] else {
                        let best = truths.map { box.iou($0.box) }.max() ?? 0
                        if best <= o.ignoreIoU {
                            total += Double(o.noObjectScale * q[4] * q[4])
                            g?[4] += inv * o.noObjectScale * 2 * q[4] * q[4] * (1 - q[4])
                        }
                        continue
                    }
                    let t = truths[ti]
                    let scale = o.coordScale * (2 - t.box.w * t.box.h)
                    // centre offsets within the cell
                    let sx = Self.sigmoid(p[0]), sy = Self.sigmoid(p[1])
                    let gx = t.box.x * Float(cols) - Float(c), gy = t.box.y * Float(rows) - Float(r)
                    total += Double(scale * ((sx - gx) * (sx - gx) + (sy - gy) * (sy - gy)))
                    g?[0] += inv * scale * 2 * (sx - gx) * sx * (1 - sx)
                    g?[1] += inv * scale * 2 * (sy - gy) * sy * (1 - sy)
                    if o.doSqrt {
                        let pw = q[2].squareRoot(), ph = q[3].squareRoot(), tw = t.box.w.squareRoot(), th = t.box.h.squareRoot()
                        total += Double(scale * ((pw - tw) * (pw - tw) + (ph - th) * (ph - th)))
                        g?[2] += inv * scale * 2 * (pw - tw) * 0.5 * pw
                        g?[3] += inv * scale * 2 * (ph - th) * 0.5 * ph
                    } else {
                        let tw = Foundation.log(t.box.w * Float(cols) / o.anchors[2 * k]), th = Foundation.log(t.box.h * Float(rows) / o.anchors[2 * k + 1])
                        total += Double(scale * ((p[2] - tw) * (p[2] - tw) + (p[3] - th) * (p[3] - th)))
                        g?[2] += inv * scale * 2 * (p[2] - tw)
                        g?[3] += inv * scale * 2 * (p[3] - th)
                    }
                    total += Double(o.objectScale * (q[4] - 1) * (q[4] - 1))
                    g?[4] += inv * o.objectScale * 2 * (q[4] - 1) * q[4] * (1 - q[4])
                    let cls = min(max(t.cls, 0), o.classes - 1)
                    var predicted = 0
                    for j in 0..<o.classes where q[5 + j] > q[5 + predicted] { predicted = j }
                    if o.softmaxClasses {
                        total += Double(o.classScale) * -Foundation.log(max(Double(q[5 + cls]), 1e-30))
                        for j in 0..<o.classes { g?[5 + j] += inv * o.classScale * (q[5 + j] - (j == cls ? 1 : 0)) }
                    } else {
                        for j in 0..<o.classes {
                            let d = q[5 + j] - (j == cls ? 1 : 0)
                            total += Double(o.classScale * d * d)
                            g?[5 + j] += inv * o.classScale * 2 * d * q[5 + j] * (1 - q[5 + j])
                        }
                    }
                    if box.iou(t.box) < 0.5 || predicted != cls { errors += 1 }
                }
            }
            // truth boxes replaced by a later one on the same prediction are missed
            errors += truths.count - owner.count
        }
        return (total * Double(inv), errors, truthCount)
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        guard let d = dx[0] else { return }
        precondition(targets.count == y.count / (outputShape.reduce(1, *)) * targetsPerSample,
                     "targets (\(targets.count)) must hold \(targetsPerSample) values per sample")
        _ = loss(raw: x[0], decoded: y, targets: targets, gradient: d)
    }

    /// Detections of sample `n` of a decoded output: predictions scoring (objectness × best class probability) at
    /// least `threshold`, then per class non-maximum suppression (a box overlapping a better-scoring box of its class
    /// by more than `iouThreshold` is dropped), best first, at most `maxBoxes`.
    public func detections(_ decoded: Tensor, sample n: Int, threshold: Float, iouThreshold: Float, maxBoxes: Int) -> [Detection] {
        let o = options, (rows, cols) = grid, a = o.predictionsPerCell, v = o.valuesPerPrediction
        let perSample = rows * cols * a * v
        var candidates: [Detection] = []
        for i in 0..<(rows * cols * a) {
            let q = decoded.pointer + n * perSample + i * v
            var best = 0
            for j in 0..<o.classes where q[5 + j] > q[5 + best] { best = j }
            let score = q[4] * q[5 + best]
            if score >= threshold, score.isFinite {
                candidates.append(Detection(classIndex: best, score: score, box: DetectionBox(x: q[0], y: q[1], w: q[2], h: q[3])))
            }
        }
        return Self.nonMaximumSuppression(candidates, iouThreshold: iouThreshold, maxBoxes: maxBoxes)
    }

    /// Per class greedy non-maximum suppression: best score first (earlier candidate on ties); a candidate is kept
    /// unless it overlaps a kept box of the same class by more than `iouThreshold`. At most `maxBoxes`, best first.
    public static func nonMaximumSuppression(_ candidates: [Detection], iouThreshold: Float, maxBoxes: Int) -> [Detection] {
        let order = candidates.indices.sorted { candidates[$0].score != candidates[$1].score ? candidates[$0].score > candidates[$1].score : $0 < $1 }
        var kept: [Detection] = []
        for i in order where kept.count < maxBoxes {
            let d = candidates[i]
            if !kept.contains(where: { $0.classIndex == d.classIndex && $0.box.iou(d.box) > iouThreshold }) { kept.append(d) }
        }
        return kept
    }
}
