import Foundation
import Testing
@testable import DLEngine

/// An in-process stand-in for MPI_Allreduce (MPI itself is tested in Tests/python/test_mpi.py): `parties` threads
/// each call `sum`, which returns once all have added their values, every caller getting the total.
final class ThreadAllReduce: AllReduce, @unchecked Sendable {
    private let parties: Int
    private let condition = NSCondition()
    private var total: [Float] = [], arrived = 0, generation = 0, result: [Float] = []

    init(parties: Int) { self.parties = parties }

    func sum(_ values: inout [Float]) throws {
        condition.lock()
        defer { condition.unlock() }
        let mine = generation
        if arrived == 0 { total = values } else {
            guard total.count == values.count else { throw EngineError(.invalidArgument, "all-reduce sizes differ: \(total.count) and \(values.count)") }
            for i in values.indices { total[i] += values[i] }
        }
        arrived += 1
        if arrived == parties {
            result = total
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
        values = result
    }
}

/// A model without batch norm (data-parallel training then equals one process exactly, up to summation order).
private func plainCNN(seed: UInt64) throws -> Model {
    try Model(layers: [
        InputLayer(name: "data", shape: [8, 8, 1]),
        ConvolutionLayer(name: "conv1", source: "data", filters: 6, kernel: 3, activation: .relu),
        PoolingLayer(name: "pool1", source: "conv1", mode: .max, kernel: 2),
        GlobalAveragePoolingLayer(name: "gap", source: "pool1"),
        FullyConnectedLayer(name: "fc", source: "gap", outputs: 4),
        SoftmaxCrossEntropyLayer(name: "output", source: "fc"),
    ], seed: seed)
}

/// Samples `range` of `data`.
private func slice(_ data: ArrayDataSource, _ range: Range<Int>) -> ArrayDataSource {
    let per = data.sampleShape.reduce(1, *)
    return ArrayDataSource(values: Array(data.values[(range.lowerBound * per)..<(range.upperBound * per)]), labels: Array(data.labels[range]),
                           sampleShape: data.sampleShape)
}

/// Runs `body(rank)` for every rank at once, each on its own thread (a thread pool as wide as the cores would
/// leave a rank waiting for a thread while the others wait for it in the all-reduce), and waits for all.
private func concurrently(_ ranks: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchGroup()
    for rank in 0..<ranks {
        done.enter()
        Thread { body(rank); done.leave() }.start()
    }
    done.wait()
}

/// Results the ranks' threads write (each its own index, under `lock`).
private final class Slots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [T]
    init(_ values: [T]) { self.values = values }
    subscript(i: Int) -> T {
        get { lock.lock(); defer { lock.unlock() }; return values[i] }
        set { lock.lock(); values[i] = newValue; lock.unlock() }
    }
    var all: [T] { lock.lock(); defer { lock.unlock() }; return values }
}

private struct RankResult: @unchecked Sendable {
    var model: Model?
    var result: Result<TrainingResult, any Error>?
}

/// Trains `model(rank)` on every rank at once, each on its own thread: rank r gets `shares[r]` of `data` (nil: a
/// coordinator with no samples); rank 0 coordinates (it says stop when `stopAt` says so).
private func runRanks(_ shares: [Range<Int>?], data: ArrayDataSource, options: TrainingOptions, chunk: Int,
                      setUpFails: Int? = nil, stopAt: (@Sendable (TrainingProgress) -> Bool)? = nil) throws -> [RankResult] {
    let reduce = ThreadAllReduce(parties: shares.count)
    let workers = shares.compactMap { $0 }.count
    let out = Slots([RankResult](repeating: RankResult(), count: shares.count))
    concurrently(shares.count) { rank in
        var mine = RankResult()
        let local = shares[rank].map { slice(data, $0) } ?? ArrayDataSource(values: [], labels: [], sampleShape: data.sampleShape)
        let parallel = DataParallel(reduce: reduce, total: data.count, offset: shares[rank]?.lowerBound ?? 0, workers: workers, chunk: chunk,
                                    coordinator: rank == 0)
        mine.result = Result {
            let model = try plainCNN(seed: 7)
            mine.model = model
            if rank == setUpFails {
                try Trainer.refuse(parallel)
                throw EngineError(.invalidArgument, "rank \(rank) refused")
            }
            return try Trainer.train(model, data: local, options: options, parallel: parallel,
                                     progress: { p in rank == 0 && stopAt?(p) == true ? .stop : .proceed })
        }
        out[rank] = mine
    }
    return out.all
}

