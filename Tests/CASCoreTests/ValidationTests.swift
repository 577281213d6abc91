@testable import CASCore
import CASWire
import Testing

/// Parameters of a made-up action covering every schema shape.
enum Demo {
    static let count = P.int("count", "How many.", default: 4, min: 1, max: 10)
    static let rate = P.double("rate", "A rate.", default: 0.5, min: 0, exclusiveMin: true)
    static let mode = P.string("mode", "A mode.", default: "fast", allowed: ["fast", "SLOW"])
    static let flag = P.bool("flag", "A flag.", default: false)
    static let names = P.stringList("names", "Some names.")
    static let out = P.outTable()
    static let table = P.table()
    static let layer = P.selector("layer", "A layer.", key: "type", [
        .init("conv", "Convolution.", [P.int("nFilters", "Filters.", default: 1, min: 1).spec, P.string("act", "Activation.", default: "relu").spec]),
        .init("pool", "Pooling.", [P.int("width", "Width.", default: 2, min: 1).spec]),
    ], required: false)
    static let specs = [count.spec, rate.spec, mode.spec, flag.spec, names.spec, out.spec, table.spec, layer.spec]

    static func args(_ v: ValueDict) throws(ActionError) -> Args { Args(try Validator.validate(v, specs)) }
}

@Suite("Parameter validation")
struct ValidationTests {
    @Test func defaultsAreFilledAndNamesAreCaseInsensitive() throws {
        let a = try Demo.args(["TABLE": "iris", "CoUnT": 7])
        #expect(a[Demo.count] == 7)
        #expect(a[Demo.rate] == 0.5)
        #expect(a[Demo.mode] == "fast")
        #expect(a[Demo.table].name == "iris", "a scalar fills the first parameter of a parameter list")
        #expect(a.values.keys.contains("count"), "canonical names are stored")
    }

    @Test(arguments: [(Value.double(4.0), 4), (.string("5"), 5), (.string(" 6 "), 6), (.int(3), 3), (.string("2.0"), 2)])
    func numbersAreCoercedLosslessly(_ given: Value, _ expected: Int) throws {
        #expect(try Demo.args(["table": "t", "count": given])[Demo.count] == expected)
    }

    @Test(arguments: [Value.double(4.5), .string("four"), .bool(true) as Value, .list([])])
    func lossyOrWrongNumbersAreRefused(_ given: Value) {
        #expect(throws: ActionError.self) { try Demo.args(["table": "t", "count": given]) }
    }

    @Test func integersPastTwoToThe53AreIntegersAndPastInt64AreOutOfRange() throws {
        let big = P.int("n", "Any integer.", default: 0)
        func n(_ v: Value) throws(ActionError) -> Int { Args(try Validator.validate(["n": v], [big.spec]))[big] }
        #expect(try n(.double(1e18)) == 1_000_000_000_000_000_000)
        let e = #expect(throws: ActionError.self) { try n(.double(18446744073709551616.0)) }
        #expect(e?.message.contains("outside the 64-bit range") == true, "\(String(describing: e))")
        let f = #expect(throws: ActionError.self) { try n(.double(2.5)) }
        #expect(f?.message.contains("not a whole number") == true)
    }

    @Test func nanIsNotANumberForAParameter() throws {
        let free = P.double("x", "Any number.", default: 0)
        let e = #expect(throws: ActionError.self) { try Validator.validate(["x": .double(.nan)], [free.spec]) }
        #expect(e?.message.contains("got NaN") == true && e?.parameter == "x", "\(String(describing: e))")
        #expect(throws: ActionError.self) { try Demo.args(["table": "t", "rate": .double(.nan)]) }
    }

