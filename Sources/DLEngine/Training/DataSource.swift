/// Labelled samples the trainer and scorer read in mini-batches.
/// The deepLearn action set adapts a CAS table to this; tests use `ArrayDataSource`.
public protocol DataSource {
    /// Number of samples.
    var count: Int { get }
    /// Per-sample shape, e.g. `[H, W, C]`, matching the model's input layer.
    var sampleShape: [Int] { get }
    /// Target class of sample `i` (0-based).
    func label(_ i: Int) -> Int
    /// Copies samples `indices` into `batch` (already shaped `[indices.count] + sampleShape`).
    func fill(_ indices: ArraySlice<Int>, into batch: Tensor)
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
        let size = sampleShape.reduce(1, *)
        values.withUnsafeBufferPointer { v in
            for (k, i) in indices.enumerated() { (batch.base + k * size).update(from: v.baseAddress! + i * size, count: size) }
        }
    }
}
