import CheckedSize
import Foundation

/// A validated DAG of named layers with its parameters in flat slabs.
///
/// Build it from layers whose `sources` name other layers (CAS `srcLayers`), in any order:
///
///     let model = try Model(layers: [
///         InputLayer(name: "data", shape: [28, 28, 1]),
///         ConvolutionLayer(name: "conv1", source: "data", filters: 8, kernel: 3, activation: .relu),
///         PoolingLayer(name: "pool1", source: "conv1", mode: .max, kernel: 2),
///         FullyConnectedLayer(name: "fc", source: "pool1", outputs: 10),
///         SoftmaxCrossEntropyLayer(name: "output", source: "fc"),
///     ], seed: 42)
///
/// Validation refuses duplicate names, missing sources, cycles, layers with no input, several
/// outputs and shape mismatches, each with an `EngineError` naming the layer. Execution follows a
/// topological order; backward runs in reverse and sums gradients where an output feeds several layers.
///
/// `@unchecked Sendable`: a model is mutable state with no locking. It may move between threads
/// (the server trains on a worker thread) but must have one user at a time.
public final class Model: @unchecked Sendable {
    /// Layers in declaration order (also the order of the parameter slab).
    public let layers: [Layer]
    /// Indices into `layers` in execution (topological) order.
    public let order: [Int]
    /// sourceIndices[i] = indices of layer i's sources.
    let sourceIndices: [[Int]]
    /// Index of the only input layer and of the only output (sink) layer.
    public let inputIndex: Int, outputIndex: Int

    /// Every trainable parameter, layer after layer in declaration order (see `Layer.parameters`).
    public let parameters: Tensor
    /// Gradients, same layout as `parameters`.
    public let gradients: Tensor
    /// Non-trainable state (batch-norm running statistics), layer after layer.
    public let buffers: Tensor

    // Activations and their gradients live in shared buffers ("slots", see BufferPlan). A training
    // forward gives every layer its own slot (backward reads them all); an inference forward reuses the
    // training slots when they exist, else a plan that frees each output after its last consumer ran.
    // Backward gradients always share slots: a gradient lives from its first writer to its own backward.
    private var forwardPlan: BufferPlan?
    private(set) var forwardSlots: [Tensor] = []
    private var forwardBatch = 0                 // batch capacity of forwardSlots
    private var forwardDedicated = false         // forwardPlan gives every layer its own slot
    private var activations: [Tensor?] = []      // per layer: its output in the last forward (nil: not kept)
    private var backwardPlan: BufferPlan?
    private var backwardReach: [Bool] = []
    private(set) var backwardSlots: [Tensor] = []
    private var backwardBatch = 0
    private var lastInput: Tensor?
    private var lastForwardTraining = false
    /// Per-sample output sizes (floats) of every layer.
    private lazy var outputSizes: [Int] = layers.map { $0.outputShape.reduce(1, *) }
    /// Tests: every gradient zeroed and accumulated (the path the fresh-gradient overwrite must match).
    var disableFreshGradients = false
    /// Tests and benchmarks: run every convolution and batch norm on its own (no folding).
    public var disableFolding = false
    /// Layers whose activations an inference forward keeps for `activation(of:)` (feature maps); a kept
    /// convolution is not folded into its batch norm (its own output is computed). Unknown names are ignored.
    public var keptActivations: Set<String> = [] {
        didSet { if keptActivations != oldValue { forwardBatch = 0 } }   // plan again at the next forward
    }
    private var keptIndices: Set<Int> { Set(layers.indices.filter { keptActivations.contains(layers[$0].name) }) }
    /// Sources as a folded pair reads them: the batch norm also reads its convolution's input (so an
    /// inference plan keeps that input alive until the batch norm has run).
    private var foldedSources: [[Int]] {
        sourceIndices.enumerated().map { i, s in foldable[i].map { s + sourceIndices[$0] } ?? s }
    }
    /// Convolution → batch norm pairs that can run as one folded convolution: [batch-norm index: conv index].
    /// The convolution's only consumer is the batch norm, the convolution has no activation of its own.
    private lazy var foldable: [Int: Int] = {
        var consumers = [Int](repeating: 0, count: layers.count)
        for s in sourceIndices { for j in s { consumers[j] += 1 } }
        var pairs: [Int: Int] = [:]
        for (i, l) in layers.enumerated() {
            guard let bn = l as? BatchNormLayer, sourceIndices[i].count == 1 else { continue }
            let c = sourceIndices[i][0]
            if let conv = layers[c] as? ConvolutionLayer, consumers[c] == 1, conv.canFold(into: bn) { pairs[i] = c }
        }
        return pairs
    }()
    /// Scratch memory shared by the layers of this model (one layer runs at a time).
    let workspace = Workspace()
    /// Training iterations run so far (seeds dropout masks).
    public var step: UInt64 = 0
    /// Bumped by `parametersChanged()`; inference forwards pass each layer its own version (the value of
    /// this counter when that layer's parameters last changed) so oneDNN's reordered weights are reused
    /// between calls. Frozen layers get theirs in training forwards too (their weights do not change).
    public private(set) var parameterVersion: UInt64 = 1
    private lazy var layerVersions = [UInt64](repeating: 1, count: layers.count)

