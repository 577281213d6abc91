import CASCore
import CASWire

/// `sampling.srs`: simple random sampling without replacement.
struct SRS: Action {
    static let name = "srs"
    static let summary = "Simple random sample of a table, or (partInd) a partition indicator over all its rows."
    static let parameters = SamplingParams.all
    static let scaleOut = ScaleOut.outputOnWorkers

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        try await Sampler.run(args, ctx, strata: { t in [(key: "ALL", rows: Array(0..<t.rowCount))] }, groupBy: [], freqName: "SRSFreq")
    }
}
