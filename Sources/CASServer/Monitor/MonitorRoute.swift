/// Where a request to the web monitor points (docs/monitor.md). `/` and everything under `/monitor/`
/// belong to the monitor; every other path is left to the swat routes (`GET /cas` stays a 404 for swat's probe).
enum MonitorRoute: Equatable, Sendable {
    /// `GET /`: the login form, or on to the Server page once logged in.
    case home
    /// `POST /monitor/login`, `POST /monitor/logout`.
    case login, logout
    /// `GET /monitor/<page>`.
    case page(MonitorPage)
    /// `GET /monitor/static/<name>`: the embedded script and style sheet.
    case asset(String)
    /// `GET /monitor/api/server|sessions|actions|tables|training|log`.
    case api(MonitorPage)
    /// `GET /monitor/api/training/{id}/chart.svg|batches.svg|confusion.svg`: a training run's pictures.
    case trainingChart(Int, TrainingChart)
    /// `GET /monitor/api/training/{id}/picture/{number}`: a picture made from the run's model (SVG or PNG).
    case trainingPicture(Int, Int)
    /// `POST /monitor/api/actions/{id}/cancel`.
    case cancelAction(String)
    /// `POST /monitor/api/sessions/{id}/end`.
    case endSession(String)
    /// `GET /monitor/table?caslib=…&name=…[&session=…]`: a table's columns and first rows.
    case tablePage
    /// `GET /monitor/api/table?caslib=…&name=…[&session=…]`: the same as JSON.
    case tableDetail
    /// `GET /monitor/api/caslibs`.
    case caslibs
    /// `GET /monitor/api/events`: Server-Sent Events (`MonitorEventStream`).
    case events
    /// `POST /monitor/api/tables/drop|promote|save` with the fields caslib, name (and session).
    case tableOperation(TableOperation)
    /// Under `/monitor/` but nothing there: a 404.
    case unknown

    /// The monitor's route for a request path (query removed); nil when the path is not the monitor's.
    init?(path: Substring) {
        if path == "/" { self = .home; return }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard parts.first == "monitor" else { return nil }
        let rest = Array(parts.dropFirst())
        switch (rest.count, rest.first ?? "") {
        case (0, _), (1, ""): self = .page(.server)
        case (1, "login"): self = .login
        case (1, "logout"): self = .logout
        case (1, "table"): self = .tablePage
        case (1, let name): self = MonitorPage(rawValue: name).map(Self.page) ?? .unknown
        case (2, "api") where rest[1] == "table": self = .tableDetail
        case (2, "api") where rest[1] == "caslibs": self = .caslibs
        case (2, "api") where rest[1] == "events": self = .events
        case (2, "static"): self = .asset(rest[1])
        case (2, "api"): self = MonitorPage(rawValue: rest[1]).map(Self.api) ?? .unknown
        case (4, "api") where rest[1] == "training":
            if let id = Int(rest[2]), let chart = TrainingChart(rawValue: rest[3]) { self = .trainingChart(id, chart) } else { self = .unknown }
        case (5, "api") where rest[1] == "training" && rest[3] == "picture":
            if let id = Int(rest[2]), let n = Int(rest[4]) { self = .trainingPicture(id, n) } else { self = .unknown }
        case (4, "api") where rest[1] == "actions" && rest[3] == "cancel": self = .cancelAction(rest[2])
        case (4, "api") where rest[1] == "sessions" && rest[3] == "end": self = .endSession(rest[2])
        case (3, "api") where rest[1] == "tables": self = TableOperation(rawValue: rest[2]).map(Self.tableOperation) ?? .unknown
        default: self = .unknown
        }
    }

    /// Whether the route changes something (POST only, with a CSRF token).
    var changesState: Bool {
        switch self {
        case .login, .logout, .cancelAction, .endSession, .tableOperation: true
        default: false
        }
    }
}

/// The monitor's pages; each has a JSON twin under `/monitor/api/`.
enum MonitorPage: String, CaseIterable, Sendable {
    case server, sessions, actions, tables, training, log

    var title: String {
        switch self {
        case .server: "Server"
        case .sessions: "Sessions"
        case .actions: "Running actions"
        case .tables: "Tables"
        case .training: "Training"
        case .log: "Log"
        }
    }
}

/// The pictures of a training run.
enum TrainingChart: String, Sendable {
    /// Loss and fit error (and validation's) per epoch.
    case history = "chart.svg"
    /// Loss per mini-batch (`logLevel=3`).
    case batches = "batches.svg"
    /// The confusion matrix of the model's last dlScore.
    case confusion = "confusion.svg"
}
