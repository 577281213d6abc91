import CheckedSize
import Foundation

/// A dense float32 tensor with an explicit shape, row-major (last axis fastest).
///
/// Activations are NHWC: `[N, H, W, C]`, or `[N, C]` for vectors. The tensor owns its memory; the
/// shape may shrink and grow again up to `capacity` (a final partial mini-batch reuses the buffers).
///
/// `@unchecked Sendable`: a tensor is a plain buffer with no internal synchronisation. It may be handed
/// to another thread, but only one thread may use it at a time (the owning `Model` or test).
public final class Tensor: @unchecked Sendable {
    /// Current shape; `shape.reduce(1, *) <= capacity`.
    public private(set) var shape: [Int]
    /// Number of floats allocated.
    public let capacity: Int
    /// Base pointer of the allocation (valid for `capacity` floats, zero-initialised).
    public let base: UnsafeMutablePointer<Float>

    /// Allocates a zero-filled tensor. The memory comes from `calloc`: large blocks are fresh zero pages
    /// that cost no resident memory until written (a gradient slab that inference never touches).
    ///
    /// - Throws: `EngineError` `.tooLarge` when a dimension is negative, the element count overflows or
    ///   passes `Limits.maxTensorElements`, and `.outOfMemory` when `calloc` fails. Never traps.
    public init(shape: [Int], what: @autoclosure () -> String = "tensor") throws(EngineError) {
        let count: Int
        do { count = try Checked.product(shape, "elements of \(what())", max: Limits.maxTensorElements) } catch {
            throw EngineError(size: error)
        }
        guard let raw = calloc(max(count, 1), MemoryLayout<Float>.stride) else {
            throw EngineError(.outOfMemory, "cannot allocate \(what()) \(shape) (\(count * 4) bytes): out of memory")
        }
        self.shape = shape
        self.capacity = count
        self.base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Allocates a tensor holding `values` (count must match the shape).
    public convenience init(shape: [Int], values: [Float]) throws(EngineError) {
        try self.init(shape: shape)
        guard values.count == count else {
            throw EngineError(.shapeMismatch, "\(values.count) values for a tensor of shape \(shape) (\(count) elements)")
        }
        values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: count) }
    }

    deinit { free(base) }

    /// Number of elements in the current shape.
    public var count: Int { shape.reduce(1, *) }
    /// The current elements.
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }
    /// A copy of the current elements.
    public var array: [Float] { Array(buffer) }

    /// Changes the shape in place; the element count must fit the allocation.
    public func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) <= capacity, "shape \(newShape) exceeds capacity \(capacity)")
        shape = newShape
    }

    /// Sets every element to zero.
    public func zero() { base.update(repeating: 0, count: count) }

    /// Element access by flat index.
    public subscript(i: Int) -> Float {
        get { base[i] }
        set { base[i] = newValue }
    }
}
