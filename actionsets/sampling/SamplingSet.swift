import CASCore

/// The `sampling` action set: simple random and stratified sampling with a partition indicator.
public let samplingActionSet = ActionSet(
    name: "sampling", summary: "Simple random and stratified sampling; a partition indicator column splits a table reproducibly.",
    actions: [SRS.self, Stratified.self])
