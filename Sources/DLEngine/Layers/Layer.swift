import CheckedSize

/// What a forward pass needs beyond the inputs.
public struct ForwardContext: Sendable {
    /// Training mode: batch statistics in batch norm, dropout active.
    public var training: Bool
    /// Counts training iterations; dropout derives its mask seed from it, so a run is reproducible.
    public var step: UInt64
    /// Identifies the current parameter values (0 = unknown). Layers may cache derived forms of their
    /// weights (oneDNN's reordered copies) while it stays the same; `Model` sets it for inference only.
    public var parameterVersion: UInt64

    public init(training: Bool, step: UInt64 = 0, parameterVersion: UInt64 = 0) {
        self.training = training
        self.step = step
        self.parameterVersion = parameterVersion
    }
}

/// One named block of a layer's parameters (or non-trainable buffers such as running statistics),
/// pointing into the model's flat slabs.
public struct ParameterBlock {
    /// torchvision-style suffix: "weight", "bias", "running_mean", "running_var".
    public let name: String
    /// Shape, e.g. `[OC, IC/G, KH, KW]` for a convolution weight.
    public let shape: [Int]
    /// The values, `shape.reduce(1, *)` floats inside the model's slab.
    public let value: UnsafeMutableBufferPointer<Float>
    /// Gradient of the same size (nil for non-trainable buffers).
    public let grad: UnsafeMutableBufferPointer<Float>?
}

/// Base class of every layer: a node of the model DAG with a forward/backward pair.
///
/// Shapes are per sample (no batch axis): `[H, W, C]` for images (NHWC activations), `[C]` for vectors.
/// Subclasses override `kind`, `inferShape`, `forward`, `backward` and, if they have parameters,
/// `parameterShapes`/`bufferShapes`/`initializeParameters`.
///
/// Not thread-safe: a layer belongs to one model, which has one owner at a time.
public class Layer {
    /// Unique name inside the model (CAS `name=`).
    public let name: String
    /// Names of the layers feeding this one, in order (CAS `srcLayers=`).
    public let sources: [String]
    /// Per-sample input shapes, set by `Model` during validation.
    public internal(set) var inputShapes: [[Int]] = []
    /// Per-sample output shape, set by `Model` during validation.
    public internal(set) var outputShape: [Int] = []
    /// Trainable parameters bound into the model's slabs.
    public internal(set) var parameters: [ParameterBlock] = []
    /// Non-trainable state (running statistics) bound into the model's buffer slab.
    public internal(set) var buffers: [ParameterBlock] = []
    /// A frozen layer computes no parameter gradients and is not updated.
    public internal(set) var isFrozen = false
    /// Set by `Model` for one `backward` call, only on layers whose `overwritesFreshGradients` is true:
    /// `freshInputGradient[k]` means dx[k] holds garbage and this call is its first writer, so backward
    /// must overwrite it (=) instead of adding (+=). Saves zeroing the gradient and reading it back.
    var freshInputGradient: [Bool] = []
    /// Whether `backward` honours `freshInputGradient` (else the model zeroes fresh gradients first).
    var overwritesFreshGradients: Bool { false }
    /// True when dx[k] must be overwritten in this backward call.
    func isFresh(_ k: Int) -> Bool { k < freshInputGradient.count && freshInputGradient[k] }

    /// `backward` as `Model` calls it for a layer that is the first writer of its input gradients:
    /// dx[k] is overwritten, not added to (layers that do not support that zero-then-add behave the
    /// same after `dx` is zeroed). For measuring a stand-alone layer on the model's path.
    public func backwardOverwriting(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        if overwritesFreshGradients {
            freshInputGradient = [Bool](repeating: true, count: x.count)
        } else {
            for case let d? in dx { d.zero() }
        }
        defer { freshInputGradient = [] }
        try backward(x, y, dy, dx)
    }
    /// Floats this layer keeps in scratch of its own between forward and backward (memory accounting, against
    /// `trainingScratch`).
    var scratchCapacity: Int { 0 }
    /// The most floats of that scratch a training step on `batch` samples takes: the larger of `perSample` floats per
    /// sample and `fixed` floats (`Model.estimate` multiplies with checked arithmetic). Valid after `inferShape`.
    func trainingScratch(batch: Int) -> (perSample: Int, fixed: Int) { (0, 0) }
    /// Scratch memory for the duration of one forward or backward call; `Model` gives all its layers
    /// the same one (one layer runs at a time), a stand-alone layer has its own.
    var workspace = Workspace()

    init(name: String, sources: [String]) {
        self.name = name
        self.sources = sources
    }

    /// Layer type for messages, e.g. "convolution".
    public var kind: String { "layer" }

    /// Per-sample output shape for per-sample input shapes. Throws an `EngineError` naming this layer.
    func inferShape(_ inputs: [[Int]]) throws -> [Int] { fatalError("\(kind) must override inferShape") }

