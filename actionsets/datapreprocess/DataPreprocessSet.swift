import CASCore

/// The `datapreprocess` action set. caslite has one of CAS's actions in it, `highCardinality`;
/// swat loads the set before its grouped statistics (`tbl.groupby(…).mean()`).
public let datapreprocessActionSet = ActionSet(
    name: "datapreprocess", summary: "Data preprocessing: the number of distinct values of columns (highCardinality).",
    actions: [HighCardinality.self])
