import DLEngine

/// Decoded images of a table, ready for the engine: float pixels HWC in 0…255, one sample after the other.
struct ImageSamples: Sendable {
    /// [N · H · W · C]
    var values: [Float]
    /// Input-table row of each sample (rows with a missing image or label are not used).
    var rows: [Int]
    /// Target text of each sample (nil when the table has no target column).
    var labels: [String?]
    var shape: [Int]

    var count: Int { rows.count }

    /// Engine data with labels mapped through `levels` (unknown labels → -1 is refused by the caller).
    func source(levels: [String]) -> ArrayDataSource {
        let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($0.element, $0.offset) })
        return ArrayDataSource(values: values, labels: labels.map { $0.flatMap { index[$0] } ?? 0 }, sampleShape: shape)
    }
}