    /// Call after writing `parameters` directly (SGD and `loadWeights` call it). Training forwards of
    /// unfrozen layers never reuse cached weights, so only inference (or a frozen layer) after a direct
    /// write needs this.
    public func parametersChanged() {
        parameterVersion &+= 1
        for i in layerVersions.indices { layerVersions[i] = parameterVersion }
    }

    /// After an update of the unfrozen layers only (SGD): frozen layers keep their cached weights.
    func trainableParametersChanged() {
        parameterVersion &+= 1
        for (i, l) in layers.enumerated() where !l.isFrozen { layerVersions[i] = parameterVersion }
    }

    /// The arithmetic of the convolutions and fully connected layers (FP32 unless set). Setting `.bf16`
    /// throws when the CPU lacks the instructions (`Precision.requireSupport`); batch norm, pooling,
    /// activations, the loss and SGD stay float32 either way.
    public private(set) var precision: Precision = .fp32
    public func setPrecision(_ p: Precision) throws(EngineError) {
        try p.requireSupport()
        if p == .int8, let c = layers.compactMap({ $0 as? ConvolutionLayer }).first(where: { $0.backend == .oneDNN && $0.runsInt8 && $0.inputRange == nil }) {
            throw EngineError(.invalidArgument, "INT8 needs the calibrated input range of every convolution it quantizes; '\(c.name)' has none", layer: c.name)
        }
        precision = p
        for l in layers {
            if let c = l as? ConvolutionLayer { c.precision = p }
            if let f = l as? FullyConnectedLayer { f.precision = p }
        }
    }

    /// The calibrated input ranges of the convolutions INT8 may quantize, by layer name (a range below
    /// zero keeps its convolution in FP32).
    public var calibration: [String: ClosedRange<Float>] {
        var out: [String: ClosedRange<Float>] = [:]
        for case let c as ConvolutionLayer in layers where c.isInt8Candidate {
            if let r = c.inputRange { out[c.name] = r.min...r.max }
        }
        return out
    }

    /// Sets calibrated ranges (as `calibration` returned them, e.g. stored with the weights); every
    /// name must be a convolution of this model and every bound finite.
    public func setCalibration(_ ranges: [String: ClosedRange<Float>]) throws(EngineError) {
        for (name, r) in ranges {
            guard let c = layer(named: name) as? ConvolutionLayer else {
                throw EngineError(.invalidArgument, "calibration names '\(name)', which is not a convolution of this model", layer: name)
            }
            guard r.lowerBound.isFinite, r.upperBound.isFinite else {
                throw EngineError(.invalidArgument, "calibration range \(r) of '\(name)' is not finite", layer: name)
            }
            c.inputRange = (r.lowerBound, r.upperBound)
        }
    }

    /// Runs inference forwards over `batches` in the current precision and records the range of every
    /// convolution's input (for INT8 post-training quantization: the source scale covers the observed
    /// range, u8 when it has no negative value). Replaces earlier ranges. Throws in INT8 itself.
    public func calibrate(_ batches: some Sequence<Tensor>) throws {
        let list = Array(batches)
        try calibrate(batches: list.count) { list[$0] }
    }

