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
    /// Runs the action. Throw `ActionError` for anything the caller got wrong.
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict
}

extension Action {
    public static var hidden: Bool { false }
    public static var acceptsAnyParameters: Bool { false }
}

/// An action as the registry holds it: its declaration and behaviour as values, so that compiled
/// actions (`Action` types) and actions defined at run time (CASL bodies) are handled alike.
public struct ActionDescriptor: Sendable {
    public var name: String
    public var summary: String
    public var parameters: [ParamSpec]
    public var hidden: Bool
    public var acceptsAnyParameters: Bool
    public var run: @Sendable (Args, ActionContext) async throws -> ValueDict

    public init(name: String, summary: String, parameters: [ParamSpec], hidden: Bool = false, acceptsAnyParameters: Bool = false,
                run: @escaping @Sendable (Args, ActionContext) async throws -> ValueDict) {
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
                  acceptsAnyParameters: a.acceptsAnyParameters) { args, ctx in try await a.run(args, ctx) }
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
