/// The statement forms fedSql runs, and the words for one it does not: SQLite reports a CREATE TABLE IF NOT
/// EXISTS, a CREATE TEMP TABLE or a table-valued function only as a write to its schema table
/// (`sqlite_master`), which says nothing about what the user wrote.
enum SQLForms {
    /// What fedSql.execDirect runs, for every refusal.
    static let supported = "fedSql.execDirect runs one query (SELECT, WITH … SELECT, VALUES) or CREATE TABLE name AS <query>"

    /// Table-valued functions SQLite may provide; any `pragma_…` is one too.
    static let tableFunctions: Set<String> = ["json_each", "json_tree", "jsonb_each", "jsonb_tree", "generate_series", "dbstat", "carray",
                                              "fts3tokenize", "sqlite_dbpage", "sqlite_stmt", "completion", "bytecode", "tables_used"]

    /// Why `sql`, which would write SQLite's schema table, is refused, in terms of what it says.
    static func refusal(of sql: String) -> String {
        let words = sql.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init)
        if words.first == "create" {
            let overwrite = "to overwrite an existing table give casOut={name: …, replace: True}, or drop it first (table.dropTable)"
            if words.dropFirst().first.map({ ["temp", "temporary"].contains($0) }) == true {
                return "CREATE TEMP TABLE is not supported: \(supported); the table it creates is a session table."
            }
            if words.prefix(4) == ["create", "table", "if", "not"] {
                return "CREATE TABLE IF NOT EXISTS is not supported: \(supported); \(overwrite)."
            }
            return "\(words.prefix(2).joined(separator: " ").uppercased()) is not supported: \(supported)."
        }
        let function = words.first { tableFunctions.contains($0) || $0.hasPrefix("pragma_") }
        return "The query uses \(function.map { "the table-valued function \($0)" } ?? "a table-valued function"); table-valued functions "
            + "(json_each, json_tree, generate_series, pragma_…) are not allowed: \(supported), over tables."
    }
}
