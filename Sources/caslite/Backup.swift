import ArgumentParser
import CASStorage
import Foundation

/// `caslite backup --data DIR --out FILE`: an online backup of a data folder, also while a server serves it
/// (docs/operations.md "Backups"). The archive's layout is `BackupArchive`'s.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up a data folder into one archive file, also while a server runs on it.",
        discussion: "Databases are copied with SQLite's online backup API (consistent, the server keeps running); other files as they are. The archive is a tar file, mode 600 (it holds password hashes). Restore it with `caslite restore`.")

    @Option(name: .long, help: "Data folder to back up.")
    var data: String = "./caslite-data"

    @Option(name: .long, help: "The archive to write (must not exist; outside the data folder).")
    var out: String

    func run() throws {
        PrivateFiles.restrictNewFiles()
        let started = Date()
        let s = try BackupArchive.backup(dataRoot: data, out: out)
        for item in s.skipped { FileHandle.standardError.write(Data("WARNING: not in the backup: \(item)\n".utf8)) }
        print("backed up \(data) to \(out): \(s.databases.count) databases (\(s.databases.joined(separator: ", "))), \(s.files) other files (\(s.bytes) bytes) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}

/// `caslite restore --from FILE --data DIR`: unpacks a `caslite backup` archive into a new (or empty) data folder.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a `caslite backup` archive into a new or empty data folder (no server may be running on it).",
        discussion: "The archive is checked before anything is moved into place: only folders and regular files, a manifest this version reads, sound databases of a storage format it reads. Databases of an older format are upgraded when a server first opens them.")

    @Option(name: .long, help: "The archive made by `caslite backup`.")
    var from: String

    @Option(name: .long, help: "Data folder to restore into (must not exist, or be empty).")
    var data: String

    func run() throws {
        PrivateFiles.restrictNewFiles()
        let databases = try BackupArchive.restore(archive: from, dataRoot: data)
        print("restored \(from) into \(data): \(databases.count) databases (\(databases.joined(separator: ", ")))")
    }
}
