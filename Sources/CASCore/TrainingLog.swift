import CheckedSize
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

/// A picture made from a trained model (`dlEvaluatePictures`' SVG, `dlHeatMap`'s PNG), kept with the run that trained it.
public struct TrainingPicture: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// An image with its class probabilities (`dlEvaluatePictures`): `image/svg+xml`.
        case evaluation
        /// An occlusion heat map (`dlHeatMap`): `image/png`.
        case heatMap
    }

    /// Unique in the server's training log: the picture's address (`/monitor/api/training/{run}/picture/{number}`).
    public var number = 0
    public var kind: Kind
    /// `evaluation: id 3: actual circle, predicted square`.
    public var caption: String
    public var bytes: [UInt8]
    public var time: Double

    public init(_ kind: Kind, caption: String, bytes: [UInt8], time: Double = ServerClock.now) {
        self.kind = kind
        self.caption = caption
        self.bytes = bytes
        self.time = time
    }

    /// The content type it is served as.
    public var contentType: String { kind == .evaluation ? "image/svg+xml; charset=utf-8" : "image/png" }
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
    /// The tables dlScore wrote with the model since (upper-cased, the last `TrainingLog.keptOutputs`): a
    /// `dlEvaluatePictures` of one of them is this run's.
    public var scoredTables: [String] = []
    /// The pictures made from the model, oldest first: at most `Limits.trainingPicturesPerRun`, and
    /// `Limits.trainingPictureBytes` with every other run's.
    public var pictures: [TrainingPicture] = []

    /// Epochs finished so far.
    public var epochsDone: Int { points.last.map { $0.epoch + 1 } ?? 0 }
}

/// The server's running and recent training runs with their per-epoch history, filled while they
/// train (`start`, `add` after each epoch, `finish`). Only the last `kept` runs are remembered, in memory,
/// each with at most `maxPoints` epochs (thinned by half whenever full, so a long run keeps its whole shape).
public final class TrainingLog: Sendable {
    public static let kept = 50
    public static let maxPoints = 2000
    /// dlScore output tables remembered per run (for `dlEvaluatePictures`).
    public static let keptOutputs = 16
    private struct State {
        var runs: [TrainingRecord] = []
        var lastId = 0
        var lastPicture = 0
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

    /// Attaches a dlScore's confusion matrix (when its rows had labels) and its output table (when it wrote one) to
    /// the newest run of `model` by `user` (none: nothing is recorded).
    public func scored(model: String, user: String, _ matrix: ConfusionMatrix?, output: String?) {
        guard matrix != nil || output != nil, let id = newest(user: user, where: { $0.model.uppercased() == model.uppercased() }) else { return }
        update(id) { r in
            if let matrix { r.confusion = matrix }
            if let output {
                r.scoredTables.removeAll { $0 == output.uppercased() }
                r.scoredTables.append(output.uppercased())
                if r.scoredTables.count > Self.keptOutputs { r.scoredTables.removeFirst(r.scoredTables.count - Self.keptOutputs) }
            }
        }
    }

    /// Keeps pictures made from a trained model with the newest run of `user` that trained `model` (dlHeatMap) or whose
    /// model wrote the scored table `scoredTable` (dlEvaluatePictures). Returns that run's id; nil when there is none
    /// (nothing is kept). Beyond `Limits.trainingPicturesPerRun` the run's oldest are dropped, beyond
    /// `Limits.trainingPictureBytes` the oldest of the user holding the most bytes; a picture larger than that alone is not kept.
    @discardableResult
    public func addPictures(_ pictures: [TrainingPicture], user: String, model: String? = nil, scoredTable: String? = nil) -> Int? {
        let fitting = pictures.filter { $0.bytes.count <= Limits.trainingPictureBytes }.suffix(Limits.trainingPicturesPerRun)
        guard !fitting.isEmpty, let id = newest(user: user, where: { r in
            model.map { r.model.uppercased() == $0.uppercased() } ?? scoredTable.map { r.scoredTables.contains($0.uppercased()) } ?? false
        }) else { return nil }
        let changed = state.withLock { s -> TrainingRecord? in
            guard let i = s.runs.firstIndex(where: { $0.id == id }) else { return nil }
            for var p in fitting {
                s.lastPicture += 1
                p.number = s.lastPicture
                s.runs[i].pictures.append(p)
            }
            let extra = s.runs[i].pictures.count - Limits.trainingPicturesPerRun
            if extra > 0 { s.runs[i].pictures.removeFirst(extra) }
            // the byte bound over every run: the oldest picture of the user who holds the most bytes goes first,
            // so one user's pictures never push out another's while that one holds less
            var total = s.runs.reduce(0) { $0 + $1.pictures.reduce(0) { $0 + $1.bytes.count } }
            while total > Limits.trainingPictureBytes {
                let runs = s.runs
                var held: [String: Int] = [:]
                for r in runs { held[r.user, default: 0] += r.pictures.reduce(0) { $0 + $1.bytes.count } }
                guard let biggest = held.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key })?.key,
                      let oldest = runs.indices.filter({ runs[$0].user == biggest }).flatMap({ r in runs[r].pictures.indices.map { (run: r, picture: $0) } })
                    .min(by: { runs[$0.run].pictures[$0.picture].number < runs[$1.run].pictures[$1.picture].number }) else { break }
                total -= s.runs[oldest.run].pictures.remove(at: oldest.picture).bytes.count
            }
            return s.runs[i]
        }
        if let r = changed { announce(r) }
        return id
    }

    /// The newest run of `user` that `matches`.
    private func newest(user: String, where matches: (TrainingRecord) -> Bool) -> Int? {
        state.withLock { s in s.runs.last { $0.user == user && matches($0) }?.id }
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
