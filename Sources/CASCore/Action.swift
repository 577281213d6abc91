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

/// A named group of actions, enabled per session by `builtins.loadActionSet`.
public struct ActionSet: Sendable {
    public var name: String
    public var summary: String
    public var actions: [any Action.Type]
    /// Always enabled in every session (builtins, session, sessionProp, table).
    public var alwaysLoaded: Bool

    public init(name: String, summary: String, alwaysLoaded: Bool = false, actions: [any Action.Type]) {
        self.name = name
        self.summary = summary
        self.actions = actions
        self.alwaysLoaded = alwaysLoaded
    }
}

/// A resolved action: its set and its type.
public struct ActionEntry: Sendable {
    public let setName: String
    public let action: any Action.Type
    public var fullName: String { "\(setName).\(action.name)" }
    public init(setName: String, action: any Action.Type) {
        self.setName = setName
        self.action = action
    }
}
