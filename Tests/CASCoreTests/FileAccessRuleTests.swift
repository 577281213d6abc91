import Foundation
import Testing

/// "One place decides who may touch which file": actions and the code they call reach files only
/// through the gate (`Sources/CASCore/Access`) or the storage layer (`Sources/CASStorage`). This
/// test reads the sources and fails on a direct file-system or SQLite call anywhere else that
/// serves actions.
@Suite("File access goes through the gate")
struct FileAccessRuleTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Folders whose code actions run (the CLI and the test code are not checked).
    static let checked = ["actionsets", "Sources/CASCore", "Sources/CASL", "Sources/CASServer"]
    /// The gate itself.
    static let allowed = ["Sources/CASCore/Access/"]

    /// Calls that open, list, write or delete files, or open a database.
    static let forbidden: [(String, String)] = [
        ("FileManager", "FileManager"), ("FileHandle", "FileHandle"), ("fopen(", "fopen("), ("SQLiteDatabase(", "SQLiteDatabase("),
        ("contentsOfFile", "contentsOfFile"), ("Data(contentsOf", "Data(contentsOf"), (".write(to:", "write(to:"), ("write(toFile", "write(toFile"),
        ("unlink(", "unlink("), ("realpath(", "realpath("), ("opendir(", "opendir("), (" open(", "open("), ("\topen(", "open("), ("(open(", "open("),
    ]

    @Test func noActionTouchesFilesDirectly() throws {
        var offenders: [String] = []
        for folder in Self.checked {
            let root = Self.repo.appendingPathComponent(folder)
            guard let files = FileManager.default.enumerator(atPath: root.path) else { continue }
            for case let rel as String in files where rel.hasSuffix(".swift") {
                let path = "\(folder)/\(rel)"
                if Self.allowed.contains(where: { path.hasPrefix($0) }) { continue }
                let text = try String(contentsOfFile: root.appendingPathComponent(rel).path, encoding: .utf8)
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.trimmingCharacters(in: .whitespaces)
                    if code.hasPrefix("//") { continue }
                    for (needle, name) in Self.forbidden where line.contains(needle) && !line.contains("case open(") {
                        offenders.append("\(path):\(n + 1) calls \(name)")
                    }
                }
            }
        }
        #expect(offenders.isEmpty, "reach files through ActionContext.path/savedTables (Sources/CASCore/Access) instead:\n\(offenders.joined(separator: "\n"))")
    }

    @Test func theRuleSeesAViolation() {
        let line = "        guard let data = FileManager.default.contents(atPath: file) else {"
        #expect(Self.forbidden.contains { line.contains($0.0) })
        #expect(Self.checked.allSatisfy { FileManager.default.fileExists(atPath: Self.repo.appendingPathComponent($0).path) })
    }
}
