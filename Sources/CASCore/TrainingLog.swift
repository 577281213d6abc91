import Synchronization

/// One epoch of a training run, as `OptIterHistory` reports it.
public struct TrainingPoint: Sendable, Equatable {
    /// 0-based, as in CAS's `OptIterHistory`.
    public var epoch: Int
    public var learningRate: Double
    public var loss: Double
    public var fitError: Double
    public var validLoss: Double?
    public var validError: Double?

    public init(epoch: Int, learningRate: Double, loss: Double, fitError: Double, validLoss: Double? = nil, validError: Double? = nil) {
        self.epoch = epoch
        self.learningRate = learningRate
        self.loss = loss
        self.fitError = fitError
        self.validLoss = validLoss
        self.validError = validError
    }
}

/// One mini-batch of a training run (recorded when dlTrain's `logLevel` is 3, which logs every batch).
public struct BatchPoint: Sendable, Equatable {
    /// 0-based epoch, 1-based batch within it, of `batches` per epoch.
    public var epoch: Int, batch: Int, batches: Int
    public var loss: Double
    public var learningRate: Double

    public init(epoch: Int, batch: Int, batches: Int, loss: Double, learningRate: Double) {
        self.epoch = epoch
        self.batch = batch
        self.batches = batches
        self.loss = loss
        self.learningRate = learningRate
    }

    /// Where the batch ends, in epochs (`epoch + batch / batches`): the x of the batch chart.
    public var position: Double { Double(epoch) + Double(batch) / Double(max(batches, 1)) }
}

/// The confusion matrix of a dlScore of the run's model: counts[actual][predicted] over `levels`.
public struct ConfusionMatrix: Sendable, Equatable {
    public var levels: [String]
    public var counts: [[Int]]
    /// The scored table, and when it was scored.
    public var table: String
    public var time: Double

    public init(levels: [String], counts: [[Int]], table: String, time: Double = ServerClock.now) {
        self.levels = levels
        self.counts = counts
        self.table = table
        self.time = time
    }
}

/// A training run (`deepLearn.dlTrain`) and its history so far, for the web monitor's Training page.
public struct TrainingRecord: Sendable {
    /// What became of a run.
    public enum State: String, Sendable {
        case running, finished, stopped, failed
    }

    public var id: Int
    public var session: String
    public var user: String
    public var model: String
    public var epochs: Int
    public var started: Double
    public var state: State
    /// At most `TrainingLog.maxPoints`: a long run keeps every second, fourth, … epoch (always the last).
    public var points: [TrainingPoint]
    /// Per-batch losses when the run logs every batch (`logLevel=3`); at most `TrainingLog.maxPoints`, thinned as `points`.
    public var batches: [BatchPoint] = []
    /// The last dlScore of the model by the run's user after it trained, when the scored rows had labels.
    public var confusion: ConfusionMatrix?

    /// Epochs finished so far.
    public var epochsDone: Int { points.last.map { $0.epoch + 1 } ?? 0 }
}

/// The server's running and recent training runs with their per-epoch history, filled while they
/// train (`start`, `add` after each epoch, `finish`). Only the last `kept` runs are remembered, in memory,
/// each with at most `maxPoints` epochs (thinned by half whenever full, so a long run keeps its whole shape).
public final class TrainingLog: Sendable {
    public static let kept = 50
    public static let maxPoints = 2000
    private struct State {
        var runs: [TrainingRecord] = []
        var lastId = 0
    }
    private let state = Mutex(State())
    /// Told of every start, epoch and end (the monitor's live Training page).
    let events: ServerEvents?

    public init(events: ServerEvents? = nil) { self.events = events }

    /// Records a run that starts now; returns its id.
    public func start(session: String, user: String, model: String, epochs: Int) -> Int {
        let r = state.withLock { s in
            s.lastId += 1
            s.runs.append(TrainingRecord(id: s.lastId, session: session, user: user, model: model, epochs: epochs, started: ServerClock.now,
                                         state: .running, points: []))
            if s.runs.count > Self.kept { s.runs.removeFirst(s.runs.count - Self.kept) }
            return s.runs[s.runs.count - 1]
        }
        announce(r)
        return r.id
    }

    /// Adds a finished epoch to run `id`.
    public func add(_ id: Int, _ point: TrainingPoint) {
        update(id) { r in
            if r.points.count >= Self.maxPoints { r.points = r.points.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) }
            r.points.append(point)
        }
    }

    /// Adds a finished mini-batch to run `id`.
    public func addBatch(_ id: Int, _ point: BatchPoint) {
        update(id) { r in
            if r.batches.count >= Self.maxPoints { r.batches = r.batches.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) }
            r.batches.append(point)
        }
    }

    /// Attaches a dlScore's confusion matrix to the newest run of `model` by `user` (none: nothing is recorded).
    public func scored(model: String, user: String, _ matrix: ConfusionMatrix) {
        let id = state.withLock { s in s.runs.last { $0.model.uppercased() == model.uppercased() && $0.user == user }?.id }
        if let id { update(id) { $0.confusion = matrix } }
    }

    /// Marks run `id` ended.
    public func finish(_ id: Int, _ state: TrainingRecord.State) { update(id) { $0.state = state } }

    /// Every remembered run, oldest first.
    public func all() -> [TrainingRecord] { state.withLock { $0.runs } }

    private func update(_ id: Int, _ change: (inout TrainingRecord) -> Void) {
        let changed: TrainingRecord? = state.withLock { s in
            guard let i = s.runs.firstIndex(where: { $0.id == id }) else { return nil }
            change(&s.runs[i])
            return s.runs[i]
        }
        if let r = changed { announce(r) }
    }

    private func announce(_ r: TrainingRecord) {
        events?.publish(ServerEvent(.training(id: r.id), session: r.session, owner: r.user, action: "deepLearn.dlTrain"))
    }
}
