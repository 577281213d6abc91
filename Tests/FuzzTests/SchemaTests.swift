import CASWire
import Testing

/// The fuzzer's own parts: reading reflect's output, baselines, paths.
@Suite("Fuzzer schema reading")
struct SchemaTests {
    @Test func requiredParametersGetPlausibleValues() {
        let reflect: Value = [
            ["name": "table", "parmType": "value_list", "isRequired": true, "parmList": [["name": "name", "parmType": "string", "isRequired": true, "isTableName": true]]],
            ["name": "row", "parmType": "string", "isRequired": true],
            ["name": "opt", "parmType": "int64"],
        ]
        let params = (reflect.listValue ?? []).map(ParamNode.init)
        #expect(params.map(\.required) == [true, true, false])
        let base = Baseline(action: "simple.crossTab").params(params)
        #expect(base["table"]?["name"] == "alltypes")
        #expect(base["row"] == "x")
        #expect(base["opt"] == nil)
        #expect(allPaths(params).map { $0.0.map(\.description).joined(separator: ".") } == ["table", "table.name", "row", "opt"])
        #expect(setting(.dict(base), [PathStep.key("table"), .key("name")][...], to: "..")["table"]["name"] == "..")
    }
}
