import CASWire

/// An input table reference (`castable` in CAS): name, caslib, where filter, column selection.
public struct TableRef: Sendable, Equatable {
    /// Whether using the reference computes columns or filters rows, which reads rows (Select), not only metadata.
    public var readsRows: Bool {
        !computedVars.isEmpty || !(computedVarsProgram ?? "").trimmingSpaces.isEmpty || !(whereClause ?? "").trimmingSpaces.isEmpty
    }

    public var name: String
    public var caslib: String?
    public var whereClause: String?
    public var vars: [String]
    /// Columns added before `where` and `vars` apply, and the assignments that compute them
    /// (`computedVars`, `computedVarsProgram`; see ComputedVars).
    public var computedVars: [String] = []
    public var computedVarsProgram: String?
    /// By-variables (`groupBy`): actions that honour them compute their results once per group
    /// (ByGroups); `groupByMode` is accepted as CAS names it (one server: no redistribution to do).
    public var groupBy: [String] = []
    public var groupByMode = "NOSORT"

    public init(name: String, caslib: String? = nil, whereClause: String? = nil, vars: [String] = [],
                computedVars: [String] = [], computedVarsProgram: String? = nil, groupBy: [String] = [], groupByMode: String = "NOSORT") {
        self.name = name
        self.caslib = caslib
        self.whereClause = whereClause
        self.vars = vars
        self.computedVars = computedVars
        self.computedVarsProgram = computedVarsProgram
        self.groupBy = groupBy
        self.groupByMode = groupByMode
    }

    /// The typed keys of the `castable` parameter list (also what `builtins.casCommon` shows).
    public enum Keys: ParamGroup {
        public static let name = P.string("name", "Name of the table.").with { $0.isTableName = true }
        public static let caslib = P.caslib("caslib", "Caslib of the table; lookups go session scope first, then global.")
        public static let whereClause = P.optionalString("where", "Row filter in the where-expression language (docs/where.md).").program()
        public static let vars = P.columns("vars", "Columns to use; all columns when omitted.")
        public static let computedVars = P.columns("computedVars", "Columns the computedVarsProgram adds; where and vars can use them.").aliases("compVars")
        public static let computedVarsProgram = P.optionalString(
            "computedVarsProgram",
            "Statements `name = expression;` (the where-expression language, docs/where.md) computing computedVars; `length` statements are accepted and ignored.").program()
            .aliases("compPgm")
        public static let groupBy = P.columns(
            "groupBy", "By-variables: the actions that honour them (simple.summary, freq, crossTab, topk, distinct, percentile.percentile, aggregation.aggregate) return ByGroupInfo and one result table per group; others ignore them.")
        public static let groupByMode = P.string(
            "groupByMode", "NOSORT (CAS's default) or REDISTRIBUTE, as CAS names them (NOBYGROUPS is accepted too); on one server all group the same way, groups in the by-values' order.",
            default: "NOSORT", allowed: ["NOSORT", "REDISTRIBUTE", "NOBYGROUPS"])
        /// The `castable` fields, in CAS's order.
        public static let parameters = [name.spec, caslib.spec, whereClause.spec, vars.spec, groupBy.spec, groupByMode.spec,
                                         computedVars.spec, computedVarsProgram.spec]
    }

    /// Reads a validated `castable` parameter list (or one that extends it, as sampling's `table` does).
    public init(_ a: Args) {
        self.init(name: a[Keys.name], caslib: a[Keys.caslib], whereClause: a[Keys.whereClause], vars: a[Keys.vars],
                  computedVars: a[Keys.computedVars], computedVarsProgram: a[Keys.computedVarsProgram],
                  groupBy: a[Keys.groupBy], groupByMode: a[Keys.groupByMode])
    }
}

/// An output table definition (`casouttable` in CAS).
public struct OutTableRef: Sendable, Equatable {
    public var name: String?
    public var caslib: String?
    public var replace: Bool
    public var promote: Bool
    public var label: String?

    public init(name: String? = nil, caslib: String? = nil, replace: Bool = false, promote: Bool = false, label: String? = nil) {
        self.name = name
        self.caslib = caslib
        self.replace = replace
        self.promote = promote
        self.label = label
    }

    /// The typed keys of the `casouttable` parameter list.
    public enum Keys: ParamGroup {
        public static let name = P.optionalString("name", "Name of the output table.").with { $0.isTableName = true }
        public static let caslib = P.caslib("caslib", "Caslib for the output table; the active caslib when omitted.")
        public static let replace = P.bool("replace", "Replace an existing table of the same name.", default: false)
        public static let promote = P.bool("promote", "Give the output table global scope (visible to other sessions).", default: false)
        public static let label = P.optionalString("label", "Label of the output table.")
        public static let blockSize = P.optionalDouble(
            "blockSize", "Accepted for CAS compatibility and ignored (CAS's block size for threads; DLPy sends it, sometimes as a fraction).", min: 0)
        public static let replication = P.optionalInt(
            "replication", "Accepted for CAS compatibility and ignored (the copies CAS keeps on other workers; one server keeps one).", min: 0, max: 1_000)
        /// The `casouttable` fields, in CAS's order.
        public static let parameters = [name.spec, caslib.spec, replace.spec, promote.spec, label.spec, blockSize.spec, replication.spec]
    }

    /// Reads a validated `casouttable` parameter list.
    public init(_ a: Args) {
        self.init(name: a[Keys.name], caslib: a[Keys.caslib], replace: a[Keys.replace], promote: a[Keys.promote], label: a[Keys.label])
    }
}

extension P {
    /// An input table parameter (`isTableDef`); a plain string names the table.
    public static func table(_ name: String = "table", _ description: String = "The input table.") -> Param<TableRef> {
        group(name, description, TableRef.Keys.self, required: true).with { $0.isTableDef = true }.map(TableRef.init)
    }

    /// An input table the caller may leave out: nil when not given.
    public static func optionalTable(_ name: String = "table", _ description: String = "The input table.") -> Param<TableRef?> {
        let given = group(name, description, TableRef.Keys.self).with { $0.isTableDef = true }
        return Param(spec: given.spec) { v in v.dictValue.map { TableRef(Args($0)) } }
    }

    /// An output table parameter (`isOutTableDef`); a plain string names the table.
    public static func outTable(_ name: String = "casOut", _ description: String = "The output table.", required: Bool = false) -> Param<OutTableRef> {
        group(name, description, OutTableRef.Keys.self, required: required).with { $0.isOutTableDef = true }.map(OutTableRef.init)
    }
}
