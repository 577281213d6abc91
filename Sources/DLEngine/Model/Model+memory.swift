import CheckedSize

/// What a model costs in memory for one batch size, in bytes, before any of it is allocated
/// (`Model.estimate(layers:batchSize:training:)`) or for a built model (`estimatedBytes`).
///
/// The engine's own buffers are counted exactly as `Model`, `SGD` and `Trainer` allocate them (the
/// same buffer plans); `backend` is an allowance for oneDNN's reordered copy of the weights. Memory
/// of the caller (the data set, decoded images) is not included. A server charges `total` to a
/// session's budget before it builds or trains the model.
public struct MemoryEstimate: Sendable, Equatable, CustomStringConvertible {
    /// Trainable parameters and non-trainable buffers (running statistics).
    public var parameters = 0
    /// Parameter gradients (training only: inference never touches that slab).
    public var gradients = 0
    /// Optimizer state: SGD momentum, or Adam's two moments (training only).
    public var optimizer = 0
    /// Activation buffers for one batch (training keeps every layer's output; inference shares buffers).
    public var activations = 0
    /// Activation gradients for one batch (training only).
    public var activationGradients = 0
    /// The input batch tensor the trainer fills.
    public var input = 0
    /// Per-layer scratch: convolution weight gradients, input-gradient accumulation, dropout masks.
    public var workspace = 0
    /// Allowance for the backend (oneDNN keeps one reordered copy of each convolution's weights).
    public var backend = 0

    /// Everything above.
    public var total: Int {
        [parameters, gradients, optimizer, activations, activationGradients, input, workspace, backend].reduce(0) { $0 &+ $1 }
    }

    public var description: String {
        "\(total) bytes (parameters \(parameters), gradients \(gradients), optimizer \(optimizer), activations \(activations), "
            + "activation gradients \(activationGradients), input \(input), workspace \(workspace), backend \(backend))"
    }
}

extension Model {
    /// The memory a model of `layers` needs for batches of `batchSize`, computed from the validated
    /// graph without allocating it. Throws what `Model(layers:)` would throw for an impossible model,
    /// and `.tooLarge` when a single buffer for this batch size would pass `Limits.maxTensorElements`.
    ///
    ///     let cost = try Model.estimate(layers: layers, batchSize: 32, training: true)
    ///     guard cost.total <= sessionBudget else { refuse("the model needs \(cost.total) bytes") }
    ///     let model = try Model(layers: layers)
    /// `optimizerSlabs`: parameter-sized slabs the optimizer keeps (`SGDOptions.slabs`: 1 for SGD, 2 for Adam).
    public static func estimate(layers: [Layer], batchSize: Int, training: Bool, optimizerSlabs: Int = 1) throws -> MemoryEstimate {
        let graph = try validate(layers)
        return try estimate(layers: layers, graph: graph, batchSize: batchSize, training: training, optimizerSlabs: optimizerSlabs)
    }

    /// `Model.estimate(layers:batchSize:training:)` for this model.
    public func estimatedBytes(batchSize: Int, training: Bool) throws -> MemoryEstimate {
        let graph = Graph(sourceIndices: sourceIndices, order: order, inputIndex: inputIndex, outputIndex: outputIndex,
                          parameterCount: parameters.capacity, bufferCount: buffers.capacity)
        return try Model.estimate(layers: layers, graph: graph, batchSize: batchSize, training: training)
    }

    static func estimate(layers: [Layer], graph g: Graph, batchSize n: Int, training: Bool, optimizerSlabs: Int = 1) throws -> MemoryEstimate {
        guard n >= 1 else { throw EngineError(.invalidArgument, "batch size must be at least 1, got \(n)") }
        let float = MemoryLayout<Float>.stride
        // One tensor of `perSample` floats for each of the n samples, checked like the allocation.
        func batchBytes(_ perSample: Int, _ what: String) throws -> Int {
            do { return try Checked.product([n, perSample, float], what, max: Limits.maxTensorElements * float) } catch {
                throw EngineError(size: error)
            }
        }
        let sizes = layers.map { $0.outputShape.reduce(1, *) }
        var e = MemoryEstimate()
        e.parameters = (g.parameterCount + g.bufferCount) * float
        e.input = try batchBytes(layers[g.inputIndex].outputShape.reduce(1, *), "input batch")
        let forward: BufferPlan = training
            ? .dedicated(sizes: sizes)
            : .forward(order: g.order, sources: g.sourceIndices, sizes: sizes, keep: Set([g.outputIndex] + g.sourceIndices[g.outputIndex]))
        for c in forward.capacity { e.activations += try batchBytes(c, "activations") }
        var scratchA = 0, scratchB = 0, masks = 0
        for (i, l) in layers.enumerated() {
            if let conv = l as? ConvolutionLayer {
                let geometry = conv.geometry(batch: n)
                scratchA = max(scratchA, (geometry.weightCount + geometry.outC) * float)
                if training { scratchB = max(scratchB, try batchBytes(geometry.inputCount / n, "convolution input gradient")) }
                e.backend += geometry.weightCount * float
            }
            if training {
                let scratch = l.trainingScratch(batch: n)
                masks += max(try batchBytes(scratch.perSample, "\(l.kind) scratch"), scratch.fixed * float)
            }
        }
        e.workspace = scratchA + scratchB + masks
        if training {
            e.gradients = g.parameterCount * float
            e.optimizer = g.parameterCount * float * optimizerSlabs
            var reach = [Bool](repeating: false, count: layers.count)   // as needsBackward() with nothing frozen
            for i in g.order { reach[i] = layers[i].parameterCount > 0 || g.sourceIndices[i].contains { reach[$0] } }
            let backward = BufferPlan.backward(order: g.order, sources: g.sourceIndices, sizes: sizes, reach: reach, output: g.outputIndex)
            for c in backward.capacity { e.activationGradients += try batchBytes(c, "activation gradients") }
        }
        return e
    }

    /// Bytes of the engine buffers this model holds now: slabs (the gradient slab once a backward ran),
    /// activation and gradient buffers, the shared workspace. For checking `estimatedBytes`.
    var allocatedBytes: Int {
        let float = MemoryLayout<Float>.stride
        let slabs = parameters.capacity + buffers.capacity + (backwardSlots.isEmpty ? 0 : gradients.capacity)
        let slots = (forwardSlots + backwardSlots).reduce(0) { $0 + $1.capacity }
        let scratch = layers.reduce(workspace.a.capacity + workspace.b.capacity) { $0 + $1.scratchCapacity }
        return (slabs + slots + scratch) * float
    }
}
