import CASCore

/// The `datapreprocess` action set: three of CAS's actions, `highCardinality` (swat loads the set before
/// its grouped statistics, `tbl.groupby(…).mean()`), `histogram` (swat's `CASTable.histogram`) and `binning`.
/// Loaded in every session, as in CAS.
public let datapreprocessActionSet = ActionSet(
    name: "datapreprocess", summary: "Data preprocessing: distinct-value counts (highCardinality), histograms (histogram) and binning (binning).",
    actions: [HighCardinality.self, Histogram.self, Binning.self])