    /// `calibrate` over `count` batches made one at a time by `batch(i)` (so only one is in memory).
    public func calibrate(batches count: Int, _ batch: (Int) throws -> Tensor) throws {
        guard precision != .int8 else { throw EngineError(.invalidArgument, "calibrate in FP32 or BF16, not INT8") }
        guard count > 0 else { throw EngineError(.invalidArgument, "calibration needs at least one batch") }
        let convs = layers.compactMap { $0 as? ConvolutionLayer }
        for c in convs { c.inputRange = nil; c.calibrating = true }
        defer { for c in convs { c.calibrating = false } }
        for i in 0..<count { try forward(try batch(i), training: false) }
    }

    /// The convolutions INT8 quantizes with the current calibration (candidates whose range is known and
    /// not below zero).
    public var quantizedConvolutions: [String] {
        layers.compactMap { $0 as? ConvolutionLayer }.filter { $0.runsInt8 && $0.inputRange != nil }.map(\.name)
    }

    /// When non-nil, forward and backward add their wall time per layer kind ("convolution forward", ...).
    public var profile: [String: Double]?

    /// Validates the graph, infers shapes, allocates the slabs and initialises the parameters from `seed`.
    ///
    /// Every per-sample output, parameter block and slab is counted with `Checked` against
    /// `Limits.maxTensorElements` before anything is allocated: an impossible shape (a width of 2^63-1,
    /// a fully connected layer of 2^26 neurons on a large input) throws `.tooLarge` naming the layer.
    /// Call `Model.estimate(layers:batchSize:training:)` first to learn what the model will cost.
    public init(layers: [Layer], seed: UInt64 = 0) throws {
        self.layers = layers
        let graph = try Model.validate(layers)
        sourceIndices = graph.sourceIndices
        order = graph.order
        inputIndex = graph.inputIndex
        outputIndex = graph.outputIndex
        parameters = try Tensor(shape: [graph.parameterCount], what: "parameter slab")
        gradients = try Tensor(shape: [graph.parameterCount], what: "gradient slab")
        buffers = try Tensor(shape: [graph.bufferCount], what: "buffer slab")
        var p = 0, b = 0
        var rng = Xoshiro256(seed: seed)
        for l in layers {
            l.workspace = workspace
            l.bind(values: parameters.base + p, grads: gradients.base + p, buffers: buffers.base + b)
            l.initializeParameters(&rng)
            p += l.parameterCount
            b += l.bufferCount
        }
    }

    /// What validating a layer list yields: the DAG, and the slab sizes (checked, not yet allocated).
    struct Graph {
        var sourceIndices: [[Int]]
        var order: [Int]
        var inputIndex: Int, outputIndex: Int
        var parameterCount: Int, bufferCount: Int
    }

    /// Names, sources, the DAG, one input and one output, then shapes in topological order; every
    /// size checked. Sets each layer's `inputShapes` and `outputShape`; allocates nothing large.
    static func validate(_ layers: [Layer]) throws -> Graph {
        var index: [String: Int] = [:]
        for (i, l) in layers.enumerated() {
            if index[l.name] != nil { throw EngineError(.duplicateName, "two layers are named '\(l.name)'; names must be unique", layer: l.name) }
            index[l.name] = i
        }
        let sourceIndices = try layers.map { l in
            try l.sources.map { s in
                guard let i = index[s] else {
                    throw EngineError(.missingSource, "\(l.kind) layer '\(l.name)' names source '\(s)', which is not a layer of the model", layer: l.name)
                }
                return i
            }
        }
        let order = try Model.topologicalOrder(layers, sourceIndices)
        let inputs = layers.indices.filter { layers[$0] is InputLayer }
        guard inputs.count == 1 else {
            throw EngineError(.invalidLayer, "a model needs exactly one input layer, found \(inputs.count)\(inputs.isEmpty ? "" : ": " + inputs.map { layers[$0].name }.joined(separator: ", "))")
        }
        for l in layers where l.sources.isEmpty && !(l is InputLayer) {
            throw EngineError(.invalidLayer, "\(l.kind) layer '\(l.name)' has no source layers", layer: l.name)
        }
        var consumers = [Int](repeating: 0, count: layers.count)
        for s in sourceIndices { for i in s { consumers[i] += 1 } }
        let sinks = layers.indices.filter { consumers[$0] == 0 }
        guard sinks.count == 1 else {
            throw EngineError(.noOutput, "a model needs exactly one output layer (a layer no other layer reads); found \(sinks.map { layers[$0].name })")
        }
        var parameterCount = 0, bufferCount = 0
        for i in order {
            let l = layers[i]
            l.inputShapes = sourceIndices[i].map { layers[$0].outputShape }
            l.outputShape = try l.inferShape(l.inputShapes)
            try l.checkSizes()
            parameterCount = try l.checked { () throws(SizeError) in
                try Checked.sum(parameterCount, l.parameterCount, "parameters of the model", max: Limits.maxTensorElements)
            }
            bufferCount = try l.checked { () throws(SizeError) in
                try Checked.sum(bufferCount, l.bufferCount, "buffers of the model", max: Limits.maxTensorElements)
            }
        }
        return Graph(sourceIndices: sourceIndices, order: order, inputIndex: inputs[0], outputIndex: sinks[0],
                     parameterCount: parameterCount, bufferCount: bufferCount)
    }

