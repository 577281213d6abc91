import CASWire
import Synchronization

/// Something the web monitor streams live (Server-Sent Events): the progress and log frames a call sends its
/// client, a call starting and ending, a training run's epoch, a session connecting or ending, a table added or
/// dropped. Each names its session and the session's owner, so a subscriber shows it only to whom
/// `AccessControl.mayManageSession` allows; a global table's event names no session, and a subscriber names the table
/// only to whom `ServerContext.mayReadInfo(globalTable:)` allows.
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
        /// The session was created, a connection attached or left, or it ended.
        case session(SessionChange)
        /// A table was added, dropped or promoted: a session table (of the event's session) or a global one.
        case table(TableChange)
    }

    /// What became of a session.
    public enum SessionChange: String, Sendable {
        case created, connected, detached, ended
    }

    /// A table added, dropped or promoted (made global).
    public struct TableChange: Sendable {
        public enum Kind: String, Sendable {
            case added, dropped, promoted
        }

        public var kind: Kind
        public var caslib: String
        public var name: String
        /// A global table (visible by its access controls), not a session table.
        public var global: Bool

        public init(_ kind: Kind, caslib: String, name: String, global: Bool) {
            self.kind = kind
            self.caslib = caslib
            self.name = name
            self.global = global
        }
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

    /// The SSE event name: `progress`, `log`, `call`, `training`, `session` or `table`.
    public var name: String {
        switch kind {
        case .progress: "progress"
        case .log: "log"
        case .started, .ended: "call"
        case .training: "training"
        case .session: "session"
        case .table: "table"
        }
    }

    /// The global table the event is about (its visibility is the table's, not a session's); nil for every other event.
    public var globalTable: TableChange? {
        if case .table(let t) = kind, t.global { return t }
        return nil
    }

    /// About how many bytes the event holds while it waits for a slow reader (its strings and a fixed overhead).
    public var bytes: Int {
        let text: Int = switch kind {
        case .progress(let p): p.unit.utf8.count + p.message.utf8.count
        case .log(let l): l.message.utf8.count
        case .table(let t): t.caslib.utf8.count + t.name.utf8.count
        case .started, .ended, .training, .session: 0
        }
        return 256 + text + session.utf8.count + owner.utf8.count + action.utf8.count
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
