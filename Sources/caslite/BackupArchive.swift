import CASCore
import CASStorage
import CASWire
import Foundation

/// The backup archive of a data folder (docs/operations.md "Backups", docs/decisions/016-operating-caslite.md):
/// one POSIX tar file made by the system's `tar`, holding
/// - `caslite-backup.json`, the manifest: archive format, caslite version, storage format, time, databases and files;
/// - every SQLite database of the data folder (`server.sqlite`, each caslib's `.caslite.sqlite`), copied through
///   SQLite's online backup API (`SQLiteBackup`), so a running server's writes never tear them;
/// - every other regular file below the data folder (caslib files: CSV, images, weights, action-set definitions),
///   copied as they are.
/// Left out: the lock file, SQLite's `-wal`/`-shm`/`-journal` files (the copies are self-contained), symbolic
/// links and anything that is not a regular file or folder. Caslibs whose folders lie outside the data folder
/// are not in the archive: `backup` names them.
enum BackupArchive {
    /// The manifest's name, at the archive's root.
    static let manifestName = "caslite-backup.json"
    /// Bumped when the archive's layout changes; `restore` refuses archives of a newer layout.
    static let archiveFormat = 1

    /// What `backup` wrote.
    struct Summary {
        var databases: [String] = []
        var files = 0
        var bytes = 0
        var skipped: [String] = []
    }

    /// Whether a path names one of caslite's databases (copied with the backup API), and whether it is a SQLite side file.
    static func isDatabase(_ relative: String) -> Bool { relative == "server.sqlite" || relative.hasSuffix("/.caslite.sqlite") || relative == ".caslite.sqlite" }
    static func isSideFile(_ name: String) -> Bool {
        name == ".caslite.lock" || ["-wal", "-shm", "-journal"].contains { name.hasSuffix($0) && name.contains(".sqlite") }
    }

    // MARK: backup

    /// Copies `dataRoot` into a staging folder beside `out`, writes the manifest, and packs it into `out`
    /// (mode 0600: it holds password hashes). `out` must not exist and must lie outside the data folder.
    static func backup(dataRoot: String, out: String) throws -> Summary {
        let root = RealPath.resolve(dataRoot)
        guard FileManager.default.fileExists(atPath: root + "/server.sqlite") else {
            throw CommandLineError(description: "\(dataRoot) is not a caslite data folder (it has no server.sqlite)")
        }
        let target = RealPath.resolve(out)
        guard !(target + "/").hasPrefix(root + "/") else {
            throw CommandLineError(description: "--out \(out) lies inside the data folder: a backup there would be served to users and copied into the next backup; write it elsewhere")
        }
        guard !FileManager.default.fileExists(atPath: target) else {
            throw CommandLineError(description: "\(out) already exists; a backup never replaces a file: choose a new name")
        }
        let staging = try makeStaging(beside: target, suffix: "backup")
        defer { try? FileManager.default.removeItem(atPath: staging) }
        var summary = Summary()
        try copyTree(root: root, into: staging, summary: &summary)
        try manifest(summary, dataRoot: root).write(toFile: staging + "/" + manifestName, atomically: false, encoding: .utf8)
        let partial = target + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        try tar(["--create", "--format=posix", "--file", partial, "--directory", staging, "."])
        chmod(partial, 0o600)
        guard rename(partial, target) == 0 else { throw CommandLineError(description: "cannot create \(out): \(String(cString: strerror(errno)))") }
        summary.skipped += outsideCaslibs(root: root)
        return summary
    }

    /// Walks the data folder without following links: databases through the backup API, regular files copied,
    /// folders made (private), everything else skipped and named.
    static func copyTree(root: String, into staging: String, summary: inout Summary) throws {
        guard let walk = FileManager.default.enumerator(atPath: root) else { throw CommandLineError(description: "cannot read \(root)") }
        while let relative = walk.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if isSideFile(name) { continue }
            var st = stat()
            guard lstat(root + "/" + relative, &st) == 0 else { continue }  // gone meanwhile
            let kind = st.st_mode & S_IFMT
            if kind == S_IFDIR {
                try FileManager.default.createDirectory(atPath: staging + "/" + relative, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } else if kind == S_IFREG && isDatabase(relative) {
                try SQLiteBackup.copy(root + "/" + relative, to: staging + "/" + relative)
                summary.databases.append(relative)
            } else if kind == S_IFREG {
                try FileManager.default.copyItem(atPath: root + "/" + relative, toPath: staging + "/" + relative)
                summary.files += 1
                summary.bytes += Int(st.st_size)
            } else {
                summary.skipped.append("\(relative) (\(kind == S_IFLNK ? "a symbolic link" : "not a regular file"))")
            }
        }
        summary.databases.sort()
    }

    static func manifest(_ s: Summary, dataRoot: String) -> String {
        let m: Value = [
            "archiveFormat": .int(Int64(archiveFormat)), "caslite": .string(ServerContext.version),
            "storageFormat": .int(StorageFormat.current), "created": .string(ISO8601DateFormatter().string(from: Date())),
            "dataFolder": .string(dataRoot), "databases": .list(s.databases.map { .string($0) }), "files": .int(Int64(s.files)),
        ]
        return m.jsonString + "\n"
    }

    /// Global caslibs whose folders are outside the data folder: their files and databases are not in the archive.
    static func outsideCaslibs(root: String) -> [String] {
        guard let rows = try? SQLiteBackup.strings(root + "/server.sqlite", "SELECT name || char(9) || path FROM caslibs") else { return [] }
        return rows.compactMap { row in
            let parts = row.split(separator: "\t", maxSplits: 1).map(String.init)
            guard parts.count == 2, !(RealPath.resolve(parts[1]) + "/").hasPrefix(root + "/") else { return nil }
            return "caslib \(parts[0]) (its folder \(parts[1]) is outside the data folder: back it up separately)"
        }
    }

