import CASCore

/// The `simple` action set: row counts, summary statistics, frequencies and cross-tabulations.
public let simpleActionSet = ActionSet(
    name: "simple", summary: "Simple analytics: row counts, summary statistics, frequencies, cross-tabulations, distinct counts, top-k values, correlations and by-group information.",
    actions: [NumRows.self, Summary.self, Freq.self, CrossTab.self, Distinct.self, TopK.self, Correlation.self, GroupBy.self, GroupByInfo.self])

/// The partition-local kernels of simple's actions, for the workers of an MPI server (`StandardRegistry.partitionKernels`).
public enum SimpleKernels {
    public static let all: [PartitionKernel] = [Summary.partial, NumRows.count, Freq.partial, CrossTab.partial]
}
