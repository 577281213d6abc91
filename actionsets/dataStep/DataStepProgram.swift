import CASCore
import CASWire
import Foundation

/// A DATA step program in caslite's subset (docs/datastep.md): one step,
/// `data OUT1 OUT2; set IN1 IN2 …; [by [descending] G …;] <statements> run;` or
/// `data OUT; merge A(in=a) B(in=b); by KEY; … run;`. Executable statements form a tree — assignments
/// (to variables and array elements), sum statements, `delete`, subsetting `if`, `if … then …; else …;`,
/// `do; … end;` blocks and iterative `do` loops, `output`, `leave`, `continue`, `return`, `stop` — that
/// `DataStepRun` runs row by row as the DATA step does. Declarations apply wherever they stand: `where`
/// (filters what SET reads), `by`, `array`, `retain` (with or without initial values), `keep`, `drop`,
/// `rename`, `length` (ignored). Every other statement is refused with its number, line and text.
struct DataStepProgram: Sendable {
    indirect enum Node: Sendable {
        case assign(Target, expression: String, Statement)
        /// `total + x;`: total = sum(total, x), total retained from 0.
        case sum(name: String, expression: String, Statement)
        case delete
        case keepIf(condition: String, Statement)
        case streaminit(Int)
        case when(condition: String, Statement, then: Node, otherwise: Node?)
        /// A SELECT group: the first arm whose condition holds runs, else `otherwise`. Flat, not nested IFs:
        /// a group of 10 000 WHENs must not become 10 000 levels of recursion.
        case select(arms: [SelectArm], otherwise: Node)
        case block([Node])
        /// `output;` (every table of the DATA statement) or `output a b;`.
        case output([String], Statement)
        case loop(Loop, body: [Node], Statement)
        case jump(Jump, Statement)
        /// PUT: a log line of literal texts and variable values (`x` or `x=`).
        case put([PutItem], Statement)
        /// A run-time error at this point (SELECT without OTHERWISE when no WHEN matched).
        case fail(String, Statement)
    }

    enum Target: Sendable {
        case variable(String)
        case element(array: String, sub: String)
    }

    enum Loop: Sendable {
        /// `do i = from to to [by by];`
        case range(index: String, from: String, to: String, by: String?)
        case whileTrue(String)
        /// `do i = a, b, c;`: the index takes each value in turn.
        case values(index: String, [String])
        case until(String)
    }

    enum Jump: Sendable { case leave, next, ret, stop }
    enum PutItem: Sendable { case text(String), variable(String, named: Bool) }
    struct SelectArm: Sendable {
        let condition: String
        let statement: Statement
        let then: Node
    }

    /// `array a{3} $ x y z (initial values);`
    struct ArrayDeclaration: Sendable {
        var name: String
        var elements: [String]
        var character: Bool
        var initial: [Value]
        var statement: Statement

        /// `_numeric_` / `_character_`: every numeric (character) variable the step has when it is compiled.
        static func isVariableList(_ element: String) -> Bool { element == "_numeric_" || element == "_character_" }
    }

    struct ByVariable: Sendable {
        var name: String
        var descending: Bool
    }

    var outputs: [DataSetName]
    var inputs: [DataSetName]
    /// MERGE instead of SET, with its BY variables.
    var merge = false
    var by: [ByVariable] = []
    /// `by g notsorted;`: groups are runs of equal values in the order read.
    var notSorted = false
    var filters: [String] = []
    var body: [Node] = []
    var keep: [String] = []
    var drop: [String] = []
    var rename: [(from: String, to: String)] = []
    /// `retain a b c;`: these columns first, in this order.
    var order: [String] = []
    /// RETAIN's variables and their initial values (nil: none given).
    var retained: [(name: String, initial: Value?)] = []
    var arrays: [ArrayDeclaration] = []

    /// Statements one program may have.
    static let maxStatements = ComputedVars.maxStatements
    /// IF and DO levels one statement may nest.
    static let maxNesting = 100
    /// Statements that declare rather than run (refused inside DO blocks).
    static let declarations: Set<String> = ["set", "merge", "by", "where", "keep", "drop", "rename", "retain", "length", "array"]

