import CASWire
import Logging

/// What every action can reach of the server: the registry, sessions, caslibs and global tables.
public final class ServerContext: Sendable {
    public let registry: Registry
    public let sessions: SessionManager
    public let caslibs: CaslibCatalog
    public let globals: GlobalCatalog
    public let logger: Logger
    public let startTime: Double
    public let version: String
    /// Users with the admin role (issue "Sharing, persistence and security" stores these in SQLite).
    public let admins: Set<String>

    public init(registry: Registry, dataRoot: String, defaultTimeout: Double = 3600, admins: Set<String> = [],
                logger: Logger = Logger(label: "caslite")) {
        self.registry = registry
        self.sessions = SessionManager(defaultTimeout: defaultTimeout, alwaysLoaded: registry.alwaysLoaded)
        self.caslibs = CaslibCatalog(dataRoot: dataRoot)
        self.globals = GlobalCatalog()
        self.logger = logger
        self.startTime = Clock.now
        self.version = caslitVersion
        self.admins = admins
    }
}

/// The version string this build reports.
public let caslitVersion = "0.1.0"