    /// (name, shape) of each trainable parameter block; valid after `inferShape`.
    func parameterShapes() -> [(String, [Int])] { [] }
    /// (name, shape) of each non-trainable buffer block; valid after `inferShape`.
    func bufferShapes() -> [(String, [Int])] { [] }
    /// Writes initial values into freshly bound parameters and buffers.
    func initializeParameters(_ rng: inout Xoshiro256) {}

    /// y = f(x). `y` is already shaped `[N] + outputShape`.
    public func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws { fatalError("\(kind) must override forward") }

    /// Backward pass: adds (+=) dL/dx into `dx[i]` where non-nil, and, unless frozen, adds dL/dθ into the
    /// parameter gradients. `dy` (dL/dy) belongs to this layer and may be overwritten.
    public func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws { fatalError("\(kind) must override backward") }

    /// Total trainable floats.
    var parameterCount: Int { parameterShapes().reduce(0) { $0 + $1.1.reduce(1, *) } }
    /// Total buffer floats.
    var bufferCount: Int { bufferShapes().reduce(0) { $0 + $1.1.reduce(1, *) } }

    /// Points the parameter and buffer blocks at the given slab regions (sized by the counts above).
    func bind(values: UnsafeMutablePointer<Float>, grads: UnsafeMutablePointer<Float>, buffers buf: UnsafeMutablePointer<Float>) {
        var offset = 0
        parameters = parameterShapes().map { name, shape in
            let n = shape.reduce(1, *)
            defer { offset += n }
            return ParameterBlock(name: name, shape: shape, value: .init(start: values + offset, count: n),
                                  grad: .init(start: grads + offset, count: n))
        }
        offset = 0
        buffers = bufferShapes().map { name, shape in
            let n = shape.reduce(1, *)
            defer { offset += n }
            return ParameterBlock(name: name, shape: shape, value: .init(start: buf + offset, count: n), grad: nil)
        }
    }

    /// The parameter block called `name` (programming error if absent).
    func param(_ name: String) -> ParameterBlock {
        guard let p = parameters.first(where: { $0.name == name }) ?? buffers.first(where: { $0.name == name }) else {
            fatalError("layer \(self.name) has no parameter \(name)")
        }
        return p
    }

    /// An error about this layer.
    func error(_ code: EngineError.Code, _ message: String) -> EngineError {
        EngineError(code, "\(kind) layer '\(name)': \(message)", layer: name)
    }

    /// Runs a size computation, turning its `SizeError` into a `.tooLarge` error naming this layer.
    func checked<T>(_ body: () throws(SizeError) -> T) throws(EngineError) -> T {
        do { return try body() } catch { throw EngineError(size: error, "\(kind) layer '\(name)': ", layer: name) }
    }

    /// After `inferShape`: the per-sample output and every parameter and buffer block fit one tensor
    /// (`Limits.maxTensorElements`), so later `reduce(1, *)` on these shapes cannot overflow.
    func checkSizes() throws(EngineError) {
        try checked { () throws(SizeError) in
            _ = try Checked.product(outputShape, "elements of the per-sample output \(outputShape)", max: Limits.maxTensorElements)
            var total = 0
            for (block, shape) in parameterShapes() + bufferShapes() {
                let n = try Checked.product(shape, "elements of \(block) \(shape)", max: Limits.maxTensorElements)
                total = try Checked.sum(total, n, "parameters and buffers", max: Limits.maxTensorElements)
            }
        }
    }

    /// Checks the input count; `nil` means any number ≥ 1.
    /// The output shape this layer would have for `inputs` (per sample), without changing the layer:
    /// for model builders that must know a shape before the model exists.
    public func outputShape(given inputs: [[Int]]) throws -> [Int] { try inferShape(inputs) }

    func expectInputs(_ inputs: [[Int]], _ count: Int?) throws {
        if let count, inputs.count != count {
            throw error(.invalidLayer, "expects \(count) source layer(s), got \(inputs.count)")
        }
        if inputs.isEmpty { throw error(.invalidLayer, "needs at least one source layer") }
    }

    /// Checks that an input is an image `[H, W, C]`.
    func expectImage(_ shape: [Int]) throws -> (h: Int, w: Int, c: Int) {
        guard shape.count == 3 else { throw error(.shapeMismatch, "expects an image input [H, W, C], got \(shape)") }
        return (shape[0], shape[1], shape[2])
    }
}

/// A growable scratch allocation owned by one layer (reused across calls, never shrinks).
final class Scratch {
    private(set) var pointer = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    private(set) var capacity = 0

    /// At least `count` floats, contents undefined.
    func get(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            pointer = .allocate(capacity: count)
            capacity = count
        }
        return pointer
    }

    deinit { pointer.deallocate() }
}

/// Scratch buffers a layer may use inside one forward or backward call (contents undefined between calls).
/// Shared by the layers of a model, so the model holds one of each instead of one per layer.
final class Workspace {
    let a = Scratch(), b = Scratch()
}

/// Batch size of an activation tensor.
extension Tensor {
    var batch: Int { shape[0] }
    /// Floats per sample.
    var sampleCount: Int { shape.dropFirst().reduce(1, *) }
    var pointer: UnsafeMutablePointer<Float> { base }
}
