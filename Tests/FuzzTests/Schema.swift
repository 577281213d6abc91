import CASWire

/// A declared parameter as `builtins.reflect` describes it: the fuzzer's view of the registry.
struct ParamNode {
    indirect enum Shape {
        case bool, int, double, string, blob, value
        case list(ParamNode?)
        case dict([ParamNode])
        case selector(key: String, alternatives: [(name: String, params: [ParamNode])])
    }

    var name: String
    var required: Bool
    var defaultValue: Value?
    var allowed: [String]?
    var min: Double?
    var isTableDef = false, isOutTableDef = false, isCasLib = false, isTableName = false
    var shape: Shape

    /// Reads one parameter of reflect's output.
    init(_ v: Value) {
        name = v["name"].stringValue ?? "?"
        required = v["isRequired"].boolValue ?? false
        defaultValue = v["default"].isNull ? Value?.none : .some(v["default"])  // a bare nil would be Value.null
        allowed = v["allowedValues"].listValue?.compactMap(\.stringValue)
        min = v["valueMin"].doubleValue ?? v["exclusiveMin"].doubleValue
        isTableDef = v["isTableDef"].boolValue ?? false
        isOutTableDef = v["isOutTableDef"].boolValue ?? false
        isCasLib = v["isCasLib"].boolValue ?? false
        isTableName = v["isTableName"].boolValue ?? false
        switch v["parmType"].stringValue {
        case "boolean": shape = .bool
        case "int64": shape = .int
        case "double": shape = .double
        case "string": shape = .string
        case "blob": shape = .blob
        case "value_list":
            if let ex = v["exemplar"].listValue {
                shape = .list(ParamNode(name: "item", shape: .dict(ex.map(ParamNode.init))))
            } else if let key = v["selector"].stringValue {
                shape = .selector(key: key, alternatives: (v["alternatives"].listValue ?? []).map { a in
                    (a["name"].stringValue ?? "?", (a["parmList"].listValue ?? []).map(ParamNode.init))
                })
            } else if let sub = v["parmList"].listValue {
                shape = .dict(sub.map(ParamNode.init))
            } else {
                shape = .list(nil)
            }
        default:
            if v["isList"].boolValue == true {
                let item: Shape = switch v["itemType"].stringValue {
                case "int64": .int
                case "double": .double
                case "string": .string
                case "boolean": .bool
                default: .value
                }
                shape = .list(ParamNode(name: "item", shape: item))
            } else {
                shape = .value
            }
        }
    }

    init(name: String, shape: Shape) {
        self.name = name
        self.required = true
        self.shape = shape
    }
}

/// One step into a parameter value: a key of a parameter list, the first item of a list, or a selector's alternative.
enum PathStep: CustomStringConvertible {
    case key(String)
    case item
    case alternative(key: String, name: String)

    var description: String {
        switch self {
        case .key(let k): k
        case .item: "[1]"
        case .alternative(let key, let name): "{\(key)=\(name)}"
        }
    }
}

/// Every parameter at every nesting level, as paths with the node they lead to.
func allPaths(_ params: [ParamNode], prefix: [PathStep] = []) -> [([PathStep], ParamNode)] {
    var out: [([PathStep], ParamNode)] = []
    for p in params {
        let here = prefix + [.key(p.name)]
        out.append((here, p))
        switch p.shape {
        case .dict(let sub): out += allPaths(sub, prefix: here)
        case .list(let item?):
            if case .dict(let sub) = item.shape { out += allPaths(sub, prefix: here + [.item]) }
        case .selector(let key, let alts):
            for a in alts { out += allPaths(a.params.filter { $0.name.lowercased() != key.lowercased() }, prefix: here + [.alternative(key: key, name: a.name)]) }
        default: break
        }
    }
    return out
}

/// `value` with the value at `path` replaced by `new` (parameter lists and lists created on the way).
func setting(_ value: Value, _ path: ArraySlice<PathStep>, to new: Value) -> Value {
    guard let step = path.first else { return new }
    let rest = path.dropFirst()
    switch step {
    case .key(let k):
        var d = value.dictValue ?? ValueDict()
        d[k] = setting(d[k] ?? .null, rest, to: new)
        return .dict(d)
    case .item:
        var items = value.listValue ?? []
        if items.isEmpty { items = [.dict(ValueDict())] }
        items[0] = setting(items[0], rest, to: new)
        return .list(items)
    case .alternative(let key, let name):
        var d = value.dictValue ?? ValueDict()
        if d[key]?.stringValue?.lowercased() != name.lowercased() { d = ValueDict([(key, .string(name))]) }
        return setting(.dict(d), rest, to: new)
    }
}
