import CASCore

/// The `fcmpact` action set: compiles FCMP functions into a table (DLPy's learning-rate schedules).
public let fcmpactActionSet = ActionSet(
    name: "fcmpact", summary: "FCMP functions: compile a subset of SAS FCMP (assignments and return) into a function table.",
    actions: [AddRoutines.self])
