import CASCore

/// The `percentile` action set: percentiles of numeric columns.
public let percentileActionSet = ActionSet(
    name: "percentile", summary: "Percentiles of numeric columns.", actions: [PercentileAction.self])
