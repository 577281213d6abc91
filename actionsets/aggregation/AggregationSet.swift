import CASCore

/// The `aggregation` action set: per-column aggregates (what swat's `CASTable.count()` and `nmiss()` call).
public let aggregationActionSet = ActionSet(
    name: "aggregation", summary: "Per-column aggregates: counts, missing counts, sums, means, extremes.", actions: [Aggregate.self])
