import CASCore

/// The `sessionProp` action set: session options.
public let sessionPropActionSet = ActionSet(
    name: "sessionProp", summary: "Session options: active caslib, time-out, log level, metrics.",
    actions: [SetSessOpt.self, GetSessOpt.self, ListSessOpts.self])
