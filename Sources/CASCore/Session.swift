import CASWire
import Foundation

/// One CAS session: its tables, options and loaded action sets. Runs one action at a time
/// (CAS semantics); callers queue in FIFO order through `acquire`/`release`.
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
    public private(set) var history: [String] = []

    private var tables: [TableKey: CASTable] = [:]
    private var caslibs: [String: Caslib] = [:]
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var running: [Int64: ActionContext] = [:]

    /// Where this session's tables are charged (nil: not counted, e.g. in unit tests).
    public nonisolated let budget: MemoryBudget?
    /// Bytes charged for each session table.
    private var charged: [TableKey: Int] = [:]

    public init(user: String, isAdmin: Bool = false, timeout: Double = 3600, alwaysLoaded: Set<String>, budget: MemoryBudget? = nil) {
        self.budget = budget
        self.id = UUID().uuidString.lowercased()
        self.user = user
        self.isAdmin = isAdmin
        self.created = Clock.now
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

    public func acquire() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func release() {
        lastActivity = Clock.now
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    public var isBusy: Bool { busy }

    func started(_ id: Int64, _ ctx: ActionContext, action: String) {
        running[id] = ctx
        lastActivity = Clock.now
        history.append(action)
    }
    func finished(_ id: Int64) { running[id] = nil; lastActivity = Clock.now }

    /// Cancels a running (or queued) call; true if it was found.
    public func cancel(_ requestId: Int64) -> Bool {
        guard let ctx = running[requestId] else { return false }
        ctx.cancel()
        return true
    }

    /// Cancels every running call (session end).
    func cancelAll() { for c in running.values { c.cancel() } }

    // MARK: connections and lifetime

    public func attach() { connections += 1; lastActivity = Clock.now }
    public func detach() { connections = max(0, connections - 1); lastActivity = Clock.now }
    public func touch() { lastActivity = Clock.now }
    public func end() {
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

    // MARK: caslibs (session scope)

    public func caslib(_ name: String) -> Caslib? { caslibs[name.uppercased()] }
    public func addCaslib(_ c: Caslib) { caslibs[c.name.uppercased()] = c }
    @discardableResult public func dropCaslib(_ name: String) -> Caslib? { caslibs.removeValue(forKey: name.uppercased()) }
    public var sessionCaslibs: [Caslib] { caslibs.values.sorted { $0.name < $1.name } }

    // MARK: tables (session scope)

    public func table(_ key: TableKey) -> CASTable? { tables[key] }

    /// Adds or replaces a session table, charging its memory (the growth, when it replaces one) to the
    /// session's budget first; refused when the budget would be passed.
    public func put(_ table: CASTable) throws(ActionError) {
        guard !ended else { throw ActionError(.notFound, "Session \(id) has ended.") }
        let key = TableKey(caslib: table.caslib, name: table.name)
        let bytes = table.data.estimatedBytes
        let old = charged[key] ?? 0
        if bytes > old { try budget?.charge(bytes - old, session: id, for: "Table \(table.name)") } else { budget?.release(old - bytes, session: id) }
        charged[key] = bytes
        tables[key] = table
    }

    @discardableResult public func drop(_ key: TableKey) -> CASTable? {
        budget?.release(charged.removeValue(forKey: key) ?? 0, session: id)
        return tables.removeValue(forKey: key)
    }

    /// Bytes of memory charged for this session's tables.
    public var tableBytes: Int { charged.values.reduce(0, +) }

    public func tables(in caslib: String) -> [CASTable] {
        tables.values.filter { $0.caslib.uppercased() == caslib.uppercased() }.sorted { $0.name < $1.name }
    }

    public var tableCount: Int { tables.count }
}
