import Synchronization

/// Counters the server keeps for `/metrics` (docs/operations.md "Metrics"): finished action calls by
/// action and severity, and their latency as a histogram. Recorded by the `Dispatcher` once per call;
/// cheap (one lock, a dictionary update). Action names are the registry's full names (an action that
/// did not resolve counts as `(unresolved)`), so a client cannot add series with made-up names.
public final class ServerMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram's buckets; `+Inf` is implied.
    public static let buckets: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600]

    /// One action's latency histogram: counts per bucket (not cumulative), sum and count.
    public struct Histogram: Sendable, Equatable {
        public var counts = [Int](repeating: 0, count: ServerMetrics.buckets.count + 1)
        public var sum = 0.0
        public var count = 0
    }

    /// What `/metrics` renders.
    public struct Snapshot: Sendable {
        /// Calls by (action, severity).
        public var calls: [ActionSeverity: Int] = [:]
        public var latency: [String: Histogram] = [:]
        /// deepLearn.dlTrain: images trained (epochs × training images), seconds spent, rate of the last run.
        public var trainedImages = 0
        public var trainingSeconds = 0.0
        public var lastTrainingRate: Double?
        /// Successful web monitor logins.
        public var monitorLogins = 0
    }

    public struct ActionSeverity: Hashable, Sendable {
        public var action: String
        public var severity: String
        public init(action: String, severity: String) {
            self.action = action
            self.severity = severity
        }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    /// Records one finished call.
    public func record(action: String, severity: String, seconds: Double) {
        let bucket = Self.buckets.firstIndex { seconds <= $0 } ?? Self.buckets.count
        state.withLock { s in
            s.calls[ActionSeverity(action: action, severity: severity), default: 0] += 1
            var h = s.latency[action] ?? Histogram()
            h.counts[bucket] += 1
            h.sum += seconds
            h.count += 1
            s.latency[action] = h
        }
    }

    /// Records one training run (deepLearn.dlTrain): `images` = training images × epochs, in `seconds`.
    /// A run stopped early counts as if complete (an upper bound on its images).
    public func recordTraining(images: Int, seconds: Double) {
        guard images > 0, seconds > 0 else { return }
        state.withLock { s in
            s.trainedImages += images
            s.trainingSeconds += seconds
            s.lastTrainingRate = Double(images) / seconds
        }
    }

    /// Counts one successful web monitor login.
    public func recordMonitorLogin() { state.withLock { $0.monitorLogins += 1 } }

    public func snapshot() -> Snapshot { state.withLock { $0 } }
}
