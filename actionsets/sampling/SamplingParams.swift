import CASCore
import CASWire

/// Parameters shared by `srs` and `stratified` (CAS names), and their reading.
enum SamplingParams {
    /// The input table: a `castable`, whose `groupBy` columns are the strata of stratified sampling.
    static let table = P.table().map { (ref: $0, groupBy: $0.groupBy) }
    static let samppct = P.double("samppct", "Percentage of rows (of each stratum) in the sample, or in partition 1 with partInd.",
                                  default: 10, min: 0, max: 100)
    static let samppct2 = P.optionalDouble("samppct2", "With partInd: percentage of rows in partition 2; the rest get 0.", min: 0, max: 100)
    static let partInd = P.bool("partInd", "Keep every row and add a partition indicator (1 = sample, 2 = samppct2 share, 0 = rest).",
                                default: false)
    static let seed = P.int("seed", "Seed of the random selection; the same seed gives the same sample.", default: 0)
    /// The output table and the columns copied into it.
    enum Output: ParamGroup {
        static let casOut = P.outTable("casOut", "The output table (a string names it).", required: true)
        static let copyVars = P.columns("copyVars", "Columns copied from the input: a list, or \"ALL\" (the default).")
        static let partIndName = P.string("partIndName", "Name of the partition indicator column.", default: "_PartInd_")
        static let parameters = [casOut.spec, copyVars.spec, partIndName.spec]
    }
    static let output = P.group("output", "The output table and the columns copied into it.", Output.self)
    static let all: [ParamSpec] = [table.spec, samppct.spec, samppct2.spec, partInd.spec, seed.spec, output.spec]

    /// Reads the output definition (nil when no output was asked for).
    static func outDef(_ args: Args) -> (out: OutTableRef, copyVars: [String]?, partIndName: String)? {
        guard args.has(output) else { return nil }
        let o = args[output]
        let vars = o.has(Output.copyVars) ? o[Output.copyVars] : nil
        let copy: [String]? = (vars == nil || (vars?.count == 1 && vars?[0].lowercased() == "all")) ? nil : vars
        return (o[Output.casOut], copy, o[Output.partIndName])
    }
}
