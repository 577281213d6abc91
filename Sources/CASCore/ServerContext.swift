import CASStorage
import CASWire
import Foundation
import Logging
import Synchronization

/// What every action can reach of the server: the registry, sessions, caslibs and global tables.
public final class ServerContext: Sendable {
    public let registry: Registry
    public let sessions: SessionManager
    public let caslibs: CaslibCatalog
    public let globals: GlobalCatalog
    public let logger: Logger
    public let startTime: Double
    /// The version this build reports (`builtins.about`, the JSON-lines welcome, `caslite serve`).
    public static let version = "0.1.0"
    /// Users given the admin role on the command line (`serve --admin`), besides those stored as admins.
    public let admins: Set<String>
    /// Action sets defined at run time (`builtins.defineActionSet`).
    public let userSets = UserActionSets()
    /// The server's database (`<data>/server.sqlite`): users, access controls, global caslibs, promoted tables.
    public let store: ServerStore
    public let access: AccessControl
    /// Global caslibs added with `table.addCaslib session=False`.
    public let globalCaslibs: GlobalCaslibs
    /// Memory charged by tables and running actions, per session and in total.
    public let memory: MemoryBudget
    /// Whether every session's user must be a stored user (password logins): a user removed with
    /// `caslite users remove` while logged in loses their sessions at their next call (`Dispatcher`).
    public let storedUsersOnly: Bool
    /// Finished calls by action and severity, and their latency (`/metrics`).
    public let metrics = ServerMetrics()
    /// Running and recent `dlTrain` runs with their per-epoch history (the web monitor's Training page).
    public let trainings: TrainingLog
    /// Progress, log, call and training events for the web monitor's live pages (`/monitor/api/events`).
    public let events: ServerEvents
    /// The level of the one log line each finished call writes (`caslite serve --log-format json` raises it to info).
    public let callLogLevel: Logger.Level
    /// The machines of the server (the Server page's and serverStatus's nodes): this one, or the MPI cluster's.
    public let nodes: ServerNodes
    /// The workers of an MPI scale-out server; nil: this process holds every table.
    public let cluster: (any TableCluster)?
    /// The REST (swat) front end's address once it is bound, for `builtins.httpAddress`; nil without one.
    public let httpEndpoint = Mutex<HTTPEndpoint?>(nil)

    /// Opens (creating) the data folder and its server database, and restores global caslibs and promoted tables.
    /// The data folder is made private to the server account (0700); files created from now on are private too.
    public init(registry: Registry, dataRoot: String, defaultTimeout: Double = 3600, admins: Set<String> = [],
                memory: MemoryBudget? = nil, storedUsersOnly: Bool = false, logger: Logger = Logger(label: "caslite"),
                callLogLevel: Logger.Level = .debug, cluster: (any TableCluster)? = nil) async throws {
        self.storedUsersOnly = storedUsersOnly
        self.cluster = cluster
        self.nodes = cluster.map { c in ServerNodes(source: { c.nodes() }) } ?? ServerNodes()
        self.callLogLevel = callLogLevel
        let events = ServerEvents()
        self.events = events
        self.trainings = TrainingLog(events: events)
        PrivateFiles.restrictNewFiles()
        try CaslibCatalog.prepareDataFolder(dataRoot)
        let root = RealPath.resolve(dataRoot)
        let dbPath = "\(root)/server.sqlite"
        self.store = try ServerStore(path: dbPath)
        let publicId = try await store.ensureObjectId(caslib: "Public")
        self.registry = registry
        self.memory = memory ?? MemoryBudget(serverLimit: MemoryBudget.defaults.server, sessionLimit: MemoryBudget.defaults.session)
        self.sessions = SessionManager(defaultTimeout: defaultTimeout, alwaysLoaded: registry.alwaysLoaded, budget: self.memory, events: events)
        self.caslibs = CaslibCatalog(dataRoot: root, publicId: publicId)
        self.access = AccessControl(store: store)
        self.globals = GlobalCatalog(databasePath: dbPath, store: store, budget: self.memory, events: events)
        self.globalCaslibs = GlobalCaslibs(store: store)
        self.logger = logger
        self.startTime = ServerClock.now
        self.admins = admins
        try await globals.load(from: store)
        for name in try await globalCaslibs.load(catalog: caslibs) {
            logger.warning("global caslib \(name) was not restored: its folder breaks the caslib rules (docs/security.md); drop it and add it again")
        }
        let migrated = try await store.migrateLegacyACLs { old in (Permission.named(old) ?? []).map(\.rawValue) }
        if migrated > 0 { logger.notice("converted \(migrated) access-control entries to CAS permissions") }
    }
}