    init(_ code: String) throws(ActionError) {
        var numbered = try DataStepSource.statements(code)
        guard let first = numbered.first, Self.keyword(first.text) == "data" else {
            throw ActionError(.parameterValue, "code must begin with a DATA statement (`data out; set in; … run;`).", parameter: "code")
        }
        outputs = try DataSetName.list(String(first.text.dropFirst(4)), statement: first.text)
        guard !outputs.isEmpty else { throw Self.unsupported(first, "the DATA statement names the tables to write") }
        guard outputs.allSatisfy({ $0.inFlag == nil }) else {
            throw ActionError(.parameterValue, "code: the data set option in= is not supported on the DATA statement's output tables (it is read with MERGE).",
                              parameter: "code")
        }
        numbered.removeFirst()
        guard let end = numbered.firstIndex(where: { Self.keyword($0.text) == "run" }), numbered[end].text.lowercased() == "run" else {
            throw ActionError(.parameterValue, "code: the DATA step must end with `run;`.", parameter: "code")
        }
        if let extra = numbered[(end + 1)...].first { throw Self.unsupported(extra, "caslite runs one DATA step per call") }
        var stream = Array(numbered[..<end])[...]
        var sources: [DataSetName]?
        while let s = stream.first {
            let word = Self.keyword(s.text), rest = Self.after(word, in: s.text)
            switch word {
            case "set", "merge":
                guard sources == nil else { throw Self.unsupported(s, "one SET or MERGE statement per step") }
                let list = try DataSetName.list(rest, statement: s.text)
                if list.isEmpty { throw Self.unsupported(s, "\(word.uppercased()) names the tables to read") }
                if word == "set", list.contains(where: { $0.inFlag != nil }) { throw Self.unsupported(s, "in= is read with MERGE") }
                sources = list
                merge = word == "merge"
            case "by": (by, notSorted) = try Self.byStatement(rest, s)
            case "where": filters.append(rest)
            case "keep": keep += try Self.names(rest, s)
            case "drop": drop += try Self.names(rest, s)
            case "rename": rename += try Self.renames(rest, s)
            case "length": break
            case "retain":
                let list = try DataStepSource.retainList(rest, s)
                retained += list
                order += list.map(\.name)
            case "array": arrays.append(try DataStepSource.array(rest, s))
            default:
                body.append(try Self.node(&stream, outputs: outputs))
                continue
            }
            stream.removeFirst()
        }
        guard let sources else { throw ActionError(.parameterValue, "code: the DATA step needs a SET or MERGE statement naming the tables to read.", parameter: "code") }
        if merge && by.isEmpty { throw ActionError(.parameterValue, "code: MERGE needs a BY statement (caslite merges by key).", parameter: "code") }
        if merge && (notSorted || by.contains(where: \.descending)) {
            throw ActionError(.parameterValue, "code: MERGE merges by ascending keys; DESCENDING and NOTSORTED are read with SET.", parameter: "code")
        }
        inputs = sources
    }

    /// `by [descending] a [descending] b … [notsorted];`
    static func byStatement(_ rest: String, _ s: Statement) throws(ActionError) -> ([ByVariable], Bool) {
        var by: [ByVariable] = [], notSorted = false, descending = false
        for word in try Self.names(rest, s) {
            switch word.lowercased() {
            case "descending": descending = true
            case "notsorted": notSorted = true
            default:
                by.append(ByVariable(name: word, descending: descending))
                descending = false
            }
        }
        if by.isEmpty || descending { throw Self.unsupported(s, "BY names the variables (`by [descending] g;`)") }
        return (by, notSorted)
    }

    /// Whether an OUTPUT statement stands anywhere in the program (then the step writes only what OUTPUT writes).
    var explicitOutput: Bool { body.contains(where: Self.hasOutput) }

    static func hasOutput(_ n: Node) -> Bool {
        switch n {
        case .output: true
        case .when(_, _, let a, let b): hasOutput(a) || b.map(hasOutput) == true
        case .select(let arms, let otherwise): arms.contains { hasOutput($0.then) } || hasOutput(otherwise)
        case .block(let nodes), .loop(_, let nodes, _): nodes.contains(where: hasOutput)
        default: false
        }
    }

    struct Statement: Sendable {
        var number: Int
        var line: Int
        var text: String

        /// How errors name it: `statement 3 (line 2: 'x = 1')`.
        var label: String { "statement \(number) (line \(line): \(Names.quote(String(text.prefix(200)))))" }
    }

    static func renames(_ rest: String, _ s: Statement) throws(ActionError) -> [(from: String, to: String)] {
        try DataStepSource.pairs(rest, s, what: "RENAME")
    }

    /// Names separated by blanks (name literals `"my var"n` included).
    static func names(_ rest: String, _ s: Statement) throws(ActionError) -> [String] {
        try DataStepSource.words(rest, s).map(DataSetName.nameLiteral)
    }

    /// The statement's first word, lower-cased (`if`, `set`, …; `x` for `x = 1`).
    static func keyword(_ text: String) -> String {
        String(text.drop { $0.isWhitespace }.prefix { $0.isLetter || $0.isNumber || $0 == "_" }).lowercased()
    }

    /// `text` without its first word.
    static func after(_ word: String, in text: String) -> String {
        String(text.drop { $0.isWhitespace }.dropFirst(word.count)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func unsupported(_ s: Statement, _ why: String?) -> ActionError {
        ActionError(.parameterValue, "code: \(s.label) is not supported\(why.map { ": " + $0 } ?? ""). caslite's DATA step runs SET or MERGE … BY, BY with SET, WHERE, assignments, sum statements, IF (subsetting, or THEN / ELSE), DO blocks and loops, ARRAY, OUTPUT, DELETE, LEAVE, CONTINUE, RETURN, STOP, KEEP, DROP, RENAME, RETAIN, LENGTH (ignored) and CALL STREAMINIT (docs/datastep.md).",
                    parameter: "code")
    }

    /// An error in a statement the step runs: `code: statement 3 (line 2: '…'): what`.
    static func failure(_ s: Statement, _ what: String) -> ActionError {
        ActionError(.parameterValue, "code: \(s.label): \(what)", parameter: "code")
    }
}
