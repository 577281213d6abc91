import CASClient
import CASStorage
import CASTestSupport
import CASWire
import Foundation
import Testing

@Suite("User-defined action sets", .serialized)
struct UserActionSetTests {
    static let greet: ValueDict = [
        "name": "greet", "label": "Greetings in CASL",
        "actions": [[
            "name": "hello", "desc": "Says hello.",
            "parms": [["name": "who", "type": "string", "required": true], ["name": "times", "type": "int", "default": 1]],
            "definition": "s = ''; do i = 1 to times; s = s || 'hello ' || who || ' '; end; print s; send_response({text=strip(s)});",
        ]],
    ]

    @Test func aDefinedSetIsLikeAnyOther() async throws {
        try await withServer { s in
            let c = try await s.connect()
            let d = try await ok(c, "builtins.defineActionSet", Self.greet)
            #expect(d.results["actions"] == ["hello"])
            let r = try await ok(c, "greet.hello", ["who": "bob", "times": 2])
            #expect(r.results == ["text": "hello bob hello bob"])
            #expect(r.notes.contains("hello bob hello bob "))
            try await fails(c, "greet.hello", ["times": 2], "Parameter 'who' is required")
            try await fails(c, "greet.hello", ["who": "x", "time": 2], "Parameter 'time' is not recognized. Did you mean 'times'?")
            let h = try await ok(c, "builtins.help", ["action": "greet.hello"])
            #expect(h.notes.contains("Action greet.hello: Says hello."))
            let rf = try await ok(c, "builtins.reflect", ["actionSet": "greet"])
            #expect(rf.results.entries.first?.value["actions"][0]["params"][1]["default"] == 1)
            let sets = try await ok(c, "builtins.listActionSets")
            #expect(sets.results["setinfo"]?.tableValue?.column("actionset")?.data.value(at: sets.results["setinfo"]!.tableValue!.rowCount - 1) == "greet")
            let other = try await s.connect("carol")  // another session: loadActionSet finds it
            try await fails(other, "greet.hello", ["who": "x"], "not loaded")
            try await ok(other, "builtins.loadActionSet", ["actionSet": "greet"])
            try await ok(other, "greet.hello", ["who": "carol"])
        }
    }

    @Test func definitionsAreCheckedWhenDefined() async throws {
        try await withServer { s in
            let c = try await s.connect()
            var bad = Self.greet
            bad["actions"] = [["name": "a", "definition": "x = 1;\nprint x +;"]]
            try await fails(c, "builtins.defineActionSet", bad, "CASL syntax error at line 2, column 10")
            bad["name"] = "table"
            bad["actions"] = [["name": "a", "definition": "x = 1;"]]
            try await fails(c, "builtins.defineActionSet", bad, "'table' is a built-in action set")
            bad["name"] = "../evil"
            try await fails(c, "builtins.defineActionSet", bad, "action set name '../evil' is not valid")
            bad["name"] = "9lives"
            try await fails(c, "builtins.defineActionSet", bad, "must start with a letter")
            bad["name"] = "ok"
            bad["actions"] = [["name": "a", "definition": "x = 1;", "parms": [["name": "p", "type": "int", "default": "abc"]]]]
            try await fails(c, "builtins.defineActionSet", bad, "default of 'p' is invalid")
        }
    }

    @Test func bodiesReportRuntimeErrorsWithTheirPositionAndCheckParameterTypes() async throws {
        try await withServer { s in
            let c = try await s.connect()
            try await ok(c, "builtins.defineActionSet", ["name": "t", "actions": [
                ["name": "bad", "definition": "x = 1;\ny = nosuch + x;"],
                ["name": "types", "parms": [["name": "d", "type": "dict"], ["name": "l", "type": "list"], ["name": "b", "type": "boolean"]],
                 "definition": "send_response({keys=dim(d), items=dim(l), b=b, missing=isnull(b)});"],
            ]])
            try await fails(c, "t.bad", [:], "t.bad: CASL error at line 2, column 5: unknown variable 'nosuch'.")
            let r = try await ok(c, "t.types", ["d": ["a": 1], "l": 5, "b": "true"])
            #expect(r.results == ["keys": 1, "items": 1, "b": true, "missing": false])
            try await fails(c, "t.types", ["d": 3], "Parameter 'd' expects a dictionary")
            let none = try await ok(c, "t.types", ["d": [:], "l": []])
            #expect(none.results["missing"] == true)
        }
    }

