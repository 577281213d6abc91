import CASClient
import CASStorage
import CASTestSupport
import CASWire
import Foundation
import Synchronization
import Testing

/// What the write load and the test share: stop it, and how many rounds it finished.
final class LoadState: Sendable {
    let stop = Atomic<Bool>(false)
    let done = Atomic<Int>(0)
}

/// `caslite backup` and `caslite restore` (docs/operations.md "Backups") against a real `caslite serve` process.
@Suite("Backup and restore", .serialized)
struct BackupTests {
    /// Rows of a promoted or saved table written by the load: `n` rows tagged with the iteration.
    static func rows(_ i: Int, _ n: Int) -> [Value] { (0..<n).map { .list([.int(Int64(i)), .int(Int64($0)), .string("row \($0) of \(i)")]) } }
    static let vars: Value = [["name": "iteration", "type": "int64"], ["name": "k", "type": "int64"], ["name": "text", "type": "varchar"]]

    /// Writes until `stop` is set: promoted tables replaced, tables saved into CASUSER(alice), access controls changed.
    static func load(_ c: CASConnection, _ state: LoadState) async throws {
        var i = 0
        while !state.stop.load(ordering: .relaxed) {
            try await ok(c, "table.addTable", ["table": .string("load\(i % 3)"), "caslib": "Public", "promote": true, "replace": true, "vars": vars, "rows": .list(rows(i, 3000))])
            try await ok(c, "table.addTable", ["table": "s", "replace": true, "vars": vars, "rows": .list(rows(i, 2000))])
            try await ok(c, "table.save", ["table": "s", "caslib": "casuser", "name": .string("saved\(i % 4)"), "replace": true])
            let permission: Value = i % 2 == 0 ? "Read" : "ReadInfo"
            try await ok(c, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "gh", "identity": "bob", "permission": permission]]])
            i += 1
            state.done.store(i, ordering: .relaxed)
        }
    }

    /// Every saved or promoted table of a restored folder has as many rows as its catalog says (no torn copy).
    static func expectConsistent(_ root: String) throws {
        for db in DataFolderFixture.databases(root) {
            #expect(SQLiteBackup.integrityProblem(root + "/" + db) == nil, "\(db)")
            for entry in try SQLiteBackup.strings(root + "/" + db, "SELECT data_table || ' ' || row_count FROM caslite_tables") {
                let parts = entry.split(separator: " ")
                let counted = try SQLiteBackup.strings(root + "/" + db, "SELECT count(*) FROM \(parts[0])")
                #expect(counted == [String(parts[1])], "\(db) \(entry)")
            }
        }
    }

    @Test func backupUnderWriteLoadRestoresToAnIdenticalState() async throws {
        try await withDataRoot { parent in
            let root = parent + "/data"
            try DataFolderFixture.copy(to: root)
            try await ServerProcess(dataRoot: root, auth: "password").run { p in
                let writer = try await p.connect("alice", password: "alicepw1")
                let state = LoadState()
                let (underLoad, during) = try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await Self.load(writer, state) }
                    while state.done.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(20)) }
                    let before = state.done.load(ordering: .relaxed)
                    let r = try await ServerProcess.cliOutput(["backup", "--data", root, "--out", parent + "/under-load.tar"])
                    // the writes went on while the backup ran, and a few more after it
                    let after = state.done.load(ordering: .relaxed)
                    while state.done.load(ordering: .relaxed) < after + 2 { try await Task.sleep(for: .milliseconds(20)) }
                    state.stop.store(true, ordering: .relaxed)
                    try await group.waitForAll()
                    return (r, (before, after))
                }
                #expect(underLoad.status == 0, "\(underLoad.output)")
                #expect(during.1 >= during.0, "the load ran through the backup")
                // quiet now: a second backup of the running server must equal the live folder
                let quiet = try await ServerProcess.cliOutput(["backup", "--data", root, "--out", parent + "/quiet.tar"])
                #expect(quiet.status == 0, "\(quiet.output)")
                #expect(quiet.output.contains("4 databases") || quiet.output.contains("3 databases"), "\(quiet.output)")
                await writer.close()
            }
            let mode = try FileManager.default.attributesOfItem(atPath: parent + "/quiet.tar")[.posixPermissions] as? Int
            #expect(mode == 0o600, "the archive holds password hashes")
            let live = try DataFolderFixture.dump(root)

            let restored = parent + "/restored"
            let r = try await ServerProcess.cliOutput(["restore", "--from", parent + "/quiet.tar", "--data", restored])
            #expect(r.status == 0, "\(r.output)")
            #expect(try DataFolderFixture.dump(restored) == live, "users, groups, access controls, promoted and saved tables, every cell")
            #expect(FileManager.default.fileExists(atPath: restored + "/public/greenhouse.csv"))

            let loaded = parent + "/restored-under-load"
            let r2 = try await ServerProcess.cliOutput(["restore", "--from", parent + "/under-load.tar", "--data", loaded])
            #expect(r2.status == 0, "\(r2.output)")
            try Self.expectConsistent(loaded)
            // a server starts on the restored folder: the same users log in and read what they were granted
            try await ServerProcess(dataRoot: restored, auth: "password").run { p in
                let bob = try await p.connect("bob", password: "bobpw123")
                try await ok(bob, "table.fetch", ["table": ["name": "tiny", "caslib": "Public"]])
                let alice = try await p.connect("alice", password: "alicepw1")
                let t = try await ok(alice, "table.fetch", ["table": ["name": "load0", "caslib": "Public"], "to": 5])
                #expect(t.results["Fetch"]?.tableValue?.rowCount == 5)
                try await ok(alice, "table.loadTable", ["caslib": "casuser", "path": "saved0", "casOut": "x"])
                await bob.close()
                await alice.close()
            }
        }
    }

    /// The backup runs while a save holds its write transaction open: it is not blocked, and it holds the
    /// table as it was before that save (SQLite's snapshot), never a half-written one.
    @Test func aBackupDuringALongSaveHoldsThePreviousVersion() async throws {
        try await withDataRoot { parent in
            let root = parent + "/data"
            try DataFolderFixture.copy(to: root)
            var csv = "a,b,c\n"
            for i in 0..<600_000 { csv += "\(i),\(i % 7).25,text\(i % 101)\n" }
            try csv.write(toFile: root + "/casuser/alice/big.csv", atomically: true, encoding: .utf8)
            let archive = parent + "/during-save.tar"
            try await ServerProcess(dataRoot: root, auth: "password").run { p in
                let c = try await p.connect("alice", password: "alicepw1")
                try await ok(c, "table.addTable", ["table": "small", "vars": Self.vars, "rows": .list(Self.rows(0, 3))])
                try await ok(c, "table.save", ["table": "small", "caslib": "casuser", "name": "data"])
                try await ok(c, "table.loadTable", ["caslib": "casuser", "path": "big.csv", "casOut": "big"])
                var backup: (status: Int32, output: String)?
                for await event in c.stream("table.save", ["table": "big", "caslib": "casuser", "name": "data", "replace": true]) {
                    if case .progress = event, backup == nil {
                        backup = try await ServerProcess.cliOutput(["backup", "--data", root, "--out", archive])
                    }
                }
                let b = try #require(backup, "the save must report progress")
                #expect(b.status == 0, "\(b.output)")
                await c.close()
            }
            let live = try SQLiteBackup.strings(root + "/casuser/alice/.caslite.sqlite", "SELECT row_count FROM caslite_tables WHERE name = 'data'")
            #expect(live == ["600000"], "the save went through")
            let restored = parent + "/restored"
            #expect(try await ServerProcess.cliOutput(["restore", "--from", archive, "--data", restored]).status == 0)
            try Self.expectConsistent(restored)
            let counts = try SQLiteBackup.strings(restored + "/casuser/alice/.caslite.sqlite", "SELECT row_count FROM caslite_tables WHERE name = 'data'")
            #expect(counts == ["3"], "the backup holds the version before the save")
        }
    }

    @Test func restoreRefusesARunningServerAFullFolderAndForeignArchives() async throws {
        try await withDataRoot { parent in
            let root = parent + "/data"
            try DataFolderFixture.copy(to: root)
            let archive = parent + "/b.tar"
            #expect(try await ServerProcess.cliOutput(["backup", "--data", root, "--out", archive]).status == 0)
            let again = try await ServerProcess.cliOutput(["backup", "--data", root, "--out", archive])
            #expect(again.status != 0 && again.output.contains("never replaces"), "\(again.output)")
            let inside = try await ServerProcess.cliOutput(["backup", "--data", root, "--out", root + "/public/b.tar"])
            #expect(inside.status != 0 && inside.output.contains("inside the data folder"), "\(inside.output)")

            let empty = parent + "/empty"
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            try await ServerProcess(dataRoot: empty).run { _ in
                let r = try await ServerProcess.cliOutput(["restore", "--from", archive, "--data", empty])
                #expect(r.status != 0 && r.output.contains("Another caslite server"), "\(r.output)")
            }
            let full = try await ServerProcess.cliOutput(["restore", "--from", archive, "--data", root])
            #expect(full.status != 0 && full.output.contains("is not empty"), "\(full.output)")

            // an archive with a symbolic link, or without a manifest, is refused and leaves nothing behind
            let evil = parent + "/evil"
            try FileManager.default.createDirectory(atPath: evil, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: root + "/server.sqlite", toPath: evil + "/server.sqlite")
            try "{\"archiveFormat\": 1}".write(toFile: evil + "/caslite-backup.json", atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: evil + "/escape", withDestinationPath: "/etc")
            try tar(["-cf", parent + "/evil.tar", "-C", evil, "."])
            let target = parent + "/target"
            let refused = try await ServerProcess.cliOutput(["restore", "--from", parent + "/evil.tar", "--data", target])
            #expect(refused.status != 0 && refused.output.contains("not a regular file"), "\(refused.output)")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []).filter { $0 != ".caslite.lock" }.isEmpty)
            try FileManager.default.removeItem(atPath: evil + "/escape")
            try FileManager.default.removeItem(atPath: evil + "/caslite-backup.json")
            try tar(["-cf", parent + "/foreign.tar", "-C", evil, "."])
            let foreign = try await ServerProcess.cliOutput(["restore", "--from", parent + "/foreign.tar", "--data", target])
            #expect(foreign.status != 0 && foreign.output.contains("not a caslite backup"), "\(foreign.output)")
            // a compressed archive (its size says nothing of what it unpacks to) and one holding a lock file are refused
            try tar(["-czf", parent + "/b.tar.gz", "-C", parent, "b.tar"])
            let zipped = try await ServerProcess.cliOutput(["restore", "--from", parent + "/b.tar.gz", "--data", target])
            #expect(zipped.status != 0 && zipped.output.contains("compressed archives are refused"), "\(zipped.output)")
            try "{\"archiveFormat\": 1}".write(toFile: evil + "/caslite-backup.json", atomically: true, encoding: .utf8)
            try "".write(toFile: evil + "/.caslite.lock", atomically: true, encoding: .utf8)
            try tar(["-cf", parent + "/locked.tar", "-C", evil, "."])
            let locked = try await ServerProcess.cliOutput(["restore", "--from", parent + "/locked.tar", "--data", target])
            #expect(locked.status != 0 && locked.output.contains("lock or journal file"), "\(locked.output)")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []).filter { $0 != ".caslite.lock" }.isEmpty)
            try FileManager.default.removeItem(atPath: evil + "/.caslite.lock")

            // a sparse member: a small archive that would unpack to 40 GB
            let sparse = evil + "/sparse.bin"
            #expect(FileManager.default.createFile(atPath: sparse, contents: nil))
            #expect(truncate(sparse, 40 << 30) == 0)
            try tar(["--format=posix", "--sparse", "-cf", parent + "/sparse.tar", "-C", evil, "."])
            try FileManager.default.removeItem(atPath: sparse)
            let sparseRefused = try await ServerProcess.cliOutput(["restore", "--from", parent + "/sparse.tar", "--data", target])
            #expect(sparseRefused.status != 0 && sparseRefused.output.contains("sparse member"), "\(sparseRefused.output)")
            // an absolute member name (tar -P keeps the leading /)
            try tar(["--format=posix", "-P", "-cf", parent + "/absolute.tar", evil + "/server.sqlite", evil + "/caslite-backup.json"])
            let absolute = try await ServerProcess.cliOutput(["restore", "--from", parent + "/absolute.tar", "--data", target])
            #expect(absolute.status != 0 && absolute.output.contains("outside the folder it unpacks into"), "\(absolute.output)")
            // a header that declares 2^50 bytes (and holds none): refused before tar runs, for want of room
            var header = [UInt8](repeating: 0, count: 512)
            for (i, b) in "huge.bin".utf8.enumerated() { header[i] = b }
            for (i, b) in "00000000644\0".utf8.enumerated() { header[100 + i] = b }
            header[124] = 0x80  // GNU's base-256 size: 2^50 big-endian in bytes 125..<136
            header[129] = 0x04
            header[156] = UInt8(ascii: "0")
            for (i, b) in "ustar\u{0}00".utf8.enumerated() { header[257 + i] = b }
            try Data(header + [UInt8](repeating: 0, count: 1024)).write(to: URL(fileURLWithPath: parent + "/huge.tar"))
            let huge = try await ServerProcess.cliOutput(["restore", "--from", parent + "/huge.tar", "--data", target])
            #expect(huge.status != 0 && huge.output.contains("unpacks to more than") && huge.output.contains("\(1 << 50) bytes up to huge.bin"), "\(huge.output)")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []).filter { $0 != ".caslite.lock" }.isEmpty)
        }
    }

    func tar(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["tar"] + args
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }
}
