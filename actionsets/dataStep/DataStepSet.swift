import CASCore

/// The `dataStep` action set: `runCode`, a documented subset of the DATA step (docs/datastep.md).
/// Loaded in every session, as in CAS.
public let dataStepActionSet = ActionSet(
    name: "dataStep", summary: "DATA step: run a subset of DATA step programs over in-memory tables (runCode).",
    actions: [RunCode.self])
