import ActionSetBuiltins
import ActionSetSession
import ActionSetSessionProp
import ActionSetSimple
import ActionSetTable
@testable import CASCore
import CASWire
import Testing

struct GoodAction: Action {
    static let name = "good"
    static let summary = "Fine."
    static let parameters = [P.int("n", "A number.", default: 1, min: 0).spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict { ValueDict() }
}

struct NoDescription: Action {
    static let name = "bad"
    static let summary = ""
    static let parameters: [ParamSpec] = []
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict { ValueDict() }
}

struct DefaultOutOfRange: Action {
    static let name = "range"
    static let summary = "Bad default."
    static let parameters = [P.int("n", "A number.", default: 20, min: 0, max: 10).spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict { ValueDict() }
}

struct DuplicateParameter: Action {
    static let name = "dup"
    static let summary = "Duplicate names."
    static let parameters = [P.int("n", "A.", default: 1).spec, P.bool("N", "B.", default: true).spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict { ValueDict() }
}

struct DefaultNotAllowed: Action {
    static let name = "allowed"
    static let summary = "Default outside allowed values."
    static let parameters = [P.string("m", "Mode.", default: "c", allowed: ["a", "b"]).spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict { ValueDict() }
}

@Suite("Registry")
struct RegistryTests {
    @Test func theShippedActionSetsValidate() throws {
        let reg = try Registry([builtinsActionSet, sessionActionSet, sessionPropActionSet, tableActionSet, simpleActionSet])
        #expect(reg.entry("TABLE.FETCH")?.fullName == "table.fetch")
        #expect(reg.alwaysLoaded == ["builtins", "session", "sessionprop", "table", "simple"], "DefaultActionSets names them all")
    }

    @Test(arguments: [
        (NoDescription.self as any Action.Type, "no description"),
        (DefaultOutOfRange.self, "default of 'n' is invalid"),
        (DuplicateParameter.self, "declared twice"),
        (DefaultNotAllowed.self, "default of 'm' is invalid"),
    ])
    func inconsistentDeclarationsAreRefusedAtStart(_ action: any Action.Type, _ fragment: String) {
        do {
            _ = try Registry([ActionSet(name: "x", summary: "X.", actions: [GoodAction.self, action])])
            Issue.record("expected a registry error")
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test func duplicateActionAndSetNamesAreRefused() {
        #expect(throws: RegistryError.self) { try Registry([ActionSet(name: "x", summary: "X.", actions: [GoodAction.self, GoodAction.self])]) }
        #expect(throws: RegistryError.self) {
            try Registry([ActionSet(name: "x", summary: "X.", actions: [GoodAction.self]), ActionSet(name: "X", summary: "Y.", actions: [])])
        }
    }

    @Test func resolvesBareNamesInLoadedSetsAndExplainsTheRest() throws {
        let reg = try Registry([builtinsActionSet, tableActionSet, simpleActionSet])
        let loaded: Set<String> = ["builtins", "table"]
        #expect(try reg.resolve("fetch", loaded: loaded).fullName == "table.fetch")
        #expect(throws: ActionError.self) { try reg.resolve("simple.summary", loaded: loaded) }
        do {
            _ = try reg.resolve("table.fecth", loaded: loaded)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("Did you mean 'table.fetch'?"))
        }
        do {
            _ = try reg.resolve("tabel.fetch", loaded: loaded)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("Did you mean 'table'?"))
        }
    }

    @Test func reflectUsesCASVocabulary() {
        let v = Reflect.describe(tableActionSet, action: "fetch")
        let params = v["actions"][0]["params"].listValue ?? []
        let table = params.first { $0["name"] == "table" }
        #expect(table?["isTableDef"] == true)
        #expect(table?["parmType"] == "value_list")
        #expect(table?["parmList"].listValue?.contains { $0["name"] == "where" } == true)
        let from = params.first { $0["name"] == "from" }
        #expect(from?["default"] == .int(1))
        #expect(from?["valueMin"] == .double(1))
    }
}