    // MARK: restore

    /// Unpacks `archive` into a staging folder beside `dataRoot`, checks it (no links or special files, a manifest
    /// this version reads, sound databases of a storage format it reads), then moves it into place. `dataRoot`
    /// must not exist or be empty, and no server may be serving it (its lock is held throughout).
    static func restore(archive: String, dataRoot: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: archive) else { throw CommandLineError(description: "\(archive): no such file") }
        let existed = FileManager.default.fileExists(atPath: dataRoot)
        let lock: DataFolderLock
        do { lock = try DataFolderLock(dataRoot: dataRoot) } catch { throw CommandLineError(description: error.message) }
        defer { lock.release() }
        let root = RealPath.resolve(dataRoot)
        let present = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0 != ".caslite.lock" }
        guard present.isEmpty else {
            throw CommandLineError(description: "\(dataRoot) is not empty: restore into a new folder (or move this one aside first); nothing was changed")
        }
        // a plain POSIX tar only: GNU tar would also unpack a compressed file, whose size says nothing about what it holds
        let handle = FileHandle(forReadingAtPath: archive)
        let head = [UInt8]((try? handle?.read(upToCount: 512)) ?? Data())
        try? handle?.close()
        guard head.count == 512, Array(head[257..<262]) == Array("ustar".utf8) else {
            throw CommandLineError(description: "\(archive) is not a tar file as `caslite backup` writes it (compressed archives are refused: unpack them first); nothing was restored")
        }
        // the headers first: only files and folders with names below the target, nothing sparse, and room for all of it
        var fs = statvfs()
        var room = Int.max
        if statvfs((root as NSString).deletingLastPathComponent, &fs) == 0 {
            let (product, overflow) = UInt64(fs.f_bavail).multipliedReportingOverflow(by: UInt64(fs.f_frsize))
            room = overflow ? Int.max : Int(clamping: product)
        }
        do { _ = try TarScan.scan(archive, room: room) } catch {
            throw CommandLineError(description: "\(error.message); nothing was restored")
        }
        let staging = try makeStaging(beside: root, suffix: "restore")
        defer { try? FileManager.default.removeItem(atPath: staging) }
        try tar(["--extract", "--file", archive, "--directory", staging, "--no-same-owner", "--no-same-permissions", "--no-overwrite-dir"])
        let databases = try check(staging)
        try FileManager.default.removeItem(atPath: staging + "/" + manifestName)
        for name in try FileManager.default.contentsOfDirectory(atPath: staging) {
            try FileManager.default.moveItem(atPath: staging + "/" + name, toPath: root + "/" + name)
        }
        if !existed { chmod(root, 0o700) }
        return databases
    }

    /// Refuses an unpacked archive with anything but folders and regular files, without a readable manifest,
    /// or with a database that is damaged or of a newer storage format. Returns the databases.
    static func check(_ staging: String) throws -> [String] {
        guard let walk = FileManager.default.enumerator(atPath: staging) else { throw CommandLineError(description: "cannot read the unpacked archive") }
        var databases: [String] = []
        while let relative = walk.nextObject() as? String {
            var st = stat()
            guard lstat(staging + "/" + relative, &st) == 0 else { continue }
            let kind = st.st_mode & S_IFMT
            guard kind == S_IFDIR || kind == S_IFREG else {
                throw CommandLineError(description: "the archive holds \(relative), which is not a regular file or folder: not a caslite backup; nothing was restored")
            }
            if isSideFile((relative as NSString).lastPathComponent) {
                throw CommandLineError(description: "the archive holds \(relative), a lock or journal file that `caslite backup` never writes: not a caslite backup; nothing was restored")
            }
            if kind == S_IFREG && isDatabase(relative) { databases.append(relative) }
        }
        guard let text = TextFiles.read(staging + "/" + manifestName) else {
            throw CommandLineError(description: "the archive has no \(manifestName): not a caslite backup; nothing was restored")
        }
        guard let m = try? JSONParser.parse(text), let format = m["archiveFormat"].intValue else {
            throw CommandLineError(description: "the archive's \(manifestName) is not valid (expected a JSON object with archiveFormat): nothing was restored")
        }
        guard format <= archiveFormat else {
            throw CommandLineError(description: "the archive was made by a newer caslite (\(m["caslite"].stringValue ?? "?"), archive format \(format)); restore it with that version")
        }
        guard databases.contains("server.sqlite") else { throw CommandLineError(description: "the archive has no server.sqlite; nothing was restored") }
        for db in databases.sorted() {
            if let problem = SQLiteBackup.integrityProblem(staging + "/" + db) {
                throw CommandLineError(description: "\(db) in the archive is damaged (\(problem)); nothing was restored")
            }
            let found = try SQLiteBackup.storageFormat(staging + "/" + db)
            guard found <= StorageFormat.current else {
                throw CommandLineError(description: "\(db) in the archive has storage format \(found), newer than this caslite reads (\(StorageFormat.current)); restore it with the caslite that made it")
            }
        }
        return databases.sorted()
    }

    // MARK: helpers

    /// A new private folder next to `path` (same file system, so moving out of it is a rename).
    static func makeStaging(beside path: String, suffix: String) throws -> String {
        let dir = (path as NSString).deletingLastPathComponent
        let staging = "\(dir)/.\((path as NSString).lastPathComponent).\(suffix)-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        return staging
    }

    /// Runs the system's GNU tar; its complaints become the error.
    static func tar(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["tar"] + arguments
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw CommandLineError(description: "tar failed: \(String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
