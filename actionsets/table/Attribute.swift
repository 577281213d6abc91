import CASCore
import CASWire

/// `table.attribute`: CAS's extended table attributes — named sets of key/value pairs attached to a
/// session table (DLPy keeps model metadata in them). They live in the table's attributes under
/// `xattr:<set>:<key>`, so `table.save` / `loadTable` keep them.
/// Tasks: ADD (`attributes` {key, value} into `set`, or every row of `attrTable`), DROP (the listed
/// keys of `set`, or the whole set), CONVERT (all sets into the session table `attrTable`, columns
/// Set, Key, Type, NumValue, CharValue, BinValue — what ADD with `attrTable` reads back).
struct Attribute: Action {
    static let name = "attribute"
    static let summary = "Adds, drops or converts to a table the extended attributes (sets of key/value pairs) of a session table."
    static let tableName = P.string("name", "The table.").with { $0.isTableName = true }.aliases("table")
    static let caslib = P.caslib()
    static let task = P.string("task", "ADD, DROP or CONVERT.", default: "ADD", allowed: ["ADD", "DROP", "CONVERT"])
    static let set = P.optionalString("set", "Name of the attribute set.")
    /// One item of `attributes`.
    enum Entry: ParamGroup {
        static let key = P.string("key", "Attribute name.")
        static let value = P.value("value", "A number, string or binary value (ADD).")
        static let parameters = [key.spec, value.spec]
    }
    static let attributes = P.groupList("attributes", "Attributes: {key, value}.", Entry.self)
    static let attrTable = P.outTable("attrTable", "CONVERT: the table to write; ADD: a table of attributes (CONVERT's layout) to attach.")
    static let parameters = [tableName.spec, caslib.spec, task.spec, set.spec, attributes.spec, attrTable.spec]

    static let prefix = "xattr:"

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        let key = TableKey(caslib: lib.name, name: args[tableName])
        guard var t = await ctx.session.table(key) else {
            throw ActionError.notFound("There is no session-scope table \(args[tableName]) in caslib \(lib.name).", parameter: "name")
        }
        let setName = args[set] ?? "default"
        guard !setName.contains(":") else {
            throw ActionError(.parameterValue, "Attribute set name '\(setName)' must not contain ':'.", parameter: "set")
        }
        let attrName = args[attrTable].name
        switch args[task] {
        case "CONVERT":
            guard let attrName, !attrName.isEmpty else {
                throw ActionError(.parameterMissing, "task=CONVERT needs attrTable (the table to write).", parameter: "attrTable")
            }
            guard attrName.uppercased() != t.name.uppercased() else {
                throw ActionError(.parameterValue, "attrTable must not be the table itself (\(t.name)).", parameter: "attrTable")
            }
            var b = TableBuilder(name: attrName, columns: [("Set", .varchar), ("Key", .varchar), ("Type", .varchar),
                                                           ("NumValue", .double), ("CharValue", .varchar), ("BinValue", .varbinary)])
            for (k, v) in t.data.attributes where k.hasPrefix(prefix) {
                let parts = k.dropFirst(prefix.count).split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                switch v {
                case .int(let i): b.append([.string(parts[0]), .string(parts[1]), "int64", .double(Double(i)), .null, .null])
                case .double(let d): b.append([.string(parts[0]), .string(parts[1]), "double", .double(d), .null, .null])
                case .blob(let x): b.append([.string(parts[0]), .string(parts[1]), "binary", .null, .null, .blob(x)])
                default: b.append([.string(parts[0]), .string(parts[1]), "char", .null, .string(v.stringValue ?? "\(v)"), .null])
                }
            }
            let out = args[attrTable]
            let stored = try await ctx.store(b.table, out: OutTableRef(name: attrName, caslib: out.caslib, replace: out.replace),
                                             defaultName: attrName, parameter: "attrTable")
            ctx.note("Wrote \(stored.rowCount) extended attribute\(stored.rowCount == 1 ? "" : "s") of table \(t.name) to table \(stored.name).")
            return ["caslib": .string(stored.caslib), "tableName": .string(stored.name)]
        case "DROP":
            let keys = args[attributes].map { $0[Entry.key] }
            let before = t.data.attributes.count
            var kept = ValueDict()
            for (k, v) in t.data.attributes {
                let inSet = k.hasPrefix("\(prefix)\(setName):")
                let dropped = inSet && (keys.isEmpty || keys.contains { k == "\(prefix)\(setName):\($0)" })
                if !dropped { kept.appendUnchecked(k, v) }
            }
            t.data.attributes = kept
            try await ctx.session.put(t)
            ctx.note("Dropped \(before - kept.count) extended attribute\(before - kept.count == 1 ? "" : "s") of set \(setName) from table \(t.name).")
            return ValueDict()
        default:  // ADD
            var added = 0
            if let attrName, !attrName.isEmpty {
                let source = try await ctx.table(TableRef(name: attrName, caslib: args[attrTable].caslib), parameter: "attrTable").data
                guard let s = source.column("Set"), let k = source.column("Key"), let ty = source.column("Type") else {
                    throw ActionError(.parameterValue, "attrTable \(attrName) needs the columns Set, Key, Type, NumValue, CharValue, BinValue (what task=CONVERT writes).",
                                      parameter: "attrTable")
                }
                for r in 0..<source.rowCount {
                    guard let sv = s.data.value(at: r).stringValue, let kv = k.data.value(at: r).stringValue else { continue }
                    let v: Value
                    switch ty.data.value(at: r).stringValue {
                    case "int64": v = source.column("NumValue")?.data.double(at: r).map { abs($0) < 9e18 ? .int(Int64($0)) : .double($0) } ?? .null
                    case "double": v = source.column("NumValue")?.data.double(at: r).map(Value.double) ?? .null
                    case "binary": v = source.column("BinValue")?.data.value(at: r) ?? .null
                    default: v = source.column("CharValue")?.data.value(at: r) ?? .null
                    }
                    t.data.attributes["\(prefix)\(sv):\(kv)"] = v
                    added += 1
                }
            }
            for (i, a) in args[attributes].enumerated() {
                let k = a[Entry.key], v = a[Entry.value]
                guard !v.isNull else {
                    throw ActionError(.parameterMissing, "attributes[\(i + 1)] needs a value for task=ADD.", parameter: "attributes[\(i + 1)].value")
                }
                t.data.attributes["\(prefix)\(setName):\(k)"] = v
                added += 1
            }
            guard added > 0 || (attrName != nil) else {
                throw ActionError(.parameterMissing, "task=ADD needs attributes (with set) or attrTable.", parameter: "attributes")
            }
            try await ctx.session.put(t)
            ctx.note("Added \(added) extended attribute\(added == 1 ? "" : "s") to table \(t.name).")
            return ValueDict()
        }
    }
}
