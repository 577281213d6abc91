import CASWire
import CheckedSize

/// The type of a parameter, in the shapes CAS uses (`parmType` in `builtins.reflect`).
public indirect enum ParamType: Sendable {
    case bool
    case int
    case double
    case string
    case blob
    /// Any value, passed through unchecked (e.g. `builtins.echo`).
    case value
    /// A list whose items have the given type; a single item stands for a one-item list.
    case list(ParamType)
    /// A nested parameter list (`parmList`); a scalar fills its first parameter (`casOut="x"`).
    case dict([ParamSpec])
    /// A selector union (`addLayer`'s `layer` with `type=`): the value of `key` picks the parameter list.
    case selector(key: String, alternatives: [Alternative])

    /// One branch of a selector union.
    public struct Alternative: Sendable {
        public var name: String
        public var description: String
        public var parameters: [ParamSpec]
        public init(_ name: String, _ description: String, _ parameters: [ParamSpec]) {
            self.name = name
            self.description = description
            self.parameters = parameters
        }
    }

    /// The `parmType` word reflect reports.
    public var reflectName: String {
        switch self {
        case .bool: "boolean"
        case .int: "int64"
        case .double: "double"
        case .string: "string"
        case .blob: "blob"
        case .value: "value"
        case .list, .dict, .selector: "value_list"
        }
    }

    /// A short human name for messages and docs ("integer", "list of strings", …).
    public var humanName: String {
        switch self {
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .blob: "binary data"
        case .value: "any value"
        case .list(let t): "a list of \(t.humanPlural)"
        case .dict: "a parameter list {…}"
        case .selector(let key, _): "a parameter list {\(key)=…, …}"
        }
    }

    var humanPlural: String {
        switch self {
        case .bool: "booleans"
        case .int: "integers"
        case .double: "numbers"
        case .string: "strings"
        case .blob: "blobs"
        case .value: "values"
        case .list: "lists"
        case .dict, .selector: "parameter lists"
        }
    }
}

/// One declared parameter: the single source for decoding, validation, help, reflect and docs.
public struct ParamSpec: Sendable {
    public var name: String
    public var description: String
    public var type: ParamType
    public var isRequired: Bool = false
    public var defaultValue: Value?
    public var valueMin: Double?
    public var valueMax: Double?
    public var exclusiveMin: Bool = false
    public var exclusiveMax: Bool = false
    /// Allowed string values (matched case-insensitively, normalised to the declared case).
    public var allowedValues: [String]?
    public var aliases: [String] = []
    public var hidden: Bool = false
    public var isTableDef: Bool = false
    public var isOutTableDef: Bool = false
    public var isCasLib: Bool = false
    public var isTableName: Bool = false
    /// A column list (`P.columns`): help and docs show "list of columns" instead of the item fields.
    public var isColumnList: Bool = false
    /// Longest accepted string, in UTF-8 bytes (`Limits.maxStringParameter` unless declared).
    public var maxBytes: Int = Limits.maxStringParameter

    public init(name: String, description: String, type: ParamType) {
        self.name = name
        self.description = description
        self.type = type
    }

    /// Whether `name` names this parameter (case-insensitively, aliases included).
    public func matches(_ key: String) -> Bool {
        let k = key.lowercased()
        return name.lowercased() == k || aliases.contains { $0.lowercased() == k }
    }
}
