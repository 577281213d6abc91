import CASCore

/// SAS's OF lists in function arguments — `cmiss(of a[*])`, `sum(of x1-x3 y)` — written out as the
/// variables they name before an expression is bound, so the where language sees a plain argument list.
/// `_all_`, `_numeric_` and `_character_` are the variables from SET (and RETAIN with a value) of that kind.
extension DataStepRun {
    /// `t` with each `of LIST` (after `(` or `,`, up to the call's closing parenthesis) replaced by its
    /// variables joined by commas: `a[*]` / `a{*}` are an array's elements, `x1-x3` a name range, others names.
    func rewriteOfLists(_ t: inout String, _ s: Statement) throws(ActionError) {
        while let (range, list) = try Self.firstOfList(t, s) {
            var names: [String] = []
            for item in list.split(whereSeparator: \.isWhitespace).map(String.init) {
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
            t.replaceSubrange(range, with: names.joined(separator: ", "))
            // many OF lists of one large array must not grow the expression without bound: the program's own limit
            guard t.utf8.count <= Limits.maxProgramParameter else {
                throw DataStepProgram.failure(s, "its OF lists written out are longer than \(Limits.readable(Limits.maxProgramParameter)) bytes")
            }
        }
    }

    /// The first `of LIST` argument outside quotes: the range from `of` to the end of the list, and the list.
    static func firstOfList(_ t: String, _ s: Statement) throws(ActionError) -> (Range<String.Index>, String)? {
        let text = Substring(t)
        func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        var found: (Range<String.Index>, String)?
        _ = DataSetName.firstOutsideQuotes(text, from: text.startIndex) { i, depth in
            guard depth > 0, text[i...].prefix(2).lowercased() == "of" else { return false }
            let after = text.index(i, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
            guard after < text.endIndex, text[after].isWhitespace else { return false }
            let before = text[..<i].last { !$0.isWhitespace }
            guard before == "(" || before == "," else { return false }
            // the list runs to the call's closing parenthesis (or a comma) at this depth
            var j = after, level = 0
            while j < text.endIndex {
                let c = text[j]
                if c == "(" || c == "[" || c == "{" { level += 1 } else if c == ")" || c == "]" || c == "}" {
                    if level == 0 { break }
                    level -= 1
                } else if c == "," && level == 0 { break }
                j = text.index(after: j)
            }
            found = (i..<j, String(text[after..<j]).trimmingCharacters(in: .whitespaces))
            return true
        }
        return found
    }
}
