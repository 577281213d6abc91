import CASCore

/// The `datapreprocess` action set: two of CAS's actions, `highCardinality` (swat loads the set before
/// its grouped statistics, `tbl.groupby(…).mean()`) and `histogram` (swat's `CASTable.histogram`).
/// Loaded in every session, as in CAS.
public let datapreprocessActionSet = ActionSet(
    name: "datapreprocess", summary: "Data preprocessing: distinct-value counts (highCardinality) and equal-width histograms (histogram).",
    actions: [HighCardinality.self, Histogram.self])
