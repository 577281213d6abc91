import CASClient
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
        let s = try await TestServer.start()
        let c = try await s.connect()
        try await ok(c, "builtins.defineActionSet", Self.greet)
        #expect(FileManager.default.fileExists(atPath: "\(s.dataRoot)/actionsets/greet.casl"))
        await s.stop(keepData: true)
        let s2 = try await TestServer.start(dataRoot: s.dataRoot)
        let c2 = try await s2.connect()
        try await ok(c2, "builtins.loadActionSet", ["actionSet": "greet"])
        let r = try await ok(c2, "greet.hello", ["who": "again"])
        #expect(r.results == ["text": "hello again"])
        await s2.stop()
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
            _ = try await TestServer.start(actionSetDirs: [dir])
        } throws: { e in "\(e)".contains("zbad.casl") && "\(e)".contains("only builtins.defineActionSet") }
    }
}
