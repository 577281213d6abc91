import CASCore
import CASStorage
import CASWire

/// `fedSql.execDirect`: runs one SQL query over session, global and caslib tables and returns its
/// rows as the `Result` table (or writes them to `casOut`); `CREATE TABLE name AS <query>` writes a
/// session table. Every table the query names is read through the table gate with Select, copied into a
/// private in-memory SQLite database, and the query runs there under `SQLScratch`'s authorizer.
struct ExecDirect: Action {
    static let name = "execDirect"
    static let summary = "Runs a SQL query (SQLite's dialect) over in-memory tables; CREATE TABLE name AS SELECT … writes a table."
    static let query = P.string("query", "The SQL statement: a query (SELECT, WITH … SELECT, VALUES) or CREATE TABLE name AS <query>. Tables are named table or caslib.table.").program()
    static let casOut = P.outTable("casOut", "Write the query's rows to this table instead of returning them.")
    static let parameters = [query.spec, casOut.spec]

    /// Most tables one query may name.
    static let maxTables = 64

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let statement = CreateTableAs(args[query])
        let scratch = try sql { try SQLScratch(isCancelled: { ctx.isCancelled }) }
        try await copyTables(statement.query, into: scratch, ctx)
        let (rows, infinite) = try await ctx.cpu {
            try sql { try scratch.run(statement.query, name: "Result") { bytes in try ctx.reserve(bytes, for: "fedSql.execDirect's result") } }
        }
        if infinite > 0 {
            ctx.warning("\(infinite) value\(infinite == 1 ? " of the result was" : "s of the result were") infinite (such as 1e999 or an overflow); "
                        + "CAS has no infinity, so \(infinite == 1 ? "it is a missing value" : "they are missing values").")
        }
        if let target = statement.target {
            // casOut's options (replace, promote, label, caslib) apply to the created table; a second name is a contradiction
            let given = args[casOut]
            if let n = given.name, n.lowercased() != target.name.lowercased() {
                throw ActionError(.parameterValue, "The query creates table \(target.name) but casOut names \(n); name the table once "
                                  + "(CREATE TABLE, or casOut with a SELECT).", parameter: "casOut")
            }
            let out = OutTableRef(name: target.name, caslib: target.schema ?? given.caslib, replace: given.replace, promote: given.promote,
                                  label: given.label)
            let stored = try await storeCreated(rows, out: out, ctx)
            ctx.note("Table \(stored.name) was created in caslib \(stored.caslib) with \(stored.rowCount) rows returned.")
            return ValueDict()
        }
        let out = args[casOut]
        if out.name != nil {
            let stored = try await ctx.store(rows, out: out, defaultName: "Result")
            ctx.note("Table \(stored.name) was created in caslib \(stored.caslib) with \(stored.rowCount) rows returned.")
            return ["caslib": .string(stored.caslib), "tableName": .string(stored.name)]
        }
        return ["Result": .table(rows)]
    }

    /// Stores the table a CREATE TABLE … AS makes; an existing one is refused pointing at casOut's replace
    /// (store's own advice, replace=True on the output parameter, has no query.replace to follow here).
    static func storeCreated(_ rows: DataTable, out: OutTableRef, _ ctx: ActionContext) async throws -> CASTable {
        let name = out.name ?? ""
        let attempt: ActionError
        do throws(ActionError) {
            return try await ctx.store(rows, out: out, defaultName: name, parameter: "query")
        } catch {
            attempt = error
        }
        guard attempt.code == .alreadyExists else { throw attempt }
        throw ActionError(.alreadyExists, "\(attempt.message.prefix { $0 != ";" }); to overwrite it give casOut={name: '\(name)', replace: True}, "
                          + "or drop it first (table.dropTable).", parameter: "casOut.replace")
    }

    /// Copies in every table the query names, one at a time, as SQLite reports them missing. Each is
    /// read through the table gate with Select: a table the caller may not see "does not exist".
    ///
    /// SQLite reports `a.b` and a quoted `"a.b"` alike, so a reported name with a dot is read as caslib
    /// `a`, table `b` first, and as the one table name `a.b` when that fails or SQLite still misses it.
    static func copyTables(_ sqlText: String, into scratch: SQLScratch, _ ctx: ActionContext) async throws {
        var copied = Set<SQLTableName>()
        while let reported = try await ctx.cpu({ try sql { try scratch.missingTable(in: sqlText) } }) {
            try ctx.checkCancellation()
            let whole = reported.schema.map { SQLTableName(schema: nil, name: "\($0).\(reported.name)") }
            var candidates = [reported] + (whole.map { [$0] } ?? [])
            candidates.removeAll { copied.contains($0) }
            guard !candidates.isEmpty, copied.count < maxTables else {
                throw ActionError(.parameterValue, "The query names more than \(maxTables) tables, or a table SQLite cannot find after it was copied (\(reported)).", parameter: "query")
            }
            var firstError: ActionError?
            var found: (CASTable, SQLTableName)?
            for name in candidates {
                do {
                    found = (try await ctx.table(TableRef(name: name.name, caslib: name.schema), parameter: "query", for: .select), name)
                    break
                } catch {
                    firstError = firstError ?? error
                }
            }
            guard let (t, name) = found else {
                var e = firstError!
                e.parameter = "query"
                throw e
            }
            copied.insert(name)
            try ctx.reserve(t.data.estimatedBytes, for: "fedSql.execDirect's copy of table \(t.name)")
            let data = t.data
            try await ctx.cpu { try sql { try scratch.load(data, as: name) } }
        }
    }

    /// Runs `body`, turning an `SQLError` into the action's error on `query`, with SQLite's message.
    static func sql<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as SQLError {
            switch e.kind {
            case .cancelled: throw ActionError.cancelled
            case .sqlite: throw ActionError(.parameterValue, "SQLite: \(e.located)", parameter: "query", cause: e)
            case .refused, .tooMuchWork: throw ActionError(.parameterValue, e.message, parameter: "query", cause: e)
            }
        }
    }
}
