import CASWire

/// A statement, with the position where it starts.
public indirect enum Stmt: Sendable {
    /// `x = e;`, `r.a = e;`, `l[2] = e;` — the target is a variable followed by members and indexes.
    case assign(target: Expr, value: Expr, SourcePos)
    /// A function call used as a statement (`send_response(r);`).
    case expression(Expr, SourcePos)
    case action(ActionCall)
    /// `loadactionset "name";`
    case loadActionSet(Expr, SourcePos)
    case print([Expr], SourcePos)
    case describe(Expr, SourcePos)
    case ifThen(condition: Expr, then: Stmt, else: Stmt?, SourcePos)
    /// `do; … end;`
    case block([Stmt], SourcePos)
    /// `do i = a to b [by k]; … end;`
    case doTo(variable: String, from: Expr, to: Expr, by: Expr?, body: [Stmt], SourcePos)
    /// `do v over e; … end;` and `do k, v over e; … end;`
    case doOver(key: String?, value: String, collection: Expr, body: [Stmt], SourcePos)
    /// `do while (c); … end;` (`until` tests after the body).
    case doWhile(condition: Expr, until: Bool, body: [Stmt], SourcePos)
    case function(FunctionDef)
    case returnValue(Expr?, SourcePos)
    case exit(SourcePos)
    /// `saveresult e casout="name" [caslib="lib"] [replace];`
    case saveResult(Expr, options: [DictEntry], replace: Bool, SourcePos)
    /// `source name; … endsource;` assigns the text to `name`.
    case source(name: String, text: String, SourcePos)
    /// `run;`, `quit;`, `proc cas;` — accepted and ignored.
    case noop(SourcePos)

    public var pos: SourcePos {
        switch self {
        case .assign(_, _, let p), .expression(_, let p), .loadActionSet(_, let p), .print(_, let p), .describe(_, let p),
             .ifThen(_, _, _, let p), .block(_, let p), .doTo(_, _, _, _, _, let p), .doOver(_, _, _, _, let p),
             .doWhile(_, _, _, let p), .returnValue(_, let p), .exit(let p), .saveResult(_, _, _, let p), .source(_, _, let p),
             .noop(let p):
            p
        case .action(let a): a.pos
        case .function(let f): f.pos
        }
    }
}

/// `[action] set.name [result=r] [status=s] / p=v …;`
public struct ActionCall: Sendable {
    public var name: String
    public var parameters: [DictEntry]
    public var result: String?
    public var status: String?
    public var pos: SourcePos
}

/// `function f(a, b); … end;`
public struct FunctionDef: Sendable {
    public var name: String
    public var parameters: [String]
    public var body: [Stmt]
    public var pos: SourcePos
}

/// A parsed script.
public struct Program: Sendable {
    public var statements: [Stmt]
    public init(statements: [Stmt]) { self.statements = statements }
}
