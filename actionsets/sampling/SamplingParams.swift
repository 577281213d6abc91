import CASCore
import CASWire

/// Parameters shared by `srs` and `stratified` (CAS names), and their reading.
enum SamplingParams {
    /// The input table: a `castable` plus `groupBy` (stratified sampling groups by it).
    static let table: Param<(ref: TableRef, groupBy: [String])> = {
        let groupBy = P.value("groupBy", "Columns whose level combinations are the strata (names or {name=…}).")
            .with { $0.type = .list(.value) }.spec
        var s = ParamSpec(name: "table", description: "The input table.", type: .dict(TableRef.parameters + [groupBy]))
        s.isRequired = true
        s.isTableDef = true
        return Param(spec: s) { v in
            let d = v.dictValue ?? ValueDict()
            let names = { (x: Value) in x.listValue?.compactMap { $0.stringValue ?? $0["name"].stringValue } ?? [] }
            return (TableRef(dict: d), names(d["groupBy"] ?? .null))
        }
    }()
    static let samppct = P.double("samppct", "Percentage of rows (of each stratum) in the sample, or in partition 1 with partInd.",
                                  default: 10, min: 0, max: 100)
    static let samppct2 = P.optionalDouble("samppct2", "With partInd: percentage of rows in partition 2; the rest get 0.", min: 0, max: 100)
    static let partInd = P.bool("partInd", "Keep every row and add a partition indicator (1 = sample, 2 = samppct2 share, 0 = rest).",
                                default: false)
    static let seed = P.int("seed", "Seed of the random selection; the same seed gives the same sample.", default: 0)
    static let output = P.dict("output", "The output table and the columns copied into it.", [
        P.outTable("casOut", "The output table (a string names it).", required: true).spec,
        P.value("copyVars", "Columns copied from the input: a list, or \"ALL\" (the default).")
            .with { $0.type = .list(.value) }.spec,
        P.string("partIndName", "Name of the partition indicator column.", default: "_PartInd_").spec,
    ])
    static let all: [ParamSpec] = [table.spec, samppct.spec, samppct2.spec, partInd.spec, seed.spec, output.spec]

    /// Reads the output definition (nil when no output was asked for).
    static func outDef(_ args: Args) -> (out: OutTableRef, copyVars: [String]?, partIndName: String)? {
        guard let o = args[output] else { return nil }
        let c = o["casOut"]
        let out = c.stringValue.map { OutTableRef(name: $0) }
            ?? OutTableRef(name: c["name"].stringValue, caslib: c["caslib"].stringValue, replace: c["replace"].boolValue ?? false,
                           promote: c["promote"].boolValue ?? false, label: c["label"].stringValue)
        let vars = o["copyVars"].listValue?.compactMap { $0.stringValue ?? $0["name"].stringValue }
        let copy: [String]? = (vars == nil || (vars?.count == 1 && vars?[0].lowercased() == "all")) ? nil : vars
        return (out, copy, o["partIndName"].stringValue ?? "_PartInd_")
    }
}
