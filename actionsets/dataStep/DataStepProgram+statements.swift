import CASCore
import Foundation

/// The executable statements: each parsed into a `Node`, with the ELSE and the DO block or loop body
/// that belong to it.
extension DataStepProgram {
    /// One executable statement from the front of `stream`.
    static func node(_ stream: inout ArraySlice<Statement>, outputs: [DataSetName], depth: Int = 0) throws(ActionError) -> Node {
        let s = stream.removeFirst()
        return try inline(s.text, s, &stream, outputs: outputs, depth: depth)
    }

    /// `text` (a statement, or what follows THEN / ELSE) as a node; a DO takes the statements up to its END.
    static func inline(_ text: String, _ s: Statement, _ stream: inout ArraySlice<Statement>, outputs: [DataSetName], depth: Int) throws(ActionError) -> Node {
        // the parser and the run recurse once per level: a bound keeps a hostile program from exhausting the stack
        guard depth < maxNesting else { throw unsupported(s, "more than \(maxNesting) nested IF / DO levels") }
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let word = keyword(t)
        let bare = t.lowercased() == word
        switch word {
        case "if":
            let rest = after("if", in: t)
            guard let then = keywordOutside(rest, "then") else { return .keepIf(condition: rest, s) }
            let thenPart = try inline(String(rest[then.upperBound...]), s, &stream, outputs: outputs, depth: depth + 1)
            var otherwise: Node?
            if let next = stream.first, keyword(next.text) == "else" {
                stream.removeFirst()
                otherwise = try inline(after("else", in: next.text), next, &stream, outputs: outputs, depth: depth + 1)
            }
            return .when(condition: String(rest[..<then.lowerBound]), s, then: thenPart, otherwise: otherwise)
        case "do":
            let loop = try doLoop(after("do", in: t), s)
            var nodes: [Node] = []
            while let next = stream.first, keyword(next.text) != "end" {
                if declarations.contains(keyword(next.text)) { throw unsupported(next, "declarations inside a DO block") }
                nodes.append(try node(&stream, outputs: outputs, depth: depth + 1))
            }
            guard let end = stream.first else { throw unsupported(s, "DO without its END") }
            guard end.text.lowercased() == "end" else { throw unsupported(end, "END stands alone") }
            stream.removeFirst()
            return loop.map { .loop($0, body: nodes, s) } ?? .block(nodes)
        case "delete" where bare: return .delete
        case "leave" where bare: return .jump(.leave, s)
        case "continue" where bare: return .jump(.next, s)
        case "return" where bare: return .jump(.ret, s)
        case "stop" where bare: return .jump(.stop, s)
        case "output" where ComputedVars.assignment(t) == nil:   // `output = 1` assigns a variable
            let names = names(after("output", in: t))
            for n in names where !outputs.contains(where: { $0.name.lowercased() == n.lowercased() }) {
                throw failure(s, "OUTPUT names \(Names.quote(n)), which the DATA statement does not (it writes \(outputs.map(\.name).joined(separator: ", "))).")
            }
            return .output(names, s)
        case "else": throw unsupported(s, "ELSE must follow an `if … then …;` statement")
        case "end": throw unsupported(s, "END without its DO")
        case "call":
            guard let seed = ComputedVars.streaminit(t.lowercased()) else { throw unsupported(s, nil) }
            return .streaminit(seed)
        default:
            if let (name, expr) = ComputedVars.assignment(t) { return .assign(.variable(name), expression: expr, s) }
            if let (array, sub, expr) = try elementAssignment(t, s) { return .assign(.element(array: array, sub: sub), expression: expr, s) }
            if let (name, expr) = sumStatement(t) { return .sum(name: name, expression: expr, s) }
            throw unsupported(s, nil)
        }
    }

    /// What follows DO: nothing (a block), `while (c)`, `until (c)` or `i = a to b [by c]`.
    static func doLoop(_ rest: String, _ s: Statement) throws(ActionError) -> Loop? {
        if rest.isEmpty { return nil }
        let word = keyword(rest)
        if word == "while" || word == "until" {
            let cond = Substring(after(word, in: rest))
            guard cond.first == "(", let close = DataSetName.closing(cond) else {
                throw failure(s, "expected `do \(word) (condition);`")
            }
            guard cond[cond.index(after: close)...].allSatisfy(\.isWhitespace) else {
                throw failure(s, "expected the end of the statement after `\(word) (…)`")
            }
            let inner = String(cond[cond.index(after: cond.startIndex)..<close])
            return word == "while" ? .whileTrue(inner) : .until(inner)
        }
        guard let (index, bounds) = ComputedVars.assignment(rest), let to = keywordOutside(bounds, "to") else {
            throw unsupported(s, "DO takes `do;`, `do i = 1 to n [by k];`, `do while (c);` or `do until (c);`")
        }
        let from = String(bounds[..<to.lowerBound]), tail = String(bounds[to.upperBound...])
        for extra in ["while", "until"] where keywordOutside(tail, extra) != nil {
            throw unsupported(s, "a DO loop with both TO and \(extra.uppercased())")
        }
        if let by = keywordOutside(tail, "by") {
            return .range(index: index, from: from, to: String(tail[..<by.lowerBound]), by: String(tail[by.upperBound...]))
        }
        return .range(index: index, from: from, to: tail, by: nil)
    }

    /// `a{i} = expr` (also `a[i]`, `a(i)`): the array, the sub and the expression.
    static func elementAssignment(_ t: String, _ s: Statement) throws(ActionError) -> (String, String, String)? {
        let name = t.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        let rest = t.dropFirst(name.count).drop { $0.isWhitespace }
        guard !name.isEmpty, let open = rest.first, let close = ["{": "}", "[": "]", "(": ")"][open] as Character? else { return nil }
        var depth = 0
        guard let end = DataSetName.firstOutsideQuotes(rest, from: rest.startIndex, { i, _ in
            if rest[i] == open { depth += 1 } else if rest[i] == close { depth -= 1; return depth == 0 }
            return false
        }) else { return nil }
        let value = rest[rest.index(after: end)...].drop { $0.isWhitespace }
        guard value.first == "=", value.dropFirst().first != "=" else { return nil }
        let sub = String(rest[rest.index(after: rest.startIndex)..<end])
        return (String(name), sub, String(value.dropFirst()))
    }

    /// `total + x` → ("total", "x").
    static func sumStatement(_ t: String) -> (String, String)? {
        let name = t.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        guard let first = name.first, first.isLetter || first == "_" else { return nil }
        let rest = t.dropFirst(name.count).drop { $0.isWhitespace }
        guard rest.first == "+", !rest.dropFirst().allSatisfy(\.isWhitespace) else { return nil }
        return (String(name), String(rest.dropFirst()))
    }

    /// The first `word` (a whole word, any case) outside quotes and parentheses.
    static func keywordOutside(_ text: String, _ word: String) -> Range<String.Index>? {
        let s = Substring(text)
        func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        let found = DataSetName.firstOutsideQuotes(s, from: s.startIndex) { i, depth in
            guard depth == 0, i == s.startIndex || !isWord(s[s.index(before: i)]),
                  let r = s.range(of: word, options: [.caseInsensitive, .anchored], range: i..<s.endIndex) else { return false }
            return r.upperBound == s.endIndex || !isWord(s[r.upperBound])
        }
        return found.map { $0..<text.index($0, offsetBy: word.count) }
    }
}
