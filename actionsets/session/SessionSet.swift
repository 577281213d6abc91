import CASCore

/// The `session` action set: identity, naming, listing, time-out and ending of sessions.
public let sessionActionSet = ActionSet(
    name: "session", summary: "Session management: identity, name, listing, time-out and ending.",
    actions: [SessionId.self, SessionName.self, ListSessions.self, EndSession.self, Timeout.self])