    @Test func aSetCallingItselfEndlesslyIsStopped() async throws {
        try await withServer { s in
            let c = try await s.connect()
            try await ok(c, "builtins.defineActionSet", ["name": "loop", "actions": [["name": "again", "definition": "loop.again;"]]])
            try await fails(c, "loop.again", [:], "nested more than 32 calls deep")
        }
    }

    @Test func definitionsSurviveARestart() async throws {
        let root = try await TestServer.start().run(keepData: true) { s in
            let c = try await s.connect()
            try await ok(c, "builtins.defineActionSet", Self.greet)
            #expect(FileManager.default.fileExists(atPath: "\(s.dataRoot)/actionsets/greet.casl"))
            return s.dataRoot
        }
        try await TestServer.start(dataRoot: root).run { s2 in
            let c2 = try await s2.connect()
            try await ok(c2, "builtins.loadActionSet", ["actionSet": "greet"])
            let r = try await ok(c2, "greet.hello", ["who": "again"])
            #expect(r.results == ["text": "hello again"])
        }
    }

    @Test func actionSetFoldersAreLoadedAtStart() async throws {
        let dir = try TestServer.freshRoot()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            /* a hand-written definition file */
            builtins.defineActionSet / name="tools" actions={{name="twice", parms={{name="x", type="double", required=true}},
                definition="send_response({y=x * 2});"}};
            """.write(toFile: "\(dir)/tools.casl", atomically: true, encoding: .utf8)
        try await withServer(actionSetDirs: [dir]) { s in
            let c = try await s.connect()
            try await ok(c, "builtins.loadActionSet", ["actionSet": "tools"])
            let r = try await ok(c, "tools.twice", ["x": 2.5])
            #expect(r.results == ["y": 5.0])
        }
        try "table.fetch / table='x';".write(toFile: "\(dir)/zbad.casl", atomically: true, encoding: .utf8)
        await #expect {
            try await withServer(actionSetDirs: [dir]) { _ in }  // stopped should it start
        } throws: { e in "\(e)".contains("zbad.casl") && "\(e)".contains("only builtins.defineActionSet") }
    }

    @Test func onlyTheOwnerOrAnAdministratorMayReplaceOrDropASet() async throws {
        var hijack = Self.greet
        hijack["actions"] = [["name": "hello", "definition": "send_response({text='hijacked'});"]]
        let other = hijack
        let data = try await TestServer.start(admins: ["root"]).run(keepData: true) { s in
            let alice = try await s.connect("alice"), bob = try await s.connect("bob"), root = try await s.connect("root")
            try await ok(alice, "builtins.defineActionSet", Self.greet)
            try await fails(bob, "builtins.defineActionSet", other, "Action set 'greet' was defined by alice; only alice or an administrator can replace it.")
            try await fails(bob, "builtins.dropActionSet", ["name": "GREET"], "only alice or an administrator can drop it")
            try await ok(bob, "builtins.loadActionSet", ["actionSet": "greet"])
            #expect(try await ok(bob, "greet.hello", ["who": "bob"]).results == ["text": "hello bob"])  // still alice's
            // an administrator may replace it, and alice stays the owner (bob still may not drop it)
            try await ok(root, "builtins.defineActionSet", other)
            #expect(try await ok(bob, "greet.hello", [:]).results == ["text": "hijacked"])
            try await fails(bob, "builtins.dropActionSet", ["name": "greet"], "only alice")
            try await fails(alice, "builtins.dropActionSet", ["name": "table"], "'table' is a built-in action set")
            try await fails(alice, "builtins.dropActionSet", ["name": "greeet"], "There is no user-defined action set 'greeet'. Did you mean 'greet'?")
            return s.dataRoot
        }
        // ownership survives a restart
        try await TestServer.start(admins: ["root"], dataRoot: data).run(keepData: true) { s2 in
            let bob2 = try await s2.connect("bob"), alice2 = try await s2.connect("alice")
            try await fails(bob2, "builtins.dropActionSet", ["name": "greet"], "only alice")
            try await ok(alice2, "builtins.loadActionSet", ["actionSet": "greet"])
            let d = try await ok(alice2, "builtins.dropActionSet", ["name": "greet"])
            #expect(d.notes.contains("Dropped action set 'greet'."))
            #expect(!FileManager.default.fileExists(atPath: "\(s2.dataRoot)/actionsets/greet.casl"))
            try await fails(alice2, "greet.hello", ["who": "x"], "greet")
            let sets = try #require(try await ok(alice2, "builtins.listActionSets").results["setinfo"]?.tableValue)
            #expect(!sets.strings("actionset").contains("greet"))
            // the name is free again: bob may define a set of that name and owns it
            try await ok(bob2, "builtins.defineActionSet", other)
            try await fails(alice2, "builtins.dropActionSet", ["name": "greet"], "was defined by bob")
        }
        // dropped for good: after a restart only bob's definition is there
        try await TestServer.start(dataRoot: data).run { s3 in
            let c3 = try await s3.connect("carol")
            try await ok(c3, "builtins.loadActionSet", ["actionSet": "greet"])
            #expect(try await ok(c3, "greet.hello", [:]).results == ["text": "hijacked"])
        }
    }

    /// A set stored by a version that recorded no owners (file in <data>/actionsets, no row in
    /// server.sqlite) is unowned: any user may replace it and becomes its owner.
    @Test func aStoredSetWithoutAnOwnerRecordCanBeClaimed() async throws {
        let root = try await TestServer.start().run(keepData: true) { s in
            try await ok(try await s.connect("alice"), "builtins.defineActionSet", Self.greet)
            return s.dataRoot
        }
        let db = try ServerStore(path: "\(root)/server.sqlite")
        try await db.removeActionSetOwner("greet")
        try await TestServer.start(dataRoot: root).run { s2 in
            let bob = try await s2.connect("bob"), carol = try await s2.connect("carol")
            var other = Self.greet
            other["actions"] = [["name": "hello", "definition": "send_response({text='bob was here'});"]]
            try await ok(bob, "builtins.defineActionSet", other)
            try await fails(carol, "builtins.dropActionSet", ["name": "greet"], "was defined by bob")
            try await ok(bob, "builtins.dropActionSet", ["name": "greet"])
        }
    }

    @Test func setsFromTheOperatorsFolderOnlyAdministratorsMayChange() async throws {
        let dir = try TestServer.freshRoot()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            builtins.defineActionSet / name="tools" actions={{name="one", definition="send_response({y=1});"}};
            """.write(toFile: "\(dir)/tools.casl", atomically: true, encoding: .utf8)
        try await TestServer.start(admins: ["root"], actionSetDirs: [dir]).run { s in
            let alice = try await s.connect("alice"), root = try await s.connect("root")
            try await fails(alice, "builtins.dropActionSet", ["name": "tools"], "was loaded from the server's action-set folder; only an administrator can drop it")
            let d = try await ok(root, "builtins.dropActionSet", ["name": "tools"])
            #expect(d.notes.contains { $0.contains("comes back when the server restarts") })
            #expect(FileManager.default.fileExists(atPath: "\(dir)/tools.casl"))  // the operator's file is not touched
            try await fails(alice, "builtins.loadActionSet", ["actionSet": "tools"], "tools")
        }
    }
}
