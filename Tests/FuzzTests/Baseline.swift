import CASWire

/// Plausible values for required parameters, so that a fuzzed parameter is reached past the others:
/// tables and files the prepared session holds, chosen by the parameter's declaration and name.
struct Baseline {
    let action: String  // set.action

    var set: String { String(action.split(separator: ".").first ?? "") }
    var name: String { String(action.split(separator: ".").last ?? "") }

    /// Values the heuristics cannot guess, per action.
    static let overrides: [String: ValueDict] = [
        "table.loadTable": ["path": "data.csv", "casOut": ["name": "fuzz_out", "replace": true]],
        "table.deleteSource": ["source": "victim.csv", "quiet": true],
        "table.dropTable": ["name": "victim", "quiet": true],
        "table.promote": ["name": "victim", "caslib": "CASUSER"],
        "table.alterTable": ["name": "victim"],
        "table.attribute": ["table": "victim", "name": "fuzzattr"],
        "table.addTable": ["table": "fuzz_added", "replace": true, "vars": [["name": "x"]], "rows": [[1]]],
        "table.addCaslib": ["caslib": "fuzzlib", "path": "casuser/fuzzer/img", "activeOnAdd": false],
        "table.dropCaslib": ["caslib": "nolib", "quiet": true],
        "table.fileInfo": ["caslib": "CASUSER"],
        "table.save": ["table": "alltypes", "name": "saved_copy", "replace": true],
        "image.loadImages": ["path": "img", "casOut": ["name": "fuzz_out", "replace": true], "labelLevels": 1],
        "image.saveImages": ["table": "images", "subDirectory": "saved"],
        "deepLearn.dlImportModelWeights": ["model": "cnn", "modelWeights": ["name": "fuzz_w", "replace": true], "formatType": "DLEW", "weightFilePath": "model.dlew"],
        "deepLearn.dlExportModel": ["modelTable": "cnn", "initWeights": "cnn_w", "path": "export.dlew"],
        "deepLearn.addLayer": ["model": "scratch", "name": "extra", "layer": ["type": "fc", "n": 4], "srcLayers": ["data"], "replace": true],
        "deepLearn.removeLayer": ["model": "scratch", "name": "extra"],
        "deepLearn.buildModel": ["model": ["name": "scratch", "replace": true], "type": "CNN"],
        "deepLearn.dlTrain": ["table": "images", "modelTable": "cnn", "modelWeights": ["name": "fuzz_w", "replace": true], "inputs": "_image_",
                              "target": "_label_", "optimizer": ["miniBatchSize": 4, "maxEpochs": 1]],
        "deepLearn.dlScore": ["table": "images", "model": "cnn", "initWeights": "cnn_w", "casOut": ["name": "fuzz_out", "replace": true], "copyVars": ["_label_", "_id_"]],
        "deepLearn.dlHeatMap": ["table": "images", "model": "cnn", "initWeights": "cnn_w", "casOut": ["name": "fuzz_out", "replace": true]],
        "deepLearn.dlCharts": ["table": "scored", "target": "_label_"],
        "deepLearn.dlEvaluatePictures": ["table": "scored", "target": "_label_"],
        "sampling.srs": ["table": "images", "samppct": 50, "seed": 1, "output": ["casOut": ["name": "fuzz_out", "replace": true]]],
        "sampling.stratified": ["table": ["name": "images", "groupBy": "_label_"], "samppct": 50, "seed": 1, "output": ["casOut": ["name": "fuzz_out", "replace": true]]],
        "sccasl.runCasl": ["code": "x = 1; print x;"],
        "builtins.loadActionSet": ["actionSet": "simple"],
        "builtins.defineActionSet": ["name": "fuzzset", "actions": [["name": "hello", "definition": "print 1;"]]],
        "builtins.dropActionSet": ["name": "fuzzset"],
        "accessControl.updSomeAcsTable": ["acs": [["caslib": "Public", "table": "pubt", "identity": "*", "permission": "Select"]]],
        "accessControl.updSomeAcsCaslib": ["acs": [["caslib": "Public", "identity": "*", "permission": "ReadInfo"]]],
        "accessControl.listAcsData": ["caslib": "Public"],
        "accessControl.addGroup": ["group": "fuzzgroup"],
        "accessControl.addGroupMember": ["group": "fuzzgroup", "user": "fuzzer"],
        "accessControl.removeGroupMember": ["group": "fuzzgroup", "user": "fuzzer"],
        "accessControl.dropGroup": ["group": "fuzzgroup"],
        "simple.summary": ["table": "alltypes"],
    ]

    /// The required parameters of an action, with `choices` picking alternatives of selectors (by parameter name).
    func params(_ specs: [ParamNode], choices: [String: String] = [:]) -> ValueDict {
        var d = ValueDict()
        for p in specs where p.required || p.isTableDef {
            guard p.required else { continue }
            d[p.name] = value(p, choices: choices)
        }
        if let o = Self.overrides[action] {
            for (k, v) in o where choices[k] == nil { d[k] = v }
        }
        return d
    }

    func value(_ p: ParamNode, choices: [String: String]) -> Value {
        let n = p.name.lowercased()
        if p.isTableDef { return ["name": .string(table(for: n))] }
        if p.isOutTableDef { return ["name": "fuzz_out", "replace": true] }
        if p.isCasLib { return "CASUSER" }
        if let d = p.defaultValue { return d }
        if let a = p.allowed?.first { return .string(a) }
        switch p.shape {
        case .bool: return false
        case .int: return .int(Int64(max(p.min ?? 1, 1)))
        case .double: return .double(max(p.min ?? 1, 1))
        case .string:
            if p.isTableName { return .string(table(for: n)) }
            if n.contains("model") { return "cnn" }
            if n == "target" { return "_label_" }
            if n == "inputs" || n == "image" { return "_image_" }
            return "x"
        case .blob: return .blob([1, 2, 3])
        case .value: return n.contains("var") || n == "inputs" ? ["_label_"] : "x"
        case .list(let item): return item.map { .list([value($0, choices: choices)]) } ?? ["x"]
        case .dict(let sub): return .dict(params(sub, choices: choices))
        case .selector(let key, let alts):
            guard let alt = alts.first(where: { $0.name == choices[p.name] }) ?? alts.first else { return [:] }
            var d = params(alt.params.filter { $0.name.lowercased() != key.lowercased() }, choices: choices)
            d = ValueDict([(key, .string(alt.name))] + d.entries.map { ($0.key, $0.value) })
            return .dict(d)
        }
    }

    func table(for param: String) -> String {
        if param.contains("weight") { return "cnn_w" }
        if param.contains("model") { return "cnn" }
        if name == "dlCharts" || name == "dlEvaluatePictures" { return "scored" }
        if ["image", "deepLearn", "sampling"].contains(set) { return "images" }
        return "alltypes"
    }
}
