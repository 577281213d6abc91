import CASWire

/// An input table reference (`castable` in CAS): name, caslib, where filter, column selection.
public struct TableRef: Sendable, Equatable {
    public var name: String
    public var caslib: String?
    public var whereClause: String?
    public var vars: [String]
    /// Columns added before `where` and `vars` apply, and the assignments that compute them
    /// (`computedVars`, `computedVarsProgram`; see ComputedVars).
    public var computedVars: [String] = []
    public var computedVarsProgram: String?

    public init(name: String, caslib: String? = nil, whereClause: String? = nil, vars: [String] = [],
                computedVars: [String] = [], computedVarsProgram: String? = nil) {
        self.name = name
        self.caslib = caslib
        self.whereClause = whereClause
        self.vars = vars
        self.computedVars = computedVars
        self.computedVarsProgram = computedVarsProgram
    }

    /// The parameter list a table reference accepts (also what `builtins.casCommon` shows).
    public static let parameters: [ParamSpec] = [
        P.string("name", "Name of the table.").with { $0.isTableName = true }.spec,
        P.caslib("caslib", "Caslib of the table; lookups go session scope first, then global.").spec,
        P.optionalString("where", "Row filter in the where-expression language (docs/where.md).").spec,
        P.value("vars", "Columns to use (names or {name=…}); all columns when omitted.").with { $0.type = .list(.value) }.spec,
        P.value("computedVars", "Columns the computedVarsProgram adds (names or {name=…}); where and vars can use them.")
            .with { $0.type = .list(.value) }.spec,
        P.optionalString("computedVarsProgram",
                         "Statements `name = expression;` (the where-expression language, docs/where.md) computing computedVars; `length` statements are accepted and ignored.").spec,
    ]

    init(_ a: Args) {
        self.init(name: a["name"].stringValue ?? "", caslib: a["caslib"].stringValue, whereClause: a["where"].stringValue,
                  vars: a["vars"].listValue?.compactMap { $0.stringValue ?? $0["name"].stringValue } ?? [],
                  computedVars: a["computedVars"].listValue?.compactMap { $0.stringValue ?? $0["name"].stringValue } ?? [],
                  computedVarsProgram: a["computedVarsProgram"].stringValue)
    }

    /// Reads a table reference from a parameter dictionary (for parameters that extend the table definition).
    public init(dict d: ValueDict) {
        let names = { (x: Value?) in x?.listValue?.compactMap { $0.stringValue ?? $0["name"].stringValue } ?? [] }
        self.init(name: d["name"]?.stringValue ?? "", caslib: d["caslib"]?.stringValue, whereClause: d["where"]?.stringValue,
                  vars: names(d["vars"]), computedVars: names(d["computedVars"]), computedVarsProgram: d["computedVarsProgram"]?.stringValue)
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

    public static let parameters: [ParamSpec] = [
        P.optionalString("name", "Name of the output table.").with { $0.isTableName = true }.spec,
        P.caslib("caslib", "Caslib for the output table; the active caslib when omitted.").spec,
        P.bool("replace", "Replace an existing table of the same name.", default: false).spec,
        P.bool("promote", "Give the output table global scope (visible to other sessions).", default: false).spec,
        P.optionalString("label", "Label of the output table.").spec,
        P.optionalDouble("blockSize", "Accepted for CAS compatibility and ignored (CAS's block size for threads; DLPy sends it, sometimes as a fraction).", min: 0).spec,
    ]

    init(_ a: Args) {
        self.init(name: a["name"].stringValue, caslib: a["caslib"].stringValue, replace: a["replace"].boolValue ?? false,
                  promote: a["promote"].boolValue ?? false, label: a["label"].stringValue)
    }
}

extension P {
    /// An input table parameter (`isTableDef`); a plain string names the table.
    public static func table(_ name: String = "table", _ description: String = "The input table.") -> Param<TableRef> {
        var s = ParamSpec(name: name, description: description, type: .dict(TableRef.parameters))
        s.isRequired = true
        s.isTableDef = true
        return Param(spec: s) { v in TableRef(Args(v.dictValue ?? ValueDict())) }
    }

    /// An output table parameter (`isOutTableDef`); a plain string names the table.
    public static func outTable(_ name: String = "casOut", _ description: String = "The output table.", required: Bool = false) -> Param<OutTableRef> {
        var s = ParamSpec(name: name, description: description, type: .dict(OutTableRef.parameters))
        s.isRequired = required
        s.isOutTableDef = true
        return Param(spec: s) { v in OutTableRef(Args(v.dictValue ?? ValueDict())) }
    }
}
