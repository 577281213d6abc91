import CASWire

/// All live sessions, keyed by UUID. Reaps sessions whose idle timeout has passed.
public actor SessionManager {
    private var sessions: [String: Session] = [:]
    public let defaultTimeout: Double
    let alwaysLoaded: Set<String>

    let budget: MemoryBudget?
    /// Told of sessions created, connected, detached and ended, and of their tables (the web monitor's live pages).
    let events: ServerEvents?

    public init(defaultTimeout: Double = 3600, alwaysLoaded: Set<String>, budget: MemoryBudget? = nil, events: ServerEvents? = nil) {
        self.defaultTimeout = defaultTimeout
        self.alwaysLoaded = alwaysLoaded
        self.budget = budget
        self.events = events
    }

    public func create(user: String, isAdmin: Bool = false) -> Session {
        let s = Session(user: user, isAdmin: isAdmin, timeout: defaultTimeout, alwaysLoaded: alwaysLoaded, budget: budget, events: events)
        sessions[s.id] = s
        s.announce(.session(.created))
        return s
    }

    public func session(_ id: String) -> Session? { sessions[id.lowercased()] }

    public func remove(_ id: String) async {
        if let s = sessions.removeValue(forKey: id.lowercased()) { await s.end() }
    }

    public func all() -> [Session] { Array(sessions.values) }

    /// Ends sessions whose timeout has passed; returns their ids.
    @discardableResult public func reap(now: Double = ServerClock.now) async -> [String] {
        var gone: [String] = []
        for (id, s) in sessions where await s.isExpired(now: now) {
            gone.append(id)
        }
        for id in gone { await remove(id) }
        return gone
    }

    public var count: Int { sessions.count }
}
