import CASCore
import CASWire
import CheckedSize
import Foundation

/// The DATA step's text: statements (comments removed, each with its number and line) and the
/// declarations whose syntax is not the where language's (RETAIN's initial values, ARRAY).
enum DataStepSource {
    typealias Statement = DataStepProgram.Statement

    /// Variables one name range (`x1-x100`) or array may name.
    static let maxVariables = Limits.maxColumns

    /// The statements, split on `;` outside quotes and comments, numbered from 1 (as SAS counts them) with the
    /// line each starts on; `/* … */` comments are removed and `* … ;` comment statements left out.
    static func statements(_ code: String) throws(ActionError) -> [Statement] {
        let (all, unclosed) = ComputedVars.split(code)
        if let unclosed { throw ActionError(.parameterValue, "code: the comment opened on line \(unclosed) has no closing */.", parameter: "code") }
        guard all.count <= DataStepProgram.maxStatements else {
            throw ActionError(.parameterValue, "code has \(all.count) statements; at most \(DataStepProgram.maxStatements) are run.", parameter: "code")
        }
        return all.enumerated().compactMap { k, s in
            let text = ComputedVars.trimmed(s.text)
            return text.isEmpty || text.first == "*" ? nil : Statement(number: k + 1, line: s.line, text: text)
        }
    }

    /// `retain a b 0 c 'x' d;`: each initial value belongs to the names before it back to the previous value.
    static func retainList(_ rest: String, _ s: Statement) throws(ActionError) -> [(name: String, initial: Value?)] {
        var out: [(name: String, initial: Value?)] = [], waiting: [String] = []
        for word in try words(rest, s) {
            if let v = try constant(word, s) {
                guard !waiting.isEmpty else { throw DataStepProgram.failure(s, "the initial value \(word) follows no variable name") }
                out += waiting.map { ($0, v) }
                waiting = []
            } else {
                waiting += try expand(word, s)
            }
        }
        return out + waiting.map { ($0, nil) }
    }

    /// `array a{3} [$ [length]] [x y z | x1-x3] [(1 2 3)];`, `a[*]`, `a(3)`; no elements: a1 … an.
    static func array(_ rest: String, _ s: Statement) throws(ActionError) -> DataStepProgram.ArrayDeclaration {
        let name = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        var tail = rest.dropFirst(name.count).drop { $0.isWhitespace }
        guard let first = name.first, first.isLetter || first == "_" else {
            throw DataStepProgram.failure(s, "expected `array name{n} variables;` (or name[*])")
        }
        var size = "*"   // `array a x y z;`: as SAS, the elements give the dimension
        if let open = tail.first, let close = ["{": "}", "[": "]", "(": ")"][open] as Character? {
            guard let end = tail.firstIndex(of: close) else { throw DataStepProgram.failure(s, "expected `array name{n} variables;` (or name[*])") }
            size = tail[tail.index(after: tail.startIndex)..<end].trimmingCharacters(in: .whitespaces)
            tail = tail[tail.index(after: end)...].drop { $0.isWhitespace }
        }
        var character = false
        if tail.first == "$" {
            character = true
            tail = tail.dropFirst().drop { $0.isWhitespace }.drop { $0.isNumber }   // a length is accepted and ignored
        }
        var initial: [Value] = []
        if let paren = tail.firstIndex(of: "(") {
            guard let closeParen = DataSetName.closing(tail[paren...]), tail[tail.index(after: closeParen)...].allSatisfy(\.isWhitespace) else {
                throw DataStepProgram.failure(s, "expected the initial values in parentheses at the end: (1 2 3)")
            }
            let inside = String(tail[tail.index(after: paren)..<closeParen]).replacingOccurrences(of: ",", with: " ")
            for w in try words(inside, s) {
                guard let v = try constant(w, s) else { throw DataStepProgram.failure(s, "the initial value \(Names.quote(w)) is not a number or a quoted string") }
                initial.append(v)
            }
            tail = tail[..<paren]
        }
        var elements: [String] = []
        for w in try words(String(tail), s) {
            let lower = w.lowercased()
            if ["_temporary_", "_all_"].contains(lower) {
                throw DataStepProgram.failure(s, "\(w) arrays are not supported; name the variables (or use _numeric_ / _character_)")
            }
            if lower == "_numeric_" || lower == "_character_" {   // expanded against the input when the step is compiled
                guard elements.isEmpty, initial.isEmpty, size == "*", character == (lower == "_character_") else {
                    throw DataStepProgram.failure(s, "\(w) stands alone after the array name (`array a \(character ? "$ " : "")\(w);` or `a{*}`), without initial values"
                                                  + (character == (lower == "_character_") ? "" : "; a $ array takes _character_, a numeric one _numeric_"))
                }
                elements = [lower]
                continue
            }
            elements += try expand(w, s)
            guard elements.count <= maxVariables else { throw DataStepProgram.failure(s, "the array names more than \(maxVariables) variables") }
        }
        if size != "*" && !elements.contains(where: DataStepProgram.ArrayDeclaration.isVariableList) {
            guard let n = Int(size), n >= 1, n <= maxVariables else {
                throw DataStepProgram.failure(s, "the dimension {\(size)} of array \(name) must be a whole number from 1 to \(maxVariables) or *")
            }
            if elements.isEmpty { elements = (1...n).map { "\(name)\($0)" } }
            guard elements.count == n else {
                throw DataStepProgram.failure(s, "the array \(name){\(n)} names \(elements.count) variables; it needs \(n)")
            }
        }
        guard !elements.isEmpty else { throw DataStepProgram.failure(s, "the array \(name){*} names no variables") }
        if elements.count > 1, elements.contains(where: DataStepProgram.ArrayDeclaration.isVariableList) {
            throw DataStepProgram.failure(s, "_numeric_ and _character_ stand alone after the array name")
        }
        guard initial.count <= elements.count else {
            throw DataStepProgram.failure(s, "the array \(name) has \(elements.count) elements but \(initial.count) initial values")
        }
        return .init(name: name, elements: elements, character: character, initial: initial, statement: s)
    }

