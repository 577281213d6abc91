import CASWire
import Synchronization

/// Something the web monitor streams live (Server-Sent Events): the progress and log frames a call sends its
/// client, a call starting and ending, a training run's epoch. Each names its session and the session's owner, so a
/// subscriber shows it only to whom `AccessControl.mayManageSession` allows.
public struct ServerEvent: Sendable {
    public enum Kind: Sendable {
        /// A progress frame, as the protocol streams it.
        case progress(Progress)
        /// A log line, whatever the session's `logLevel` streams to its client (the Log page filters by level).
        case log(LogLine)
        /// A call was made (it may wait for its turn).
        case started
        /// A call ended, with its disposition's severity.
        case ended(Severity)
        /// Training run `id` finished an epoch or changed state (`TrainingLog`).
        case training(id: Int)
    }

    public var kind: Kind
    public var session: String
    /// The session's user.
    public var owner: String
    /// The action (`table.fetch`); empty for training events.
    public var action: String
    public var time: Double

    public init(_ kind: Kind, session: String, owner: String, action: String, time: Double = ServerClock.now) {
        self.kind = kind
        self.session = session
        self.owner = owner
        self.action = action
        self.time = time
    }

    /// The SSE event name: `progress`, `log`, `call` or `training`.
    public var name: String {
        switch kind {
        case .progress: "progress"
        case .log: "log"
        case .started, .ended: "call"
        case .training: "training"
        }
    }
}

/// The fan-out of `ServerEvent`s to the monitor's live connections. Publishing is a lock and a loop over the
/// subscribers (nothing when there are none); each subscriber's sink must not block (it yields into a bounded buffer).
public final class ServerEvents: Sendable {
    public typealias Sink = @Sendable (ServerEvent) -> Void

    private struct Subscriber {
        var sink: Sink
        var finish: @Sendable () -> Void
    }

    private let subscribers = Mutex<(next: Int, all: [Int: Subscriber])>((0, [:]))

    public init() {}

    /// Adds a subscriber; `finish` is called when the server stops. Returns its id for `unsubscribe`.
    public func subscribe(_ sink: @escaping Sink, finish: @escaping @Sendable () -> Void) -> Int {
        subscribers.withLock { s in
            s.next += 1
            s.all[s.next] = Subscriber(sink: sink, finish: finish)
            return s.next
        }
    }

    public func unsubscribe(_ id: Int) { _ = subscribers.withLock { $0.all.removeValue(forKey: id) } }

    /// How many subscribers there are (tests, `/metrics`).
    public var count: Int { subscribers.withLock { $0.all.count } }

    public func publish(_ event: ServerEvent) {
        let sinks = subscribers.withLock { $0.all.isEmpty ? [] : $0.all.values.map(\.sink) }
        for sink in sinks { sink(event) }
    }

    /// Ends every subscription (the server is stopping).
    public func finishAll() {
        let all = subscribers.withLock { s in
            defer { s.all = [:] }
            return Array(s.all.values)
        }
        for s in all { s.finish() }
    }
}