@Suite("Data-parallel training")
struct DataParallelTests {
    let data = patternDataset(perClass: 8, seed: 2)   // 32 samples
    // 5 epochs × 4 mini-batches of 8 = 20 steps
    let options = TrainingOptions(epochs: 5, batchSize: 8, learningRate: 0.05, sgd: SGDOptions(momentum: 0.9, weightDecay: 0.0005), seed: 3)

    @Test("two workers with mini-batch 4 each equal one process with mini-batch 8 after 20 steps; every rank ends with the same weights")
    func equalsOneProcess() throws {
        let single = try plainCNN(seed: 7)
        let reference = try Trainer.train(single, data: data, options: options)
        // a coordinator without samples, and two workers holding unequal shares (13 and 19 samples)
        let ranks = try runRanks([nil, 0..<13, 13..<32], data: data, options: options, chunk: 4)
        for r in ranks { _ = try #require(r.result).get() }
        let w = ranks.map { $0.model!.parameters.array }
        #expect(w[0] == w[1] && w[1] == w[2], "the ranks' weights differ")
        let diff = zip(w[1], single.parameters.array).map { abs($0 - $1) }.max()!
        #expect(diff < 1e-4, "largest weight difference \(diff)")
        #expect(w[1] != (try plainCNN(seed: 7)).parameters.array, "training changed nothing")
        let history = try ranks[0].result!.get().history
        #expect(history.count == 5)
        for (a, b) in zip(history, reference.history) {
            #expect(abs(a.loss - b.loss) < 1e-4 && abs(a.error - b.error) < 1e-9 && a.learningRate == b.learningRate, "\(a) vs \(b)")
        }
    }

    @Test("a worker's share goes through the model in chunks: the same result with chunks of 1")
    func chunks() throws {
        let big = try runRanks([0..<32, nil], data: data, options: options, chunk: 8)
        let small = try runRanks([0..<32, nil], data: data, options: options, chunk: 1)
        let a = big[0].model!.parameters.array, b = small[0].model!.parameters.array
        let diff = zip(a, b).map { abs($0 - $1) }.max()!
        #expect(diff < 1e-4, "largest difference \(diff)")
        #expect(big[1].model!.parameters.array == a)
    }

    @Test("the coordinator's stop ends every rank after the same step")
    func stop() throws {
        let ranks = try runRanks([nil, 0..<16, 16..<32], data: data, options: options, chunk: 4,
                                 stopAt: { $0.epoch == 2 && $0.batch == 1 })
        for r in ranks {
            let result = try r.result!.get()
            #expect(result.stopped && result.history.count == 1)
        }
        #expect(ranks[1].model!.parameters.array == ranks[0].model!.parameters.array)
    }

    @Test("a rank that cannot start fails every rank at once, naming itself on its own rank")
    func refusal() throws {
        let ranks = try runRanks([nil, 0..<16, 16..<32], data: data, options: options, chunk: 4, setUpFails: 2)
        for (rank, r) in ranks.enumerated() {
            #expect(throws: EngineError.self) { try r.result!.get() }
            let text = "\(r.result!)"
            #expect(text.contains(rank == 2 ? "rank 2 refused" : "another rank"), "\(text)")
        }
    }

    @Test("a rank whose samples do not fit the model fails every rank instead of leaving them waiting")
    func wrongShape() throws {
        let reduce = ThreadAllReduce(parties: 2)
        let bad = ArrayDataSource(values: [Float](repeating: 0, count: 4 * 9), labels: [0, 1, 2, 3], sampleShape: [3, 3, 1])
        let errors = Slots(["", ""])
        concurrently(2) { rank in
            let parallel = DataParallel(reduce: reduce, total: 36, offset: rank == 0 ? 0 : 32, workers: 2, chunk: 4, coordinator: rank == 0)
            let text: String
            do {
                _ = try Trainer.train(try plainCNN(seed: 1), data: rank == 0 ? data : bad, options: options, parallel: parallel)
                text = "no error"
            } catch { text = "\(error)" }
            errors[rank] = text
        }
        #expect(errors[0].contains("another rank"), "\(errors[0])")
        #expect(errors[1].contains("shape"), "\(errors[1])")
    }
}
