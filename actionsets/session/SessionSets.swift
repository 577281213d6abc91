import CASCore

/// The `session` action set: identity, naming, listing, time-out and ending of sessions.
public let sessionActionSet = ActionSet(
    name: "session", summary: "Session management: identity, name, listing, time-out and ending.", alwaysLoaded: true,
    actions: [SessionId.self, SessionName.self, ListSessions.self, EndSession.self, Timeout.self])

/// The `sessionProp` action set: session options.
public let sessionPropActionSet = ActionSet(
    name: "sessionProp", summary: "Session options: active caslib, time-out, log level, metrics.", alwaysLoaded: true,
    actions: [SetSessOpt.self, GetSessOpt.self, ListSessOpts.self])
