import CASCore

/// The `fedSql` action set: SQL over in-memory tables, run by SQLite's own engine (docs/fedsql.md).
public let fedSqlActionSet = ActionSet(
    name: "fedSql", summary: "SQL queries over session, global and caslib tables (SQLite's engine on private in-memory copies).",
    actions: [ExecDirect.self])
