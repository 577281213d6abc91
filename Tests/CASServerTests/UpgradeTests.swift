import CASClient
import CASStorage
import CASTestSupport
import CASWire
import Foundation
import Testing

/// Storage formats (docs/operations.md "Upgrades"): a data folder made before formats were numbered is upgraded
/// in place and keeps every user, group, access control and table; a file from a newer caslite is refused untouched.
@Suite("Upgrades of the data folder", .serialized)
struct UpgradeTests {
    @Test func aFormat0FolderIsUpgradedAndKeepsUsersAccessAndTables() async throws {
        try await withDataRoot { parent in
            let root = parent + "/data"
            try DataFolderFixture.copy(to: root)
            try await ServerProcess(dataRoot: root, auth: "password").run { p in
                let alice = try await p.connect("alice", password: "alicepw1")
                let gh = try await ok(alice, "table.fetch", ["table": ["name": "gh", "caslib": "Public"], "to": 1000])
                #expect(gh.results["Fetch"]?.tableValue?.rowCount == 36)
                try await ok(alice, "table.loadTable", ["caslib": "public", "path": "ghsaved", "casOut": ["name": "back", "caslib": "casuser"]])
                #expect(try await fetchAll(alice, "back").rowCount == 36)
                try await ok(alice, "table.loadTable", ["caslib": "casuser", "path": "tinycopy", "casOut": ["name": "tc", "caslib": "casuser"]])
                #expect(try await fetchAll(alice, "tc").strings("label") == ["a", "b", ""])
                let bob = try await p.connect("bob", password: "bobpw123")
                try await ok(bob, "table.fetch", ["table": ["name": "gh", "caslib": "Public"]])        // granted to bob
                try await ok(bob, "table.fetch", ["table": ["name": "tiny", "caslib": "Public"]])      // granted to analysts
                await alice.close()
                await bob.close()
            }
            for db in DataFolderFixture.databases(root) {
                #expect(try DataFolderFixture.format(root + "/" + db) == StorageFormat.current, "\(db) upgraded")
            }
            let history = try SQLiteBackup.strings(root + "/server.sqlite", "SELECT version || ' ' || note FROM caslite_format")
            #expect(history == ["\(StorageFormat.current) upgraded from format 0 (server)"])
        }
    }

    @Test func aFolderFromANewerCasliteIsRefusedAndLeftAlone() async throws {
        try await withDataRoot { parent in
            let root = parent + "/data"
            try DataFolderFixture.copy(to: root)
            try DataFolderFixture.setFormat(root + "/server.sqlite", StorageFormat.current + 1)
            let before = try Data(contentsOf: URL(fileURLWithPath: root + "/server.sqlite"))
            let (status, output) = try await ServerProcess.cliOutput(["serve", "--port", "0", "--data", root])
            #expect(status != 0)
            #expect(output.contains("written by a newer caslite (storage format \(StorageFormat.current + 1)"), "\(output)")
            #expect(output.contains("Nothing was changed"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/server.sqlite")) == before)
            let users = try await ServerProcess.cliOutput(["users", "list", "--data", root])
            #expect(users.status != 0 && users.output.contains("newer caslite"))
        }
    }

    @Test func aCaslibDatabaseFromANewerCasliteIsRefusedByItsActions() async throws {
        try await withDataRoot { parent in
            let root = parent + "/data"
            try DataFolderFixture.copy(to: root)
            try DataFolderFixture.setFormat(root + "/casuser/alice/.caslite.sqlite", 99)
            // caslite serve checks the caslib databases it knows of before it starts
            let (status, output) = try await ServerProcess.cliOutput(["serve", "--port", "0", "--data", root])
            #expect(status != 0 && output.contains("casuser/alice/.caslite.sqlite was written by a newer caslite (storage format 99"), "\(output)")
            try DataFolderFixture.setFormat(root + "/casuser/alice/.caslite.sqlite", 0)
            // one it does not check at start (a session caslib's folder) is refused by the actions that open it
            try FileManager.default.createDirectory(atPath: root + "/casuser/alice/sub", withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: root + "/public/.caslite.sqlite", toPath: root + "/casuser/alice/sub/.caslite.sqlite")
            try DataFolderFixture.setFormat(root + "/casuser/alice/sub/.caslite.sqlite", 99)
            try await ServerProcess(dataRoot: root, auth: "password").run { p in
                let alice = try await p.connect("alice", password: "alicepw1")
                try await ok(alice, "table.addCaslib", ["caslib": "sub", "path": "casuser/alice/sub"])
                try await fails(alice, "table.loadTable", ["caslib": "sub", "path": "ghsaved"], "newer caslite", "storage format 99")
                try await ok(alice, "table.loadTable", ["caslib": "casuser", "path": "tinycopy"])   // the others still work
                await alice.close()
            }
            #expect(try DataFolderFixture.format(root + "/casuser/alice/sub/.caslite.sqlite") == 99)
        }
    }
}