    /// Kahn's algorithm, always taking the ready layer declared first (deterministic order).
    static func topologicalOrder(_ layers: [Layer], _ sources: [[Int]]) throws -> [Int] {
        var pending = sources.map { Set($0).count }
        var consumers = [[Int]](repeating: [], count: layers.count)
        for (i, s) in sources.enumerated() { for j in Set(s) { consumers[j].append(i) } }
        var ready = Set(layers.indices.filter { pending[$0] == 0 })
        var order: [Int] = []
        while let next = ready.min() {
            ready.remove(next)
            order.append(next)
            for c in consumers[next] {
                pending[c] -= 1
                if pending[c] == 0 { ready.insert(c) }
            }
        }
        if order.count < layers.count {
            let stuck = layers.indices.filter { pending[$0] > 0 }.map { layers[$0].name }
            throw EngineError(.cycle, "the layers \(stuck) form or depend on a cycle; srcLayers must form a DAG", layer: stuck.first)
        }
        return order
    }

    /// One row per layer in declaration order: name, kind, sources, per-sample output shape, trainable
    /// parameter count, frozen flag (for a model-info table).
    public var summary: [(name: String, kind: String, sources: [String], outputShape: [Int], parameters: Int, frozen: Bool)] {
        layers.map { ($0.name, $0.kind, $0.sources, $0.outputShape, $0.parameterCount, $0.isFrozen) }
    }

    /// The layer called `name`, if any.
    public func layer(named name: String) -> Layer? { layers.first { $0.name == name } }
    /// The input layer.
    public var inputLayer: Layer { layers[inputIndex] }
    /// The output layer.
    public var outputLayer: Layer { layers[outputIndex] }
    /// Number of trainable parameters.
    public var parameterCount: Int { parameters.count }

    /// Freezes exactly the named layers (all others become trainable). Unknown names are refused.
    public func setFrozen(_ names: Set<String>) throws {
        let known = Set(layers.map(\.name))
        let unknown = names.subtracting(known)
        if !unknown.isEmpty { throw EngineError(.invalidArgument, "cannot freeze unknown layers \(unknown.sorted())") }
        for l in layers { l.isFrozen = names.contains(l.name) }
    }

    /// Layers that take part in backward: they have trainable unfrozen parameters or feed from one that has.
    /// Anything upstream of every trainable layer (a frozen prefix) does no backward work at all.
    public var backwardLayers: Set<String> { Set(needsBackward().enumerated().filter(\.element).map { layers[$0.offset].name }) }

    func needsBackward() -> [Bool] {
        var reach = [Bool](repeating: false, count: layers.count)
        for i in order {
            let l = layers[i]
            reach[i] = (!l.isFrozen && l.parameterCount > 0) || sourceIndices[i].contains { reach[$0] }
        }
        return reach
    }

    /// Slots for a forward of batch `n`: dedicated ones for training; for inference the dedicated ones
    /// if they exist and are large enough, else the shared inference plan.
    private func prepareForward(_ n: Int, training: Bool) throws {
        if forwardBatch >= n && (forwardDedicated || !training) { return }
        let plan: BufferPlan = training
            ? .dedicated(sizes: outputSizes)
            : .forward(order: order, sources: foldedSources, sizes: outputSizes, keep: Set([outputIndex] + sourceIndices[outputIndex]).union(keptIndices))
        let batch = max(n, forwardDedicated == training ? forwardBatch : 0)
        forwardSlots = []   // release the old buffers before allocating the new ones
        forwardSlots = try plan.capacity.map { try Tensor(shape: [batch, $0], what: "activations for a batch of \(batch)") }
        forwardPlan = plan
        forwardDedicated = training
        forwardBatch = batch
    }

