/// Labelled samples the trainer and scorer read in mini-batches.
/// The deepLearn action set adapts a CAS table to this; tests use `ArrayDataSource`.
public protocol DataSource {
    /// Number of samples.
    var count: Int { get }
    /// Per-sample shape, e.g. `[H, W, C]`, matching the model's input layer.
    var sampleShape: [Int] { get }
    /// Target class of sample `i` (0-based).
    func label(_ i: Int) -> Int
    /// Target classes of sample `i`: one per pixel for a per-pixel (segmentation) output, row-major; the
    /// default is `[label(i)]`.
    func labels(_ i: Int) -> [Int]
    /// Copies samples `indices` into `batch` (already shaped `[indices.count] + sampleShape`).
    func fill(_ indices: ArraySlice<Int>, into batch: Tensor)
    /// Box targets of sample `i` for a detection output: `maxLabels` × (class, x, y, w, h), class −1 for an
    /// unused slot (BoxDataSource); the default is empty (no boxes).
    func boxes(_ i: Int) -> [Float]
}

public extension DataSource {
    func labels(_ i: Int) -> [Int] { [label(i)] }
    func boxes(_ i: Int) -> [Float] { [] }
}

/// Images with truth boxes (object detection), sample after sample: per sample `maxLabels` × (class, x, y, w, h)
/// in image-relative centre units, class −1 for an unused slot.
public struct BoxDataSource: DataSource, Sendable {
    public let values: [Float]
    public let targets: [Float]
    public let sampleShape: [Int]
    public let maxLabels: Int

    public init(values: [Float], targets: [Float], sampleShape: [Int], maxLabels: Int) {
        precondition(maxLabels > 0 && targets.count % (maxLabels * 5) == 0, "targets do not hold whole samples")
        precondition(values.count == targets.count / (maxLabels * 5) * sampleShape.reduce(1, *), "values do not match targets × sample shape")
        self.values = values
        self.targets = targets
        self.sampleShape = sampleShape
        self.maxLabels = maxLabels
    }

    public var count: Int { targets.count / (maxLabels * 5) }
    public func boxes(_ i: Int) -> [Float] { Array(targets[(i * maxLabels * 5)..<((i + 1) * maxLabels * 5)]) }
    /// The class of the sample's first box (0 without boxes), for per-sample uses such as stratifying.
    public func label(_ i: Int) -> Int { max(0, Int(targets[i * maxLabels * 5])) }

    public func fill(_ indices: ArraySlice<Int>, into batch: Tensor) {
        ArrayDataSource.copy(values, sampleSize: sampleShape.reduce(1, *), indices, into: batch)
    }
}

/// Samples held in one flat array, sample after sample (NHWC within a sample).
public struct ArrayDataSource: DataSource, Sendable {
    public let values: [Float]
    public let labels: [Int]
    public let sampleShape: [Int]

    public init(values: [Float], labels: [Int], sampleShape: [Int]) {
        precondition(values.count == labels.count * sampleShape.reduce(1, *), "values do not match labels × sample shape")
        self.values = values
        self.labels = labels
        self.sampleShape = sampleShape
    }

    public var count: Int { labels.count }
    public func label(_ i: Int) -> Int { labels[i] }

    public func fill(_ indices: ArraySlice<Int>, into batch: Tensor) {
        Self.copy(values, sampleSize: sampleShape.reduce(1, *), indices, into: batch)
    }

    /// Copies samples `indices` of `values` (samples of `sampleSize` floats) into `batch`.
    static func copy(_ values: [Float], sampleSize size: Int, _ indices: ArraySlice<Int>, into batch: Tensor) {
        values.withUnsafeBufferPointer { v in
            for (k, i) in indices.enumerated() { (batch.base + k * size).update(from: v.baseAddress! + i * size, count: size) }
        }
    }
}

/// Images with a class per pixel (segmentation masks), sample after sample.
public struct MaskDataSource: DataSource, Sendable {
    public let values: [Float]
    /// Per sample `positions` classes, row-major.
    public let masks: [Int]
    public let sampleShape: [Int]
    public let positions: Int

    public init(values: [Float], masks: [Int], sampleShape: [Int], positions: Int) {
        precondition(positions > 0 && masks.count % positions == 0, "masks do not hold whole samples")
        precondition(values.count == masks.count / positions * sampleShape.reduce(1, *), "values do not match masks × sample shape")
        self.values = values
        self.masks = masks
        self.sampleShape = sampleShape
        self.positions = positions
    }

    public var count: Int { masks.count / positions }
    public func labels(_ i: Int) -> [Int] { Array(masks[(i * positions)..<((i + 1) * positions)]) }
    /// The sample's most frequent class (for per-sample uses such as stratifying).
    public func label(_ i: Int) -> Int {
        var counts: [Int: Int] = [:]
        for c in labels(i) { counts[c, default: 0] += 1 }
        return counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key ?? 0
    }

    public func fill(_ indices: ArraySlice<Int>, into batch: Tensor) {
        ArrayDataSource.copy(values, sampleSize: sampleShape.reduce(1, *), indices, into: batch)
    }
}
