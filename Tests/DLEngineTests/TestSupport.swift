import Testing
@testable import DLEngine

/// Random floats in [-1, 1) from a seeded generator.
func randomArray(_ count: Int, seed: UInt64) -> [Float] {
    var rng = Xoshiro256(seed: seed)
    return (0..<count).map { _ in rng.nextUniform() * 2 - 1 }
}

/// Random tensor with values in [-1, 1).
func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    try! Tensor(shape: shape, values: randomArray(shape.reduce(1, *), seed: seed))   // test shapes are small and match
}

/// max |a - b| / max(1, max |b|): error relative to the reference's scale.
func scaledMaxDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    let scale = max(1, b.map { abs($0) }.max() ?? 0)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

extension Array where Element == Float {
    /// Runs `body` with a mutable pointer to a copy and returns the copy.
    func withPointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}

/// Allocates `count` floats, lets `body` fill them, returns them as an array.
func output(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> Void) rethrows -> [Float] {
    var out = [Float](repeating: .nan, count: count)
    try out.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    return out
}