    /// A number, `.`, or a quoted string; nil for a name.
    static func constant(_ word: String, _ s: Statement) throws(ActionError) -> Value? {
        guard let c = word.first else { return nil }
        if c == "'" || c == "\"" {
            guard DataSetName.nameLiteral(word) == word else { return nil }   // "my var"n is a name
            guard let (text, rest) = DataSetName.quotedString(Substring(word)), rest.isEmpty else { throw DataStepProgram.failure(s, "the value \(word) is not a quoted string") }
            return .string(text)
        }
        guard c.isNumber || c == "." || c == "-" || c == "+" else { return nil }
        if word == "." { return .null }
        guard let d = Double(word), d.isFinite else { throw DataStepProgram.failure(s, "the value \(Names.quote(word)) is not a number") }
        return .double(d)
    }

    /// Words separated by blanks; a quoted string is one word, and so is a name literal (`"my var"n`, the form swat
    /// writes for names with blanks).
    static func words(_ text: String, _ s: Statement) throws(ActionError) -> [String] {
        guard let w = DataSetName.words(Substring(text)) else { throw DataStepProgram.failure(s, "a quoted string has no closing quote") }
        return w
    }

    /// Name pairs `old=new …` (`DataSetName.pairs`).
    static func pairs(_ text: String, _ s: Statement, what: String) throws(ActionError) -> [(from: String, to: String)] {
        guard let p = DataSetName.pairs(text) else { throw DataStepProgram.failure(s, "\(what) takes old=new pairs") }
        return p
    }

    /// `x1-x3` → x1 x2 x3; a plain name as it is.
    static func expand(_ word: String, _ s: Statement) throws(ActionError) -> [String] {
        let name = DataSetName.nameLiteral(word)
        guard name == word, let dash = word.firstIndex(of: "-") else {
            guard let f = name.first, f.isLetter || f == "_" || name != word else { throw DataStepProgram.failure(s, "expected a variable name but found \(Names.quote(word))") }
            return [name]
        }
        func split(_ w: Substring) -> (String, Substring) {
            let digits = w.reversed().prefix { $0.isASCII && $0.isNumber }
            return (String(w.dropLast(digits.count)), w.suffix(digits.count))
        }
        let (p1, n1) = split(word[..<dash]), (p2, n2) = split(word[word.index(after: dash)...])
        guard !p1.isEmpty, p1.lowercased() == p2.lowercased(), let a = Int(n1), let b = Int(n2), a <= b else {
            throw DataStepProgram.failure(s, "the name range \(Names.quote(word)) must read like x1-x10 (one prefix, ascending numbers)")
        }
        guard b - a < maxVariables else { throw DataStepProgram.failure(s, "the name range \(word) names more than \(maxVariables) variables") }
        return (a...b).map { "\(p1)\($0)" }
    }
}
