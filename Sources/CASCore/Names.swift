import CASWire

/// What a name names; each kind has its own rule (`Names.check`).
public enum NameKind: String, Sendable, CaseIterable {
    /// A user (becomes the folder `casuser/<user>`): ASCII letters, digits, `_`, `-`, `.`, not starting with `.` or `-`.
    case user
    /// A group of users (`caslite groups`, `accessControl.addGroup`): the user rule. `*` is not a group
    /// name; access controls use it for every authenticated user.
    case group
    /// A new caslib (`table.addCaslib`): letters, digits and `_`.
    case caslib
    /// A caslib a request refers to (`CASUSER(alice)`, `Public`, added ones): no path separators or control characters.
    case caslibReference
    /// A table: no `/`, `\` or control characters.
    case table
    /// A column: no control characters (CSV headers such as `km/h` are fine).
    case column
    /// An action set or action (user-defined sets are stored as `<name>.casl`): letters, digits and `_`.
    case actionSet
    /// A session's display name (`session.sessionName`): no control characters.
    case session

    /// Longest accepted name, in UTF-8 bytes.
    public var maxBytes: Int {
        switch self {
        case .user, .group: 64
        case .caslib, .caslibReference: 256
        case .table, .column: 256
        case .actionSet: 64
        case .session: 256
        }
    }

    var word: String {
        switch self {
        case .user: "user name"
        case .group: "group name"
        case .caslib, .caslibReference: "caslib name"
        case .table: "table name"
        case .column: "column name"
        case .actionSet: "action set name"
        case .session: "session name"
        }
    }
}

/// The one validator for names sent by clients — users, groups, caslibs, tables, columns, action sets — used by
/// the command line, both front ends, parameter validation and every action. Messages quote at most
/// 200 characters of what was sent (`Names.quote`).
public enum Names {
    /// Refuses a name that breaks `kind`'s rule; `parameter` is named in the error.
    public static func check(_ name: String, _ kind: NameKind, parameter: String? = nil) throws(ActionError) {
        if let problem = problem(name, kind) {
            throw ActionError(.parameterValue, "\(parameter.map { "Parameter '\($0)': " } ?? "")the \(kind.word) \(quote(name)) is not valid: \(problem).",
                              parameter: parameter)
        }
    }

    /// Why `name` is not a valid `kind` name, or nil when it is.
    public static func problem(_ name: String, _ kind: NameKind) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.allSatisfy({ $0 == " " || $0 == "\t" }) { return "it is blank" }
        if name.utf8.count > kind.maxBytes { return "it is longer than \(kind.maxBytes) bytes" }
        if name.unicodeScalars.contains(where: isControl) { return "it contains a control character (such as NUL or a line break)" }
        switch kind {
        case .user, .group:
            guard name.unicodeScalars.allSatisfy({ isASCIIWord($0) || $0 == "-" || $0 == "." }) else {
                return "use ASCII letters, digits, '_', '-' and '.'"
            }
            if name.hasPrefix(".") || name.hasPrefix("-") { return "it may not start with '.' or '-'" }
        case .caslib, .actionSet:
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return "use letters, digits and '_'" }
        case .caslibReference, .table:
            if name.contains("/") || name.contains("\\") { return "it may not contain '/' or '\\'" }
        case .column, .session:
            break
        }
        return nil
    }

    /// A SAS name literal's name: `"my var"n` (or `'my var'N`, a doubled quote standing for one) → `my var`; anything
    /// else as it is. swat writes names with blanks this way in `vars`, `inputs` and DATA step code.
    public static func unliteral(_ s: String) -> String {
        guard s.count >= 3, s.last == "n" || s.last == "N", let q = s.first, q == "\"" || q == "'" else { return s }
        let inner = s.dropFirst().dropLast(2)
        guard s.dropLast().last == q else { return s }
        var out = "", i = inner.startIndex
        while i < inner.endIndex {
            if inner[i] == q {
                let next = inner.index(after: i)
                guard next < inner.endIndex, inner[next] == q else { return s }   // a lone quote inside: not one literal
                out.append(q)
                i = inner.index(after: next)
                continue
            }
            out.append(inner[i])
            i = inner.index(after: i)
        }
        return out.isEmpty ? s : out
    }

    /// `"text"` shortened to 200 characters, control characters shown as `\u{…}`: safe to echo back.
    public static func quote(_ s: String, limit: Int = 200) -> String {
        var out = "'"
        var n = 0
        for u in s.unicodeScalars {
            if n == limit { out += "…(\(s.unicodeScalars.count) characters)"; break }
            out += isControl(u) ? "\\u{\(String(u.value, radix: 16))}" : String(u)
            n += 1
        }
        return out + "'"
    }

    static func isControl(_ u: Unicode.Scalar) -> Bool { u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0x2028 || u.value == 0x2029 }
    static func isASCIIWord(_ u: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(u) || ("A"..."Z").contains(u) || ("0"..."9").contains(u) || u == "_"
    }
}
