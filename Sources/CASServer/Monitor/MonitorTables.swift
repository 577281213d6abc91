import CASCore
import CASStorage
import CASWire
import Foundation

/// One table as the monitor names it: its caslib and name, and the session that holds it (nil: a global table).
/// Read from a page's query (`?caslib=…&name=…&session=…`) or from a POST's fields.
struct MonitorTableRef: Sendable, Equatable {
    var caslib: String
    var name: String
    var session: String?

    init(caslib: String, name: String, session: String?) {
        self.caslib = caslib
        self.name = name
        self.session = session
    }

    init(_ fields: [String: String]) throws(MonitorError) {
        guard let caslib = fields["caslib"], !caslib.isEmpty, let name = fields["name"], !name.isEmpty else {
            throw MonitorError(.badRequest, "Which table?", details: "give caslib= and name= (and session= for a session table), as GET /monitor/api/tables lists them")
        }
        let session = fields["session"].flatMap { $0.isEmpty ? nil : $0 }
        self.init(caslib: caslib, name: name, session: session)
    }

    /// `caslib=…&name=…[&session=…]`, percent-encoded.
    var query: String {
        let e = { (s: String) in s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
        return "caslib=\(e(caslib))&name=\(e(name))" + (session.map { "&session=\(e($0))" } ?? "")
    }

    func matches(_ v: VisibleTable) -> Bool {
        v.table.caslib.uppercased() == caslib.uppercased() && v.table.name.uppercased() == name.uppercased()
            && v.session == session?.lowercased()
    }
}

/// What the viewer may do with a table, decided by `AccessControl` exactly as the actions behind the buttons decide it.
struct TableRights: Equatable {
    /// Read its rows (a session table: always; a global one: Select).
    var select = false
    /// `table.dropTable` (a session table: always, in its session; a global one: DropTable).
    var drop = false
    /// `table.promote` (session tables only: `AccessControl.mayPromote` into its caslib, which must not have session scope).
    var promote = false
    /// `table.save` into its own caslib (CreateTable on the caslib, and Select on a global table).
    var save = false

    var json: Value { ["select": .bool(select), "drop": .bool(drop), "promote": .bool(promote), "save": .bool(save)] }

    /// Whether the button of `op` is shown.
    func allows(_ op: TableOperation) -> Bool {
        switch op {
        case .drop: drop
        case .promote: promote
        case .save: save
        }
    }
}

/// The operations of the Tables page's buttons; each runs the action of the same name.
enum TableOperation: String, CaseIterable, Sendable {
    case drop, promote, save

    /// The key of the JSON answer: `{"dropped": {"caslib", "name"}}`.
    var done: String {
        switch self {
        case .drop: "dropped"
        case .promote: "promoted"
        case .save: "saved"
        }
    }

    var label: String {
        switch self {
        case .drop: "Drop"
        case .promote: "Promote"
        case .save: "Save"
        }
    }

    var action: String {
        switch self {
        case .drop: "table.dropTable"
        case .promote: "table.promote"
        case .save: "table.save"
        }
    }

    func parameters(_ ref: MonitorTableRef, replace: Bool) -> ValueDict {
        switch self {
        case .drop, .promote: ["name": .string(ref.name), "caslib": .string(ref.caslib)]
        case .save: ["table": ["name": .string(ref.name), "caslib": .string(ref.caslib)], "caslib": .string(ref.caslib), "replace": .bool(replace)]
        }
    }
}

extension MonitorSnapshot {
    /// One row of `GET /monitor/api/caslibs`.
    struct CaslibRow {
        var caslib: Caslib
        var session: String?
        /// The folder as shown: the data folder written `<data>`.
        var path: String

        var json: Value {
            [
                "name": .string(caslib.name), "description": .string(caslib.description), "path": .string(path), "scope": .string(caslib.scope.rawValue),
                "session": session.map(Value.string) ?? .null, "owner": .string(caslib.owner), "subdirs": .bool(caslib.subdirectories),
            ]
        }
    }

    /// The caslibs the viewer may see (`ServerContext.visibleCaslibs`: CASUSER, Public, the global ones with ReadInfo,
    /// the session caslibs of their sessions).
    func caslibRows() async -> [CaslibRow] {
        let root = server.caslibs.dataRoot
        return await server.visibleCaslibs(user: viewer.user, isAdmin: viewer.isAdmin).map { v in
            let p = v.caslib.path
            let shown = p == root ? "<data>" : p.hasPrefix(root + "/") ? "<data>/" + p.dropFirst(root.count + 1) : p
            return CaslibRow(caslib: v.caslib, session: v.session, path: shown)
        }
    }

    /// A visible table by reference; unknown tables and those the viewer may not see are the same 404.
    func visibleTable(_ ref: MonitorTableRef) async throws(MonitorError) -> VisibleTable {
        guard let v = await server.visibleTables(user: viewer.user, isAdmin: viewer.isAdmin).first(where: ref.matches) else {
            throw MonitorError(.notFound, "No table \(Names.quote(ref.name, limit: 120)) in caslib \(Names.quote(ref.caslib, limit: 120))"
                               + (ref.session.map { " of session \(Names.quote($0, limit: 60))" } ?? " with global scope"),
                               details: "it may have been dropped; GET /monitor/api/tables lists the tables you may see")
        }
        return v
    }