extension ServerContext {
    /// The registry as it stands now: compiled sets followed by user-defined ones.
    public func currentRegistry() async -> Registry {
        let user = await userSets.all()
        return user.isEmpty ? registry : Registry(checked: registry.sets + user)
    }

    /// Compiled sets followed by user-defined ones.
    public func allSets() async -> [ActionSet] { registry.sets + (await userSets.all()) }

    /// A compiled or user-defined set by name (case-insensitive).
    public func actionSet(_ name: String) async -> ActionSet? {
        if let s = registry.set(name) { return s }
        return await userSets.set(name)
    }

    /// Resolves `set.action` or a bare name among compiled and user-defined sets.
    public func resolve(_ name: String, loaded: Set<String>) async throws(ActionError) -> ActionEntry {
        if let e = try? registry.resolve(name, loaded: loaded) { return e }
        return try Registry.resolve(name, in: await allSets(), loaded: loaded)
    }
}

/// Action sets defined while the server runs. Their names may not shadow compiled sets.
/// Each has an owner: the user who defined it. Sets read from an operator's `--actionsets`
/// folder belong to no user (only administrators may replace or drop them); a set stored by an
/// older version without an owner record is unowned (anyone may replace it and so becomes its owner).
public actor UserActionSets {
    private var sets: [String: ActionSet] = [:]
    private var owners: [String: String] = [:]
    private var operatorSets: Set<String> = []
    private var order: [String] = []

    public init() {}

    /// Adds or replaces a user-defined set after checking its declarations like the registry does.
    public func define(_ set: ActionSet, compiled: Registry, owner: String? = nil, fromOperatorFolder: Bool = false) throws(ActionError) {
        guard compiled.set(set.name) == nil else {
            throw ActionError(.alreadyExists, "'\(set.name)' is a built-in action set; choose another name.", parameter: "name")
        }
        do { _ = try Registry([set]) } catch { throw ActionError(.parameterValue, error.message, parameter: "actions") }
        let key = set.name.lowercased()
        if sets[key] == nil { order.append(key) }
        sets[key] = set
        owners[key] = owner
        if fromOperatorFolder { operatorSets.insert(key) } else { operatorSets.remove(key) }
    }

    /// Adds or replaces a set on behalf of `user`: replacing needs its owner or an administrator, and
    /// keeps the owner (an administrator fixing someone's set does not take it over). Returns the owner.
    public func define(_ set: ActionSet, compiled: Registry, by user: String, isAdmin: Bool) throws(ActionError) -> String? {
        try checkMayChange(set.name, user: user, isAdmin: isAdmin, doing: "replace")
        let key = set.name.lowercased()
        let owner = sets[key] != nil && (owners[key] != nil || operatorSets.contains(key)) ? owners[key] : user
        try define(set, compiled: compiled, owner: owner, fromOperatorFolder: operatorSets.contains(key))
        return owner
    }

    /// Who defined the set (nil: an operator's file, an unowned set, or no such set).
    public func owner(_ name: String) -> String? { owners[name.lowercased()] }

    /// Whether the set was read from an operator's `--actionsets` folder.
    public func isFromOperatorFolder(_ name: String) -> Bool { operatorSets.contains(name.lowercased()) }

    /// Refuses (accessDenied) when `user` may not replace or drop the existing set `name`: only its
    /// owner and administrators may (operator-folder sets: administrators only; unowned sets: anyone).
    /// A set that does not exist yet may be defined by anyone.
    public func checkMayChange(_ name: String, user: String, isAdmin: Bool, doing: String) throws(ActionError) {
        let key = name.lowercased()
        guard let existing = sets[key], !isAdmin else { return }
        if operatorSets.contains(key) {
            throw ActionError(.accessDenied, "Action set '\(existing.name)' was loaded from the server's action-set folder; only an administrator can \(doing) it.",
                              parameter: "name")
        }
        guard let owner = owners[key], owner != user else { return }
        throw ActionError(.accessDenied, "Action set '\(existing.name)' was defined by \(owner); only \(owner) or an administrator can \(doing) it.",
                          parameter: "name")
    }

    public func set(_ name: String) -> ActionSet? { sets[name.lowercased()] }
    public func all() -> [ActionSet] { order.compactMap { sets[$0] } }
    @discardableResult public func remove(_ name: String) -> ActionSet? {
        order.removeAll { $0 == name.lowercased() }
        owners.removeValue(forKey: name.lowercased())
        operatorSets.remove(name.lowercased())
        return sets.removeValue(forKey: name.lowercased())
    }
}

/// Where the REST front end listens (`builtins.httpAddress`).
public struct HTTPEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var tls: Bool
    public init(host: String, port: Int, tls: Bool) {
        self.host = host
        self.port = port
        self.tls = tls
    }
}
