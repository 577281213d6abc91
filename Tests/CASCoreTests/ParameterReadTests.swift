import Foundation
import Testing

/// Finds parameter reads by string key in Swift source text (docs/decisions/009-typed-parameters.md):
/// actions read parameters through declared `Param` keys, never `args["x"]` or `dict["x"].doubleValue ?? 0.1`.
///
/// A read is a literal key followed by a parameter-value conversion (`["x"].stringValue`,
/// `["x"]?.doubleValue`), a second subscript (`["x"][y]`) or a fallback (`["x"] ?? d`); or any
/// literal-key subscript of `args`, `Args.values` or a closure's `$0`. Assignments that build result
/// dictionaries (`out["Fetch"] = …`), comparisons and lookups in Swift dictionaries (`numbers["width"] == nil`),
/// result tables (`.tableValue`), and comments and string literals are not reads.
enum StringKeyReads {
    /// One read: where, and the line as written.
    struct Hit: CustomStringConvertible {
        var file: String
        var line: Int
        var text: String
        var description: String { "\(file):\(line): \(text)" }
    }

    static let patterns = [
        #"\["[^"]*"\]\s*\??\s*\.(stringValue|intValue|doubleValue|boolValue|listValue|dictValue|blobValue|isNull)\b"#,
        #"\["[^"]*"\]\s*\??\s*\["#,
        #"\["[^"]*"\]\s*\?\?"#,
        #"\bargs\s*\[\s*""#,
        #"\.values\s*\[\s*""#,
        #"\$0\s*\[\s*""#,
    ]

    /// Whether one line of code reads a parameter by string key.
    static func isRead(_ line: String) -> Bool {
        let code = withoutComment(line)
        return patterns.contains { code.range(of: $0, options: .regularExpression) != nil }
    }

    /// The line up to a `//` that is not inside a string literal.
    static func withoutComment(_ line: String) -> String {
        var inString = false, previous: Character = " ", out = ""
        for c in line {
            if c == "\"" && previous != "\\" { inString.toggle() }
            if !inString && c == "/" && previous == "/" { out.removeLast(); break }
            out.append(c)
            previous = c
        }
        return out
    }

    /// Every read in the `.swift` files below `folder`; `files` counts the files scanned.
    static func scan(_ folder: URL) throws -> (hits: [Hit], files: [String]) {
        var hits: [Hit] = [], files: [String] = []
        let paths = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        for path in paths.sorted() where path.hasSuffix(".swift") {
            files.append(path)
            let text = try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where isRead(String(line)) {
                hits.append(Hit(file: path, line: i + 1, text: line.trimmingCharacters(in: .whitespaces)))
            }
        }
        return (hits, files)
    }

    /// The repository's actionsets/ folder.
    static let actionsets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("actionsets")
}

@Suite("Parameters are read through typed keys")
struct ParameterReadTests {
    @Test(arguments: [
        #"let first = args["from"].intValue"#,
        #"let n = e["name"].stringValue ?? """#,
        #"let rate = d["learningRate"]?.doubleValue ?? 0.001"#,
        #"names.compactMap { $0.stringValue ?? $0["name"].stringValue }"#,
        #"let keys = items.compactMap { $0["key"] }"#,
        #"for m in Mutation.allCases where a["mutations"][m.rawValue].boolValue == true {"#,
        #"return (TableRef(dict: d), names(d["groupBy"] ?? .null))"#,
        #"let raw = args.values["table"]"#,
        #"if o["casOut"].isNull { return nil }"#,
    ])
    func stringKeyReadsAreFound(_ line: String) {
        #expect(StringKeyReads.isRead(line))
    }

    @Test(arguments: [
        #"let first = args[Self.from]"#,
        #"let rate = algo[Algorithm.learningRate]"#,
        #"if s.numbers["width"] == nil { s.numbers["width"] = 3 }"#,
        #"out["MeanImage"] = .table(try meanImageTable(m))"#,
        #"d["CAS"] = "caslite""#,
        #"let t = r.results["Fetch"]?.tableValue"#,
        #"/// so `tbl[["a"]].columninfo()` sees only "a"."#,
        #"let x = y  // e["name"].stringValue was the old way"#,
        #"throw ActionError(.parameterType, "Parameter 'inputs[\(i + 1)]' must be a column name")"#,
    ])
    func otherSubscriptsAreNotReads(_ line: String) {
        #expect(!StringKeyReads.isRead(line))
    }

    @Test func noActionReadsAParameterByStringKey() throws {
        let (hits, files) = try StringKeyReads.scan(StringKeyReads.actionsets)
        #expect(files.contains("deepLearn/DLTrain.swift") && files.count > 100, "the walk must see every action set (\(files.count) files)")
        for hit in hits {
            Issue.record("\(hit) — declare the parameter (P.*, a ParamGroup) and read it with args[Key]")
        }
    }
}
