@testable import CASCore
import CASWire
import Testing

/// A two-level group like dlTrain's optimizer, declared once as typed keys.
enum Rate: ParamGroup {
    static let learningRate = P.double("learningRate", "Base rate.", default: 0.001, min: 0)
    static let momentum = P.double("momentum", "Momentum.", default: 0.9, min: 0, max: 1)
    static let policy = P.string("policy", "Policy.", default: "FIXED", allowed: ["FIXED", "STEP"])
    static let steps = P.intList("steps", "Milestones.", min: 1)
    static let parameters = [learningRate.spec, momentum.spec, policy.spec, steps.spec]
}

enum Training: ParamGroup {
    static let rate = P.group("rate", "The rate.", Rate.self)
    static let epochs = P.int("epochs", "Epochs.", default: 1, min: 0)
    static let freeze = P.stringList("freeze", "Layers.", allowed: ["conv1", "fc1"])
    static let parameters = [rate.spec, epochs.spec, freeze.spec]
}

/// A made-up action using every typed shape: nested groups, column lists, optional tables, lists with ranges.
struct TypedDemo: Action {
    static let name = "typed"
    static let summary = "Typed keys at every level."
    static let table = P.table()
    static let other = P.optionalTable("other", "Another table.")
    static let training = P.group("training", "Training settings.", Training.self)
    static let inputs = P.columns("inputs", "Columns.")
    static let pct = P.doubleList("pct", "Percentiles.", default: [25, 75], min: 0, max: 100)
    static let sortBy = P.sortBy()
    static let parameters = [table.spec, other.spec, training.spec, inputs.spec, pct.spec, sortBy.spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict { ValueDict() }

    static func args(_ v: ValueDict) throws(ActionError) -> Args { Args(try Validator.validate(v, parameters)) }

    /// The error `v` gives (nil when it validates).
    static func error(_ v: ValueDict) -> ActionError? {
        do { _ = try args(v) } catch { return error }
        return nil
    }
}

@Suite("Typed keys at every level")
struct ParamGroupTests {
    @Test func anOmittedGroupReadsItsDeclaredDefaults() throws {
        let training = try TypedDemo.args(["table": "t"])[TypedDemo.training]
        #expect(training[Training.epochs] == 1)
        #expect(training[Training.rate][Rate.learningRate] == 0.001)
        #expect(training[Training.rate][Rate.momentum] == 0.9)
        #expect(training[Training.rate][Rate.steps] == [])
        #expect(!(try TypedDemo.args(["table": "t"])).has(TypedDemo.training))
    }

    @Test func aPartlyGivenGroupKeepsTheGivenFieldsAndFillsTheRest() throws {
        let a = try TypedDemo.args(["table": "t", "TRAINING": ["rate": ["MOMENTUM": 0.5, "policy": "step", "steps": [2, 4.0]]]])
        let rate = a[TypedDemo.training][Training.rate]
        #expect(rate[Rate.momentum] == 0.5)
        #expect(rate[Rate.learningRate] == 0.001)
        #expect(rate[Rate.policy] == "STEP", "allowed values are normalised to the declared case")
        #expect(rate[Rate.steps] == [2, 4])
        #expect(a.has(TypedDemo.training))
    }

