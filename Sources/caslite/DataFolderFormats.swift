import CASStorage
import Foundation

/// Before `serve` starts: refuses a data folder holding a caslib database from a newer caslite, naming it,
/// instead of serving until an action first touches that caslib (docs/operations.md "Upgrades").
/// Looks where caslite keeps caslib databases: `public/`, each `casuser/<user>/`, and each global caslib's folder.
/// Older files are left to be upgraded when first opened.
enum DataFolderFormats {
    static func check(_ dataRoot: String) throws {
        var paths = [dataRoot + "/public/.caslite.sqlite"]
        let users = (try? FileManager.default.contentsOfDirectory(atPath: dataRoot + "/casuser")) ?? []
        paths += users.map { "\(dataRoot)/casuser/\($0)/.caslite.sqlite" }
        if FileManager.default.fileExists(atPath: dataRoot + "/server.sqlite") {
            let folders = (try? SQLiteBackup.strings(dataRoot + "/server.sqlite", "SELECT path FROM caslibs")) ?? []
            paths += folders.map { ($0.hasPrefix("/") ? $0 : dataRoot + "/" + $0) + "/.caslite.sqlite" }
        }
        for path in paths where FileManager.default.fileExists(atPath: path) {
            guard let found = try? SQLiteBackup.storageFormat(path), found > StorageFormat.current else { continue }
            throw CommandLineError(description: """
                \(path) was written by a newer caslite (storage format \(found); this caslite reads formats 0 to \(StorageFormat.current)). \
                Nothing was changed: run the newer caslite on this data folder, or restore a backup made with this version (docs/operations.md "Upgrades").
                """)
        }
    }
}
