import CASTestSupport
import CASWire
import Testing

/// The builtins CAS clients rely on (issue 18): log, listNodes, actionSetInfo, httpAddress, history,
/// addNode/removeNode, help for sets that are not loaded, loadActionSet's answer; and table.tableDetails
/// and deduplication.deduplicate. Expectations come from CAS's documented answers (swat's own tests
/// check the same names), never from caslite's output.
@Suite("Builtins CAS clients rely on", .serialized)
struct BuiltinsFidelityTests {
    @Test(arguments: Transport.allCases)
    func logListNodesActionSetInfoAndHttpAddress(_ transport: Transport) async throws {
        try await TestServer.start(admins: ["root"], http: true).run { s in
            let c = try await s.client(transport)
            let shown = try await ok(c, "builtins.log", ["logger": "App.cas.builtins.log"])
            #expect(shown.notes.first?.hasPrefix("Logger: 'App.cas.builtins.log', level: '") == true, "\(shown.notes)")
            #expect(shown.disposition.formattedStatus.isEmpty)
            try await fails(c, "builtins.log", ["logger": "App.cas", "level": "debug"], "You must be an administrator to set logging levels")
            try await fails(c, "builtins.log", ["level": "loud"], "level")
            try await fails(c, "builtins.log", ["invalid": "parameter"], "invalid")
            let root = try await s.client(transport, "root")
            try await fails(root, "builtins.log", ["logger": "App.cas", "level": "debug"], "The logger is immutable")

            let nodes = try #require(try await ok(c, "builtins.listNodes").results["nodelist"]?.tableValue)
            #expect(nodes.rowCount == 1 && nodes.strings("role") == ["controller"])

            let info = try #require(try await ok(c, "builtins.actionSetInfo").results["setinfo"]?.tableValue)
            let loaded = info.strings("actionset").compactMap { $0 }
            #expect(loaded.contains("builtins") && !loaded.contains("sccasl"))
            let all = try #require(try await ok(c, "builtins.actionSetInfo", ["all": true]).results["setinfo"]?.tableValue)
            #expect(all.rowCount > info.rowCount && all.strings("actionset").contains("sccasl"))

            let http = try await ok(c, "builtins.httpAddress")
            #expect(http.results["protocol"] == "http")
            #expect(http.results["port"]?.intValue == Int64(s.server.httpPort ?? -1))
        }
    }

