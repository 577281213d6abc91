import CASClient
import CASCore
import CASTestSupport
import CASWire
import Foundation
import NIOCore
import NIOPosix
import Testing

@Suite("End to end over loopback", .serialized)
struct EndToEndTests {
    @Test(arguments: Transport.allCases)
    func handshakePingAndServerStatus(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            #expect(c.sessionId.count == 36)
            try await ok(c, "builtins.ping")
            let st = try await ok(c, "serverStatus")
            #expect(st.results["About"]?["Version"].stringValue?.isEmpty == false)
            #expect(st.results["About"]?["System"]["OS Name"] == "Linux")
            let echo = try await ok(c, "builtins.echo", ["a": 1, "nested": ["x": [1, 2.5, "s"]]])
            #expect(echo.results["nested"]?["x"] == [1, 2.5, "s"])
            #expect(echo.logs.contains { $0.message == "a = 1" })
            await c.close()
        }
    }

    @Test(arguments: Transport.allCases)
    func addTableFetchRoundTripsEveryType(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "types", "vars": allTypesVars, "rows": allTypesRows])
            let r = try await ok(c, "table.fetch", ["table": "types", "to": 10])
            let t = try #require(r.results["Fetch"]?.tableValue)
            #expect(t.columns.map(\.name) == ["_Index_", "d", "l", "i", "s", "b"])
            #expect(t.columns.map(\.type) == [.int64, .double, .int64, .int32, .varchar, .varbinary])
            #expect(t.column("d")?.label == "A double" && t.column("d")?.format == "BEST12.")
            #expect(t.column("b")?.attributes["MIMEType"] == "image/png")
            #expect(t.column("d")?.data == .double([1.5, .nan, -0.25]))
            // Missing values: null over JSON-lines; swat's forms over REST (the type's minimum, "", no bytes).
            let rest = transport == .rest
            #expect(t.column("l")?.data == .int64([9_007_199_254_740_993, rest ? .min : nil, -1]))
            #expect(t.column("i")?.data == .int32([-2_147_483_647, rest ? .min : nil, 2_147_483_647]))
            #expect(t.column("s")?.data == .varchar(["héllo, \"world\"", rest ? "" : nil, ""]))
            #expect(t.column("b")?.data == .varbinary([[0, 1, 2, 255], rest ? [] : nil, []]))
            #expect(t.column("_Index_")?.data == .int64([1, 2, 3]))
        }
    }

    @Test(arguments: Transport.allCases)
    func loadTableReadsCSVWithInferenceAndOverrides(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            try s.write("id,name,score,n\n1,\"Smith, J\",2.5,10\n2,Lee,,20\n3,\"say \"\"hi\"\"\",4,30\n", to: "data/people.csv")
            let c = try await s.client(transport)
            let r = try await ok(c, "table.loadTable", ["path": "data/people.csv",
                                                        "importOptions": ["vars": [["name": "n", "type": "int32"], ["name": "id", "type": "int64"]]]])
            #expect(r.results["tableName"] == "DATA.PEOPLE")
            #expect(r.logs.contains { $0.message.contains("available as table DATA.PEOPLE") })
            let f = try await ok(c, "table.fetch", ["table": "data.people"])
            let t = try #require(f.results["Fetch"]?.tableValue)
            #expect(t.column("id")?.data == .int64([1, 2, 3]))
            #expect(t.column("name")?.data == .varchar(["Smith, J", "Lee", "say \"hi\""]))
            #expect(t.column("score")?.data == .double([2.5, .nan, 4]))
            #expect(t.column("n")?.data == .int32([10, 20, 30]))
            let info = try await ok(c, "table.columnInfo", ["table": "DATA.PEOPLE"])
            #expect(info.results["ColumnInfo"]?.tableValue?.column("Type")?.data == .varchar(["int64", "varchar", "double", "int32"]))
        }
    }

    @Test(arguments: Transport.allCases)
    func fetchSortsFiltersAndPages(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            var rows: [Value] = []
            for i in 0..<50 { rows.append([.int(Int64(i)), .string(i % 2 == 0 ? "even" : "odd"), .double(Double(50 - i))]) }
            try await ok(c, "table.addTable", ["table": "nums", "rows": .list(rows),
                                               "vars": [["name": "k", "type": "int64"], ["name": "parity", "type": "varchar"], ["name": "v"]]])
            let f = try await ok(c, "fetch", ["table": ["name": "nums", "where": "parity = 'odd' and k > 10"], "sortBy": [["name": "v", "order": "ascending"]],
                                              "from": 2, "to": 4, "fetchVars": ["k"]])
            let t = try #require(f.results["Fetch"]?.tableValue)
            #expect(t.column("k")?.data == .int64([47, 45, 43]))
            #expect(t.column("_Index_")?.data == .int64([2, 3, 4]))
            #expect(t.columns.count == 2)
            try await ok(c, "builtins.loadActionSet", ["actionSet": "simple"])
            let n = try await ok(c, "simple.numRows", ["table": ["name": "nums", "where": "k in (1, 2, 3) or v is missing"]])
            #expect(n.results["numrows"] == 3)
        }
    }

    @Test(arguments: Transport.allCases)
    func simpleAnalyticsComputeTheRightNumbers(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "builtins.loadActionSet", ["actionSet": "simple"])
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "x"], ["name": "g", "type": "varchar"], ["name": "h", "type": "varchar"]],
                                               "rows": [[1, "a", "p"], [2, "a", "q"], [3, "b", "q"], [nil, "b", "q"], [6, "b", "p"]]])
            let sum = try await ok(c, "simple.summary", ["table": "t"])
            let st = try #require(sum.results["Summary"]?.tableValue)
            #expect(st.column("N")?.data == .double([4]))
            #expect(st.column("NMiss")?.data == .double([1]))
            #expect(st.column("Mean")?.data == .double([3]))
            #expect(st.column("Sum")?.data == .double([12]))
            #expect(st.column("Min")?.data == .double([1]) && st.column("Max")?.data == .double([6]))
            let std = st.column("Std")!.data.double(at: 0)!
            #expect(abs(std - (14.0 / 3).squareRoot()) < 1e-12)
            try await fails(c, "simple.summary", ["table": "t", "inputs": ["xx"]], "Column 'xx' does not exist in table t", "Did you mean 'x'?")
            try await fails(c, "table.fetch", ["table": "t", "sortBy": [["name": "gg"]]], "Column 'gg' does not exist", "Did you mean 'g'?")
            let freq = try await ok(c, "simple.freq", ["table": "t", "inputs": ["g"]])
            #expect(freq.results["Frequency"]?.tableValue?.column("Frequency")?.data == .double([2, 3]))
            let ct = try await ok(c, "simple.crossTab", ["table": "t", "row": "g", "col": "h"])
            let x = try #require(ct.results["Crosstab"]?.tableValue)
            #expect(x.column("Col1")?.label == "p" && x.column("Col2")?.label == "q")
            #expect(x.column("Col1")?.data == .double([1, 1]))
            #expect(x.column("Col2")?.data == .double([1, 2]))
            #expect(x.column("Total")?.data == .double([2, 3]))
        }
    }

    /// simple.topk / simple.distinct, percentile.percentile (definition 5 worked by hand) and
    /// aggregation.aggregate on a table with missing values; their errors name the parameter.
    @Test(arguments: Transport.allCases)
    func topkDistinctPercentileAndAggregate(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            for set in ["simple", "percentile", "aggregation"] { try await ok(c, "builtins.loadActionSet", ["actionSet": .string(set)]) }
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "x"], ["name": "g", "type": "varchar"]],
                                               "rows": [[4, "b"], [1, "a"], [3, "b"], [nil, "c"], [1, "b"], [10, nil]]])
            let tk = try await ok(c, "simple.topk", ["table": "t", "inputs": ["x"], "topk": 2, "bottomk": 2, "order": "VALUE", "includeMissing": false])
            let top = try #require(tk.results["Topk"]?.tableValue)
            #expect(top.column("NumVar")?.data == .double([10, 4, 1, 3]))     // top: 10, 4; bottom: 1, 3
            #expect(top.column("Rank")?.data == .double([1, 2, 1, 2]))
            #expect(top.column("Score")?.data == .double([1, 1, 2, 1]))       // frequencies
            #expect(top.column("CharVar") == nil)
            #expect(tk.results["TopkMisc"]?.tableValue?.column("N")?.data == .double([4]))
            let freq = try await ok(c, "simple.topk", ["table": "t", "inputs": ["g"], "topk": 1, "bottomk": 0])
            #expect(freq.results["Topk"]?.tableValue?.column("CharVar")?.data == .varchar(["b"]))
            let d = try #require(try await ok(c, "simple.distinct", ["table": "t"]).results["Distinct"]?.tableValue)
            #expect(d.column("NDistinct")?.data == .double([5, 4]))         // x: 1, 3, 4, 10 + missing; g: a, b, c + missing
            #expect(d.column("NMiss")?.data == .double([1, 1]))
            let p = try #require(try await ok(c, "percentile.percentile", ["table": "t", "values": [0, 25, 50, 60, 100]]).results["Percentile"]?.tableValue)
            // x sorted without missing: 1 1 3 4 10 (n = 5): 25 → np 1.25 → x2 = 1; 50 → 2.5 → x3 = 3;
            // 60 → np 3 (g = 0) → (x3 + x4) / 2 = 3.5; 0 → 1; 100 → 10
            #expect(p.column("Value")?.data == .double([1, 1, 3, 3.5, 10]))
            #expect(p.column("Variable")?.data == .varchar(Array(repeating: "x", count: 5)))
            let a = try #require(try await ok(c, "aggregation.aggregate", ["table": "t", "varSpecs": [
                ["names": ["x", "g"], "agg": "n"], ["names": ["x"], "agg": "nmiss"], ["names": ["x"], "agg": "mean"]]]).results["Aggregate"]?.tableValue)
            #expect(a.column("Column")?.data == .varchar(["x", "g"]))
            #expect(a.column("N")?.data == .double([5, 5]))
            #expect(a.column("NMiss")?.data.double(at: 0) == 1 && a.column("NMiss")?.data.isMissing(at: 1) == true)
            #expect(abs((a.column("Mean")?.data.double(at: 0) ?? 0) - 3.8) < 1e-12 && a.column("Mean")?.data.isMissing(at: 1) == true)
            try await fails(c, "percentile.percentile", ["table": "t", "inputs": ["g"]], "Column 'g' is varchar; percentile needs numeric columns")
            try await fails(c, "percentile.percentile", ["table": "t", "values": [50, 120]], "values[2]", "from 0 to 100")
            try await fails(c, "aggregation.aggregate", ["table": "t", "varSpecs": [["names": ["g"], "agg": "mean"]]], "MEAN needs a numeric column")
            try await fails(c, "simple.topk", ["table": "t", "inputs": ["xx"]], "Column 'xx' does not exist", "Did you mean 'x'?")
        }
    }

    /// computedVars / computedVarsProgram (DLPy's way of picking rows): assignments in the where language,
    /// evaluated before where and vars; `length` statements ignored; anything else refused by number.
    @Test(arguments: Transport.allCases)
    func computedVarsBeforeWhereAndVars(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "x"], ["name": "a", "type": "varchar"], ["name": "b", "type": "varchar"]],
                                               "rows": [[1, "cat", "cat"], [2, "dog", "cat"], [3, "dog", "dog"], [nil, "cat", "dog"]]])
            let program = "length tag varchar(*);\n_eq_0_ = (a = b); tag = upcase(a) || '-' || b; twice = x * 2; big = (twice > 3)"
            let r = try await ok(c, "table.fetch", ["table": ["name": "t", "computedVars": ["_eq_0_", ["name": "tag"], "twice", "big"],
                                                              "computedVarsProgram": .string(program), "where": "(_eq_0_)",
                                                              "vars": ["x", "tag", "twice", "big"]], "index": false])
            let f = try #require(r.results["Fetch"]?.tableValue)
            #expect(f.columns.map(\.name) == ["x", "tag", "twice", "big"])
            #expect(f.column("x")?.data == .double([1, 3]))
            #expect(f.column("tag")?.data == .varchar(["CAT-cat", "DOG-dog"]))
            #expect(f.column("twice")?.data == .double([2, 6]))
            #expect(f.column("big")?.data == .double([0, 1]))
            let missing = try await ok(c, "table.fetch", ["table": ["name": "t", "computedVars": ["twice"], "computedVarsProgram": "twice = x * 2",
                                                                    "where": "a = 'cat' and b = 'dog'"]])
            #expect(missing.results["Fetch"]?.tableValue?.column("twice")?.data.isMissing(at: 0) == true)
            try await fails(c, "table.fetch", ["table": ["name": "t", "computedVars": ["r"], "computedVarsProgram": "call symput('a', x); r = x"]],
                            "computedVarsProgram statement 1 ('call symput('a', x)') is not supported")
            try await fails(c, "table.fetch", ["table": ["name": "t", "computedVars": ["y"], "computedVarsProgram": "y = nosuch + 1"]],
                            "statement 1", "nosuch")
            try await fails(c, "table.fetch", ["table": ["name": "t", "computedVars": ["y", "z"], "computedVarsProgram": "y = x"]],
                            "computedVars[2] 'z' is not assigned")
            // DATA step habits DLPy uses: a quoted number compared with a numeric column; seeded rand("UNIFORM")
            let byID = try await ok(c, "table.fetch", ["table": ["name": "t", "computedVars": ["_eq_2_"], "computedVarsProgram": "_eq_2_ = (x = '3');",
                                                                 "where": "(_eq_2_)"]])
            #expect(byID.results["Fetch"]?.tableValue?.column("x")?.data == .double([3]))
            func uniforms(_ program: String) async throws -> [Double] {
                let r = try await ok(c, "table.fetch", ["table": ["name": "t", "computedVars": ["u"], "computedVarsProgram": .string(program)], "index": false])
                let col = try #require(r.results["Fetch"]?.tableValue?.column("u"))
                return (0..<col.data.count).map { col.data.double(at: $0) ?? -1 }
            }
            let u1 = try await uniforms("call streaminit(7); u = rand(\"UNIFORM\")")
            #expect(u1.count == 4 && u1.allSatisfy { (0..<1).contains($0) } && Set(u1).count == 4)
            #expect(try await uniforms("call streaminit(7);u=rand('uniform')") == u1)     // same seed, same numbers
            #expect(try await uniforms("call streaminit(8); u = rand('UNIFORM')") != u1)
            try await fails(c, "table.fetch", ["table": ["name": "t", "computedVars": ["y"], "computedVarsProgram": "y = (a = 3)"]], "statement 1", "cannot compare")
            // DLPy's ImageTable.from_table: a random file name per row, and a label from a path
            let names = try await ok(c, "table.fetch", ["table": ["name": "t", "computedVars": ["_filename_0", "lbl"], "computedVarsProgram":
                "length _filename_0 varchar(*); call streaminit(-1);shuffle_id=rand(\"UNIFORM\")*10**10;_filename_0=cats(a,\"_\",put(put(shuffle_id,z10.),$char10.),\".jpg\"); lbl = scan('/data/' || a || 's/img.png', -2, '/')",
                "vars": ["a", "_filename_0", "lbl"]], "index": false])
            let nt = try #require(names.results["Fetch"]?.tableValue)
            let files: [String] = (0..<nt.rowCount).map { nt.column("_filename_0")?.data.value(at: $0).stringValue ?? "" }
            #expect(files.count == 4 && files.allSatisfy { $0.wholeMatch(of: /(cat|dog)_[0-9]{10}\.jpg/) != nil }, "\(files)")
            #expect(Set(files).count == 4)
            #expect(nt.column("lbl")?.data == .varchar(["cats", "dogs", "dogs", "cats"]))
            // review cases: only compared quoted numbers are unquoted; put formats stay inside put(); `length =` assigns;
            // huge scan/put arguments neither trap nor allocate without bound
            let edge = try await ok(c, "table.fetch", ["table": ["name": "t", "computedVars": ["y", "z", "length", "w"], "computedVarsProgram":
                "y = cats('007', (x = '3')); z = max(length(put(x, z5.)), 1.5); length = x * 2; w = scan('a b', 1e30) || put(1e20, z5.)",
                "where": "x = 3"], "index": false])
            let et = try #require(edge.results["Fetch"]?.tableValue)
            #expect(et.column("y")?.data == .varchar(["0071"]))
            #expect(et.column("z")?.data == .double([5]))
            #expect(et.column("length")?.data == .double([6]))
            #expect(et.column("w")?.data == .varchar(["1e+20"]))  // scan beyond the words: ''; Z of 1e20: plain text
            try await fails(c, "table.fetch", ["table": ["name": "t", "computedVars": ["y"], "computedVarsProgram": "y = put(x, z99999999999.)"]],
                            "too wide")
            // the stored table is untouched
            let plain = try #require(try await ok(c, "table.fetch", ["table": "t"]).results["Fetch"]?.tableValue)
            #expect(plain.column("twice") == nil)
        }
    }

    /// table.attribute: extended attribute sets added, converted to a table, dropped, attached to
    /// another table from that table, and kept by table.save / loadTable.
    @Test(arguments: Transport.allCases)
    func extendedAttributesAddConvertDropAndSurviveSave(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            for name in ["w", "w2"] {
                try await ok(c, "table.addTable", ["table": .string(name), "vars": [["name": "x"]], "rows": [[1]]])
            }
            try await ok(c, "table.attribute", ["name": "w", "set": "dlmodel", "task": "ADD", "attributes": [
                ["key": "nclasses", "value": 2], ["key": "target", "value": "_label_"], ["key": "nominal", "value": .blob([0x61, 0, 0x62, 0])]]])
            func converted(_ table: String) async throws -> [String: Value] {
                try await ok(c, "table.attribute", ["name": .string(table), "task": "CONVERT", "attrTable": ["name": "attrs", "replace": true]])
                let t = try await fetchAll(c, "attrs")
                var out: [String: Value] = [:]
                for r in 0..<t.rowCount {
                    let key = "\(t.strings("Set")[r] ?? "").\(t.strings("Key")[r] ?? "")"
                    switch t.strings("Type")[r] {
                    case "binary": out[key] = t.column("BinValue")!.data.value(at: r)
                    case "char": out[key] = t.column("CharValue")!.data.value(at: r)
                    default: out[key] = t.column("NumValue")!.data.value(at: r)
                    }
                }
                return out
            }
            let all = try await converted("w")
            #expect(all == ["dlmodel.nclasses": .double(2), "dlmodel.target": "_label_", "dlmodel.nominal": .blob([0x61, 0, 0x62, 0])])
            // attach the converted table to w2 (DLPy's load path), then drop one key from w
            try await ok(c, "table.attribute", ["name": "w2", "task": "ADD", "attrTable": "attrs"])
            #expect(try await converted("w2") == all)
            try await ok(c, "table.attribute", ["name": "w", "set": "dlmodel", "task": "DROP", "attributes": [["key": "target"]]])
            #expect(try await converted("w").keys.sorted() == ["dlmodel.nclasses", "dlmodel.nominal"])
            // kept by save / loadTable
            try await ok(c, "table.save", ["table": "w2", "name": "w2saved", "caslib": "casuser"])
            try await ok(c, "table.loadTable", ["path": "w2saved", "caslib": "casuser", "casOut": ["name": "w3"]])
            #expect(try await converted("w3") == all)
            try await fails(c, "table.attribute", ["name": "w", "task": "ADD"], "needs attributes")
            try await fails(c, "table.attribute", ["name": "w", "set": "a:b", "attributes": [["key": "k", "value": 1]]], "must not contain ':'")
            try await fails(c, "table.attribute", ["name": "w", "task": "CONVERT", "attrTable": "attrs"], "already exists")  // replace not given
            try await fails(c, "table.attribute", ["name": "w", "task": "CONVERT", "attrTable": ["name": "W", "replace": true]], "must not be the table itself")
            try await fails(c, "table.attribute", ["name": "nosuch", "task": "CONVERT", "attrTable": "a"], "nosuch")
        }
    }

    @Test(arguments: Transport.allCases)
    func tableLifecycleActions(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "a", "vars": allTypesVars, "rows": allTypesRows])
            #expect(try await ok(c, "table.tableExists", ["name": "A"]).results["exists"] == 1)
            try await fails(c, "table.addTable", ["table": "a", "vars": [["name": "x"]], "rows": []], "already exists", "replace")
            try await ok(c, "table.alterTable", ["name": "a", "rename": "b", "label": "Bee", "columns": [["name": "d", "rename": "dd", "label": "new"]], "drop": ["s"]])
            #expect(try await ok(c, "table.tableExists", ["name": "a"]).results["exists"] == 0)
            let info = try await ok(c, "table.columnInfo", ["table": "b"])
            #expect(info.results["ColumnInfo"]?.tableValue?.column("Column")?.data == .varchar(["dd", "l", "i", "b"]))
            let ti = try await ok(c, "table.tableInfo")
            #expect(ti.results["TableInfo"]?.tableValue?.column("Name")?.data == .varchar(["B"]))  // upper-case, as CAS reports it
            #expect(ti.results["TableInfo"]?.tableValue?.column("Label")?.data == .varchar(["Bee"]))
            try await ok(c, "table.partition", ["table": ["name": "b", "where": "l > 0 or l is missing"], "casOut": ["name": "p"]])
            // simple is loaded in every new session, over both front ends (DefaultActionSets)
            #expect(try await ok(c, "simple.numRows", ["table": "p"]).results["numrows"] == 2)
            try await ok(c, "table.dropTable", ["name": "b"])
            try await fails(c, "table.dropTable", ["name": "b"], "does not exist")
            try await ok(c, "table.dropTable", ["name": "b", "quiet": true])
        }
    }

    @Test(arguments: Transport.allCases)
    func helpReflectAndActionSetLoading(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await fails(c, "sccasl.runCasl", ["code": "x = 1;"], "not loaded", "loadActionSet")
            let sets = try await ok(c, "builtins.listActionSets")
            let t = try #require(sets.results["setinfo"]?.tableValue)
            let loaded = Dictionary(uniqueKeysWithValues: zip(t.column("actionset")!.data.strings, t.column("loaded")!.data.strings))
            #expect(loaded["sccasl"] == "FALSE")
            for name in DefaultActionSets.names where loaded[name] != nil { #expect(loaded[name] == "TRUE", "\(name) is loaded by default") }
            #expect(loaded["percentile"] == "TRUE" && loaded["simple"] == "TRUE" && loaded["aggregation"] == "TRUE")
            try await ok(c, "loadActionSet", ["actionset": "SCCASL"])
            #expect(try await ok(c, "queryActionSet", ["actionSet": "sccasl"]).results["sccasl"] == true)
            let help = try await ok(c, "builtins.help")
            #expect(help.results["sccasl"] != nil && help.results["table"] != nil)
            let q = try await ok(c, "builtins.queryName", ["name": "fetch"])
            #expect(q.results["actionSet"] == "table" && q.results["action"] == "fetch")
            #expect(try await ok(c, "builtins.queryName", ["name": "nothing"]).results.isEmpty)
            let rf = try await ok(c, "builtins.reflect", ["action": "table.loadTable"])
            #expect(rf.results["table"]?["actions"][0]["name"] == "loadTable")
            let cc = try await ok(c, "builtins.reflect", ["actionSet": "builtins", "showHidden": true])
            #expect(cc.results["builtins"]?["actions"].listValue?.contains { $0["name"] == "casCommon" } == true)
        }
    }
}

extension ColumnData {
    var strings: [String] { if case .varchar(let a) = self { a.map { $0 ?? "" } } else { [] } }
}

extension Array where Element == Value {
    var asValue: Value { .list(self) }
}
