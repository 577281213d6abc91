import CASWire
import Foundation

/// Plain text files the server keeps for itself (user-defined action sets as `<name>.casl` under
/// `<data>/actionsets`, operators' definition folders). Storage, not caslib files: actions reach
/// caslib files only through CASCore's gate.
public enum TextFiles {
    /// Files of `dir` whose names end with `suffix`, sorted by name (full paths); none when the folder does not exist.
    public static func list(_ dir: String, suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted().map { "\(dir)/\($0)" }
    }

    public static func isFolder(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// The file's text (invalid UTF-8 replaced), or nil when it cannot be read.
    public static func read(_ file: String) -> String? {
        FileManager.default.contents(atPath: file).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes `text` atomically, creating the folder (private to the server account) when needed.
    public static func write(_ text: String, to file: String) throws {
        let dir = (file as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try text.write(toFile: file, atomically: true, encoding: .utf8)
    }

    public static func remove(_ file: String) throws { try FileManager.default.removeItem(atPath: file) }
}

/// Promoted tables written through to the server database (`<data>/server.sqlite`), each call on its
/// own connection so that the server's actor is never busy with a large write.
public enum GlobalTableFile {
    public static func save(_ table: DataTable, caslib: String, meta: TableMeta, databasePath: String) throws {
        try TableStore.save(table, caslib: caslib, meta: meta, replace: true, in: try SQLiteDatabase(path: databasePath))
    }

    @discardableResult
    public static func delete(caslib: String, name: String, databasePath: String) throws -> Bool {
        try TableStore.delete(caslib: caslib, name: name, in: try SQLiteDatabase(path: databasePath))
    }
}