    @Test(arguments: Transport.allCases)
    func addNodeAndRemoveNodeSayTheyAreNotSupported(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            let r = try await fails(c, "builtins.addNode", ["node": ["pepper"]], "not supported on this server", "one node")
            #expect(r.logs.last?.message == "The action stopped due to errors.")
            try await fails(c, "builtins.removeNode", ["node": ["salt"]], "not supported on this server")
            try await fails(c, "builtins.addNode", ["salt": "controller", "node": ["pepper"]], "salt")
        }
    }

    @Test(arguments: Transport.allCases)
    func historyListsTheCallsOfThisSessionOnly(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "builtins.echo", ["x": 3, "name": "hello"])
            try await fails(c, "table.fetch", ["table": "nope"])
            let other = try await s.client(transport)
            try await ok(other, "builtins.ping")
            let h = try await ok(c, "builtins.history", ["verbose": true])
            let t = try #require(h.results["History"]?.tableValue)
            let actions = t.strings("Action").compactMap { $0 }
            #expect(Array(actions.suffix(2)) == ["builtins.echo", "table.fetch"])
            #expect(!actions.contains("builtins.ping"))
            #expect(t.strings("Severity").suffix(2) == ["Normal", "Error"])
            #expect(h.notes.contains { $0.hasSuffix("action builtins.echo; x=3, name='hello'; /* (SUCCESS) */") }, "\(h.notes)")
            #expect(h.notes.contains { $0.hasSuffix("action table.fetch; table='nope'; /* (FAILED) */") }, "\(h.notes)")
            // long parameters are cut (a string at 200 characters, the whole text at Limits.historyParameterCharacters)
            try await ok(c, "builtins.echo", ["long": .string(String(repeating: "x", count: 10_000)), "many": .list((0..<5_000).map { .int($0) })])
            let cut = try #require(try await ok(c, "builtins.history").results["History"]?.tableValue?.strings("Parameters").last ?? nil)
            #expect(cut.count <= 520 && cut.hasPrefix("long='xxx") && cut.contains("…"), "\(cut.count)")
            let n = actions.count
            let one = try #require(try await ok(c, "builtins.history", ["first": .int(Int64(n)), "last": .int(Int64(n))]).results["History"]?.tableValue)
            #expect(one.strings("Action") == ["table.fetch"])   // numbers count every call; the earlier ones keep theirs
        }
    }

    @Test(arguments: Transport.allCases)
    func helpAnswersOnlyForLoadedSetsAndLoadActionSetNamesTheSet(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            let notLoaded = try await fails(c, "builtins.help", ["actionSet": "sccasl"], "is not loaded")
            #expect(notLoaded.results.entries.isEmpty)
            try await fails(c, "builtins.help", ["action": "runCasl"], "runCasl")
            try await fails(c, "builtins.help", ["action": "sccasl.runCasl"], "not loaded")
            let loaded = try await ok(c, "builtins.loadActionSet", ["actionSet": "sccasl"])
            #expect(loaded.results == ["actionset": "sccasl"])
            let h = try await ok(c, "builtins.help", ["actionSet": "sccasl"])
            let t = try #require(h.results["sccasl"]?.tableValue)
            #expect(t.strings("name") == ["runCasl"])
            #expect(t.columns.map(\.label) == ["Name", "Description"])
            try await ok(c, "builtins.help", ["action": "runCasl"])
            let b = try #require(try await ok(c, "builtins.help").results["builtins"]?.tableValue)
            for name in ["addNode", "removeNode", "listNodes", "log", "history", "actionSetInfo", "httpAddress", "userInfo"] {
                #expect(b.strings("name").contains(name), "\(name)")
            }
        }
    }

    @Test(arguments: Transport.allCases)
    func tableDetailsAndDeduplicate(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "d", "vars": [["name": "k", "type": "varchar"], ["name": "x"]],
                                               "rows": [["a", 1], ["b", 2], ["a", 1], ["a", 3], ["b", 2], ["c", .null]]])
            let details = try #require(try await ok(c, "table.tableDetails", ["name": "d"]).results["TableDetails"]?.tableValue)
            #expect(details.ints("DataSize") == [6 * 8])           // six doubles
            #expect(details.ints("VardataSize") == [6])            // six one-byte strings
            #expect(details.ints("Blocks") == [1] && details.ints("Rows") == [6])
            try await fails(c, "table.tableDetails", ["name": "nope"], "nope", "name")

            try await ok(c, "builtins.loadActionSet", ["actionSet": "deduplication"])
            let r = try await ok(c, "deduplication.deduplicate", ["table": "d", "casOut": ["name": "u"]])
            #expect(r.results["OutputCasTables"]?.tableValue?.ints("Rows") == [4])
            let u = try await fetchAll(c, "u")
            #expect(u.strings("k") == ["a", "b", "a", "c"] && u.ints("x") == [1, 2, 3, nil])   // the first of each, input order
            try await ok(c, "deduplication.deduplicate", ["table": ["name": "d", "groupBy": ["k"]], "casOut": ["name": "keys"], "noDuplicateKeys": true])
            let keys = try await fetchAll(c, "keys")
            #expect(keys.strings("k") == ["a", "b", "c"] && keys.ints("x") == [1, 2, nil])
            try await fails(c, "deduplication.deduplicate", ["table": "d", "casOut": ["name": "z"], "noDuplicateKeys": true], "groupBy", "noDuplicateKeys")
            try await fails(c, "deduplication.deduplicate", ["table": "d", "casOut": ["name": "bad/name"]], "casOut.name")
        }
    }
}
