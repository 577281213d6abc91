import CASCore

/// SAS's OF lists in function arguments — `cmiss(of a[*])`, `sum(of x1-x3 y)` — written out as the
/// variables they name before an expression is bound, so the where language sees a plain argument list.
/// `_all_`, `_numeric_` and `_character_` are the variables from SET (and RETAIN with a value) of that kind.
extension DataStepRun {
    /// `t` with each `of LIST` (after `(` or `,`, up to the call's closing parenthesis) replaced by its
    /// variables joined by commas: `a[*]` / `a{*}` are an array's elements, `x1-x3` a name range, others names.
    /// One pass over the text (thousands of OF lists in one statement cost their length, not its square), with
    /// cancellation checked as it goes.
    func rewriteOfLists(_ t: inout String, _ s: Statement) throws(ActionError) {
        guard t.range(of: "of", options: .caseInsensitive) != nil else { return }
        let chars = Array(t)
        var out = "", i = 0, depth = 0, lists = 0
        var quote: Character?, lastNonSpace: Character?
        out.reserveCapacity(t.utf8.count)
        while i < chars.count {
            let ch = chars[i]
            if let q = quote {
                out.append(ch)
                if ch == q { quote = nil }
                i += 1
                continue
            }
            if depth > 0, ch == "o" || ch == "O", i + 2 < chars.count, chars[i + 1] == "f" || chars[i + 1] == "F", chars[i + 2].isWhitespace,
               lastNonSpace == "(" || lastNonSpace == "," {
                // the list runs to the call's closing parenthesis (or a comma) at this depth
                var j = i + 3, level = 0
                while j < chars.count {
                    let c = chars[j]
                    if c == "(" || c == "[" || c == "{" { level += 1 } else if c == ")" || c == "]" || c == "}" {
                        if level == 0 { break }
                        level -= 1
                    } else if c == "," && level == 0 { break }
                    j += 1
                }
                let names = try ofListNames(String(chars[(i + 3)..<j]).trimmingCharacters(in: .whitespaces), s)
                out += names.joined(separator: ", ")
                lastNonSpace = names.last?.last
                lists += 1
                if lists % 1_000 == 0 { try ctx.checkCancellation() }
                // many OF lists of one large array must not grow the expression without bound: the program's own limit
                guard out.utf8.count <= Limits.maxProgramParameter else {
                    throw DataStepProgram.failure(s, "its OF lists written out are longer than \(Limits.readable(Limits.maxProgramParameter)) bytes")
                }
                i = j
                continue
            }
            if ch == "'" || ch == "\"" { quote = ch } else if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
            if !ch.isWhitespace { lastNonSpace = ch }
            out.append(ch)
            i += 1
        }
        t = out
    }

    /// The variables one OF list names.
    func ofListNames(_ list: String, _ s: Statement) throws(ActionError) -> [String] {
        var names: [String] = []
        for item in try DataStepSource.words(list, s) {
            if let star = item.firstIndex(where: { "[{(".contains($0) }) {
                let array = String(item[..<star])
                guard item.dropFirst(array.count + 1).dropLast() == "*", let elements = slots.array(array) else {
                    throw DataStepProgram.failure(s, "OF \(Names.quote(item)): expected an array as \(array)[*] (declared with ARRAY before this statement)")
                }
                names += elements.map { slots.names[$0] }
            } else if ["_all_", "_numeric_", "_character_"].contains(item.lowercased()) {
                names += variables(item.lowercased())
            } else {
                names += try DataStepSource.expand(item, s)
            }
            guard names.count <= DataStepSource.maxVariables else { throw DataStepProgram.failure(s, "an OF list names more than \(DataStepSource.maxVariables) variables") }
        }
        guard !names.isEmpty else { throw DataStepProgram.failure(s, "OF names no variables") }
        return names
    }
}