    @Test func unknownNamesGetANearMissSuggestion() {
        do {
            _ = try Demo.args(["table": "t", "cuont": 1])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .parameterUnknown)
            #expect(error.message.contains("'cuont' is not recognized"))
            #expect(error.message.contains("Did you mean 'count'?"))
            #expect(error.details.first?.contains("count, rate, mode") == true)
        }
    }

    @Test func nestedUnknownNamesNameTheirPath() {
        do {
            _ = try Demo.args(["table": ["name": "t", "whre": "x > 1"]])
            Issue.record("expected an error")
        } catch {
            #expect(error.parameter == "table.whre")
            #expect(error.message.contains("Did you mean 'where'?"))
        }
    }

    @Test func rangesAreChecked() {
        #expect(throws: ActionError.self) { try Demo.args(["table": "t", "count": 11]) }
        #expect(throws: ActionError.self) { try Demo.args(["table": "t", "count": 0]) }
        #expect(throws: ActionError.self) { try Demo.args(["table": "t", "rate": 0]) }
        #expect(throws: Never.self) { try Demo.args(["table": "t", "rate": 0.001, "count": 10]) }
    }

    @Test func allowedValuesNormaliseCase() throws {
        #expect(try Demo.args(["table": "t", "mode": "slow"])[Demo.mode] == "SLOW")
        do {
            _ = try Demo.args(["table": "t", "mode": "slwo"])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .parameterValue)
            #expect(error.message.contains("Did you mean 'SLOW'?"))
        }
    }

    @Test func requiredParametersMustBeGiven() {
        do {
            _ = try Demo.args(["count": 2])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .parameterMissing)
            #expect(error.parameter == "table")
        }
    }

    @Test func duplicateKeysDifferingInCaseAreRefusedUnlessEqual() throws {
        var d = ValueDict()
        d.appendUnchecked("table", "a")
        d.appendUnchecked("TABLE", "b")
        #expect(throws: ActionError.self) { try Validator.validate(d, Demo.specs) }
        var same = ValueDict()
        same.appendUnchecked("names", ["x"])
        same.appendUnchecked("NAMES", ["x"])
        same.appendUnchecked("table", "t")
        #expect(try Args(Validator.validate(same, Demo.specs))[Demo.names] == ["x"])
    }

    @Test func scalarsStandForOneItemLists() throws {
        #expect(try Demo.args(["table": "t", "names": "x"])[Demo.names] == ["x"])
        #expect(try Demo.args(["table": "t", "names": ["x", "y"]])[Demo.names] == ["x", "y"])
    }

    @Test func booleansAcceptCommonSpellings() throws {
        for v: Value in [true, 1, "TRUE", "yes"] { #expect(try Demo.args(["table": "t", "flag": v])[Demo.flag] == true) }
        #expect(throws: ActionError.self) { try Demo.args(["table": "t", "flag": "maybe"]) }
    }

    @Test func selectorPicksTheAlternativeAndValidatesIt() throws {
        let a = try Demo.args(["table": "t", "layer": ["TYPE": "CONV", "nfilters": 8.0]])
        let layer = try #require(a[Demo.layer])
        #expect(layer.alternative == "conv")
        #expect(layer.args["nFilters"] == .int(8))
        #expect(layer.args["act"] == "relu", "the alternative's defaults are filled")
        #expect(throws: ActionError.self) { try Demo.args(["table": "t", "layer": ["type": "pool", "nFilters": 3]]) }
        do {
            _ = try Demo.args(["table": "t", "layer": ["type": "cnov"]])
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("Did you mean 'conv'?"))
        }
        #expect(throws: ActionError.self) { try Demo.args(["table": "t", "layer": ["width": 3]]) }
    }

    @Test func outTableDefaultsAndFlags() throws {
        let a = try Demo.args(["table": "t", "casout": ["name": "o", "replace": true]])
        #expect(a[Demo.out] == OutTableRef(name: "o", replace: true))
        #expect(Demo.out.spec.isOutTableDef && Demo.table.spec.isTableDef)
    }
}

@Suite("Near-miss suggestions")
struct NearMissTests {
    @Test(arguments: [("tabel", "table"), ("CASOUT", "casOut"), ("fetchvar", "fetchVars"), ("form", "from")])
    func suggestsTheClosest(_ typo: String, _ expected: String) {
        #expect(NearMiss.suggest(typo, among: ["table", "casOut", "fetchVars", "from", "to"]) == expected)
    }

    @Test func staysQuietWhenNothingIsClose() {
        #expect(NearMiss.suggest("zzzzzz", among: ["table", "casOut"]) == nil)
    }

    @Test func wordsTheSuggestionOnce() {
        #expect(NearMiss.doesNotExist("Layer", "conv9", in: "model m", among: ["conv1", "pool1"])
                == "Layer 'conv9' does not exist in model m. Did you mean 'conv1'?")
        #expect(NearMiss.doesNotExist("Action set", "zzzzzz", among: ["table"]) == "Action set 'zzzzzz' does not exist.")
        #expect(NearMiss.withSuggestion("There is no set 'tabel'.", for: "tabel", among: ["table"]) == "There is no set 'tabel'. Did you mean 'table'?")
    }
}