    @Test func nestedErrorsNameTheFullPath() {
        let range = TypedDemo.error(["table": "t", "training": ["rate": ["momentum": 2]]])
        #expect(range?.parameter == "training.rate.momentum")
        #expect(range?.message == "Parameter 'training.rate.momentum' must be from 0 to 1, but got 2.")
        #expect(TypedDemo.error(["table": "t", "training": ["rate": ["steps": [3, 0]]]])?.parameter == "training.rate.steps[2]",
                "a list's range applies to each item")
        #expect(TypedDemo.error(["table": "t", "training": ["rate": ["lerningRate": 1]]])?.message
                == "Parameter 'training.rate.lerningRate' is not recognized. Did you mean 'learningRate'?")
    }

    @Test func stringListsCheckEveryItemAgainstAllowedValues() throws {
        let ok = try TypedDemo.args(["table": "t", "training": ["freeze": ["CONV1", "fc1"]]])
        #expect(ok[TypedDemo.training][Training.freeze] == ["conv1", "fc1"])
        let bad = TypedDemo.error(["table": "t", "training": ["freeze": ["conv1", "fc2"]]])
        #expect(bad?.code == .parameterValue)
        #expect(bad?.parameter == "training.freeze[2]")
        #expect(bad?.message == "Parameter 'training.freeze[2]' does not accept 'fc2'; expected one of: conv1, fc1. Did you mean 'fc1'?")
    }

    @Test(arguments: [
        (Value.string("a"), ["a"]),
        (["a", "b"], ["a", "b"]),
        (["a", ["name": "b", "format": "8."]], ["a", "b"]),
        ([["NAME": "c"]], ["c"]),
    ] as [(Value, [String])])
    func columnListsTakeNamesOrNameDictionaries(_ given: Value, _ expected: [String]) throws {
        #expect(try TypedDemo.args(["table": "t", "inputs": given])[TypedDemo.inputs] == expected)
    }

    @Test func columnListsRefuseItemsWithoutAName() {
        #expect(TypedDemo.error(["table": "t", "inputs": ["a", ["label": "x"]]])?.parameter == "inputs[2].name")
        #expect(TypedDemo.error(["table": "t", "inputs": [1]])?.message == "Parameter 'inputs[1].name' expects a string, but got the integer 1.")
        #expect(TypedDemo.error(["table": "t", "inputs": [["nmae": "a"]]])?.message.contains("Did you mean 'name'?") == true)
    }

    @Test func tableVarsAreAColumnList() throws {
        let t = try TypedDemo.args(["table": ["name": "iris", "vars": ["a", ["name": "b"]], "computedVars": "c"]])[TypedDemo.table]
        #expect(t == TableRef(name: "iris", vars: ["a", "b"], computedVars: ["c"]))
    }

    @Test func anOptionalTableIsNilUntilGiven() throws {
        #expect(try TypedDemo.args(["table": "t"])[TypedDemo.other] == nil)
        #expect(try TypedDemo.args(["table": "t", "other": "o"])[TypedDemo.other] == TableRef(name: "o"))
        #expect(!TypedDemo.other.spec.isRequired && TypedDemo.other.spec.isTableDef)
        #expect(TypedDemo.table.spec.isRequired && TypedDemo.table.spec.isTableDef)
    }

    @Test func listDefaultsAndItemRanges() throws {
        #expect(try TypedDemo.args(["table": "t"])[TypedDemo.pct] == [25, 75])
        #expect(try TypedDemo.args(["table": "t", "pct": 50])[TypedDemo.pct] == [50])
        #expect(TypedDemo.error(["table": "t", "pct": [10, 120]])?.message == "Parameter 'pct[2]' must be from 0 to 100, but got 120.")
    }

    @Test func sortKeysResolveAgainstTheTable() throws {
        let data = DataTable(name: "T", columns: [Column(name: "a", data: .double([1])), Column(name: "Bee", data: .double([2]))])
        let items = try TypedDemo.args(["table": "t", "sortBy": [["name": "bee", "order": "descending"], "a"]])[TypedDemo.sortBy]
        let keys = try SortItem.keys(items, in: data)
        #expect(keys.map(\.column) == [1, 0])
        #expect(keys.map(\.descending) == [true, false])
        do {
            _ = try SortItem.keys([Args(["name": "be"])], in: data)
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "Column 'be' does not exist in table T. Did you mean 'Bee'?")
            #expect(error.parameter == "sortBy[1].name")
        }
    }

    @Test func aSelectionNamesItsAlternativeAndReadsTypedKeys() throws {
        let nFilters = P.int("nFilters", "Filters.", default: 1, min: 1)
        let layer = P.selector("layer", "A layer.", key: "type", [.init("conv", "Convolution.", [nFilters.spec])])
        let chosen = try #require(Args(try Validator.validate(["layer": ["type": "CONV"]], [layer.spec]))[layer])
        #expect(chosen.alternative == "conv")
        #expect(chosen[nFilters] == 1)
    }
}

@Suite("Nested parameters in help, reflect and docs")
struct NestedParameterDocsTests {
    let set = ActionSet(name: "demo", summary: "Demo.", actions: [TypedDemo.self])

    @Test func docsListNestedFieldsWithDefaultsRangesAndAllowedValues() {
        let md = Reflect.markdown(set)
        #expect(md.contains("| `training.rate.learningRate` | double |  | `0.001` | Base rate. Range: >= 0. |"))
        #expect(md.contains("| `training.rate.policy` | string |  | `\"FIXED\"` | Policy. One of: `FIXED`, `STEP`. |"))
        #expect(md.contains("| `training.freeze` | list of strings |  |  | Layers. One of: `conv1`, `fc1`. |"))
        #expect(md.contains("| `inputs` | list of columns (names or {name=…}) |  |  | Columns. |"))
        #expect(!md.contains("`inputs.name`"), "a column list is one row, not its item's fields")
        #expect(md.contains("| `sortBy.order` | string |  | `\"ASCENDING\"` |"))
    }

    @Test func helpIndentsNestedFields() throws {
        let lines = Reflect.helpLines(ActionEntry(setName: "demo", action: ActionDescriptor(TypedDemo.self)))
        #expect(lines.contains("          momentum (double), default 0.9, 0 to 1 — Momentum."))
        #expect(lines.contains("  other (table) — Another table."))
    }

    @Test func reflectDescribesTheNestedList() throws {
        let training = Reflect.describe(Training.rate.spec)
        let fields = try #require(training["parmList"].listValue)
        #expect(fields.map { $0["name"] } == ["learningRate", "momentum", "policy", "steps"])
        #expect(fields[1]["default"] == .double(0.9) && fields[1]["valueMax"] == .double(1))
        let inputs = Reflect.describe(TypedDemo.inputs.spec)
        #expect(inputs["isList"] == true)
        #expect(try #require(inputs["exemplar"].listValue).first?["name"] == "name")
    }
}
