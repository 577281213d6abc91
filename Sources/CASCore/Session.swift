import CASWire
import Foundation
import Synchronization

/// One CAS session: its tables, options and loaded action sets. Runs one action at a time
/// (CAS semantics); calls queue in FIFO order through `enqueue`/`finish` (the dispatcher's job).
public actor Session {
    public nonisolated let id: String
    public nonisolated let user: String
    public nonisolated let isAdmin: Bool
    public nonisolated let created: Double
    public private(set) var name: String
    public private(set) var lastActivity: Double
    /// Idle timeout in seconds: the session ends this long after its last connection left and no action ran.
    public private(set) var timeout: Double
    public private(set) var activeCaslib: String
    public private(set) var logLevel: String = "note"
    public private(set) var metrics: Bool = false
    public private(set) var loadedSets: Set<String>
    public private(set) var connections = 0
    public private(set) var ended = false

    private var tables: [TableKey: CASTable] = [:]
    private var caslibs: [String: Caslib] = [:]
    private var busy = false
    private var waiters: [(call: CallID, turn: CheckedContinuation<Bool, Never>)] = []
    private var running: [CallID: ActionContext] = [:]

    /// The last lines its actions logged (the web monitor's Log page).
    public nonisolated let log = SessionLog()
    /// Where this session's tables are charged (nil: not counted, e.g. in unit tests).
    public nonisolated let budget: MemoryBudget?
    /// Bytes charged for each session table.
    private var charged: [TableKey: Int] = [:]
    /// Told of its connections, its end and its tables (the web monitor's live pages); nil: nobody (unit tests).
    public nonisolated let events: ServerEvents?

    public init(user: String, isAdmin: Bool = false, timeout: Double = 3600, alwaysLoaded: Set<String>, budget: MemoryBudget? = nil,
                events: ServerEvents? = nil) {
        self.budget = budget
        self.events = events
        self.id = UUID().uuidString.lowercased()
        self.user = user
        self.isAdmin = isAdmin
        self.created = ServerClock.now
        self.lastActivity = created
        self.timeout = timeout
        self.activeCaslib = CaslibCatalog.personalName(user)
        self.loadedSets = alwaysLoaded
        self.name = "Session:\(Self.stamp(created))"
    }

    /// `2026-11-30T11:41:07Z`.
    public static func isoStamp(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    static func stamp(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "EEE MMM d HH:mm:ss yyyy"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    // MARK: one action at a time

    /// Registers a call (from then on `end` reaches it) and waits for its turn: calls run one at a
    /// time, in the order they arrived (FIFO). False when the call was cancelled before its turn came
    /// (`withdraw`); it is then unregistered and must not run.
    func enqueue(_ call: CallID, _ ctx: ActionContext) async -> Bool {
        guard !ctx.isCancelled else { return false }
        running[call] = ctx
        lastActivity = ServerClock.now
        if !busy { busy = true; return true }
        let turn = await withCheckedContinuation { waiters.append((call, $0)) }
        if !turn { running[call] = nil }
        return turn
    }

    /// Takes a cancelled call out of the queue at once (it does not wait for its turn to abort).
    /// A call that is already running is left alone: it stops at its next check point.
    func withdraw(_ call: CallID) {
        guard let i = waiters.firstIndex(where: { $0.call == call }) else { return }
        waiters.remove(at: i).turn.resume(returning: false)
    }

    /// Unregisters a call that `enqueue` let run and hands the session to the next waiting call.
    func finish(_ call: CallID) {
        running[call] = nil
        lastActivity = ServerClock.now
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().turn.resume(returning: true) }
    }

    public var isBusy: Bool { busy }

    /// Every registered call with its context, and whether it is running (not waiting for its turn).
    func registeredCalls() -> [(call: CallID, ctx: ActionContext, running: Bool)] {
        let waiting = Set(waiters.map(\.call))
        return running.map { ($0.key, $0.value, !waiting.contains($0.key)) }
    }

    /// Cancels every running call and withdraws every queued one (session end).
    func cancelAll() {
        for c in running.values { c.cancel() }
        for w in waiters { w.turn.resume(returning: false) }
        waiters.removeAll()
    }

    // MARK: connections and lifetime

    public func attach() {
        connections += 1
        lastActivity = ServerClock.now
        announce(.session(.connected))
    }

    public func detach() {
        connections = max(0, connections - 1)
        lastActivity = ServerClock.now
        announce(.session(.detached))
    }

    public func touch() { lastActivity = ServerClock.now }
    public func end() {
        if !ended { announce(.session(.ended)) }
        ended = true
        cancelAll()
        tables.removeAll()
        budget?.release(charged.values.reduce(0, +), session: id)
        charged.removeAll()
    }

    /// Whether the idle timeout has passed with no connection and no running action.
    public func isExpired(now: Double) -> Bool {
        ended || (connections == 0 && !busy && now - lastActivity > timeout)
    }

    public var state: String { ended ? "Ended" : (connections > 0 ? "Connected" : "Disconnected") }

    // MARK: options

    public func setName(_ n: String) { name = n }
    public func setTimeout(_ t: Double) { timeout = t }
    public func setActiveCaslib(_ c: String) { activeCaslib = c }
    public func setLogLevel(_ l: String) { logLevel = l }
    public func setMetrics(_ m: Bool) { metrics = m }
    /// `sessionProp.setSessOpt cmplib=`: the table(s) holding compiled FCMP functions ("caslib.table").
    public private(set) var cmplib: [String] = []
    public func setCmplib(_ tables: [String]) { cmplib = tables }
    public func load(set: String) { loadedSets.insert(set.lowercased()) }
    public func unload(set: String) { loadedSets.remove(set.lowercased()) }

    // MARK: history (`builtins.history`)

    /// The actions this session ran, oldest first; at most `HistoryEntry.kept` (the oldest are dropped).
    public private(set) var history: [HistoryEntry] = []
    private var historyCount = 0

    /// Records a finished call.
    public func record(action: String, parameters: String, severity: Severity, elapsed: Double) {
        historyCount += 1
        history.append(HistoryEntry(number: historyCount, action: action, parameters: parameters, severity: severity, elapsed: elapsed))
        if history.count > HistoryEntry.kept { history.removeFirst(history.count - HistoryEntry.kept) }
    }

    // MARK: caslibs (session scope)

    public func caslib(_ name: String) -> Caslib? { caslibs[name.uppercased()] }
    public func addCaslib(_ c: Caslib) { caslibs[c.name.uppercased()] = c }
    @discardableResult public func dropCaslib(_ name: String) -> Caslib? { caslibs.removeValue(forKey: name.uppercased()) }
    public var sessionCaslibs: [Caslib] { caslibs.values.sorted { $0.name < $1.name } }

    // MARK: tables (session scope)

    public func table(_ key: TableKey) -> CASTable? { tables[key] }

    /// Adds or replaces a session table, charging its memory (the growth, when it replaces one) to the
    /// session's budget first; refused when the budget would be passed.
    /// Stores `table`. With `ifModified`, only if the table it replaces is still the one the caller read (its
    /// `modified` time), checked and stored in one step of this actor: a replace landing in between wins.
    public func put(_ table: CASTable, ifModified expected: Double? = nil) throws(ActionError) {
        guard !ended else { throw ActionError(.notFound, "Session \(id) has ended.") }
        let key = TableKey(caslib: table.caslib, name: table.name)
        if let expected, tables[key]?.modified != expected {
            throw ActionError(.alreadyExists, "Table \(table.name) in caslib \(table.caslib) changed since it was read; not overwritten.")
        }
        var table = table
        if let old = tables[key], table.modified <= old.modified { table.modified = old.modified.nextUp }   // every replace is seen
        let bytes = table.chargedBytes
        let old = charged[key] ?? 0
        if bytes > old { try budget?.charge(bytes - old, session: id, for: "Table \(table.name)") } else { budget?.release(old - bytes, session: id) }
        charged[key] = bytes
        tables[key] = table
        announce(.table(.init(.added, caslib: table.caslib, name: table.name, global: false)))
    }

    @discardableResult public func drop(_ key: TableKey) -> CASTable? {
        budget?.release(charged.removeValue(forKey: key) ?? 0, session: id)
        guard let t = tables.removeValue(forKey: key) else { return nil }
        announce(.table(.init(.dropped, caslib: t.caslib, name: t.name, global: false)))
        return t
    }

    /// Tells the monitor's event streams about this session (shown to whom may manage it).
    nonisolated func announce(_ kind: ServerEvent.Kind) {
        events?.publish(ServerEvent(kind, session: id, owner: user, action: ""))
    }

    /// Bytes of memory charged for this session's tables.
    public var tableBytes: Int { charged.values.reduce(0, +) }

    public func tables(in caslib: String) -> [CASTable] {
        tables.values.filter { $0.caslib.uppercased() == caslib.uppercased() }.sorted { $0.name < $1.name }
    }

    public var tableCount: Int { tables.count }

    /// Every session table, by caslib and name.
    public var allTables: [CASTable] { tables.values.sorted { ($0.caslib, $0.name) < ($1.caslib, $1.name) } }
}

/// A connection to the server, as the calls it makes know it: request ids are chosen by clients
/// (every connection starts at 1), so a call is named by its connection and its request id.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    /// A number unique in this process.
    public let value: UInt64
    private static let counter = Atomic<UInt64>(0)

    /// A new id, never handed out before in this process.
    public static func next() -> ConnectionID { ConnectionID(value: counter.wrappingAdd(1, ordering: .relaxed).newValue) }

    public var description: String { "c\(value)" }
}

/// One call: the connection it came over and the client's request id on that connection.
public struct CallID: Hashable, Sendable, CustomStringConvertible {
    /// The connection the call came over.
    public let connection: ConnectionID
    /// The client's id of the call on that connection.
    public let request: Int64

    public init(connection: ConnectionID, request: Int64) {
        self.connection = connection
        self.request = request
    }

    public var description: String { "\(connection)/\(request)" }
}
