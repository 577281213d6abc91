import CASCore

/// The `transpose` action set: `transpose`, CAS's version of PROC TRANSPOSE (docs/transpose.md).
public let transposeActionSet = ActionSet(
    name: "transpose", summary: "Transpose: turns the values of variables into columns, one column per id value, per by-group (transpose).",
    actions: [Transpose.self])
