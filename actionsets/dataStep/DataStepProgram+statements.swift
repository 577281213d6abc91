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
        case "put" where ComputedVars.assignment(t) == nil:      // `put = 1` assigns a variable
            return .put(try putItems(after("put", in: t), s), s)
        case "output" where ComputedVars.assignment(t) == nil:   // `output = 1` assigns a variable
            let names = try names(after("output", in: t), s)
            for n in names where !outputs.contains(where: { $0.name.lowercased() == n.lowercased() }) {
                throw failure(s, "OUTPUT names \(Names.quote(n)), which the DATA statement does not (it writes \(outputs.map(\.name).joined(separator: ", "))).")
            }
            return .output(names, s)
        case "select": return try select(after("select", in: t), s, &stream, outputs: outputs, depth: depth)
        case "when", "otherwise": throw unsupported(s, "\(word.uppercased()) must stand inside a SELECT group")
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

    /// SAS's SELECT group — `select [(e)]; when (a, b) S; …; [otherwise [S];] end;` — as one flat node:
    /// with `(e)`, a WHEN matches when e equals one of its values; without, when one of its
    /// conditions is true. No OTHERWISE and no WHEN matching is SAS's run-time error. `e` is evaluated
    /// once per WHEN, so it may not call RAND (SAS evaluates it once).
    static func select(_ head: String, _ s: Statement, _ stream: inout ArraySlice<Statement>, outputs: [DataSetName],
                       depth: Int) throws(ActionError) -> Node {
        var subject: String?
        if !head.isEmpty {
            let h = Substring(head)
            guard h.first == "(", let close = DataSetName.closing(h), h[h.index(after: close)...].allSatisfy(\.isWhitespace) else {
                throw failure(s, "expected `select;` or `select (expression);`")
            }
            let e = String(h[h.index(after: h.startIndex)..<close])
            if keywordOutside(e.lowercased().replacingOccurrences(of: "(", with: " ("), "rand") != nil {
                throw unsupported(s, "RAND in a SELECT expression (caslite evaluates it once per WHEN)")
            }
            subject = e
        }
        var arms: [SelectArm] = []
        var otherwise: Node?
        while let next = stream.first {
            let text = next.text.trimmingCharacters(in: .whitespacesAndNewlines), word = keyword(text)
            if word == "end" && text.lowercased() == "end" { break }
            stream.removeFirst()
            switch word {
            case "when":
                guard otherwise == nil else { throw failure(next, "WHEN after OTHERWISE; OTHERWISE comes last in a SELECT group") }
                let rest = Substring(after("when", in: text))
                guard rest.first == "(", let close = DataSetName.closing(rest) else { throw failure(next, "expected `when (value, …) statement;`") }
                let items = topLevelItems(String(rest[rest.index(after: rest.startIndex)..<close]))
                guard !items.isEmpty, items.allSatisfy({ !$0.isEmpty }) else { throw failure(next, "WHEN needs at least one value or condition") }
                let condition = items.map { item in subject.map { "((\($0)) = (\(item)))" } ?? "(\(item))" }.joined(separator: " or ")
                let body = String(rest[rest.index(after: close)...])
                let then: Node = body.allSatisfy(\.isWhitespace) ? .block([])
                    : try inline(body, next, &stream, outputs: outputs, depth: depth + 1)
                arms.append(SelectArm(condition: condition, statement: next, then: then))
            case "otherwise":
                guard otherwise == nil else { throw failure(next, "a SELECT group has one OTHERWISE") }
                let body = after("otherwise", in: text)
                otherwise = body.isEmpty ? .block([]) : try inline(body, next, &stream, outputs: outputs, depth: depth + 1)
            default:
                throw failure(next, "a SELECT group holds WHEN and OTHERWISE statements up to its END")
            }
        }
        guard let end = stream.first else { throw unsupported(s, "SELECT without its END") }
        _ = end
        stream.removeFirst()
        guard !arms.isEmpty else { throw failure(s, "a SELECT group needs at least one WHEN") }
        return .select(arms: arms, otherwise: otherwise ?? .fail("no WHEN clause of the SELECT group at line \(s.line) matched and it has no "
                                                                 + "OTHERWISE (SAS: \"Unsatisfied WHEN clause and no OTHERWISE statement\").", s))
    }

    /// PUT's items: quoted texts ('it''s' doubles a quote, as in SAS), variable names, and `name=`.
    static func putItems(_ text: String, _ s: Statement) throws(ActionError) -> [PutItem] {
        var items: [PutItem] = []
        var rest = Substring(text)
        while true {
            rest = rest.drop { $0.isWhitespace }
            guard let first = rest.first else { break }
            if first == "'" || first == "\"" {
                var literal = "", i = rest.index(after: rest.startIndex), closed = false
                while i < rest.endIndex {
                    if rest[i] == first {
                        let next = rest.index(after: i)
                        if next < rest.endIndex, rest[next] == first { literal.append(first); i = rest.index(after: next); continue }
                        closed = true
                        i = next
                        break
                    }
                    literal.append(rest[i])
                    i = rest.index(after: i)
                }
                guard closed else { throw failure(s, "PUT has an unclosed quoted text") }
                items.append(.text(literal))
                rest = rest[i...]
                continue
            }
            let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
            guard !word.isEmpty, word.first!.isLetter || word.first == "_" else {
                throw unsupported(s, "PUT writes quoted texts, variables and `name=` (no formats, pointers or line controls)")
            }
            rest = rest.dropFirst(word.count)
            let named = rest.first == "="
            if named { rest = rest.dropFirst() }
            if word.lowercased() == "_all_" || word.lowercased() == "_infile_" { throw unsupported(s, "PUT \(word)") }
            items.append(.variable(String(word), named: named))
        }
        return items
    }

    /// The comma-separated items of `text` outside quotes and parentheses, trimmed.
    static func topLevelItems(_ text: String) -> [String] {
        var items: [String] = [], s = Substring(text), start = s.startIndex
        while let comma = DataSetName.firstOutsideQuotes(s, from: start, { i, depth in depth == 0 && s[i] == "," }) {
            items.append(s[start..<comma].trimmingCharacters(in: .whitespacesAndNewlines))
            start = s.index(after: comma)
        }
        items.append(s[start...].trimmingCharacters(in: .whitespacesAndNewlines))
        return items
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
        guard let (index, bounds) = ComputedVars.assignment(rest) else {
            throw unsupported(s, "DO takes `do;`, `do i = 1 to n [by k];`, `do i = a, b, …;`, `do while (c);` or `do until (c);`")
        }
        guard let to = keywordOutside(bounds, "to") else {
            let values = topLevelItems(bounds)
            guard values.allSatisfy({ !$0.isEmpty }) else { throw failure(s, "an empty value in the DO list") }
            for extra in ["while", "until", "by"] where values.contains(where: { keywordOutside($0, extra) != nil }) {
                throw unsupported(s, "a DO value list with \(extra.uppercased())")
            }
            return .values(index: index, values)
        }
        let from = String(bounds[..<to.lowerBound]), tail = String(bounds[to.upperBound...])
        if topLevelItems(bounds).count > 1 { throw unsupported(s, "a DO value list with TO (`do i = 1, 5 to 7`)") }
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
