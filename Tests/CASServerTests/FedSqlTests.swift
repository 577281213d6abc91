import CASClient
import CASTestSupport
import CASWire
import Foundation
import Synchronization
import Testing

/// `fedSql.execDirect`: SQL over in-memory tables on SQLite's engine, read through the table gate.
@Suite("FedSql")
struct FedSqlTests {
    /// emp(id int64, name varchar, dept varchar, salary double with a missing value), dept(dept, floor int32).
    static func addTables(_ c: any TestClient) async throws {
        try await ok(c, "table.addTable", [
            "table": "emp", "vars": [["name": "id", "type": "int64"], ["name": "name", "type": "varchar"], ["name": "dept", "type": "varchar"], ["name": "salary"]],
            "rows": [[1, "ann", "eng", 120], [2, "bob", "eng", 100], [3, "cy", "ops", 80], [4, "dee", "ops", nil], [5, "eve", nil, 90]],
        ])
        try await ok(c, "table.addTable", [
            "table": "dept", "vars": [["name": "dept", "type": "varchar"], ["name": "floor", "type": "int32"]], "rows": [["eng", 3], ["ops", 1]],
        ])
    }

    static func result(_ c: any TestClient, _ query: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> DataTable {
        let r = try await ok(c, "fedSql.execDirect", ["query": .string(query)], sourceLocation: sourceLocation)
        return try #require(r.results["Result"]?.tableValue, sourceLocation: sourceLocation)
    }

    @Test(arguments: Transport.allCases)
    func joinsGroupByHavingOrderByWindowsAndCTEs(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await Self.addTables(c)
            let join = try await Self.result(c, "select e.name, d.floor from emp e join dept d on e.dept = d.dept order by e.id")
            #expect(join.strings("name") == ["ann", "bob", "cy", "dee"])
            #expect(join.column("floor")?.data == .int32([3, 3, 1, 1]), "a copied column keeps its CAS type")
            let grouped = try await Self.result(c, """
                select dept, count(*) as n, avg(salary) as mean from emp where dept is not null
                group by dept having count(*) > 1 order by mean desc
                """)
            #expect(grouped.strings("dept") == ["eng", "ops"])
            #expect(grouped.column("n")?.data == .int64([2, 2]))
            #expect(grouped.column("mean")?.data == .double([110, 80]), "avg skips the missing salary")
            let ranked = try await Self.result(c, """
                select name, rank() over (partition by dept order by salary desc) as r,
                       sum(salary) over (partition by dept) as total
                from emp where dept = 'eng' order by r
                """)
            #expect(ranked.strings("name") == ["ann", "bob"] && ranked.column("r")?.data == .int64([1, 2]))
            #expect(ranked.column("total")?.data == .double([220, 220]))
            let cte = try await Self.result(c, """
                with rich as (select * from emp where salary >= 100),
                     nums(k) as (select 1 union all select k + 1 from nums where k < 3)
                select (select count(*) from rich) as rich, (select sum(k) from nums) as s
                """)
            #expect(cte.column("rich")?.data == .int64([2]) && cte.column("s")?.data == .int64([6]))
            // caslib-qualified names, in CAS's quoting
            let q = try await Self.result(c, #"select count(*) as n from casuser.emp join "CASUSER(alice)"."dept" using (dept)"#)
            #expect(q.column("n")?.data == .int64([4]))
            // a quoted name with a dot is one table name (SQLite reports "a.b" and a.b alike)
            try await ok(c, "table.addTable", ["table": "q.t", "vars": [["name": "v"]], "rows": [[7]]])
            #expect(try await Self.result(c, #"select v from "q.t""#).column("v")?.data == .double([7]))
            #expect(try await Self.result(c, #"select v from casuser."q.t""#).column("v")?.data == .double([7]))
            // and a.b with no caslib a, nor a table "a.b", reports the caslib
            try await fails(c, "fedSql.execDirect", ["query": "select * from nolib.emp"], "nolib", "query")
            // casOut writes the rows instead of returning them
            let out = try await ok(c, "fedSql.execDirect", ["query": "select id from emp where id > 3", "casOut": ["name": "late"]])
            #expect(out.results["Result"] == nil)
            #expect(try await fetchAll(c, "late").column("id")?.data == .int64([4, 5]))
        }
    }

    @Test(arguments: Transport.allCases)
    func createTableAsWritesASessionTableWithTypesAndMissingValues(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "a", "vars": [["name": "d", "type": "double"], ["name": "l", "type": "int64"], ["name": "i", "type": "int32"], ["name": "s", "type": "varchar"]],
                                               "rows": [[1.5, 9_007_199_254_740_993, -2_147_483_647, "héllo"], [nil, nil, nil, nil], [-0.25, -1, 7, ""]]])
            let r = try await ok(c, "fedSql.execDirect", ["query": "CREATE TABLE copy AS SELECT d, l, i, s, d IS NULL AS dmiss, coalesce(s, 'none') AS s2 FROM a"])
            #expect(r.results["Result"] == nil)
            #expect(r.notes.contains { $0.contains("copy") && $0.contains("3 rows") })
            let t = try await fetchAll(c, "copy")
            #expect(t.column("d")?.data == .double([1.5, .nan, -0.25]))
            // missing values: null over JSON-lines; swat's forms over REST (the type's minimum, "")
            let rest = transport == .rest
            #expect(t.column("l")?.data == .int64([9_007_199_254_740_993, rest ? .min : nil, -1]), "int64 beyond 2^53 survives")
            #expect(t.column("i")?.data == .int32([-2_147_483_647, rest ? .min : nil, 7]))
            #expect(t.column("s")?.data == .varchar(["héllo", rest ? "" : nil, ""]))
            let missing = try await Self.result(c, "select count(*) as n from copy where d is null and l is null and i is null and s is null")
            #expect(missing.column("n")?.data == .int64([1]), "missing stays missing (NULL) both ways")
            #expect(try await Self.result(c, "select count(*) as n from copy where s = ''").column("n")?.data == .int64([1]), "an empty string stays empty")
            #expect(t.column("dmiss")?.data == .int64([0, 1, 0]))
            #expect(t.column("s2")?.data == .varchar(["héllo", "none", ""]))
            try await fails(c, "fedSql.execDirect", ["query": "create table copy as select 1 as x"], "already exists")
            // casOut's options apply to CREATE TABLE; a second, different name is refused
            try await ok(c, "fedSql.execDirect", ["query": "create table copy as select 7 as x", "casOut": ["replace": true]])
            #expect(try await Self.result(c, "select x from copy").column("x")?.data == .int64([7]))
            try await fails(c, "fedSql.execDirect", ["query": "create table copy2 as select 1 as x", "casOut": ["name": "other"]], "casOut", "name the table once")
            let none = try await Self.result(c, "select d from a where 0")
            #expect(none.rowCount == 0 && none.column("d")?.data == .double([]))
        }
    }

    @Test(arguments: Transport.allCases)
    func tablesTheCallerMayNotReadDoNotExist(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let alice = try await s.client(transport, "alice")
            let bob = try await s.client(transport, "bob")
            try await ok(alice, "table.addTable", ["table": "secret", "caslib": "Public", "promote": true, "vars": [["name": "x"]], "rows": [[42]]])
            try await fails(bob, "fedSql.execDirect", ["query": "select * from public.secret"], "does not exist", "query")
            try await fails(bob, "fedSql.execDirect", ["query": "select * from nosuchlib.t"], "nosuchlib", "query")
            #expect(try await Self.result(alice, "select x from public.secret").column("x")?.data == .double([42]))
            try await ok(alice, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "secret", "identity": "bob", "identityType": "User",
                                                                       "permType": "Grant", "permission": "Select"]]])
            #expect(try await Self.result(bob, "select x from public.secret").column("x")?.data == .double([42]))
        }
    }

    @Test(arguments: Transport.allCases)
    func statementsThatTouchFilesOrChangeTheDatabaseAreRefused(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1]]])
            let file = s.dataRoot + "/attached.db"
            try await fails(c, "fedSql.execDirect", ["query": .string("attach database '\(file)' as x")], "ATTACH is not allowed", "query")
            try await fails(c, "fedSql.execDirect", ["query": .string("vacuum into '\(file)'")], "query")
            try await fails(c, "fedSql.execDirect", ["query": "select load_extension('/tmp/x')"], "load_extension is not allowed")
            try await fails(c, "fedSql.execDirect", ["query": "pragma writable_schema = 1"], "PRAGMA")
            try await fails(c, "fedSql.execDirect", ["query": "select * from sqlite_master"], "not allowed")
            try await fails(c, "fedSql.execDirect", ["query": "insert into t values (2)"], "not allowed")
            try await fails(c, "fedSql.execDirect", ["query": "select 1; select 2"], "one statement")
            #expect(!FileManager.default.fileExists(atPath: file))
            try await fails(c, "fedSql.execDirect", ["query": "selec x from t"], "SQLite: near \"selec\": syntax error", "query",
                            "(line 1, column 1: \"selec x from t\")")
            // the position of an error on a later line, columns in characters (é is one)
            try await fails(c, "fedSql.execDirect", ["query": "select x as é\nfrom t\nwher x > 1"], "syntax error",
                            "(line 3, column 6: \"x > 1\")")
            try await fails(c, "fedSql.execDirect", ["query": "select nope from t"], "SQLite: no such column: nope")
            #expect(try await Self.result(c, "select x from t").rowCount == 1, "the session goes on")
        }
    }

    /// Refusals name what the user wrote (not SQLite's sqlite_master) and advice that can be followed;
    /// an unbound placeholder is an error, not a NULL.
    @Test(arguments: Transport.allCases)
    func refusalsSayWhatTheStatementDidAndWhatToDoInstead(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await Self.addTables(c)
            let refused: [(String, [String])] = [
                ("create table if not exists t9 as select 1 x", ["CREATE TABLE IF NOT EXISTS is not supported", "CREATE TABLE name AS <query>", "replace: True"]),
                ("create temp table t8 as select 1 x", ["CREATE TEMP TABLE is not supported", "CREATE TABLE name AS <query>"]),
                ("create view v as select 1 x", ["CREATE VIEW is not supported"]),
                ("select * from json_each('[1,2]')", ["the table-valued function json_each", "are not allowed"]),
                ("select * from pragma_table_info('emp')", ["the table-valued function pragma_table_info", "are not allowed"]),
                ("select * from emp where salary > ?", ["1 parameter placeholder (?)", "write the values into the query"]),
                ("select :x, :y", ["2 parameter placeholders (:x)"]),
            ]
            for (query, fragments) in refused {
                let r = try await Self.refuse(c, ["query": .string(query)], fragments)
                #expect(!r.errorText.contains("sqlite_"), "\(r.errorText)")
            }
            try await ok(c, "fedSql.execDirect", ["query": "create table t1 as select 1 x"])
            let r = try await Self.refuse(c, ["query": "create table t1 as select 2 x"], ["already exists", "casOut={name: 't1', replace: True}", "casOut.replace"])
            #expect(!r.errorText.contains("query.replace"), "\(r.errorText)")
            try await ok(c, "fedSql.execDirect", ["query": "create table t1 as select 2 x", "casOut": ["replace": true]])
            #expect(try await Self.result(c, "select x from t1").column("x")?.data == .int64([2]))
        }
    }

    static func refuse(_ c: any TestClient, _ params: ValueDict, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> Response {
        let r = try await c.call("fedSql.execDirect", params)
        #expect(r.disposition.severity == .error, "\(params) should fail", sourceLocation: sourceLocation)
        for f in fragments { #expect(r.errorText.contains(f), "'\(f)' not in: \(r.errorText)", sourceLocation: sourceLocation) }
        return r
    }

    /// An endless recursive CTE runs until the client cancels it; the progress handler stops SQLite.
    @Test func aCancelStopsARunningQuery() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            let id = Mutex<Int64?>(nil)
            let events = c.stream("fedSql.execDirect", ["query": "with recursive n(k) as (select 1 union all select k + 1 from n) select count(*) from n"],
                                  onStart: { i in id.withLock { $0 = i } })
            try await Task.sleep(for: .milliseconds(300))
            try await c.cancel(try #require(id.withLock { $0 }))
            var response: Response?
            var logs: [String] = []
            for await e in events {
                if case .response(let r) = e { response = r }
                if case .log(let l) = e { logs.append(l.message) }
            }
            #expect(response?.disposition.reason == "abort", "\(logs)")
            try await ok(c, "builtins.ping")
        }
    }

    /// Two users' endless queries do not hold a third user's query back: each blocking job has a thread.
    @Test func longQueriesOfOneUserDoNotBlockAnothersQuery() async throws {
        try await TestServer.start().run { s in
            let endless = "with recursive n(k) as (select 1 union all select k + 1 from n) select count(*) from n"
            var running: [(CASConnection, Int64, AsyncStream<CallEvent>)] = []
            for _ in 0..<3 {
                let c = try await s.connect("bob")
                let id = Mutex<Int64?>(nil)
                let events = c.stream("fedSql.execDirect", ["query": .string(endless)], onStart: { i in id.withLock { $0 = i } })
                try await Task.sleep(for: .milliseconds(100))
                running.append((c, try #require(id.withLock { $0 }), events))
            }
            let alice = try await s.connect("alice")
            // within 30 s, not after bob's queries end (they never would): a blocked call fails here, not hangs
            let r = try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await alice.call("fedSql.execDirect", ["query": "select 41 + 1 as answer"]) }
                group.addTask { try await Task.sleep(for: .seconds(30)); return nil }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            #expect(r?.results["Result"]?.tableValue?.ints("answer") == [42], "alice's query waited behind bob's")
            for (c, id, events) in running {
                try await c.cancel(id)
                for await _ in events {}
            }
        }
    }

    /// CAS has no infinity: an infinite result value (1e999, an overflow) is a missing value, and the
    /// call says how many there were.
    @Test(arguments: Transport.allCases)
    func infiniteValuesAreMissingWithAWarning(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            let r = try await ok(c, "fedSql.execDirect", ["query": "select 1e999 as a, -1e999 as b, 2.5 as c union all select 1, 2, 3"])
            let t = try #require(r.results["Result"]?.tableValue)
            // a missing value and whole numbers: the column's type comes from the values SQLite returned (over
            // REST a missing int64 travels as SWAT's sentinel, so the values are compared over JSON-lines)
            #expect(t.column("a")?.data.type == .int64 && t.column("b")?.data.type == .int64)
            if transport == .jsonLines { #expect(t.column("a")?.data == .int64([nil, 1]) && t.column("b")?.data == .int64([nil, 2])) }
            #expect(t.column("c")?.data == .double([2.5, 3]))
            #expect(r.warnings.contains { $0.contains("2 values of the result were infinite") }, "\(r.warnings)")
            #expect(r.disposition.severity == .warning)
            let finite = try await ok(c, "fedSql.execDirect", ["query": "select 1.5 as a"])
            #expect(finite.warnings.isEmpty)
        }
    }
}