    /// Runs the graph on `input` ([N] + the input layer's shape) and returns the output layer's activation
    /// (probabilities for a softmax output). The returned tensor is reused by the next call.
    ///
    /// Inference keeps only the output and the logits unless the model has trained (then every
    /// activation stays in its training buffer); `activation(of:)` tells which ones are available.
    @discardableResult
    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        let shape = inputLayer.outputShape
        guard input.shape.count == shape.count + 1, Array(input.shape.dropFirst()) == shape, input.shape[0] > 0 else {
            throw EngineError(.shapeMismatch, "input batch has shape \(input.shape); expected [N] + \(shape)", layer: inputLayer.name)
        }
        if training && precision == .int8 { throw EngineError(.invalidArgument, "INT8 is for inference; training runs in FP32 or BF16") }
        let n = input.shape[0]
        try prepareForward(n, training: training)
        let plan = forwardPlan!
        lastInput = input
        lastForwardTraining = training
        var ctx = ForwardContext(training: training, step: step, parameterVersion: 0)
        var current = [Tensor?](repeating: nil, count: layers.count)
        // Folded convolution + batch norm pairs: in inference every foldable pair; in training those that
        // take no part in backward (a frozen prefix: frozen batch norms use their running statistics).
        var folded: [Int: Int] = [:], skipped = Set<Int>()
        if !disableFolding && !foldable.isEmpty {
            let reach = training ? needsBackward() : []
            let kept = keptIndices
            for (b, c) in foldable where (!training || (!reach[b] && !reach[c] && layers[b].isFrozen)) && !kept.contains(c) {
                if (layers[c] as! ConvolutionLayer).backend == .oneDNN { folded[b] = c; skipped.insert(c) }
            }
        }
        for i in order {
            let l = layers[i]
            if skipped.contains(i) { continue }   // computed with its batch norm
            ctx.parameterVersion = training && !l.isFrozen ? 0 : layerVersions[i]
            let y = forwardSlots[plan.slot[i]!]
            y.reshape([n] + l.outputShape)
            current[i] = y
            let t0 = profile == nil ? 0 : Model.now()
            if let c = folded[i] {
                let conv = layers[c] as! ConvolutionLayer
                let x = current[sourceIndices[c][0]]!
                try conv.forwardFolded(x, into: y, batchNorm: l as! BatchNormLayer, version: max(layerVersions[c], layerVersions[i]))
                if profile != nil { profile!["convolution + batch norm (folded) forward", default: 0] += Model.now() - t0 }
                continue
            }
            let xs = i == inputIndex ? [input] : sourceIndices[i].map { current[$0]! }
            try l.forward(xs, y, ctx)
            if profile != nil { profile!["\(l.kind) forward", default: 0] += Model.now() - t0 }
        }
        if training {   // batch norms that trained updated their running statistics: a new version for folding
            var bumped = false
            for (i, l) in layers.enumerated() where l is BatchNormLayer && !l.isFrozen {
                if !bumped { parameterVersion &+= 1; bumped = true }
                layerVersions[i] = parameterVersion
            }
        }
        activations = current.enumerated().map { plan.survives[$0.offset] ? $0.element : nil }
        return activations[outputIndex]!
    }

    /// Activation of a layer from the last forward ([N] + its outputShape); nil when that forward did not
    /// keep it (an inference forward of a model that has not trained keeps only the output and its sources).
    public func activation(of name: String) -> Tensor? {
        guard let i = layers.firstIndex(where: { $0.name == name }), i < activations.count else { return nil }
        return activations[i]
    }

    /// Sets every gradient to zero.
    public func zeroGradients() { gradients.zero() }

    /// Backward pass for the last forward, which must have been a training forward, with these target
    /// classes: adds (+=) into `gradients`. The output layer must be a `SoftmaxCrossEntropyLayer`.
    public func backward(labels: [Int]) throws {
        guard let out = outputLayer as? SoftmaxCrossEntropyLayer else {
            throw EngineError(.invalidLayer, "training needs a softmax output layer, '\(outputLayer.name)' is \(outputLayer.kind)", layer: outputLayer.name)
        }
        guard let input = lastInput, labels.count == input.shape[0] * out.positions else {
            throw EngineError(.invalidArgument, "backward needs a forward first and one label per sample\(out.perPosition ? " and pixel" : "")")
        }
        guard lastForwardTraining else {
            throw EngineError(.invalidArgument, "backward needs a training-mode forward first (the last forward was inference)")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= out.classes }) {
            throw EngineError(.invalidArgument, "label \(bad) outside 0..<\(out.classes)", layer: out.name)
        }
        out.labels = labels
        try backwardPass(input: input)
    }

    /// Backward pass for the last training forward of a model ending in a YOLO detection layer, with `targets`:
    /// per sample `maxLabels` × (class, x, y, w, h) (YoloDetectionLayer). Adds (+=) into `gradients`.
    public func backward(targets: [Float]) throws {
        guard let out = outputLayer as? YoloDetectionLayer else {
            throw EngineError(.invalidLayer, "box targets need a detection output layer, '\(outputLayer.name)' is \(outputLayer.kind)", layer: outputLayer.name)
        }
        guard let input = lastInput, targets.count == input.shape[0] * out.targetsPerSample else {
            throw EngineError(.invalidArgument, "backward needs a forward first and \(out.targetsPerSample) target values per sample")
        }
        guard lastForwardTraining else {
            throw EngineError(.invalidArgument, "backward needs a training-mode forward first (the last forward was inference)")
        }
        out.targets = targets
        try backwardPass(input: input)
    }

    private func backwardPass(input: Tensor) throws {
        let n = input.shape[0]
        let reach = needsBackward()
        if backwardPlan == nil || reach != backwardReach || backwardBatch < n {
            let plan = BufferPlan.backward(order: order, sources: sourceIndices, sizes: outputSizes, reach: reach, output: outputIndex)
            let batch = max(n, plan == backwardPlan ? backwardBatch : 0)
            backwardSlots = []
            backwardSlots = try plan.capacity.map { try Tensor(shape: [batch, $0], what: "gradients for a batch of \(batch)") }
            backwardPlan = plan
            backwardReach = reach
            backwardBatch = batch
        }
        let plan = backwardPlan!
        func grad(_ j: Int) -> Tensor {
            let t = backwardSlots[plan.slot[j]!]
            t.reshape([n] + layers[j].outputShape)
            return t
        }
        for i in order.reversed() where reach[i] {
            let l = layers[i]
            // Gradients this layer writes first: the layer overwrites them when it can, else they are zeroed.
            var fresh = [Bool](repeating: false, count: sourceIndices[i].count)
            for j in plan.zeroBefore[i] {
                if j != i, l.overwritesFreshGradients, !disableFreshGradients, let k = sourceIndices[i].firstIndex(of: j) {
                    fresh[k] = true
                } else {
                    grad(j).zero()
                }
            }
            let xs = i == inputIndex ? [input] : sourceIndices[i].map { activations[$0]! }
            let dxs: [Tensor?] = sourceIndices[i].map { reach[$0] ? grad($0) : nil }
            let t0 = profile == nil ? 0 : Model.now()
            if l.overwritesFreshGradients { l.freshInputGradient = fresh }
            defer { l.freshInputGradient = [] }
            try l.backward(xs, activations[i]!, grad(i), dxs)
            if profile != nil { profile!["\(l.kind) backward", default: 0] += Model.now() - t0 }
        }
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Loss, missed truth boxes and truth boxes of the last forward against box `targets` (detection output only).
    public func detectionLoss(targets: [Float]) -> (loss: Double, errors: Int, truths: Int) {
        guard let out = outputLayer as? YoloDetectionLayer,
              let raw = activations[sourceIndices[outputIndex][0]], let decoded = activations[outputIndex] else { return (.nan, 0, 0) }
        return out.loss(raw: raw, decoded: decoded, targets: targets)
    }

    /// Loss and error count of the last forward against `labels` (softmax output only).
    public func lossAndErrors(labels: [Int]) -> (loss: Double, errors: Int) {
        guard let out = outputLayer as? SoftmaxCrossEntropyLayer else { return (.nan, 0) }
        let logitsIndex = sourceIndices[outputIndex][0]
        guard let logits = activations[logitsIndex], let probabilities = activations[outputIndex] else { return (.nan, 0) }
        return out.lossAndErrors(logits: logits, probabilities: probabilities, labels: labels)
    }
}