    /// What the viewer may do with `v`, and its caslib (nil when its caslib cannot be named: nothing may be done).
    /// A session table's action runs in its session as that session's user, so that user's rights decide.
    func rights(_ v: VisibleTable) async -> (Caslib?, TableRights) {
        let access = server.access
        let allowed = { (p: Permission, user: String, admin: Bool, on: Securable) async -> Bool in
            (try? await access.allowed(p, user: user, isAdmin: admin, on: on)) == true
        }
        guard let sid = v.session else {
            guard let lib = await server.caslib(named: v.table.caslib, user: viewer.user, session: nil) else { return (nil, TableRights()) }
            let (user, admin) = (viewer.user, viewer.isAdmin)
            let select = await allowed(.select, user, admin, .table(lib, v.table))
            let create = await allowed(.createTable, user, admin, .caslib(lib))
            let drop = await allowed(.dropTable, user, admin, .table(lib, v.table))
            return (lib, TableRights(select: select, drop: drop, save: select && create))
        }
        guard let s = await server.sessions.session(sid), let lib = await server.caslib(named: v.table.caslib, user: s.user, session: s) else {
            return (nil, TableRights())
        }
        let mayPromote = (try? await access.mayPromote(into: lib, sourceCaslib: v.table.sourceCaslib, user: s.user, isAdmin: s.isAdmin)) == true
        let promote = lib.scope != .session && mayPromote
        let save = await allowed(.createTable, s.user, s.isAdmin, .caslib(lib))
        return (lib, TableRights(select: true, drop: true, promote: promote, save: save))
    }

    /// The access-control entries of a global table and of its caslib, when the viewer may list them (ReadInfo on the
    /// caslib, as `accessControl.listAcsData` asks); nil for session tables and when they may not.
    func accessEntries(_ v: VisibleTable, _ lib: Caslib?) async -> [ACLEntry]? {
        guard v.session == nil, let lib, lib.scope == .global,
              (try? await server.access.allowed(.readInfo, user: viewer.user, isAdmin: viewer.isAdmin, on: .caslib(lib))) == true
        else { return nil }
        return try? await server.store.acls(objectIds: [v.table.objectId, lib.id].filter { !$0.isEmpty })
    }

    static func json(_ e: ACLEntry) -> Value {
        ["on": .string(e.table.isEmpty ? "caslib" : "table"), "identity": .string(e.identity), "identityType": .string(e.identityType),
         "permission": .string(e.permission), "grant": .bool(e.grant)]
    }

    /// `+Select bob (table)`, `-DropTable group * (caslib)`: one entry for people.
    static func text(_ e: ACLEntry) -> String {
        let who = e.identityType == "Group" ? (e.identity == "*" ? "every user" : "group \(e.identity)") : e.identity
        return "\(e.grant ? "+" : "−")\(e.permission) \(who) (\(e.table.isEmpty ? "caslib" : "table"))"
    }

    /// A table's column information and its first `limit` rows (when the viewer may read rows).
    struct TableDetail {
        var row: TableRow
        var columns: [Column]
        /// The first rows, cell by cell; nil without Select.
        var head: [[Value]]?
        var limit: Int

        var json: Value {
            let cols = columns.map { c -> Value in
                ["name": .string(c.name), "label": .string(c.label), "type": .string(c.type.rawValue), "width": .int(Int64(c.width)),
                 "format": .string(c.format)]
            }
            return ["table": row.json, "columns": .list(cols), "rows": head.map { .list($0.map(Value.list)) } ?? .null, "rowLimit": .int(Int64(limit))]
        }
    }

    /// The detail of one visible table.
    func tableDetail(_ ref: MonitorTableRef, limit: Int = 20) async throws(MonitorError) -> TableDetail {
        let v = try await visibleTable(ref)
        let row = await tableRow(v)
        var data = v.table.data
        if row.rights.select, let parts = v.table.parts, let cluster = server.cluster {
            // a distributed table (`serve --mpi`): the first rows from the workers holding them (a lost worker: none)
            let schema = data
            data = (try? await Blocking.run { () throws(ActionError) -> DataTable in try cluster.gather(parts, schema: schema, rows: 0..<Swift.min(limit, parts.rowCount)) }) ?? schema
        }
        let head = row.rights.select ? (0..<min(limit, data.rowCount)).map { r in data.columns.map { Self.cell($0.data.value(at: r)) } } : nil
        return TableDetail(row: row, columns: data.columns, head: head, limit: limit)
    }

    /// A cell as the monitor shows it: missing values are null, a blob its length, long text cut at 200 characters.
    static func cell(_ v: Value) -> Value {
        switch v {
        case .double(let d) where d.isNaN: return .null
        case .blob(let b): return ["length": .int(Int64(b.count))]
        case .string(let s) where s.count > 200: return .string(String(s.prefix(200)) + "…")
        default: return v
        }
    }

    /// A cell as text on the page.
    static func cellText(_ v: Value) -> String {
        switch v {
        case .null: return "."
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return NumberText.text(d, digits: 12)
        case .bool(let b): return b ? "true" : "false"
        case .dict: return "(\(v["length"].intValue ?? 0) bytes)"
        default: return ""
        }
    }
}
