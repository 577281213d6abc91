import CASWire

/// One action: its name, description, declared parameters and behaviour. One type per file,
/// under `actionsets/<set>/<Action>.swift`.
public protocol Action: Sendable {
    /// The action's name within its set, e.g. `fetch`.
    static var name: String { get }
    /// One-line description (help, reflect, docs).
    static var summary: String { get }
    /// The declared parameters, in the order help shows them.
    static var parameters: [ParamSpec] { get }
    /// Hidden actions are callable but not listed (CAS's `casCommon`).
    static var hidden: Bool { get }
    /// Accepts any parameters unvalidated (`builtins.echo`).
    static var acceptsAnyParameters: Bool { get }
    /// How the action runs on an MPI scale-out server (`builtins.help` says it).
    static var scaleOut: ScaleOut { get }
    /// Runs the action. Throw `ActionError` for anything the caller got wrong.
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict
}

extension Action {
    public static var hidden: Bool { false }
    public static var acceptsAnyParameters: Bool { false }
    public static var scaleOut: ScaleOut { .controller }
}

/// How an action runs on an MPI scale-out server (docs/scale-out.md "How actions run").
public enum ScaleOut: String, Sendable {
    /// On the controller; the rows of a distributed table it reads are gathered there first.
    case controller
    /// Each worker on its block, the controller combining the partial results.
    case partitionLocal
    /// Reads a table's metadata only: no rows move.
    case metadata
    /// Moves only the rows it returns (table.fetch).
    case window
    /// Every worker trains on its block; gradients summed every step (MPI_Allreduce).
    case dataParallel
    /// Each worker writes its part of the output table from its block and keeps it; only summaries reach the controller.
    case outputOnWorkers

    /// The line `builtins.help` shows.
    public var help: String {
        switch self {
        case .controller: "On an MPI server: runs on the controller; the rows of distributed tables it reads are gathered there first."
        case .partitionLocal: "On an MPI server: partition-local — each worker runs it on its rows and the controller combines the results (computed columns, output tables and, where docs/scale-out.md says so, by-groups gather the rows instead)."
        case .metadata: "On an MPI server: reads table metadata only; no rows move."
        case .window: "On an MPI server: moves only the rows it returns — the window's rows from the workers holding them or, sorted, each worker's first rows in order, merged on the controller."
        case .outputOnWorkers: "On an MPI server: partition-local — each worker writes its part of the output table from its own rows and keeps it; only counts and statistics reach the controller."
        case .dataParallel: "On an MPI server: data-parallel — every worker trains on its rows, the gradients summed every step (classifiers in FP32; other models train on the controller)."
        }
    }
}

/// An action as the registry holds it: its declaration and behaviour as values, so that compiled
/// actions (`Action` types) and actions defined at run time (CASL bodies) are handled alike.
public struct ActionDescriptor: Sendable {
    public var name: String
    public var summary: String
    public var parameters: [ParamSpec]
    public var hidden: Bool
    public var acceptsAnyParameters: Bool
    public var scaleOut: ScaleOut
    public var run: @Sendable (Args, ActionContext) async throws -> ValueDict

    public init(name: String, summary: String, parameters: [ParamSpec], hidden: Bool = false, acceptsAnyParameters: Bool = false,
                scaleOut: ScaleOut = .controller, run: @escaping @Sendable (Args, ActionContext) async throws -> ValueDict) {
        self.scaleOut = scaleOut
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.hidden = hidden
        self.acceptsAnyParameters = acceptsAnyParameters
        self.run = run
    }

    /// The descriptor of a compiled action type.
    public init(_ a: any Action.Type) {
        self.init(name: a.name, summary: a.summary, parameters: a.parameters, hidden: a.hidden,
                  acceptsAnyParameters: a.acceptsAnyParameters, scaleOut: a.scaleOut) { args, ctx in try await a.run(args, ctx) }
    }
}

/// A named group of actions, enabled per session by `builtins.loadActionSet`.
public struct ActionSet: Sendable {
    public var name: String
    public var summary: String
    public var actions: [ActionDescriptor]
    /// Enabled in every new session: the sets named in `DefaultActionSets`, or any set created with
    /// `alwaysLoaded: true`.
    public var alwaysLoaded: Bool
    /// Defined at run time (`builtins.defineActionSet`) rather than compiled in.
    public var userDefined: Bool

    public init(name: String, summary: String, alwaysLoaded: Bool = false, actions: [any Action.Type]) {
        self.init(name: name, summary: summary, alwaysLoaded: alwaysLoaded, descriptors: actions.map { ActionDescriptor($0) })
    }

    public init(name: String, summary: String, alwaysLoaded: Bool = false, userDefined: Bool = false, descriptors: [ActionDescriptor]) {
        self.name = name
        self.summary = summary
        self.actions = descriptors
        self.alwaysLoaded = alwaysLoaded || (!userDefined && DefaultActionSets.contains(name))
        self.userDefined = userDefined
    }
}

/// A resolved action: its set and its descriptor.
public struct ActionEntry: Sendable {
    public let setName: String
    public let action: ActionDescriptor
    public var fullName: String { "\(setName).\(action.name)" }
    public init(setName: String, action: ActionDescriptor) {
        self.setName = setName
        self.action = action
    }
}
